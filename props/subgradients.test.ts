import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { propsRuns, propsSeed } from '../src/check/config.js'
import { shapes } from '../src/check/index.js'
import { onesLike, tensor, zerosLike } from '../src/ops/create.js'
import { stridesOf, sizeOf } from '../src/core/shape.js'
import type { Tensor } from '../src/core/tensor.js'
import { jvp } from '../src/forward/jvp.js'
import { greater, maximum, minimum, mul } from '../src/ops/binary.js'
import { max, sum } from '../src/ops/reduce.js'
import { stopGradient } from '../src/ops/shape.js'
import { abs, relu, sign } from '../src/ops/unary.js'
import { grad } from '../src/reverse/vjp.js'

// At a kink the derivative is a choice, and the choice is part of the API: relu′(0) = 0,
// abs′(0) = 0, maximum/minimum split a tie 1/2 each, a max reduction splits its cotangent evenly
// over the tied maxima. Finite differences cannot check these, so they are tested against the
// rule itself, on integer data full of zeros and ties, in both modes.

const params = { seed: propsSeed(), numRuns: propsRuns(30), includeErrorInReport: true }

/** Integer data in [-k, k]: many zeros and ties. */
const tied = (k = 1) =>
  shapes({ maxDim: 4 }).chain((shape) =>
    fc
      .array(fc.integer({ min: -k, max: k }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
      .map((data) => ({ shape, data })),
  )

const T = (c: { shape: number[]; data: number[] }): Tensor => tensor(new Float64Array(c.data), c.shape)
const data = (t: Tensor): number[] => Array.from(t.dataSync())

/** The elementwise derivative along the all-ones tangent (forward) and of the sum (reverse). */
function bothModes(f: (x: Tensor) => Tensor, x: Tensor): [number[], number[]] {
  const [, dy] = jvp(f, [x], [onesLike(x)]) as [Tensor, Tensor]
  const g = grad((t: Tensor) => sum(f(t)))(x) as Tensor
  return [data(dy), data(g)]
}

describe('chosen subgradients at kinks', () => {
  test('relu′(0) = 0 (relu′ = [x > 0])', () => {
    fc.assert(
      fc.property(tied(), (c) => {
        const want = c.data.map((v) => (v > 0 ? 1 : 0))
        const [fwd, rev] = bothModes(relu, T(c))
        expect(fwd).toEqual(want)
        expect(rev).toEqual(want)
      }),
      params,
    )
  })

  test('abs′(0) = 0 (abs′ = sign x)', () => {
    fc.assert(
      fc.property(tied(), (c) => {
        const want = c.data.map((v) => Math.sign(v) + 0)
        const [fwd, rev] = bothModes(abs, T(c))
        expect(fwd).toEqual(want)
        expect(rev).toEqual(want)
      }),
      params,
    )
  })

  test('the second derivatives at the kinks are 0 too', () => {
    const x = tensor([-1, 0, 0, 2])
    for (const f of [relu, abs]) {
      const g = (t: Tensor) => grad((s: Tensor) => sum(f(s)))(t) as Tensor
      const [, h] = jvp(g, [x], [onesLike(x)]) as [Tensor, Tensor]
      expect(data(h)).toEqual([0, 0, 0, 0])
    }
  })

  test('maximum and minimum split a tie 1/2 each, in both modes and under broadcasting', () => {
    fc.assert(
      fc.property(tied(), fc.integer({ min: -1, max: 1 }), (c, s) => {
        const a = T(c)
        const b = tensor(s)
        for (const [op, wins] of [
          [maximum, (v: number) => v > s],
          [minimum, (v: number) => v < s],
        ] as const) {
          const share = c.data.map((v): number => (v === s ? 0.5 : wins(v) ? 1 : 0))
          // forward: the tangent of a alone, then of b alone
          const [, da] = jvp((t: Tensor) => op(t, b), [a], [onesLike(a)]) as [Tensor, Tensor]
          const [, db] = jvp((t: Tensor) => op(a, t), [b], [onesLike(b)]) as [Tensor, Tensor]
          expect(data(da)).toEqual(share)
          expect(data(db)).toEqual(share.map((w) => 1 - w))
          // reverse: b is broadcast, so its cotangent sums its shares
          const [ga, gb] = grad((x: Tensor, y: Tensor) => sum(op(x, y)), { argnums: [0, 1] })(
            a,
            b,
          ) as Tensor[]
          expect(data(ga!)).toEqual(share)
          expect(gb!.item()).toBeCloseTo(
            share.reduce((acc, w) => acc + (1 - w), 0),
            12,
          )
        }
      }),
      params,
    )
  })

  test('a max reduction splits its cotangent evenly over tied maxima', () => {
    fc.assert(
      fc.property(
        tied(1).filter((c) => c.shape.length > 0),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        (c, pick) => {
          const x = T(c)
          const axes = c.shape.map((_, i) => i).filter((i) => pick[i] === true)
          // expected: 1/count at each maximum of its group (the elements sharing the kept axes)
          const strides = stridesOf(c.shape)
          const key = (k: number): string =>
            c.shape.map((d, i) => (axes.includes(i) ? -1 : Math.floor(k / strides[i]!) % d)).join(',')
          const best = new Map<string, number>()
          const count = new Map<string, number>()
          c.data.forEach((v, k) => best.set(key(k), Math.max(best.get(key(k)) ?? -Infinity, v)))
          c.data.forEach((v, k) => {
            if (v === best.get(key(k))) count.set(key(k), (count.get(key(k)) ?? 0) + 1)
          })
          const want = c.data.map((v, k) => (v === best.get(key(k)) ? 1 / count.get(key(k))! : 0))
          const f = (t: Tensor) => max(t, axes)
          const g = grad((t: Tensor) => sum(f(t)))(x) as Tensor
          data(g).forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 14))
          // forward, one element at a time: the tangent eₖ moves the max of its group by want[k]
          for (let k = 0; k < c.data.length; k++) {
            const e = new Float64Array(c.data.length)
            e[k] = 1
            const [, dy] = jvp(f, [x], [tensor(e, c.shape)]) as [Tensor, Tensor]
            expect(data(dy).reduce((acc, v) => acc + v, 0)).toBeCloseTo(want[k]!, 14)
          }
        },
      ),
      { ...params, numRuns: propsRuns(15) },
    )
  })

  test('max([3, 1, 3, 3]) gives 1/3 to each maximum', () => {
    const g = grad((t: Tensor) => max(t))(tensor([3, 1, 3, 3])) as Tensor
    expect(data(g)).toEqual([1 / 3, 0, 1 / 3, 1 / 3])
  })

  test('piecewise constant ops have zero derivative: sign, comparisons, stopGradient', () => {
    const x = tensor([-2, 0.5, 3])
    for (const f of [
      sign,
      (t: Tensor) => greater(t, tensor(0)),
      stopGradient,
      (t: Tensor) => mul(stopGradient(t), 1),
    ]) {
      const [, dy] = jvp(f, [x], [onesLike(x)]) as [Tensor, Tensor]
      expect(data(dy)).toEqual(data(zerosLike(x)))
      const g = grad((t: Tensor) => sum(f(t)))(x) as Tensor
      expect(data(g)).toEqual([0, 0, 0])
    }
  })
})
