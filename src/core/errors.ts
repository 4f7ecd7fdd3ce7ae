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

/**
 * Shapes that do not fit together (broadcasting, matmul, reshape, trees of tangents).
 *
 * @example
 * import { matmul, ones, ShapeError } from 'dualtape'
 * let error: unknown
 * try {
 *   matmul(ones([2, 3]), ones([2, 3]))
 * } catch (e) {
 *   error = e
 * }
 * error instanceof ShapeError // → true
 * console.log((error as Error).message)
 * // prints: matmul: inner dimensions differ: [2, 3] @ [2, 3] (3 ≠ 2)
 */
export class ShapeError extends DualtapeError {
  override name = 'ShapeError'
}

/**
 * A dtype that is not supported, or two dtypes mixed in one op.
 *
 * @example
 * import { add, tensor, DTypeError } from 'dualtape'
 * let error: unknown
 * try {
 *   add(tensor([1], { dtype: 'float32' }), tensor([1]))
 * } catch (e) {
 *   error = e
 * }
 * error instanceof DTypeError // → true
 * console.log((error as Error).message)
 * // prints: add: dtypes differ: float32[1] and float64[1]; cast one with cast()
 */
export class DTypeError extends DualtapeError {
  override name = 'DTypeError'
}

/**
 * A backend that is not available, failed to initialise, or is mixed with another in one op.
 *
 * @example
 * import { useBackend, BackendError } from 'dualtape'
 * let error: unknown
 * try {
 *   useBackend('no-such-backend')
 * } catch (e) {
 *   error = e
 * }
 * error instanceof BackendError // → true
 * console.log((error as Error).message)
 * // prints: unknown backend 'no-such-backend'; registered: cpu...
 */
export class BackendError extends DualtapeError {
  override name = 'BackendError'
}

/**
 * An optional package that a feature loads on first use is not installed: TensorFlow.js and
 * its backends, `webgpu`, vega and vega-lite (plots), Graphviz's WebAssembly build (graph
 * pictures). The message names the feature and the command that installs what it needs;
 * `packages` lists them. A BackendError, as the backend (or renderer) cannot start.
 *
 * @example
 * import { MissingPackageError } from 'dualtape'
 * const e = new MissingPackageError('plotting', ['vega', 'vega-lite'])
 * console.log(e.message)
 * // prints: plotting needs packages that are not installed: npm install vega vega-lite
 */
export class MissingPackageError extends BackendError {
  override name = 'MissingPackageError'
  constructor(
    what: string,
    readonly packages: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${what} needs packages that are not installed: npm install ${packages.join(' ')}`, options)
  }
}

/** Whether an import failed because the package `pkg` (or a file of it) could not be found. */
function isMissing(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown } | null)?.code
  const text = e instanceof Error ? e.message : String(e)
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && text.includes(`'${pkg}`)
}

/**
 * Loads an optional package with `load` (an `import()` of a literal specifier, so that bundlers
 * see it); a missing package is a MissingPackageError naming `what` and every package of
 * `packages` (all that the feature needs), any other failure passes through.
 */
export async function importOptional<T>(
  what: string,
  packages: readonly string[],
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load()
  } catch (e) {
    if (packages.some((p) => isMissing(e, p))) throw new MissingPackageError(what, packages, { cause: e })
    throw e
  }
}

/**
 * A value of the wrong kind: not a tensor, a tree that does not match, an option out of range.
 *
 * @example
 * import { randn, ValueError } from 'dualtape'
 * let error: unknown
 * try {
 *   randn([2], { seed: 1.5 })
 * } catch (e) {
 *   error = e
 * }
 * error instanceof ValueError // → true
 * console.log((error as Error).message)
 * // prints: randn: seed must be a safe integer (between -(2^53 - 1) and 2^53 - 1), got 1.5
 */
export class ValueError extends DualtapeError {
  override name = 'ValueError'
}

/**
 * A matrix that a matrix function cannot take: singular (a zero pivot) for `solve`, `inv`,
 * `triangularSolve` and `det`'s relatives, not positive definite for `cholesky`, with a
 * determinant that is not positive for `logdet`, with repeated eigenvalues where the derivative of
 * `eigh` is asked for, or with non-finite entries. The message names
 * the op, the shape of the stack, which matrix of it and the pivot; `op` and `reason` say the same
 * for code. A ValueError: the shapes fit, the values do not.
 *
 * @example
 * import { tensor, LinAlgError } from 'dualtape'
 * import { cholesky } from 'dualtape/matrix'
 * let error: unknown
 * try {
 *   cholesky(tensor([[1, 2], [2, 1]]))
 * } catch (e) {
 *   error = e
 * }
 * error instanceof LinAlgError // → true
 * const reason = (error as LinAlgError).reason // → 'not-positive-definite'
 * console.log((error as Error).message)
 * // prints: cholesky: the matrix [2, 2] is not positive definite (pivot 1 is -3)
 */
export class LinAlgError extends ValueError {
  override name = 'LinAlgError'
  constructor(
    readonly op: string,
    readonly reason:
      | 'singular'
      | 'not-positive-definite'
      | 'non-positive-determinant'
      | 'repeated-eigenvalues'
      | 'not-finite',
    message: string,
  ) {
    super(message)
  }
}

/**
 * A transformation used wrongly: a tracer that escaped its transformation, a mismatched level.
 *
 * @example
 * import { grad, mul, sum, tensor, TransformError, type Tensor } from 'dualtape'
 * // a tracer stored outside the function it was given to, then used after grad returned
 * let leaked: Tensor | undefined
 * grad((x: Tensor) => {
 *   leaked = x
 *   return sum(x)
 * })(tensor([1, 2]))
 * let error: unknown
 * try {
 *   mul(leaked!, 2)
 * } catch (e) {
 *   error = e
 * }
 * error instanceof TransformError // → true
 */
export class TransformError extends DualtapeError {
  override name = 'TransformError'
}

/**
 * A function given to `linearTranspose` that is not linear in its arguments: a non-linear op
 * applied to a value that depends on them, a product of two such values, or a constant added to
 * one. The message names the op and the argument.
 *
 * @example
 * import { linearTranspose, mul, tensor, LinearityError, type Tensor } from 'dualtape'
 * let error: unknown
 * try {
 *   linearTranspose((v: Tensor) => mul(v, v), tensor([1, 2]))
 * } catch (e) {
 *   error = e
 * }
 * error instanceof LinearityError // → true
 */
export class LinearityError extends TransformError {
  override name = 'LinearityError'
}

/**
 * A NaN or infinity produced by an op while NaN checking is on.
 *
 * @example
 * import { debugNans, log, tensor, NanError } from 'dualtape'
 * debugNans(true)
 * let error: unknown
 * try {
 *   log(tensor([-1]))
 * } catch (e) {
 *   error = e
 * }
 * debugNans(false)
 * error instanceof NanError // → true
 * console.log((error as Error).message)
 * // prints: log produced NaN at element 0 of its output [1] from finite inputs of shapes [1], in the forward sweep, called at ...
 */
export class NanError extends DualtapeError {
  override name = 'NanError'
}

/** The most axes `fmtShape` lists; a longer shape shows its first and last eight. */
const maxShownAxes = 32

/** Formats a shape as `[2, 3]` for error messages, bounded: `[1, …, 1, … 99984 more axes …, 1, …, 1]` at rank 10⁵. */
export function fmtShape(shape: readonly number[]): string {
  if (shape.length <= maxShownAxes) return `[${shape.join(', ')}]`
  const head = shape.slice(0, 8).join(', ')
  const tail = shape.slice(-8).join(', ')
  return `[${head}, … ${shape.length - 16} more axes …, ${tail}]`
}

/** Formats any value a user passed (a bigint, a symbol, a cycle included) for error messages. */
export function fmtValue(v: unknown): string {
  if (typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function') return String(v)
  if (v === undefined) return 'undefined'
  // JSON would write NaN and ±Infinity as null
  if (typeof v === 'number') return String(v)
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v)
  } catch {
    return Object.prototype.toString.call(v)
  }
}
