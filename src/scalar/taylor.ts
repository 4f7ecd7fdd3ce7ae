import { OrderError } from './errors.js'
import type { JetNumeric } from './jet.js'
import { jetAt } from './jet.js'
import type { NumericFn } from './numeric.js'
import { withFreshTag } from './tags.js'

// -------------------------------------------------------------------------------------
// Taylor mode
// -------------------------------------------------------------------------------------

/** The highest order whose derivative `taylor` forms: 170! is the largest factorial in float64. */
export const MAX_DERIVATIVE_ORDER = 170

const checkK = (fn: string, K: number): void => {
  if (!Number.isInteger(K) || K < 0) {
    throw new OrderError(`${fn}: the order K must be a non-negative integer, got ${K}`)
  }
}

const run = (fn: string, f: NumericFn, x: number, K: number): Float64Array => {
  checkK(fn, K)
  return withFreshTag((tag) => {
    const J: JetNumeric = jetAt(K, tag)
    return J.read(f(J)(J.variable(x)))
  })
}

/**
 * The Taylor coefficients `[c₀, c₁, …, c_K]` of `f` at `x`, `cₖ = f⁽ᵏ⁾(x) / k!`, so that
 * `f(x + t) = Σₖ cₖ tᵏ + O(t^{K+1})`, in one pass of `f` on jets of order `K`. Throws an
 * `OrderError` unless `K` is a non-negative integer.
 *
 * @example
 * import { taylorCoefficients } from 'dualtape/scalar'
 * console.log(taylorCoefficients((N) => (x) => N.log(x), 1, 3)) // [0, 1, -1/2, 1/3]
 */
export const taylorCoefficients = (f: NumericFn, x: number, K: number): number[] =>
  Array.from(run('taylorCoefficients', f, x, K))

/**
 * The derivatives `[f(x), f′(x), f″(x), …, f⁽ᴷ⁾(x)]` of `f` at `x` (derivatives, not Taylor
 * coefficients: entry `k` is `k!·cₖ`), in one pass of `f` on jets of order `K`, exact to
 * rounding. The cost is `O(K²)` per operation of `f`, against `2ᴷ` passes for nested duals.
 * Throws an `OrderError` unless `K` is an integer from 0 to 170: 171! overflows float64, and a
 * coefficient that small underflows, so a higher derivative would come out as a silent 0 or ∞.
 *
 * @example
 * import { taylor } from 'dualtape/scalar'
 * console.log(taylor((N) => (x) => N.sin(x), 0, 4)) // [0, 1, 0, -1, 0] (up to the sign of 0)
 */
export const taylor = (f: NumericFn, x: number, K: number): number[] => {
  if (K > MAX_DERIVATIVE_ORDER) {
    throw new OrderError(
      `taylor: derivatives of order above ${MAX_DERIVATIVE_ORDER} cannot be formed in float64 (k! overflows, and the Taylor coefficients they would come from underflow); asked for order ${K}. taylorCoefficients gives the coefficients`,
    )
  }
  const c = run('taylor', f, x, K)
  const d = new Array<number>(c.length)
  let factorial = 1
  for (let k = 0; k < c.length; k++) {
    if (k > 0) factorial *= k
    d[k] = factorial * (c[k] as number)
  }
  return d
}
