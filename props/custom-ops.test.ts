import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, test } from 'vitest'
import {
  type OpCase,
  arrays,
  assertGrads,
  checkGrads,
  formatReport,
  materialize,
  opCase,
  seeds,
  shapes,
} from '../src/check/index.js'
import { propsRuns, propsSeed } from '../src/check/config.js'
import { testOp } from '../src/check/vitest.js'
import { onesLike, scalarLike, tensor } from '../src/ops/create.js'
import type { Tensor } from '../src/core/tensor.js'
import { jvp } from '../src/forward/jvp.js'
import { add, mul, sub } from '../src/ops/binary.js'
import { type CustomOp, defineOp } from '../src/ops/define.js'
import { matmul } from '../src/ops/matmul.js'
import { sum } from '../src/ops/reduce.js'
import { reshape } from '../src/ops/shape.js'
import { exp, log, neg, sigmoid, sin, square, tanh } from '../src/ops/unary.js'
import { grad } from '../src/reverse/vjp.js'

// Custom ops from defineOp, with kernels given as compositions (impl) or raw functions, checked
// through their op contracts, through checkGrads at order 2, and under nesting with known answers.

// ---------------------------------------------------------------------------------------------
// the ops
// ---------------------------------------------------------------------------------------------

/** softplus(x) = log(1 + eˣ) as a composition; d softplus = σ(x) dx. */
const mySoftplus = defineOp({
  name: 'mySoftplus',
  impl: ([x]) => log(add(scalarLike(x!, 1), exp(x!))),
  jvp: ({ x: [x], dx: [dx] }) => mul(dx!, sigmoid(x!)),
  vjp: ({ ct, x: [x] }) => [mul(ct, sigmoid(x!))],
})

/** x³ with a raw kernel; d x³ = 3x² dx. */
const cube = defineOp({
  name: 'cube',
  raw: ([x]) => x!.map((v) => v * v * v),
  shape: ([m]) => m!,
  jvp: ({ x: [x], dx: [dx] }) => mul(dx!, mul(scalarLike(x!, 3), square(x!))),
  vjp: ({ ct, x: [x] }) => [mul(ct, mul(scalarLike(x!, 3), square(x!)))],
})

/** tanh(k x) with a parameter k; d tanh(kx) = k (1 − y²) dx. */
const scaledTanh = defineOp<{ readonly k: number }>({
  name: 'scaledTanh',
  impl: ([x], { k }) => tanh(mul(x!, scalarLike(x!, k))),
  jvp: ({ dx: [dx], y, params: { k } }) => mul(dx!, mul(scalarLike(y, k), sub(scalarLike(y, 1), square(y)))),
  vjp: ({ ct, y, params: { k } }) => [mul(ct, mul(scalarLike(y, k), sub(scalarLike(y, 1), square(y))))],
})

/**
 * The bilinear form xᵀ A y of x [n], A [n, m], y [m]:
 * d(xᵀAy) = dxᵀ A y + xᵀ dA y + xᵀ A dy;  x̄ = ȳ A y, Ā = ȳ x yᵀ, ȳ_y = ȳ Aᵀ x.
 */
const col = (v: Tensor): Tensor => reshape(v, [...v.shape.slice(0, -1), v.shape[v.rank - 1]!, 1])
const row = (v: Tensor): Tensor => reshape(v, [...v.shape.slice(0, -1), 1, v.shape[v.rank - 1]!])
const bilinear = defineOp({
  name: 'bilinear',
  impl: ([x, a, y]) => reshape(matmul(matmul(row(x!), a!), col(y!)), []),
  jvp: ({ x: [x, a, y], dx: [dx, da, dy], b }) => {
    // each term is a [..batch, 1, 1] product, summed and reshaped to the batch shape
    const lead = dx?.shape.slice(0, b) ?? da?.shape.slice(0, b) ?? dy!.shape.slice(0, b)
    const terms = [
      dx == null ? null : matmul(matmul(row(dx), a!), col(y!)),
      da == null ? null : matmul(matmul(row(x!), da), col(y!)),
      dy == null ? null : matmul(matmul(row(x!), a!), col(dy)),
    ].filter((t): t is Tensor => t !== null)
    return reshape(
      terms.reduce((acc, t) => add(acc, t)),
      lead,
    )
  },
  vjp: ({ ct, x: [x, a, y], wants }) => [
    wants[0] ? mul(ct, reshape(matmul(a!, col(y!)), x!.shape)) : null,
    wants[1] ? mul(ct, matmul(col(x!), row(y!))) : null,
    wants[2] ? mul(ct, reshape(matmul(row(x!), a!), y!.shape)) : null,
  ],
})

/** sin and cos as custom ops whose rules call each other: every derivative order goes through them. */
const mySin: CustomOp<null> = defineOp({
  name: 'mySin',
  impl: ([x]) => sin(x!),
  jvp: ({ x: [x], dx: [dx] }) => mul(dx!, myCos(x!)),
  vjp: ({ ct, x: [x] }) => [mul(ct, myCos(x!))],
})
const myCos: CustomOp<null> = defineOp({
  name: 'myCos',
  raw: ([x]) => x!.map(Math.cos),
  shape: ([m]) => m!,
  jvp: ({ x: [x], dx: [dx] }) => mul(dx!, neg(mySin(x!))),
  vjp: ({ ct, x: [x] }) => [mul(ct, neg(mySin(x!)))],
})

// ---------------------------------------------------------------------------------------------

const bilinearCases: fc.Arbitrary<OpCase<null>> = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), seeds(), seeds(), seeds())
  .map(([n, m, s1, s2, s3]) => ({
    inputs: [
      { shape: [n], domain: 'real', seed: s1 },
      { shape: [n, m], domain: 'real', seed: s2 },
      { shape: [m], domain: 'real', seed: s3 },
    ],
    params: null,
  }))

describe('custom op contracts', () => {
  testOp(mySoftplus, { arbitraries: opCase([arrays(shapes(), 'real')]) })
  testOp(cube, { arbitraries: opCase([arrays(shapes(), 'real')]) })
  testOp(scaledTanh, {
    arbitraries: opCase(
      [arrays(shapes(), 'real')],
      fc.constantFrom(0.5, 1, 2).map((k) => ({ k })),
    ),
  })
  testOp(bilinear, { arbitraries: bilinearCases })
  testOp(mySin, { arbitraries: opCase([arrays(shapes(), 'real')]) })
  testOp(myCos, { arbitraries: opCase([arrays(shapes(), 'real')]) })
})

describe('custom ops through checkGrads, both modes, order 2', () => {
  const x = materialize({ shape: [2, 3], domain: 'real', seed: 3 })
  const fns: [string, (...ts: Tensor[]) => Tensor, Tensor[]][] = [
    ['mySoftplus', (t) => mySoftplus(t), [x]],
    ['cube inside a composition', (t) => sum(mul(cube(t), tanh(t)), 1), [x]],
    ['scaledTanh with k = 2', (t) => scaledTanh.withParams({ k: 2 })(t), [x]],
    [
      'bilinear',
      (u, a, v) => bilinear(u!, a!, v!),
      [0, 1, 2].map((i) =>
        materialize({ shape: i === 1 ? [2, 3] : [i === 0 ? 2 : 3], domain: 'real', seed: 10 + i }),
      ),
    ],
    ['mySin ∘ myCos', (t) => mySin(myCos(t)), [x]],
  ]
  for (const [name, f, args] of fns) {
    test(name, () => {
      const r = checkGrads(f, args, { order: 2 })
      if (E.isLeft(r)) throw new Error(formatReport(r.left))
      expect(E.isRight(r)).toBe(true)
    })
  }
})

describe('custom ops under nesting', () => {
  const fwd = (f: (x: Tensor) => Tensor) => (x: Tensor) => (jvp(f, [x], [onesLike(x)]) as [Tensor, Tensor])[1]
  const rev = (f: (x: Tensor) => Tensor) => (x: Tensor) => grad((t: Tensor) => sum(f(t)))(x) as Tensor

  test('the fourth derivative of mySin is mySin, in every mix of modes', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        (v, pick) => {
          const ds = pick.map((p) => (p ? fwd : rev))
          const d4 = ds.reduce(
            (f, d) => d(f),
            (t: Tensor) => mySin(t),
          )
          expect(d4(tensor([v])).item()).toBeCloseTo(Math.sin(v), 10)
        },
      ),
      { seed: propsSeed(), numRuns: propsRuns(20) },
    )
  })

  test('cube″(x) = 6x and cube‴ = 6 through the raw kernel, fwd over rev and rev over fwd', () => {
    const x = tensor([0.5, -2])
    expect(fwd(rev((t) => cube(t)))(x).toArray()).toEqual([3, -12])
    expect(rev(fwd((t) => cube(t)))(x).toArray()).toEqual([3, -12])
    expect(fwd(fwd(rev((t) => cube(t))))(x).toArray()).toEqual([6, 6])
  })

  test('a custom op nested in the rule of another: d/dx [x · (d/dy mySoftplus(x y))(1)] = 2x σ(x) + x² σ′(x)', () => {
    // (d/dy softplus(x y))(1) = x σ(x); d/dx [x² σ(x)] = 2x σ(x) + x² σ(x)(1 − σ(x))
    const f = (u: Tensor) => mul(u, fwd((y: Tensor) => mySoftplus(mul(u, y)))(tensor(1)))
    const sig = (v: number) => 1 / (1 + Math.exp(-v))
    for (const v of [-1, 0.3, 2]) {
      const want = 2 * v * sig(v) + v * v * sig(v) * (1 - sig(v))
      expect(rev(f)(tensor(v)).item()).toBeCloseTo(want, 12)
      expect(fwd(f)(tensor(v)).item()).toBeCloseTo(want, 12)
    }
  })

  test('assertGrads on a vector-mode-heavy composition of custom ops', () => {
    const f = (t: Tensor) =>
      bilinear(mySoftplus(t), reshape(cube(tensor([1, 2, 3, 4, 5, 6])), [3, 2]), mySin(tensor([0.1, 0.2])))
    assertGrads(f, [tensor([0.3, -0.7, 1.1])], { order: 2 })
  })
})
