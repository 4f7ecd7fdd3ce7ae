import type { Dual, DualNumeric } from './dual.js'
import { dualAt } from './dual.js'
import { dualNumberAt, numberTangent, numberVariable } from './dual-number.js'
import { OrderError } from './errors.js'
import type { Numeric, NumericFn } from './numeric.js'
import { NumberField } from './numeric.js'
import { closeTag, openTag, withFreshTag } from './tags.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A scalar function to differentiate, written against the dual algebra `D` over `A`. A
 * function written for every algebra (`NumericFn`) is one of these; writing it against `D`
 * gives access to `D.lift`, which turns a value captured from an enclosing derivative call
 * into a constant of this one.
 *
 * @example
 * import { derivative, type DualFn } from 'dualtape/scalar'
 * const cube: DualFn<number> = (D) => (x) => D.pow(x, 3)
 * console.log(derivative(cube)(2)) // 12
 */
export type DualFn<A> = (D: DualNumeric<A>) => (x: Dual<A>) => Dual<A>

/**
 * A scalar function of several variables, written against the dual algebra `D` over `A`.
 *
 * @example
 * import { gradientScalar, type DualFnN } from 'dualtape/scalar'
 * const f: DualFnN<number> = (D) => ([x, y]) => D.mul(x!, y!)
 * console.log(gradientScalar(f)([2, 5])) // [5, 2]
 */
export type DualFnN<A> = (D: DualNumeric<A>) => (xs: readonly Dual<A>[]) => Dual<A>

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

/** The dual algebra of tag `tag` over `N`: the float64 one over `NumberField`, else the generic one. */
const dualAlgebra = <A>(N: Numeric<A>, tag: number): DualNumeric<A> =>
  (N as unknown) === NumberField ? (dualNumberAt(tag) as unknown as DualNumeric<A>) : dualAt(N, tag)

const checkOrder = (fn: string, n: number): void => {
  if (!Number.isInteger(n) || n < 0) {
    throw new OrderError(`${fn}: the order must be a non-negative integer, got ${n}`)
  }
}

// -------------------------------------------------------------------------------------
// derivatives
// -------------------------------------------------------------------------------------

/**
 * The derivative and the value of `f` at `x`, in one forward pass: `[f(x), f′(x)]`.
 * With an algebra `N` it runs over `A` instead of numbers (see `derivative`).
 *
 * @example
 * import { valueAndDerivative } from 'dualtape/scalar'
 * console.log(valueAndDerivative((D) => (x) => D.log(x))(2)) // [ln 2, 0.5]
 */
export function valueAndDerivative(f: DualFn<number>): (x: number) => [number, number]
export function valueAndDerivative<A>(f: DualFn<A>, N: Numeric<A>): (x: A) => [A, A]
export function valueAndDerivative<A>(f: DualFn<A>, N?: Numeric<A>): (x: A) => [A, A] {
  const base = N ?? (NumberField as unknown as Numeric<A>)
  return (x) =>
    withFreshTag((tag) => {
      const D = dualAlgebra(base, tag)
      const y = f(D)(D.variable(x))
      return [D.primal(y), D.tangent(y)]
    })
}

/**
 * The derivative `f′(x)` of a scalar function, by one forward pass on dual numbers.
 *
 * `derivative(f)` differentiates over plain numbers. `derivative(f, N)` differentiates over
 * the algebra `N` and is the nestable form: inside a function that is itself being
 * differentiated (with algebra `N`), it takes an inner derivative whose closure may capture
 * the outer variable, lifted with `D.lift`. Every call has a fresh tag, larger than those of
 * the calls around it, so the perturbations of nested calls never mix; a dual used with the
 * wrong call's algebra throws a `TagError`.
 *
 * @example
 * import { derivative } from 'dualtape/scalar'
 * console.log(derivative((D) => (x) => D.sin(x))(0)) // 1
 * // d/dx [x · d/dy (x + y) at y = 1] at x = 1 is 1, not 2
 * const g = derivative((N) => (x) => N.mul(x, derivative((D) => (y) => D.add(D.lift(x), y), N)(N.one)))
 * console.log(g(1)) // 1
 */
export function derivative(f: DualFn<number>): (x: number) => number
export function derivative<A>(f: DualFn<A>, N: Numeric<A>): (x: A) => A
export function derivative<A>(f: DualFn<A>, N?: Numeric<A>): (x: A) => A {
  const base = N ?? (NumberField as unknown as Numeric<A>)
  if ((base as unknown) === NumberField) {
    return derivativeOfNumbers(f as unknown as DualFn<number>) as unknown as (x: A) => A
  }
  return (x) => {
    const tag = openTag()
    try {
      const D = dualAlgebra(base, tag)
      return D.tangent(f(D)(D.variable(x)))
    } finally {
      closeTag()
    }
  }
}

// derivative over NumberField: the float64 duals, seeded and read without going through D
const derivativeOfNumbers =
  (f: DualFn<number>) =>
  (x: number): number => {
    const tag = openTag()
    try {
      return numberTangent('derivative', f(dualNumberAt(tag))(numberVariable(x, tag)), tag)
    } finally {
      closeTag()
    }
  }

/**
 * The `n`-th derivative `f⁽ⁿ⁾(x)` by `n` nested dual algebras (`n = 0` gives `f(x)`). The cost
 * grows as `2ⁿ` passes of `f`; `taylor` gives all derivatives up to order `K` in `O(K²)`.
 * Throws an `OrderError` unless `n` is an integer from 0 to 16 (`MAX_NESTED_ORDER`): beyond,
 * the cost is minutes; use `taylor`.
 *
 * @example
 * import { nthDerivative } from 'dualtape/scalar'
 * console.log(nthDerivative((N) => (x) => N.pow(x, 5), 3)(2)) // 5·4·3·2² = 240
 */
export function nthDerivative(f: NumericFn, n: number): (x: number) => number
export function nthDerivative<A>(f: NumericFn, n: number, N: Numeric<A>): (x: A) => A
export function nthDerivative<A>(f: NumericFn, n: number, N?: Numeric<A>): (x: A) => A {
  checkOrder('nthDerivative', n)
  if (n > MAX_NESTED_ORDER) {
    throw new OrderError(
      `nthDerivative: order ${n} would take 2^${n} passes of f through nested duals (order 20 took over a minute); orders up to ${MAX_NESTED_ORDER} are accepted. taylor(f, x, ${n})[${n}] gives it in one pass of O(${n}²) per operation`,
    )
  }
  const base = N ?? (NumberField as unknown as Numeric<A>)
  return nested(f, n)(base)
}

/** The highest order `nthDerivative` takes: `2¹⁶` passes of f, about a second for a small f. */
export const MAX_NESTED_ORDER = 16

// f⁽ⁿ⁾ = (f⁽ⁿ⁻¹⁾)′
const nested = (f: NumericFn, n: number): NumericFn =>
  n === 0 ? f : (N) => (x) => derivative(nested(f, n - 1), N)(x)

/**
 * The gradient of a scalar function of several variables, by one forward pass per input
 * (each with its own tag). `gradientScalar(f, N)` is the nestable form, as for `derivative`.
 *
 * @example
 * import { gradientScalar } from 'dualtape/scalar'
 * // ∇(x² y + sin y) = [2xy, x² + cos y]
 * console.log(gradientScalar((D) => ([x, y]) => D.add(D.mul(D.mul(x!, x!), y!), D.sin(y!)))([1, 0]))
 * // [0, 2]
 */
export function gradientScalar(f: DualFnN<number>): (xs: readonly number[]) => number[]
export function gradientScalar<A>(f: DualFnN<A>, N: Numeric<A>): (xs: readonly A[]) => A[]
export function gradientScalar<A>(f: DualFnN<A>, N?: Numeric<A>): (xs: readonly A[]) => A[] {
  const base = N ?? (NumberField as unknown as Numeric<A>)
  return (xs) =>
    xs.map((_, i) =>
      withFreshTag((tag) => {
        const D = dualAlgebra(base, tag)
        const args = xs.map((x, j) => (j === i ? D.variable(x) : D.lift(x)))
        return D.tangent(f(D)(args))
      }),
    )
}
