/**
 * The error hierarchy. Every error thrown at the API boundary is a `DualtapeError`, whose
 * message names the function or op, the shapes involved and what was expected.
 *
 * @example
 * import { add, tensor, ShapeError } from 'dualtape'
 * try { add(tensor([1, 2]), tensor([1, 2, 3])) } catch (e) { console.log(e instanceof ShapeError) } // true
 */
export class DualtapeError extends Error {
  override name = 'DualtapeError'
}

/** Shapes that do not fit together (broadcasting, matmul, reshape, trees of tangents). */
export class ShapeError extends DualtapeError {
  override name = 'ShapeError'
}

/** A dtype that is not supported, or two dtypes mixed in one op. */
export class DTypeError extends DualtapeError {
  override name = 'DTypeError'
}

/** A backend that is not available, failed to initialise, or is mixed with another in one op. */
export class BackendError extends DualtapeError {
  override name = 'BackendError'
}

/** A value of the wrong kind: not a tensor, a tree that does not match, an option out of range. */
export class ValueError extends DualtapeError {
  override name = 'ValueError'
}

/** A transformation used wrongly: a tracer that escaped its transformation, a mismatched level. */
export class TransformError extends DualtapeError {
  override name = 'TransformError'
}

/** A NaN or infinity produced by an op while NaN checking is on. */
export class NanError extends DualtapeError {
  override name = 'NanError'
}

/** Formats a shape as `[2, 3]` for error messages. */
export const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`
