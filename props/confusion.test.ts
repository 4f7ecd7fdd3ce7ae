import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { propsRuns, propsSeed } from '../src/check/config.js'
import { onesLike, tensor } from '../src/ops/create.js'
import type { Tensor } from '../src/core/tensor.js'
import { jvp } from '../src/forward/jvp.js'
import { add, mul } from '../src/ops/binary.js'
import { sum } from '../src/ops/reduce.js'
import { cos, exp, pow, sin } from '../src/ops/unary.js'
import { grad, vjp } from '../src/reverse/vjp.js'

// Perturbation confusion: nested derivatives whose inner function closes over the outer
// variable. Each level takes a fresh level id, so an inner derivative must treat the outer
// perturbation as a constant. Every case runs with every assignment of modes to its levels
// (fwd, rev, and all the mixed ones) against an answer known in closed form.

type Fn = (x: Tensor) => Tensor
/** A derivative operator on functions of a scalar. */
type D = (f: Fn) => Fn

const fwd: D = (f) => (x) => (jvp(f, [x], [onesLike(x)]) as [Tensor, Tensor])[1]
const rev: D = (f) => (x) => grad(f)(x) as Tensor
const modes = { fwd, rev } as const
type ModeName = keyof typeof modes

/** Every assignment of modes to `n` nesting levels. */
function assignments(n: number): ModeName[][] {
  if (n === 0) return [[]]
  return assignments(n - 1).flatMap((a) => [
    [...a, 'fwd' as const],
    [...a, 'rev' as const],
  ])
}

const s = (v: number): Tensor => tensor(v)

interface Case {
  readonly name: string
  readonly levels: number
  /** The nested derivative, given one operator per level (outermost first), at x. */
  readonly run: (ds: readonly D[], x: Tensor) => Tensor
  readonly want: (x: number) => number
}

const cases: Case[] = [
  {
    // the classic: the inner derivative must not see x's perturbation
    name: 'd/dx [x · (d/dy (x + y))(1)] = 1',
    levels: 2,
    run: ([d1, d2], x) => d1!((u) => mul(u, d2!((y) => add(u, y))(s(1))))(x),
    want: () => 1,
  },
  {
    name: 'd/dx [x · (d/dy (x · y))(2)] = 2x',
    levels: 2,
    run: ([d1, d2], x) => d1!((u) => mul(u, d2!((y) => mul(u, y))(s(2))))(x),
    want: (x) => 2 * x,
  },
  {
    name: 'd/dx [(d/dy (x · y))(x)] = 1 (inner evaluated at the outer variable)',
    levels: 2,
    run: ([d1, d2], x) => d1!((u) => d2!((y) => mul(u, y))(u))(x),
    want: () => 1,
  },
  {
    // d/dz (x y z) = x y; d/dy (y · x y) = 2 x y, at y = x: 2x²; d/dx 2x² = 4x
    name: 'd/dx [d/dy [y · (d/dz (x y z))(y)]](x) = 4x (three levels)',
    levels: 3,
    run: ([d1, d2, d3], x) => d1!((u) => d2!((y) => mul(y, d3!((z) => mul(mul(u, y), z))(y)))(u))(x),
    want: (x) => 4 * x,
  },
  {
    // the same derivative function used at two levels: h(x) = cos(x cos x), with dsin = cos
    name: 'd/dx dsin(x · dsin(x)) with dsin = sin′ reused at both levels = -sin(x cos x)(cos x - x sin x)',
    levels: 2,
    run: ([d1, d2], x) => {
      const dsin = d2!(sin)
      return d1!((u) => dsin(mul(u, dsin(u))))(x)
    },
    want: (x) => -Math.sin(x * Math.cos(x)) * (Math.cos(x) - x * Math.sin(x)),
  },
  {
    // one operator object for every level
    name: 'd⁴/dx⁴ x⁴ = 24 through one reused operator per mode',
    levels: 4,
    run: ([d1, d2, d3, d4], x) => d1!(d2!(d3!(d4!((u) => pow(u, 4)))))(x),
    want: () => 24,
  },
  {
    // a closure built at the outer level and called inside the inner derivative
    name: 'd/dx [(d/dy mk(x)(y))(1)] = 1 with mk(x) = y ↦ x·y + sin y',
    levels: 2,
    run: ([d1, d2], x) => {
      const mk = (u: Tensor) => (y: Tensor) => add(mul(u, y), sin(y))
      return d1!((u) => sub1(d2!(mk(u))(s(0))))(x)
    },
    want: () => 1,
  },
  {
    // the inner level's result is used twice by the outer function
    name: 'd/dx [g(x) · g(x)] with g(x) = (d/dy exp(x y))(1) = x eˣ: 2x e²ˣ(1 + x)',
    levels: 2,
    run: ([d1, d2], x) =>
      d1!((u) => {
        const g = d2!((y) => exp(mul(u, y)))(s(1))
        return mul(g, g)
      })(x),
    want: (x) => 2 * x * Math.exp(2 * x) * (1 + x),
  },
]

/** (d/dy (x y + sin y))(0) − cos 0 = x: removes the sin part so the answer is d/dx x = 1. */
const sub1 = (t: Tensor): Tensor => add(t, s(-Math.cos(0)))

describe('perturbation confusion: nested derivatives with known answers', () => {
  for (const c of cases) {
    for (const a of assignments(c.levels)) {
      test(`${c.name} [${a.join(' ∘ ')}]`, () => {
        fc.assert(
          fc.property(fc.double({ min: -1.5, max: 1.5, noNaN: true }), (x) => {
            const got = c
              .run(
                a.map((m) => modes[m]),
                tensor(x),
              )
              .item()
            expect(got).toBeCloseTo(c.want(x), 9)
          }),
          { seed: propsSeed(), numRuns: propsRuns(5) },
        )
      })
    }
  }

  test('a pullback called at the outer level with a cotangent that depends on x', () => {
    // f(x) = pullback of y ↦ y² at x, applied to x: 2x · x = 2x², so f′(x) = 4x
    const f: Fn = (x) => {
      const [, pb] = vjp((y: Tensor) => mul(y, y), x)
      return pb(x)[0] as Tensor
    }
    for (const d of [fwd, rev]) expect(d(f)(s(1.25)).item()).toBeCloseTo(5, 12)
  })

  test('Hessian-vector products agree over all four nestings: H v = 6 x ⊙ v for Σ x³', () => {
    const x = tensor([0.5, -1, 2])
    const v = tensor([1, 2, -1])
    const f = (t: Tensor) => sum(pow(t, 3))
    const want = [3, -12, -12]
    const g = (t: Tensor) => grad(f)(t) as Tensor
    const fwdOverRev = (jvp(g, [x], [v]) as [Tensor, Tensor])[1]
    const revOverRev = grad((t: Tensor) => sum(mul(g(t), v)))(x) as Tensor
    const dirFwd = (t: Tensor) => (jvp(f, [t], [v]) as [Tensor, Tensor])[1]
    const revOverFwd = grad(dirFwd)(x) as Tensor
    const fwdOverFwd = [0, 1, 2].map((i) => {
      const e = tensor([0, 1, 2].map((j) => (j === i ? 1 : 0)))
      return (jvp(dirFwd, [x], [e]) as [Tensor, Tensor])[1].item()
    })
    for (const h of [fwdOverRev.toArray(), revOverRev.toArray(), revOverFwd.toArray(), fwdOverFwd]) {
      ;(h as number[]).forEach((hv, i) => expect(hv).toBeCloseTo(want[i]!, 12))
    }
  })

  test('cos is sin′ through every mode, even with the outer variable captured twice', () => {
    for (const d of [fwd, rev]) {
      const x = s(0.7)
      const got = d((u) => mul(d(sin)(u), d((y) => mul(y, cos(u)))(u)))(x).item()
      // d/dx [cos x · cos x] = -2 sin x cos x
      expect(got).toBeCloseTo(-2 * Math.sin(0.7) * Math.cos(0.7), 12)
    }
  })
})
