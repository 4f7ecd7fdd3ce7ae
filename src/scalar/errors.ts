import { DualtapeError } from '../core/errors.js'

/**
 * A dual number used with the algebra of another derivative call: a dual that escaped the
 * call that created it, or a value of an enclosing call captured by an inner call without
 * being lifted (`D.lift(x)`). Without this check such a mix would silently add the two
 * perturbations together (perturbation confusion).
 *
 * @example
 * import { derivative, TagError } from 'dualtape/scalar'
 * let leaked: unknown
 * derivative((D) => (x) => ((leaked = x), x))(1)
 * try {
 *   derivative((D) => (x) => D.add(x, leaked as typeof x))(2)
 * } catch (e) {
 *   console.log(e instanceof TagError) // true
 * }
 */
export class TagError extends DualtapeError {
  override name = 'TagError'
}

/**
 * A derivative order or Taylor truncation order that is not a non-negative integer, or two
 * jets of different orders used together.
 *
 * @example
 * import { taylor, OrderError } from 'dualtape/scalar'
 * try {
 *   taylor((N) => (x) => x, 0, 2.5)
 * } catch (e) {
 *   console.log(e instanceof OrderError) // true
 * }
 */
export class OrderError extends DualtapeError {
  override name = 'OrderError'
}
