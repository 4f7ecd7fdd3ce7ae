import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, test } from 'vitest'
import {
  type CheckReport,
  type ContractCheck,
  type OpCase,
  checkGrads,
  materialize,
  opContract,
  seeds,
} from '../../src/check/index.js'
import { propsSeed } from '../../src/check/config.js'
import { scalarLike } from '../../src/ops/create.js'
import type { OpDef } from '../../src/core/op.js'
import { sizeOf } from '../../src/core/shape.js'
import type { Tensor } from '../../src/core/tensor.js'
import { add, div, mul } from '../../src/ops/binary.js'
import { defineOp, type CustomOp } from '../../src/ops/define.js'
import { matmul } from '../../src/ops/matmul.js'
import { broadcastTo, reshape, slice, stopGradient, transpose } from '../../src/ops/shape.js'
import { sum } from '../../src/ops/reduce.js'
import { cos, neg, sin } from '../../src/ops/unary.js'

// The checker is itself tested: each op below has one planted mistake in its rules. The op
// contract must catch it, name the broken law, and shrink the counterexample to a small shape;
// checkGrads must report it too.

const spec = (shape: number[], seed: number) => ({ shape, domain: 'real' as const, seed })

/** Cases with one input of rank `rank`, sizes 1…3. */
const oneInput = (rank: number): fc.Arbitrary<OpCase<null>> =>
  fc
    .tuple(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank }), seeds())
    .map(([shape, seed]) => ({ inputs: [spec(shape, seed)], params: null }))

/** Cases A [n, k], B [k, m] for a matrix product. */
const matrixPair: fc.Arbitrary<OpCase<null>> = fc
  .tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
    seeds(),
    seeds(),
  )
  .map(([n, k, m, s1, s2]) => ({ inputs: [spec([n, k], s1), spec([k, m], s2)], params: null }))

/** Cases x [n, m] and a bias b [m]. */
const biasPair: fc.Arbitrary<OpCase<null>> = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), seeds(), seeds())
  .map(([n, m, s1, s2]) => ({ inputs: [spec([n, m], s1), spec([m], s2)], params: null }))

/** Aᵀ of a matrix. */
const T = (t: Tensor): Tensor => transpose(t, [1, 0])

// ---------------------------------------------------------------------------------------------
// the planted mistakes
// ---------------------------------------------------------------------------------------------

/** d sin x = cos x dx, planted with the sign flipped in the JVP. */
const flippedSign = defineOp({
  name: 'flippedSign',
  impl: ([x]) => sin(x!),
  jvp: ({ x: [x], dx: [dx] }) => neg(mul(dx!, cos(x!))),
  vjp: ({ ct, x: [x] }) => [mul(ct, cos(x!))],
})

/** C = A B with Ā = C̄ B (the transpose of B forgotten); B̄ = Aᵀ C̄ is right. */
const missingTranspose = defineOp({
  name: 'missingTranspose',
  impl: ([a, b]) => matmul(a!, b!),
  jvp: ({ x: [a, b], dx: [da, db] }) =>
    da == null ? matmul(a!, db!) : db == null ? matmul(da, b!) : add(matmul(da, b!), matmul(a!, db)),
  vjp: ({ ct, x: [a, b] }) => [matmul(ct, b!), matmul(T(a!), ct)],
})

/**
 * y = x + b with b [m] broadcast over the rows of x [n, m]. b̄ = Σᵢ ȳᵢ; the planted rule takes
 * the first row of ȳ instead of summing over the broadcast rows. (A rule that returns ȳ itself is
 * rescued by the engine, which sums a cotangent of broadcast shape back to the input's shape.)
 */
const forgottenReduction = defineOp({
  name: 'forgottenReduction',
  impl: ([x, b]) => add(x!, b!),
  // dy = dx + db, with db lifted over the rows when the tangents carry a batch axis
  jvp: ({ dx: [dx, db], b }) =>
    add(dx!, b === 0 ? db! : reshape(db!, [db!.shape[0]!, 1, ...db!.shape.slice(1)])),
  vjp: ({ ct }) => [ct, reshape(slice(ct, [0, 0], [1, ct.shape[1]!]), [ct.shape[1]!])],
})

/** y = mean of each row of x [n, m]: x̄ = ȳ / m broadcast; the planted rule divides by n (right only when n = m). */
const squareOnly = defineOp({
  name: 'squareOnly',
  impl: ([x]) => div(sum(x!, 1), scalarLike(x!, x!.shape[1]!)),
  jvp: ({ x: [x], dx: [dx], b }) => div(sum(dx!, 1 + b), scalarLike(x!, x!.shape[1]!)),
  vjp: ({ ct, x: [x] }) => {
    const [n, m] = x!.shape as [number, number]
    return [broadcastTo(reshape(div(ct, scalarLike(ct, n)), [n, 1]), [n, m])]
  },
})

/** d sin x = cos x dx, with the VJP computed through stopGradient: right at first order, wrong at second. */
const notDifferentiableRule = defineOp({
  name: 'notDifferentiableRule',
  impl: ([x]) => sin(x!),
  jvp: ({ x: [x], dx: [dx] }) => mul(dx!, cos(x!)),
  vjp: ({ ct, x: [x] }) => [mul(ct, stopGradient(cos(x!)))],
})

/** Row sums of x [n, m] whose JVP sums axis 1 of the tangent even when it carries a batch axis. */
const ignoresBatchAxes = defineOp({
  name: 'ignoresBatchAxes',
  impl: ([x]) => sum(x!, 1),
  jvp: ({ dx: [dx] }) => sum(dx!, 1),
  vjp: ({ ct, x: [x] }) => [broadcastTo(reshape(ct, [x!.shape[0]!, 1]), x!.shape)],
})

/** 2x with a raw kernel that also overwrites its input's first element. */
const mutatesInput = defineOp({
  name: 'mutatesInput',
  raw: ([x]) => {
    const y = x!.map((v) => 2 * v)
    if (x!.length > 0) x![0] = 0
    return y
  },
  shape: ([m]) => m!,
  jvp: ({ dx: [dx] }) => mul(dx!, scalarLike(dx!, 2)),
  vjp: ({ ct }) => [mul(ct, scalarLike(ct, 2))],
})

/** A JVP that is not linear in the tangent: cos x · dx² instead of cos x · dx. */
const nonlinearJvp = defineOp({
  name: 'nonlinearJvp',
  impl: ([x]) => sin(x!),
  jvp: ({ x: [x], dx: [dx] }) => mul(cos(x!), mul(dx!, dx!)),
  vjp: ({ ct, x: [x] }) => [mul(ct, cos(x!))],
})

/** An OpDef whose shape rule promises one more element than its kernel returns. */
const badShapeRule: OpDef<null> = {
  name: 'badShapeRule',
  structure: 'opaque',
  shape: ([m]) => ({ shape: [sizeOf(m!.shape) + 1], dtype: m!.dtype }),
  kernel: (be, [h], [m]) => {
    const x = be.readSync(h, m!)
    const y = new Float64Array(x.length)
    y.set(x)
    return be.fromArray(y, { shape: [x.length], dtype: 'float64' })
  },
  jvp: ({ dx: [dx] }) => dx!,
  vjp: ({ ct }) => [ct],
}

// ---------------------------------------------------------------------------------------------

interface Planted {
  readonly op: CustomOp<null> | OpDef<null>
  readonly cases: fc.Arbitrary<OpCase<null>>
  readonly law: ContractCheck
  /** Check only this law (for mistakes another law would report first). */
  readonly only?: boolean
  /** The largest axis size expected in the shrunk counterexample. */
  readonly maxDim: number
}

const planted: Planted[] = [
  { op: flippedSign, cases: oneInput(1), law: 'jvp-fd', maxDim: 1 },
  { op: missingTranspose, cases: matrixPair, law: 'vjp-transpose', maxDim: 2 },
  { op: forgottenReduction, cases: biasPair, law: 'vjp-transpose', maxDim: 2 },
  { op: squareOnly, cases: oneInput(2), law: 'vjp-transpose', maxDim: 2 },
  { op: notDifferentiableRule, cases: oneInput(1), law: 'second-order', maxDim: 1 },
  { op: ignoresBatchAxes, cases: oneInput(2), law: 'vector-mode', maxDim: 2 },
  { op: mutatesInput, cases: oneInput(1), law: 'mutation', maxDim: 1 },
  { op: nonlinearJvp, cases: oneInput(1), law: 'linearity', only: true, maxDim: 1 },
  { op: badShapeRule, cases: oneInput(1), law: 'shape', maxDim: 1 },
]

const nameOf = (op: Planted['op']): string => ('def' in op ? op.def.name : op.name)

describe('the op contract catches planted mistakes and shrinks them', () => {
  for (const p of planted) {
    test(`${nameOf(p.op)}: caught by ${p.law}`, () => {
      const prop = opContract(p.op, { arbitraries: p.cases, ...(p.only === true ? { checks: [p.law] } : {}) })
      const r = fc.check(prop, { seed: propsSeed(42), numRuns: 100 })
      expect(r.failed).toBe(true)
      expect(r.errorInstance).toBeInstanceOf(Error)
      const message = (r.errorInstance as Error).message
      expect(message).toContain(`(${p.law})`)
      // the law is broken by the planted mistake, not by a slip in this test
      expect(message).not.toMatch(/threw (TypeError|ReferenceError)/)
      const [c] = r.counterexample!
      const dims = c.inputs.flatMap((s) => [...s.shape])
      expect(Math.max(1, ...dims)).toBeLessThanOrEqual(p.maxDim)
    })
  }

  test('fc.assert prints the seed, the path and the shrunk counterexample', () => {
    const prop = opContract(squareOnly, { arbitraries: oneInput(2) })
    let message = ''
    try {
      fc.assert(prop, { seed: 42, numRuns: 100, includeErrorInReport: true })
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toMatch(/seed: 42, path: "[\d:]+"/)
    expect(message).toMatch(/Counterexample: \[\{"inputs":\[\{"shape":\[(1,2|2,1)\]/)
    expect(message).toContain('squareOnly breaks its contract (vjp-transpose)')
  })
})

describe('checkGrads reports the planted mistakes', () => {
  const x = materialize(spec([2, 3], 5))
  const a = materialize(spec([3, 3], 6))
  const b = materialize(spec([3, 3], 7))
  const bias = materialize(spec([3], 8))
  const cases: [string, () => E.Either<CheckReport, CheckReport>][] = [
    ['flippedSign', () => checkGrads(flippedSign, [x])],
    // square shapes, so that the missing transpose gives wrong numbers rather than a ShapeError
    ['missingTranspose', () => checkGrads(missingTranspose, [a, b], { modes: ['rev'] })],
    ['forgottenReduction', () => checkGrads(forgottenReduction, [x, bias])],
    ['squareOnly', () => checkGrads(squareOnly, [x])],
    ['notDifferentiableRule', () => checkGrads(notDifferentiableRule, [x], { order: 2, modes: ['rev'] })],
    ['nonlinearJvp', () => checkGrads(nonlinearJvp, [x], { modes: ['fwd'], fast: true })],
  ]
  for (const [name, run] of cases) {
    test(`${name} gives left`, () => {
      const r = run()
      expect(E.isLeft(r)).toBe(true)
      if (E.isLeft(r)) expect(r.left.failures.length).toBeGreaterThan(0)
    })
  }

  test('a right rule of the same form passes', () => {
    const goodSin = defineOp({
      name: 'goodSin',
      impl: ([t]) => sin(t!),
      jvp: ({ x: [t], dx: [dx] }) => mul(dx!, cos(t!)),
      vjp: ({ ct, x: [t] }) => [mul(ct, cos(t!))],
    })
    expect(E.isRight(checkGrads(goodSin, [x], { order: 2 }))).toBe(true)
  })
})
