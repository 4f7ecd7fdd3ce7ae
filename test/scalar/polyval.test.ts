import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ValueError } from '../../src/core/errors.js'
import {
  derivative,
  dualOf,
  DualNumber,
  jetOf,
  NumberField,
  nthDerivative,
  taylor,
  TagError,
  valueAndDerivative,
  type Numeric,
  type NumericFn,
} from '../../src/scalar/index.js'

/** `NumberField` under another identity: `derivative(f, GenericNumbers)` takes the generic dual path. */
const GenericNumbers: Numeric<number> = { ...NumberField }

const EPS = Number.EPSILON

/** Equal as float64 values, NaN equal to NaN and -0 equal to 0. */
const sameNumber = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b))

/** Horner's rule written with the algebra's add, mul and fromNumber: the reference for polyval. */
const hornerByOps =
  (cs: readonly number[]): NumericFn =>
  (N) =>
  (x) => {
    let acc = N.zero
    for (const c of cs) acc = N.add(N.mul(acc, x), N.fromNumber(c))
    return acc
  }

const polyval =
  (cs: ArrayLike<number>): NumericFn =>
  (N) =>
  (x) =>
    N.polyval(cs, x)

/** The k-th derivative of Σᵢ cᵢ xⁿ⁻¹⁻ⁱ at x, from its power sum: Σ cᵢ m(m-1)…(m-k+1) x^(m-k), m = n-1-i. */
const kthDerivative = (cs: readonly number[], k: number, x: number): { value: number; scale: number } => {
  let value = 0
  let scale = 0
  cs.forEach((c, i) => {
    const m = cs.length - 1 - i
    if (m < k) return
    let falling = 1
    for (let j = 0; j < k; j++) falling *= m - j
    const term = c * falling * x ** (m - k)
    value += term
    scale += Math.abs(term)
  })
  return { value, scale }
}

/** |actual - expected| within `ulps` ε of the sum of the magnitudes of the terms. */
const expectNear = (actual: number, expected: { value: number; scale: number }, ulps: number): void => {
  const bound = ulps * EPS * Math.max(1, expected.scale)
  if (!(Math.abs(actual - expected.value) <= bound)) {
    throw new Error(
      `expected ${expected.value}, got ${actual} (|Δ| = ${Math.abs(actual - expected.value)} > ${bound})`,
    )
  }
}

const coefficients = fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 0, maxLength: 12 })
const point = fc.double({ min: -2, max: 2, noNaN: true })

describe('polyval: Horner in one loop on every instance', () => {
  it('on numbers, is exactly the Horner loop through add and mul, and agrees with the power sum', () => {
    fc.assert(
      fc.property(coefficients, point, (cs, x) => {
        const y = NumberField.polyval(cs, x)
        expect(sameNumber(y, hornerByOps(cs)(NumberField)(x))).toBe(true)
        expectNear(y, kthDerivative(cs, 0, x), 4 * (cs.length + 1))
      }),
      { seed: 4101, numRuns: 200 },
    )
  })

  it('on dual numbers, gives the value and derivative of the Horner loop through add and mul, bit for bit', () => {
    fc.assert(
      fc.property(coefficients, point, (cs, x) => {
        const [y, dy] = valueAndDerivative(polyval(cs))(x)
        const [yr, dyr] = valueAndDerivative(hornerByOps(cs))(x)
        expect(sameNumber(y, yr)).toBe(true)
        expect(sameNumber(dy, dyr)).toBe(true)
        expectNear(dy, kthDerivative(cs, 1, x), 8 * (cs.length + 1))
      }),
      { seed: 4102, numRuns: 200 },
    )
  })

  it('the generic dual algebra gives the same value and derivative as the float64 one', () => {
    fc.assert(
      fc.property(coefficients, point, (cs, x) => {
        const [y, dy] = valueAndDerivative(polyval(cs))(x)
        const [yg, dyg] = valueAndDerivative(polyval(cs), GenericNumbers)(x)
        expect(sameNumber(yg, y)).toBe(true)
        expect(sameNumber(dyg, dy)).toBe(true)
      }),
      { seed: 4103, numRuns: 200 },
    )
  })

  it('scales the derivative by the tangent of its argument: p(a + bε) = p(a) + p′(a) b ε', () => {
    const D = DualNumber
    const y = D.polyval([2, 0, -1, 5], D.make(1.5, -3)) // 2x³ - x + 5
    expect(D.primal(y)).toBe(2 * 1.5 ** 3 - 1.5 + 5)
    expect(D.tangent(y)).toBe((6 * 1.5 ** 2 - 1) * -3)
    const c = D.polyval([2, 0, -1, 5], D.fromNumber(1.5))
    expect([D.primal(c), D.tangent(c)]).toEqual([2 * 1.5 ** 3 - 1.5 + 5, 0])
  })

  it('nested duals give the higher derivatives of the polynomial', () => {
    fc.assert(
      fc.property(coefficients, point, fc.integer({ min: 2, max: 4 }), (cs, x, k) => {
        const dk = nthDerivative(polyval(cs), k)(x)
        expect(sameNumber(dk, nthDerivative(hornerByOps(cs), k)(x))).toBe(true)
        expectNear(dk, kthDerivative(cs, k, x), 64 * (cs.length + 1))
      }),
      { seed: 4104, numRuns: 100 },
    )
  })

  it('on jets, gives every Taylor coefficient p⁽ᵏ⁾(x)/k!, as the Horner loop through add and mul does', () => {
    const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1))
    fc.assert(
      fc.property(coefficients, point, (cs, x) => {
        const K = 5
        const viaPolyval = taylor(polyval(cs), x, K)
        const viaOps = taylor(hornerByOps(cs), x, K)
        for (let k = 0; k <= K; k++) {
          expect(sameNumber(viaPolyval[k]!, viaOps[k]!)).toBe(true)
          const exact = kthDerivative(cs, k, x)
          expectNear(viaPolyval[k]!, exact, 64 * (cs.length + 1) * factorial(k))
        }
      }),
      { seed: 4105, numRuns: 100 },
    )
  })

  it('takes typed arrays, and no coefficients give the zero polynomial', () => {
    expect(NumberField.polyval(Float64Array.of(1, -3, 2), 4)).toBe(6)
    expect(NumberField.polyval([], 4)).toBe(0)
    expect(valueAndDerivative(polyval([]))(4)).toEqual([0, 0])
    const J = jetOf(2)
    expect(Array.from(J.polyval([], J.variable(1)).coefficients)).toEqual([0, 0, 0])
    expect(taylor(polyval([1, 0, 0]), 3, 3)).toEqual([9, 6, 2, 0])
  })

  it('keeps the perturbations of nested calls apart', () => {
    // d/dx [x · d/dy p(x + y) at y = 1] at x = 1 with p(z) = z², i.e. d/dx [2x(x + 1)] = 4x + 2 = 6
    const g = derivative(
      (N) => (x) => N.mul(x, derivative((D) => (y) => D.polyval([1, 0, 0], D.add(D.lift(x), y)), N)(N.one)),
    )
    expect(g(1)).toBe(6)
    let leaked: unknown
    derivative((_D) => (x) => ((leaked = x), x))(1)
    expect(() => derivative((D) => (x) => D.add(x, D.polyval([1, 2], leaked as typeof x)))(2)).toThrow(
      TagError,
    )
  })
})

describe('polyval: bad coefficients', () => {
  const instances: [string, (cs: ArrayLike<number>) => unknown][] = [
    ['NumberField', (cs) => NumberField.polyval(cs, 2)],
    ['DualNumber', (cs) => DualNumber.polyval(cs, DualNumber.variable(2))],
    ['dualOf', (cs) => dualOf(GenericNumbers).polyval(cs, dualOf(GenericNumbers).fromNumber(2))],
    ['jetOf', (cs) => jetOf(3).polyval(cs, jetOf(3).constant(2))],
  ]
  const bad: [string, unknown, RegExp][] = [
    ['NaN', [1, Number.NaN, 2], /polyval: coefficient 1 of 3 is NaN; coefficients must be finite numbers/],
    ['Infinity', [Number.POSITIVE_INFINITY], /polyval: coefficient 0 of 1 is Infinity/],
    ['a string', [1, '2'], /polyval: coefficient 1 of 2 is string 2/],
    ['undefined', [1, undefined, 2], /polyval: coefficient 1 of 3 is undefined/],
    ['a number for the array', 3, /polyval: coefficients must be an array of numbers, got 3/],
    ['null', null, /polyval: coefficients must be an array of numbers, got null/],
  ]
  for (const [instance, run] of instances) {
    for (const [what, cs, message] of bad) {
      it(`${instance}: ${what} throws a ValueError that names it`, () => {
        expect(() => run(cs as ArrayLike<number>)).toThrow(ValueError)
        expect(() => run(cs as ArrayLike<number>)).toThrow(message)
      })
    }
  }
})
