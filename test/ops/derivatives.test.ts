import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import type { Meta } from '../../src/core/backend.js'
import { cpuBackend } from '../../src/backends/cpu/index.js'
import { evaluatedLoop, generatedLoop } from '../../src/backends/cpu/derivative.js'
import { propsRuns, propsSeed } from '../../src/check/config.js'
import { tensor } from '../../src/ops/create.js'
import { apply } from '../../src/core/op.js'
import type { Tensor } from '../../src/core/tensor.js'
import { dualOf, DualNumber, jetOf, NumberField, type Numeric } from '../../src/scalar/index.js'
import {
  derivatives,
  derivNames,
  numberAlgebra,
  sourceAlgebra,
  type DerivName,
} from '../../src/ops/derivatives.js'
import { tensorAlgebra } from '../../src/ops/elementwise.js'
import { registry } from '../../src/ops/registry.js'
import { grad, jvp, sum } from '../../src/index.js'

// The derivative table (src/ops/derivatives.ts) is the one place where an elementwise derivative
// is written; every other place derives it. Here each derivation is checked against the tensor
// rule, at random points and at the points where the ops have kinks, overflow or end: the cpu
// kernel (generated and evaluated), the rules under a transformation, the scalar dual numbers
// (float64 and generic), and the first Taylor coefficient of the jets, which have their own
// recurrences. The tfjs kernels are checked against the tensor rule on their own backend in
// test/support/tfjs-suite.ts.

const SEED = propsSeed()

/** The parameters each op is checked at: pow's exponents, 0 for the others. */
const paramsOf = (op: DerivName): readonly number[] => (op === 'pow' ? [0, 1, 2, 3, 0.5, -1, -1.5, 2.5] : [0])

/** Points where an op is singular, has a kink, overflows one way or the other, or is not finite. */
const special = [
  0,
  -0,
  5e-324,
  -5e-324,
  1e-300,
  -1e-300,
  1e-8,
  -1e-8,
  1,
  -1,
  Math.PI / 2,
  -Math.PI / 2,
  1.5707963267948966,
  40,
  -40,
  710,
  -745,
  800,
  -800,
  1e300,
  -1e300,
  Infinity,
  -Infinity,
  NaN,
]

/** y = f(x) by the op's cpu kernel (pow's at p). */
function forward(op: DerivName, x: Float64Array, p: number): Float64Array {
  const m: Meta = { shape: [x.length], dtype: 'float64' }
  return (op === 'pow' ? cpuBackend.kernels.pow(x, m, p) : cpuBackend.kernels[op](x, m)) as Float64Array
}

/** f′ by the tensor rule, the differentiable one, on cpu float64 tensors. */
function tensorRule(op: DerivName, x: Float64Array, y: Float64Array, p: number): Float64Array {
  const d = derivatives[op](tensorAlgebra, tensor(x), tensor(y), p)
  const out = new Float64Array(x.length)
  // a rule may give a scalar (pow at p = 0): it stands for every element
  const v = d.dataSync()
  for (let i = 0; i < x.length; i++) out[i] = v[d.size === 1 ? 0 : i]!
  return out
}

/** Equal as float64 values, bit for bit (NaN equal to NaN, -0 apart from 0). */
function expectIdentical(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length)
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) {
      throw new Error(`${what}: element ${i}: got ${got[i]}, the tensor rule gives ${want[i]}`)
    }
  }
}

const points = fc.array(
  fc.oneof(
    fc.constantFrom(...special),
    fc.double({ min: -4, max: 4, noNaN: true }),
    fc.double({ noNaN: true }),
  ),
  { minLength: 1, maxLength: 24 },
)
const cts = (n: number, k: number) =>
  fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n * k, maxLength: n * k })

describe('every instance of the derivative table agrees with the tensor rule', () => {
  for (const op of derivNames) {
    it(`${op}: numbers, the cpu kernel (generated and evaluated loops, float64 and float32, with batch axes)`, () => {
      fc.assert(
        fc.property(
          points.chain((xs) => fc.tuple(fc.constant(xs), cts(xs.length, 3))),
          ([xs, cs]) => {
            const x = Float64Array.from(xs)
            const n = x.length
            for (const p of paramsOf(op)) {
              const y = forward(op, x, p)
              const want = tensorRule(op, x, y, p)
              const numbers = Array.from(x, (xi, i) => derivatives[op](numberAlgebra, xi, y[i]!, p))
              expectIdentical(numbers, want, `${op} p=${p} on numbers`)
              for (const k of [1, 3]) {
                const ct = Float64Array.from(cs.slice(0, n * k))
                const expected = Float64Array.from(ct, (c, j) => c * want[j % n]!)
                const m: Meta = { shape: [n], dtype: 'float64' }
                const ctMeta: Meta = { shape: k === 1 ? [n] : [k, n], dtype: 'float64' }
                const kernel = cpuBackend.kernels.derivMul(op, x, y, ct, m, ctMeta, p)
                expectIdentical(kernel, expected, `${op} p=${p} cpu kernel, ${k} rows`)
                for (const [name, loop] of [
                  ['generated', generatedLoop(op, p)!],
                  ['evaluated', evaluatedLoop(op, p)],
                ] as const) {
                  const out = new Float64Array(n * k)
                  loop(x, y, ct, out)
                  expectIdentical(out, expected, `${op} p=${p} ${name} loop, ${k} rows`)
                }
                // float32: f′ of the float32 inputs in float64, rounded once with the product
                const x32 = Float32Array.from(x)
                const y32 = Float32Array.from(forward(op, Float64Array.from(x32), p))
                const ct32 = Float32Array.from(ct)
                const want32 = tensorRule(op, Float64Array.from(x32), Float64Array.from(y32), p)
                const m32: Meta = { shape: [n], dtype: 'float32' }
                const got32 = cpuBackend.kernels.derivMul(
                  op,
                  x32,
                  y32,
                  ct32,
                  m32,
                  { ...ctMeta, dtype: 'float32' },
                  p,
                )
                expect(got32).toBeInstanceOf(Float32Array)
                expectIdentical(
                  got32,
                  Float32Array.from(ct32, (c, j) => c * want32[j % n]!),
                  `${op} p=${p} cpu kernel, float32, ${k} rows`,
                )
              }
            }
          },
        ),
        { seed: SEED, numRuns: propsRuns(40) },
      )
    })
  }

  it('the generated kernels are the table written out as source', () => {
    expect(derivatives.tanh(sourceAlgebra, 'x', 'y', 0)).toBe('((1) - (y * y))')
    expect(derivatives.pow(sourceAlgebra, 'x', 'y', 3)).toBe('((3) * Math.pow(x, (2)))')
    expect(derivatives.pow(sourceAlgebra, 'x', 'y', 0)).toBe('(0)')
    // a number's source reads back as the same number
    const p = 1 + 2 ** -52
    expect(derivatives.pow(sourceAlgebra, 'x', 'y', p)).toBe(`((${p}) * Math.pow(x, (${p - 1})))`)
    const out = new Float64Array(1)
    generatedLoop('pow', p)!(Float64Array.of(3), Float64Array.of(0), Float64Array.of(1), out)
    expect(out[0]).toBe(derivatives.pow(numberAlgebra, 3, 0, p))
    // nothing but the table's names and numbers becomes source
    const m: Meta = { shape: [1], dtype: 'float64' }
    const one = Float64Array.of(1)
    expect(() =>
      cpuBackend.kernels.derivMul('pow', one, one, one, m, m, '1) + (globalThis.x = 1' as never),
    ).toThrow(TypeError)
    expect(() => generatedLoop('constructor' as DerivName, 0)).toThrow(/no derivative of 'constructor'/)
    expect(String(generatedLoop('exp', 0))).toContain('out[i] = ct[i] * y[i]')
  })

  it('the rules under a transformation compose the tensor rule', () => {
    for (const op of derivNames) {
      for (const p of paramsOf(op)) {
        const x = Float64Array.of(-1.3, 0.3, 1.7, 2.5)
        const ones = tensor([1, 1, 1, 1])
        const f = (t: Tensor) =>
          op === 'pow' ? apply(registry.pow, [t], { p }) : apply(registry[op], [t], null)
        const want = tensorRule(op, x, forward(op, x, p), p)
        // inside an outer jvp, x is a tracer: the inner rules run as compositions of ops
        const dJvp = (t: Tensor) => jvp(f, [t], [ones])[1]
        const dVjp = (t: Tensor) => grad((s: Tensor) => sum(f(s)))(t)
        for (const [name, d] of [
          ['jvp', dJvp],
          ['vjp', dVjp],
        ] as const) {
          expectIdentical(d(tensor(x)).dataSync(), want, `${op} p=${p} ${name}, fused`)
          const [inner] = jvp(d, [tensor(x)], [ones])
          expectIdentical(inner.dataSync(), want, `${op} p=${p} ${name}, composed`)
        }
      }
    }
  })
})

/** The ops of the table that the scalar algebra has, with their function on it. */
const scalarOps: { readonly [K in DerivName]?: <A>(N: Numeric<A>, x: A, p: number) => A } = {
  exp: (N, x) => N.exp(x),
  log: (N, x) => N.log(x),
  sin: (N, x) => N.sin(x),
  cos: (N, x) => N.cos(x),
  tan: (N, x) => N.tan(x),
  tanh: (N, x) => N.tanh(x),
  sqrt: (N, x) => N.sqrt(x),
  pow: (N, x, p) => N.pow(x, p),
  abs: (N, x) => N.abs(x),
}

describe('the scalar dual numbers and jets take their derivatives from the table', () => {
  for (const [op, f] of Object.entries(scalarOps) as [
    DerivName,
    NonNullable<(typeof scalarOps)[DerivName]>,
  ][]) {
    it(`${op}: the float64 dual and the generic dual give the rule's f′ to the bit, the jet's first coefficient within 4 ulps`, () => {
      fc.assert(
        fc.property(points, (xs) => {
          for (const p of paramsOf(op)) {
            const x = Float64Array.from(xs)
            const want = tensorRule(op, x, forward(op, x, p), p)
            const D = dualOf(NumberField)
            const J = jetOf(1)
            xs.forEach((xi, i) => {
              const fast = f(DualNumber, DualNumber.variable(xi), p)
              expectIdentical([DualNumber.tangent(fast)], [want[i]!], `${op} p=${p} at ${xi}: DualNumber`)
              const generic = f(D, D.variable(xi), p)
              expectIdentical([D.tangent(generic)], [want[i]!], `${op} p=${p} at ${xi}: dualOf(NumberField)`)
              // the jets' recurrences are their own: their first-order part agrees with the rule
              // where x is moderate (elsewhere they overflow or divide by x₀ on their own terms)
              const w = want[i]!
              if (Math.abs(xi) >= 1e-3 && Math.abs(xi) <= 4 && Number.isFinite(w)) {
                const c1 = J.read(f(J, J.variable(xi), p))[1]!
                if (!(Math.abs(c1 - w) <= 4 * Number.EPSILON * Math.abs(w))) {
                  throw new Error(`${op} p=${p} at ${xi}: jet coefficient ${c1}, the rule gives ${w}`)
                }
              }
            })
          }
        }),
        { seed: SEED, numRuns: propsRuns(40) },
      )
    })
  }
})

describe('where code cannot be generated', () => {
  it('the cpu kernel and the float64 dual evaluate the table instead, with the same numbers', async () => {
    const xs = Float64Array.of(-2, -0, 0.3, 1.7, 40)
    const ct = Float64Array.of(1, -2, 0.5, 3, -1)
    const m: Meta = { shape: [5], dtype: 'float64' }
    const before = derivNames.map((op) =>
      cpuBackend.kernels.derivMul(op, xs, forward(op, xs, 3), ct, m, m, 3),
    )
    const dualsBefore = Object.entries(scalarOps).map(([, f]) =>
      Array.from(xs, (x) => DualNumber.tangent(f!(DualNumber, DualNumber.variable(x), 3))),
    )
    // a Content-Security-Policy without 'unsafe-eval' makes `new Function` throw an EvalError
    vi.stubGlobal('Function', function refused() {
      throw new EvalError('Code generation from strings disallowed for this context')
    })
    vi.resetModules()
    try {
      const cpu = await import('../../src/backends/cpu/index.js')
      const fresh = await import('../../src/backends/cpu/derivative.js')
      expect(fresh.generatedLoop('tanh', 0)).toBeNull()
      const scalar = await import('../../src/scalar/index.js')
      derivNames.forEach((op, k) => {
        const got = cpu.cpuBackend.kernels.derivMul(op, xs, forward(op, xs, 3), ct, m, m, 3)
        expectIdentical(got, before[k]!, `${op}: evaluated kernel`)
      })
      Object.entries(scalarOps).forEach(([op, f], k) => {
        const D = scalar.DualNumber
        const got = Array.from(xs, (x) => D.tangent(f!(D, D.variable(x), 3)))
        expectIdentical(got, dualsBefore[k]!, `${op}: evaluated float64 dual`)
      })
    } finally {
      vi.unstubAllGlobals()
      vi.resetModules()
    }
  })
})
