import type { Field } from 'fp-ts/Field'
import { ValueError } from '../core/errors.js'
import { describe } from '../core/op.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A numeric algebra: fp-ts's `Field` extended with the elementary functions and with the
 * comparisons that scalar code needs for control flow. Scalar code is written once against
 * it, `<A>(N: Numeric<A>) => (x: A) => A`, and runs on plain numbers (`NumberField`), on dual
 * numbers (`dualOf(N)`, `DualNumber`) and on Taylor jets (`jetOf(K)`).
 *
 * - `add sub mul div neg zero one fromNumber` are the field operations; `mod` is the
 *   truncated remainder `x - y·trunc(x/y)` (as JavaScript's `%`), `degree` is constantly 1.
 * - `toNumber` reads the real part through every level of nesting; `lt` and `gt` compare
 *   real parts, so branches take the same path on every instance.
 * - `pow(x, p)` raises to a real exponent `p`; `abs` has derivative `sign(x)` (0 at 0).
 * - `polyval(cs, x)` evaluates a polynomial with constant coefficients by Horner's rule, in
 *   one loop (see `Numeric.polyval`).
 *
 * Instances other than plain numbers are rings, not fields: a dual or a jet whose real part
 * is 0 has no inverse, and dividing by it gives non-finite parts.
 *
 * @example
 * import { NumberField, derivative, type Numeric } from 'dualtape/scalar'
 * const f = <A>(N: Numeric<A>) => (x: A): A => N.mul(x, N.sin(x))
 * console.log(f(NumberField)(2)) // 2 sin 2
 * console.log(derivative(f)(2)) // sin 2 + 2 cos 2
 */
export interface Numeric<A> extends Field<A> {
  readonly neg: (x: A) => A
  readonly fromNumber: (x: number) => A
  readonly toNumber: (x: A) => number
  readonly lt: (x: A, y: A) => boolean
  readonly gt: (x: A, y: A) => boolean
  readonly exp: (x: A) => A
  readonly log: (x: A) => A
  readonly sin: (x: A) => A
  readonly cos: (x: A) => A
  readonly tan: (x: A) => A
  readonly tanh: (x: A) => A
  readonly sqrt: (x: A) => A
  readonly pow: (x: A, p: number) => A
  readonly abs: (x: A) => A
  /**
   * The polynomial `c₀ xⁿ⁻¹ + c₁ xⁿ⁻² + … + cₙ₋₁` with constant coefficients `cs`, highest
   * degree first as in numpy's and JAX's `polyval` (no coefficients give 0). It is Horner's
   * rule, `acc ← acc·x + cᵢ`, run as one loop inside the instance: on dual numbers it carries
   * p(a) and p′(a) together and builds one dual at the end, where the same loop written with
   * `add` and `mul` builds one per term. Coefficients must be finite numbers; any other
   * throws a `ValueError` that names the first bad one.
   *
   * @example
   * import { NumberField, derivative } from 'dualtape/scalar'
   * const p = [1, -3, 2] // x² - 3x + 2
   * NumberField.polyval(p, 4) // → 6
   * derivative((D) => (x) => D.polyval(p, x))(4) // → 5: 2x - 3 at 4
   */
  readonly polyval: (cs: ArrayLike<number>, x: A) => A
}

/**
 * A scalar function written once for every instance of the algebra. `nthDerivative` and
 * `taylor` take this form, because they run it on several number types at once.
 *
 * @example
 * import { NumberField, taylor, type NumericFn } from 'dualtape/scalar'
 * const f: NumericFn = (N) => (x) => N.exp(N.neg(x))
 * console.log(f(NumberField)(1), taylor(f, 1, 2)) // e⁻¹, [e⁻¹, -e⁻¹, e⁻¹]
 */
export type NumericFn = <A>(N: Numeric<A>) => (x: A) => A

// -------------------------------------------------------------------------------------
// instances
// -------------------------------------------------------------------------------------

/**
 * The algebra of plain JavaScript numbers (float64).
 *
 * @example
 * import { NumberField } from 'dualtape/scalar'
 * console.log(NumberField.pow(NumberField.fromNumber(2), 10)) // 1024
 */
export const NumberField: Numeric<number> = {
  zero: 0,
  one: 1,
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  mod: (x, y) => x % y,
  degree: () => 1,
  neg: (x) => -x,
  fromNumber: (x) => x,
  toNumber: (x) => x,
  lt: (x, y) => x < y,
  gt: (x, y) => x > y,
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  sin: (x) => Math.sin(x),
  cos: (x) => Math.cos(x),
  tan: (x) => Math.tan(x),
  tanh: (x) => Math.tanh(x),
  sqrt: (x) => Math.sqrt(x),
  pow: (x, p) => Math.pow(x, p),
  abs: (x) => Math.abs(x),
  polyval: (cs, x) => {
    const n = coefficientCount(cs)
    let acc = 0
    for (let i = 0; i < n; i++) acc = acc * x + coefficient(cs, i)
    return acc
  },
}

/**
 * The number of coefficients of `polyval`'s `cs`, which must be an array-like of numbers.
 */
export const coefficientCount = (cs: ArrayLike<number>): number => {
  const n = (cs as { length?: unknown } | null | undefined)?.length
  if (typeof cs !== 'object' || cs === null || typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new ValueError(`polyval: coefficients must be an array of numbers, got ${describeCoefficient(cs)}`)
  }
  return n
}

/**
 * Coefficient `i` of `polyval`'s `cs`, checked to be a finite number.
 */
export const coefficient = (cs: ArrayLike<number>, i: number): number => {
  const c = cs[i]
  if (typeof c !== 'number' || !Number.isFinite(c)) {
    throw new ValueError(
      `polyval: coefficient ${i} of ${cs.length} is ${describeCoefficient(c)}; coefficients must be finite numbers`,
    )
  }
  return c
}

// numbers by their value (NaN, Infinity, 3); anything else as every error message describes it
const describeCoefficient = (v: unknown): string => (typeof v === 'number' ? String(v) : describe(v))

/**
 * The integer quotient `q = trunc(x / y)` of the truncated remainder `x mod y = x - q·y`,
 * taken from the remainder itself so that it agrees with `%` at the boundaries.
 */
export const truncQuotient = (x: number, y: number): number => Math.round((x - (x % y)) / y)
