import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  jetOf,
  NumberField,
  nthDerivative,
  OrderError,
  taylor,
  taylorCoefficients,
  type NumericFn,
} from '../../src/scalar/index.js'

const EPS = Number.EPSILON

/** Each `actual[k]` within `ulps(k)·ε·max(1, |expected[k]|)` of `expected[k]`. */
const expectAllClose = (
  actual: readonly number[],
  expected: readonly number[],
  ulps: (k: number) => number,
): void => {
  expect(actual).toHaveLength(expected.length)
  for (let k = 0; k < expected.length; k++) {
    const e = expected[k]!
    const a = actual[k]!
    const bound = ulps(k) * EPS * Math.max(1, Math.abs(e))
    if (!(Math.abs(a - e) <= bound)) {
      throw new Error(`order ${k}: expected ${e}, got ${a} (|Δ| = ${Math.abs(a - e)} > ${bound})`)
    }
  }
}

/** Rounding grows with the order: k terms per coefficient, k coefficients deep. */
const byOrder = (k: number): number => 16 * (k + 1) * (k + 1)

const K = 8
const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k)
const factorial = (k: number): number => range(k).reduce((p, j) => p * (j + 1), 1)

/**
 * The k-th derivatives of y with y′ = 1 + σ y² (tan: σ = 1, tanh: σ = -1), k = 0..count-1, as
 * polynomials in y (coefficient lists): P₀ = y, Pₖ₊₁ = Pₖ′(y) (1 + σ y²).
 */
const derivativePolynomials = (sigma: number, count: number): number[][] => {
  const polys: number[][] = [[0, 1]]
  for (let k = 1; k < count; k++) {
    const p = polys[k - 1]!
    const dp = p.slice(1).map((c, i) => c * (i + 1))
    const next = new Array<number>(dp.length + 2).fill(0)
    dp.forEach((c, i) => {
      next[i] = next[i]! + c
      next[i + 2] = next[i + 2]! + sigma * c
    })
    polys.push(next)
  }
  return polys
}
const evalPoly = (p: readonly number[], y: number): number => p.reduceRight((acc, c) => acc * y + c, 0)

describe('taylor: derivatives of order 0..K in one pass, against closed forms', () => {
  it('exp at 0.3: every derivative is e^0.3', () => {
    expectAllClose(
      taylor((N) => (x) => N.exp(x), 0.3, K),
      range(K + 1).map(() => Math.exp(0.3)),
      byOrder,
    )
  })

  it('sin and cos at 0.7 cycle with period 4', () => {
    const x = 0.7
    const sinCycle = [Math.sin(x), Math.cos(x), -Math.sin(x), -Math.cos(x)]
    const cosCycle = [Math.cos(x), -Math.sin(x), -Math.cos(x), Math.sin(x)]
    expectAllClose(
      taylor((N) => (t) => N.sin(t), x, K),
      range(K + 1).map((k) => sinCycle[k % 4]!),
      byOrder,
    )
    expectAllClose(
      taylor((N) => (t) => N.cos(t), x, K),
      range(K + 1).map((k) => cosCycle[k % 4]!),
      byOrder,
    )
  })

  it('1/(1 - x) at 0.25: k! / (1 - x)^(k+1)', () => {
    expectAllClose(
      taylor((N) => (x) => N.div(N.one, N.sub(N.one, x)), 0.25, K),
      range(K + 1).map((k) => factorial(k) / 0.75 ** (k + 1)),
      byOrder,
    )
  })

  it('log at 1.5: (-1)^(k-1) (k-1)! / x^k', () => {
    expectAllClose(
      taylor((N) => (x) => N.log(x), 1.5, K),
      range(K + 1).map((k) => (k === 0 ? Math.log(1.5) : ((-1) ** (k - 1) * factorial(k - 1)) / 1.5 ** k)),
      byOrder,
    )
  })

  it('sqrt at 2: (1/2)(1/2 - 1)…(1/2 - k + 1) x^(1/2 - k)', () => {
    const falling = (p: number, k: number): number => range(k).reduce((acc, j) => acc * (p - j), 1)
    expectAllClose(
      taylor((N) => (x) => N.sqrt(x), 2, K),
      range(K + 1).map((k) => falling(0.5, k) * 2 ** (0.5 - k)),
      byOrder,
    )
  })

  it('x^p for real, negative and integer p, also at 0', () => {
    const falling = (p: number, k: number): number => range(k).reduce((acc, j) => acc * (p - j), 1)
    for (const [p, x] of [
      [2.5, 1.3],
      [-2, 0.6],
      [3, -0.8],
      [0.5, 4],
    ] as const) {
      expectAllClose(
        taylor((N) => (t) => N.pow(t, p), x, K),
        range(K + 1).map((k) => falling(p, k) * x ** (p - k)),
        byOrder,
      )
    }
    expect(taylor((N) => (t) => N.pow(t, 3), 0, 5)).toEqual([0, 0, 0, 6, 0, 0])
    expect(taylor((N) => (t) => N.pow(t, 0), 0, 3)).toEqual([1, 0, 0, 0])
    expect(taylor((N) => (t) => N.pow(t, 1), 0, 3)).toEqual([0, 1, 0, 0])
  })

  it('tanh at 0.4 and tan at 0.5, against their derivative polynomials', () => {
    const y = Math.tanh(0.4)
    expectAllClose(
      taylor((N) => (x) => N.tanh(x), 0.4, K),
      derivativePolynomials(-1, K + 1).map((p) => evalPoly(p, y)),
      byOrder,
    )
    const t = Math.tan(0.5)
    expectAllClose(
      taylor((N) => (x) => N.tan(x), 0.5, K),
      derivativePolynomials(1, K + 1).map((p) => evalPoly(p, t)),
      byOrder,
    )
  })

  it('abs is ±x away from 0 and 0 at 0; mod is x - k y', () => {
    expect(taylor((N) => (x) => N.abs(x), -2, 3).map((v) => v + 0)).toEqual([2, -1, 0, 0])
    expect(taylor((N) => (x) => N.abs(x), 0, 3).map((v) => v + 0)).toEqual([0, 0, 0, 0])
    expect(taylor((N) => (x) => N.mod(x, N.fromNumber(2)), 5.5, 2)).toEqual([1.5, 1, 0])
    // 7.5 mod x near x = 2: 7.5 - 3x
    expect(taylor((N) => (x) => N.mod(N.fromNumber(7.5), x), 2, 2)).toEqual([1.5, -3, 0])
  })

  it('order 0 gives the value alone', () => {
    expect(taylor((N) => (x) => N.exp(x), 1, 0)).toEqual([Math.exp(1)])
  })
})

describe('taylor against nested duals', () => {
  const composite: NumericFn = (N) => (x) =>
    N.div(N.mul(N.exp(N.sin(x)), N.sqrt(N.add(N.one, N.mul(x, x)))), N.add(N.fromNumber(2), N.tanh(x)))

  it('all derivatives up to order 5 of a composition agree with nthDerivative', () => {
    fc.assert(
      fc.property(fc.double({ min: -2, max: 2, noNaN: true }), (x) => {
        const viaJets = taylor(composite, x, 5)
        const viaDuals = range(6).map((k) => nthDerivative(composite, k)(x))
        expectAllClose(viaJets, viaDuals, byOrder)
      }),
      { seed: 4005, numRuns: 20 },
    )
  })

  it('every op of the algebra on its own agrees with nthDerivative', () => {
    const ops: readonly [string, NumericFn, number][] = [
      ['exp', (N) => (x) => N.exp(x), 0.3],
      ['log', (N) => (x) => N.log(x), 1.2],
      ['sin', (N) => (x) => N.sin(x), 0.4],
      ['cos', (N) => (x) => N.cos(x), 0.4],
      ['tan', (N) => (x) => N.tan(x), 0.4],
      ['tanh', (N) => (x) => N.tanh(x), 0.4],
      ['sqrt', (N) => (x) => N.sqrt(x), 1.7],
      ['pow', (N) => (x) => N.pow(x, -1.5), 1.7],
      ['div', (N) => (x) => N.div(N.sin(x), N.exp(x)), 0.9],
      ['mul', (N) => (x) => N.mul(N.sin(x), N.exp(x)), 0.9],
    ]
    for (const [, f, x] of ops) {
      const viaJets = taylor(f, x, 5)
      const viaDuals = range(6).map((k) => nthDerivative(f, k)(x))
      expectAllClose(viaJets, viaDuals, byOrder)
    }
  })
})

describe('taylorCoefficients and jets', () => {
  it('coefficients are the derivatives divided by k!', () => {
    const f: NumericFn = (N) => (x) => N.mul(N.exp(x), N.cos(x))
    const d = taylor(f, 0.2, 6)
    const c = taylorCoefficients(f, 0.2, 6)
    expectAllClose(
      c,
      d.map((v, k) => v / factorial(k)),
      () => 4,
    )
  })

  it('log at 1 has coefficients (-1)^(k-1) / k', () => {
    expectAllClose(
      taylorCoefficients((N) => (x) => N.log(x), 1, 5),
      [0, 1, -1 / 2, 1 / 3, -1 / 4, 1 / 5],
      () => 4,
    )
  })

  it('a jet algebra is a Numeric: the same function runs on numbers and on jets', () => {
    const f: NumericFn = (N) => (x) => (N.gt(x, N.zero) ? N.sqrt(x) : N.neg(x))
    const J = jetOf(2)
    const y = f(J)(J.variable(4))
    expect(Array.from(y.coefficients)).toEqual([2, 1 / 4, -1 / 64])
    expect(y.order).toBe(2)
    expect(J.toNumber(y)).toBe(f(NumberField)(4))
    expect(J.lt(J.constant(1), J.variable(2))).toBe(true)
    expect(Array.from(J.read(J.make([1, 2, 3])))).toEqual([1, 2, 3])
  })

  it('throws an OrderError for a negative, fractional or non-finite K', () => {
    const f: NumericFn = (_N) => (x) => x
    expect(() => taylor(f, 0, -1)).toThrow(OrderError)
    expect(() => taylor(f, 0, 2.5)).toThrow(OrderError)
    expect(() => taylor(f, 0, Number.NaN)).toThrow(OrderError)
    expect(() => taylorCoefficients(f, 0, Infinity)).toThrow(OrderError)
    expect(() => jetOf(-2)).toThrow(OrderError)
    expect(() => jetOf(2).make([1, 2])).toThrow(OrderError)
  })
})

describe('edges: powers at 0, orders beyond float64, the cost of nested duals', () => {
  const pow =
    (p: number): NumericFn =>
    (N) =>
    (x) =>
      N.pow(x, p)

  it('x^p at 0 for a non-integer p: 0 below p, then infinite with the sign of the derivative at 0⁺', () => {
    // d³/dx³ x^2.5 = 2.5·1.5·0.5·x^-0.5 → +∞, d⁴ → −∞, as nested duals and torch give
    expect(taylor(pow(2.5), 0, 4)).toEqual([0, 0, 0, Infinity, -Infinity])
    expect(taylor(pow(2.5), 0, 3)).toEqual([0, 1, 2, 3].map((n) => nthDerivative(pow(2.5), n)(0)))
    expect(taylorCoefficients(pow(0.5), 0, 3)).toEqual([0, Infinity, -Infinity, Infinity])
    // a pole: 1/√x at 0⁺
    expect(taylorCoefficients(pow(-0.5), 0, 2)).toEqual([Infinity, -Infinity, Infinity])
    // a real power of a negative number is undefined, as Math.pow says
    expect(taylorCoefficients((N) => (x) => N.pow(N.neg(x), 2.5), 0, 3).slice(3)).toEqual([NaN])
  })

  it('x^p at 0 through an inner function: the first nonzero coefficient decides', () => {
    // (t²)^1.5 = t³ exactly
    expect(taylorCoefficients((N) => (x) => N.pow(N.mul(x, x), 1.5), 0, 5)).toEqual([0, 0, 0, 1, 0, 0])
    // (sin t)^2.5 = t^2.5 (1 − t²/6 + …)^2.5: zero to order 2, then infinite
    const c = taylorCoefficients((N) => (x) => N.pow(N.sin(x), 2.5), 0, 4)
    expect(c).toEqual([0, 0, 0, Infinity, -Infinity])
    // ((2t)²)^0.5 = 2t: a whole q = 1
    const sq = taylorCoefficients((N) => (x) => N.pow(N.mul(N.add(x, x), N.add(x, x)), 0.5), 0, 3)
    expectAllClose(sq, [0, 2, 0, 0], () => 4)
  })

  it('taylor refuses orders above 170, where k! overflows, instead of a silent ∞ or 0', () => {
    expect(() => taylor(pow(2), 1, 171)).toThrow(OrderError)
    expect(() => taylor(pow(2), 1, 171)).toThrow(/above 170.*taylorCoefficients/)
    const d = taylor((N) => (x) => N.exp(x), 0, 170)
    expect(d[170]).toBeCloseTo(1, 6)
    expect(taylorCoefficients((N) => (x) => N.exp(x), 0, 200)).toHaveLength(201)
  })

  it('nthDerivative refuses orders above 16 (2ⁿ passes) and names taylor', () => {
    expect(() => nthDerivative(pow(3), 17)).toThrow(OrderError)
    expect(() => nthDerivative(pow(3), 17)).toThrow(/2\^17 passes.*taylor\(f, x, 17\)\[17\]/)
    expect(nthDerivative(pow(3), 3)(5)).toBe(6)
  })
})
