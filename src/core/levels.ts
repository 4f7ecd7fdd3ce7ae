import { TransformError } from './errors.js'
import type { OpDef } from './op.js'
import type { Tensor, TapeNode } from './tensor.js'

/**
 * A transformation level. Every `jvp`/`vjp` call takes a fresh, strictly increasing id; an op
 * runs at the highest level among its arguments and treats lower ones as constants.
 */
export interface Level {
  readonly id: number
  readonly kind: 'jvp' | 'vjp' | 'sparsity'
  /** For jvp: the number of tangent directions carried at once (null: a single tangent). */
  readonly batch: number | null
  /** For vjp: the tape, in execution order (a topological order). */
  readonly tape: TapeNode[] | null
  /** Interprets one op application at this level. */
  readonly process: (def: OpDef<any>, inputs: readonly Tensor[], params: any) => Tensor
}

let counter = 0
const active: Level[] = []

/** The next level id (strictly increasing: no two transformations share one). */
export function nextLevelId(): number {
  return ++counter
}

/** Runs `body` with `level` active. */
export function withLevel<T>(level: Level, body: () => T): T {
  active.push(level)
  try {
    return body()
  } finally {
    active.pop()
  }
}

/** Whether a level is still active (its transformation has not returned). */
export function isActive(level: Level): boolean {
  for (let i = active.length - 1; i >= 0; i--) if (active[i] === level) return true
  return false
}

/** Whether a tape is recording: an active level keeps a tape whose closures may hold any tensor. */
export function tapeActive(): boolean {
  for (let i = active.length - 1; i >= 0; i--) if (active[i]!.tape !== null) return true
  return false
}

/** The error for a tracer used after its transformation returned. */
export function escapedTracer(op: string, level: Level): TransformError {
  return new TransformError(
    `${op}: a ${level.kind} tracer (level ${level.id}) was used after its transformation returned; ` +
      'return values from the function instead of storing them outside it',
  )
}
