import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, test } from 'vitest'
import {
  type CheckReport,
  GradCheckError,
  assertGrads,
  checkGrads,
  defaultTolerances,
  formatReport,
} from '../../src/check/index.js'
import { scalarLike, tensor } from '../../src/ops/create.js'
import { ValueError } from '../../src/core/errors.js'
import type { Tensor } from '../../src/core/tensor.js'
import { add, greater, mul } from '../../src/ops/binary.js'
import { defineOp } from '../../src/ops/define.js'
import { matmul } from '../../src/ops/matmul.js'
import { logsumexp, sum } from '../../src/ops/reduce.js'
import { abs, cos, exp, relu, sin, tanh } from '../../src/ops/unary.js'

const report = (r: E.Either<CheckReport, CheckReport>): CheckReport => (E.isRight(r) ? r.right : r.left)

/** sin with its JVP sign flipped (and a right VJP). */
const badSin = defineOp({
  name: 'badSin',
  impl: ([x]) => sin(x!),
  jvp: ({ x: [x], dx: [dx] }) => mul(dx!, mul(cos(x!), scalarLike(x!, -1))),
  vjp: ({ ct, x: [x] }) => [mul(ct, cos(x!))],
})

describe('checkGrads on right derivatives', () => {
  const a = tensor([
    [0.5, -1.2, 0.3],
    [2, 0.1, -0.7],
  ])
  const b = tensor([
    [1, 0.4],
    [-0.2, 0.7],
    [0.6, -1.1],
  ])

  test('several arguments, matrix output, order 1: right with every check compared', () => {
    const r = checkGrads((x, y) => tanh(matmul(x, y)), [a, b])
    expect(E.isRight(r)).toBe(true)
    const rep = report(r)
    expect(rep.ok).toBe(true)
    expect(rep.dtype).toBe('float64')
    expect(rep.checks.map((c) => c.name)).toEqual([
      'f: JVP vs finite differences',
      'f: VJP vs finite differences',
      'f: adjoint identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩',
    ])
    // full Jacobians: 4 outputs × (6 + 6) inputs
    expect(rep.checks[0]!.compared).toBe(48)
    expect(rep.failures).toEqual([])
  })

  test('order 2 adds the checks of the JVP and VJP functions', () => {
    const rep = report(checkGrads((x) => logsumexp(mul(x, x), 1), [a], { order: 2 }))
    expect(rep.ok).toBe(true)
    const fns = [...new Set(rep.checks.map((c) => c.fn))]
    expect(fns).toEqual(['f', 'JVP of f', 'VJP of f'])
  })

  test('modes choose the checks: fwd alone has no VJP and no adjoint check', () => {
    const rep = report(checkGrads(exp, [a], { modes: ['fwd'], order: 2 }))
    expect(rep.checks.map((c) => c.name)).toEqual([
      'f: JVP vs finite differences',
      'JVP of f: JVP vs finite differences',
    ])
  })

  test('fast mode compares one projection per check', () => {
    const rep = report(checkGrads((x, y) => matmul(x, y), [a, b], { fast: true, order: 2 }))
    expect(rep.ok).toBe(true)
    expect(rep.fast).toBe(true)
    for (const c of rep.checks) expect(c.compared).toBe(1)
    expect(rep.checks[0]!.worst!.where).toBe('projection uᵀ J v')
  })

  test('the same seed gives the same report; another seed other directions', () => {
    const f = (x: Tensor) => sin(mul(x, x))
    const r1 = report(checkGrads(f, [a], { fast: true, seed: 3 }))
    const r2 = report(checkGrads(f, [a], { fast: true, seed: 3 }))
    const r3 = report(checkGrads(f, [a], { fast: true, seed: 4 }))
    expect(r1).toEqual(r2)
    expect(r3.checks[0]!.worst!.analytic).not.toBe(r1.checks[0]!.worst!.analytic)
  })

  test('a scalar input and a scalar output', () => {
    expect(E.isRight(checkGrads((x) => mul(exp(x), sin(x)), [tensor(0.7)], { order: 2 }))).toBe(true)
  })
})

describe('checkGrads reports a wrong rule', () => {
  const x = tensor([0.5, 1.5])

  test('left, naming the check, argument, element, values, error bar and margin', () => {
    const r = checkGrads((t) => badSin(t), [x])
    expect(E.isLeft(r)).toBe(true)
    const rep = report(r)
    expect(rep.ok).toBe(false)
    const byName = Object.fromEntries(rep.checks.map((c) => [c.name, c]))
    expect(byName['f: JVP vs finite differences']!.failed).toBe(2)
    expect(byName['f: VJP vs finite differences']!.failed).toBe(0)
    expect(byName['f: adjoint identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩']!.failed).toBe(1)
    const worst = rep.failures.find((e) => e.check === 'jvp-fd' && e.input?.[0] === 0)!
    expect(worst.fn).toBe('f')
    expect(worst.argument).toBe(0)
    expect(worst.input).toEqual([0])
    expect(worst.output).toEqual([0])
    expect(worst.analytic).toBeCloseTo(-Math.cos(0.5), 12)
    expect(worst.numeric).toBeCloseTo(Math.cos(0.5), 10)
    expect(worst.errorBar).toBeGreaterThan(0)
    expect(worst.errorBar).toBeLessThan(1e-9)
    expect(worst.margin).toBeCloseTo(worst.tolerance + worst.errorBar - 2 * Math.cos(0.5), 9)
    expect(worst.passed).toBe(false)
    expect(worst.inconclusive).toBe(false)
  })

  test('the formatted report shows the failing entries', () => {
    const text = formatReport(report(checkGrads((t) => badSin(t), [x])))
    expect(text).toContain('checkGrads FAILED')
    expect(text).toContain('✗ f: JVP vs finite differences: 2 of 4 failed, worst margin -1.755')
    expect(text).toContain('✓ f: VJP vs finite differences')
    expect(text).toMatch(/argument 0 at \[0\] → output \[0\]: analytic -0\.8776, numeric 0\.8776 ± [\d.e-]+/)
    expect(text).toContain('margin -1.755')
  })

  test('at order 2, a rule that is right only to first order fails only the derivative functions', () => {
    const frozen = defineOp({
      name: 'frozen',
      impl: ([t]) => sin(t!),
      jvp: ({ x: [t], dx: [dx] }) => mul(dx!, cos(t!)),
      // the derivative is read off as data: right at first order, constant to the second
      vjp: ({ ct, x: [t] }) => [mul(ct, tensor(cos(t!).dataSync(), t!.shape))],
    })
    const rep = report(checkGrads((t) => frozen(t), [x], { order: 2 }))
    expect(rep.ok).toBe(false)
    const failedFns = new Set(rep.checks.filter((c) => c.failed > 0).map((c) => c.fn))
    expect(failedFns.has('f')).toBe(false)
    expect(failedFns.has('VJP of f')).toBe(true)
  })

  test('at a jump the finite differences are inconclusive, and that is a failure', () => {
    // x + [x > 0] at 0: (f(h) − f(−h)) / 2h = 1 + 1/2h grows as h shrinks, so no step settles it
    const rep = report(
      checkGrads((t) => add(t, greater(t, scalarLike(t, 0))), [tensor([0, 1])], { modes: ['fwd'] }),
    )
    expect(rep.ok).toBe(false)
    const e = rep.failures[0]!
    expect(e.input).toEqual([0])
    expect(e.analytic).toBe(1)
    expect(e.inconclusive).toBe(true)
    expect(e.margin).toBeCloseTo(e.tolerance - e.errorBar, 12)
    expect(formatReport(rep)).toContain('finite differences inconclusive')
  })

  test('closer to a kink than the smallest step, finite differences cannot see the slope', () => {
    // |x| at 10⁻⁹: every probe straddles the kink, so the difference quotients are ≈ x/h ≈ 0
    const rep = report(checkGrads(abs, [tensor([1e-9, 1])], { modes: ['fwd'] }))
    expect(rep.ok).toBe(false)
    expect(rep.failures[0]!.input).toEqual([0])
    expect(Math.abs(rep.failures[0]!.numeric)).toBeLessThan(1e-3)
  })

  test('a kink a little further than the smallest step is resolved by restarting with smaller steps', () => {
    const rep = report(checkGrads(abs, [tensor([0.003, -1])]))
    expect(rep.ok).toBe(true)
  })

  test('at a kink itself, central differences see the mean of the one-sided slopes', () => {
    // abs: (|h| − |−h|) / 2h = 0 = the chosen subgradient; relu: h / 2h = 1/2 ≠ relu′(0) = 0
    expect(report(checkGrads(abs, [tensor([0])])).ok).toBe(true)
    const rep = report(checkGrads(relu, [tensor([0])], { modes: ['fwd'] }))
    expect(rep.ok).toBe(false)
    expect(rep.failures[0]!.numeric).toBeCloseTo(0.5, 12)
    expect(rep.failures[0]!.inconclusive).toBe(false)
  })

  test('assertGrads throws a GradCheckError carrying the report', () => {
    let err: unknown
    try {
      assertGrads((t) => badSin(t), [x])
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(GradCheckError)
    expect((err as GradCheckError).report.ok).toBe(false)
    expect((err as GradCheckError).message).toContain('JVP vs finite differences')
    expect(assertGrads(sin, [x]).ok).toBe(true)
  })
})

describe('float32', () => {
  const x32 = tensor([0.25, -0.8, 1.3], { dtype: 'float32' })

  test('compared at float32 tolerances and re-checked in float64', () => {
    const rep = report(checkGrads((t) => mul(tanh(t), exp(t)), [x32], { order: 2 }))
    expect(rep.ok).toBe(true)
    expect(rep.dtype).toBe('float32')
    expect(rep.atol).toBe(defaultTolerances.float32.atol)
    expect(rep.notes[0]).toContain('float32 inputs')
    expect(rep.float64).toBeDefined()
    expect(rep.float64!.dtype).toBe('float64')
    expect(rep.float64!.atol).toBe(defaultTolerances.float64.atol)
    expect(rep.float64!.ok).toBe(true)
    expect(formatReport(rep)).toContain('float64 re-check')
  })

  test('a wrong rule is caught in float32 and in the float64 re-check', () => {
    const rep = report(checkGrads((t) => badSin(t), [x32]))
    expect(rep.ok).toBe(false)
    expect(rep.failures.length).toBeGreaterThan(0)
    expect(rep.float64!.ok).toBe(false)
  })

  test('a function that only takes float32 says why there is no re-check', () => {
    const c32 = tensor(2, { dtype: 'float32' })
    const rep = report(checkGrads((t) => mul(t, c32), [x32]))
    expect(rep.ok).toBe(true)
    expect(rep.float64).toBeUndefined()
    expect(rep.notes.join('\n')).toMatch(
      /no float64 re-check: f does not accept float64 inputs \(.*dtypes differ/,
    )
  })
})

describe('bad input gives the engine typed errors', () => {
  const x = tensor([1, 2])
  test.each([
    ['f not a function', () => checkGrads('sin' as never, [x])],
    ['args not an array', () => checkGrads(sin, x as never)],
    ['an argument that is not a tensor', () => checkGrads(sin, [[1, 2]] as never)],
    ['f returning a number', () => checkGrads(() => 3 as never, [x])],
    ['f returning an array of tensors', () => checkGrads((t) => [t, t] as never, [x])],
    ['a negative atol', () => checkGrads(sin, [x], { atol: -1 })],
    ['a negative rtol', () => checkGrads(sin, [x], { rtol: -1e-3 })],
    ['a zero eps', () => checkGrads(sin, [x], { eps: 0 })],
    ['order 3', () => checkGrads(sin, [x], { order: 3 as never })],
    ['an unknown mode', () => checkGrads(sin, [x], { modes: ['sideways' as never] })],
    ['no modes', () => checkGrads(sin, [x], { modes: [] })],
    ['a fractional seed', () => checkGrads(sin, [x], { seed: 0.5 })],
  ])('%s → ValueError', (_, run) => {
    expect(run).toThrow(ValueError)
  })

  test('messages name the problem', () => {
    expect(() => checkGrads(sin, [x, 3 as never])).toThrow(/args\[1\] is number 3, not a Tensor/)
    expect(() => checkGrads(() => 3 as never, [x])).toThrow(/f must return a Tensor, got number 3/)
    expect(() => checkGrads(sin, [x], { atol: -1 })).toThrow(/atol must be a finite number ≥ 0, got -1/)
  })

  test('zero tolerances are allowed (and exact derivatives of linear maps pass them in the adjoint check)', () => {
    const rep = report(
      checkGrads((t) => add(t, t), [x], { atol: 0, rtol: 0, modes: ['fwd', 'rev'], fast: true }),
    )
    expect(rep.checks.find((c) => c.check === 'adjoint')!.failed).toBe(0)
  })

  test('a function with no output elements compares nothing and passes', () => {
    const rep = report(checkGrads((t) => sum(t, 0, false), [tensor(new Float64Array(0), [0, 2])]))
    expect(rep.ok).toBe(true)
  })
})
