import { TransformError, ValueError } from './errors.js'
import type { Meta } from './backend.js'
import type { OpDef } from './op.js'
import type { Tensor, TapeRecord } from './tensor.js'

/**
 * A transformation level. Every `jvp`/`vjp`/`vmap` call takes a fresh, strictly increasing id; an op
 * runs at the highest level among its arguments and treats lower ones as constants.
 */
export interface Level {
  readonly id: number
  readonly kind: 'jvp' | 'vjp' | 'sparsity' | 'linear' | 'vmap'
  /**
   * For jvp: the number of tangent directions carried at once (null: a single tangent); for
   * vmap: the batch size.
   */
  readonly batch: number | null
  /** For vjp: the tape, in execution order (a topological order). */
  readonly tape: TapeRecord | null
  /**
   * Interprets one op application at this level: `out` is the output's shape and dtype, as the
   * op's shape rule gave them when `apply` checked the application.
   */
  process(def: OpDef<any>, inputs: readonly Tensor[], params: any, out: Meta): Tensor
}

let counter = 0
const active: Level[] = []

/** The next level id (strictly increasing: no two transformations share one). */
export function nextLevelId(): number {
  return ++counter
}

/**
 * How many levels were active where the call stack first ran out, while that RangeError travels
 * out to a level that has the stack left to turn it into a TransformError (0: none travels).
 */
let overflowDepth = 0

/**
 * Runs `body` with `level` active. A call stack that runs out inside it (transformations nested
 * some hundreds deep, or a function that recurses without end) leaves as a TransformError that
 * says how deep the transformations were nested, not as a bare RangeError.
 */
export function withLevel<T>(level: Level, body: () => T): T {
  active.push(level)
  try {
    return body()
  } catch (e) {
    // nothing but a comparison and an assignment here: the stack may still be nearly full
    if (overflowDepth === 0 && e instanceof RangeError) overflowDepth = active.length
    throw e instanceof RangeError ? stackError(e, level) : e
  } finally {
    active.pop()
  }
}

/** The typed error for a call stack that ran out inside `level` (an outer level retries if this overflows too). */
function stackError(e: RangeError, level: Level): Error {
  const depth = Math.max(overflowDepth, active.length)
  overflowDepth = 0
  // no regular expression: compiling one with the stack nearly full throws a SyntaxError
  if (!String(e.message).includes('call stack')) return e
  const where =
    level.kind === 'sparsity' ? 'jacobianSparsity' : level.kind === 'linear' ? 'linearize' : level.kind
  return new TransformError(
    `${where}: the call stack ran out inside ${depth} nested transformation${depth === 1 ? '' : 's'} ` +
      `(jvp, vjp, grad and the Jacobians each add one; several hundred fit in Node's default stack); ` +
      'nest fewer, or give node a larger --stack-size',
    { cause: e },
  )
}

/**
 * Calls `f(...args)` with `level` active, for the transformation `where`. A Promise (an async
 * `f`) is refused with a ValueError, and handled, so that its later rejection (its tracers are
 * dead by then) cannot end the process as an unhandled rejection.
 */
export function callAtLevel(
  where: string,
  level: Level,
  f: (...args: any[]) => unknown,
  args: readonly unknown[],
): unknown {
  const out = withLevel(level, () => f(...args))
  refusePromise(where, out)
  return out
}

/**
 * Throws a ValueError if `v` is a Promise (any thenable), after attaching a handler to it so that
 * its rejection is not unhandled: a transformation needs `f` to return its value synchronously.
 */
export function refusePromise(where: string, v: unknown): void {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return
  let then: unknown
  try {
    then = (v as { then?: unknown }).then
  } catch {
    return
  }
  if (typeof then !== 'function') return
  try {
    ;(then as (ok: unknown, fail: unknown) => unknown).call(v, undefined, () => undefined)
  } catch {
    // a thenable that cannot take a handler: nothing to keep from rejecting
  }
  throw new ValueError(
    `${where}: the function returned a Promise (an async function?); transformations need f to ` +
      'return its tensors synchronously: await the data first, then call the transformation',
  )
}

/** Whether a level is still active (its transformation has not returned). */
export function isActive(level: Level): boolean {
  for (let i = active.length - 1; i >= 0; i--) if (active[i] === level) return true
  return false
}

/**
 * Whether a tape is recording: an active level keeps a tape whose closures may hold any tensor,
 * or a linear level a graph that holds its constants.
 */
export function tapeActive(): boolean {
  for (let i = active.length - 1; i >= 0; i--) {
    const level = active[i]!
    if (level.tape !== null || level.kind === 'linear') return true
  }
  return false
}

/** The error for a tracer used after its transformation returned. */
export function escapedTracer(op: string, level: Level): TransformError {
  return new TransformError(
    `${op}: a ${level.kind} tracer (level ${level.id}) was used after its transformation returned; ` +
      'return values from the function instead of storing them outside it',
  )
}
