import { NanError, ValueError, fmtShape, fmtValue } from './errors.js'
import type { Tensor } from './tensor.js'

// ---------------------------------------------------------------------------------------------
// NaN/Inf detection: an opt-in check of every concrete op output. The op that first produces a
// NaN or an infinity from finite inputs is named, with its inputs' shapes, the sweep it ran in
// (forward, or the backward sweep of which op) and the call site.
// ---------------------------------------------------------------------------------------------

let enabled = false

/** What the reverse sweep is running: the pullback of an op recorded at a call site. */
export interface Phase {
  readonly backwardOf: string
  readonly site: string | undefined
}

let phase: Phase | null = null

/** Whether NaN checking is on (the tape records call sites only then). */
export const nanChecking = (): boolean => enabled

/**
 * Turns NaN/Inf checking on (or off with `false`). While on, the first op whose output holds a
 * NaN or an infinity although its inputs were finite throws a `NanError` naming the op, its
 * inputs' shapes, the sweep (forward or backward) and the call site. It costs a scan of every
 * output, so it is meant for debugging. A backend that reads only asynchronously (tfjs-webgpu in
 * Node) cannot be checked inside an op: its outputs are skipped, and a process warning
 * (`DUALTAPE_NAN_CHECK_SKIPPED`) says so once per backend.
 *
 * @example
 * import { debugNans, log, tensor, NanError } from 'dualtape'
 * debugNans(true)
 * try { log(tensor([-1])) } catch (e) { console.log(e instanceof NanError) } // true
 * debugNans(false)
 */
export function debugNans(on = true): void {
  if (typeof on !== 'boolean') throw new ValueError(`debugNans: expected true or false, got ${fmtValue(on)}`)
  enabled = on
}

/**
 * Runs `body` with NaN checking on, then restores the previous setting.
 *
 * @example
 * import { withNanCheck, grad, sqrt, sum, tensor, NanError } from 'dualtape'
 * try {
 *   withNanCheck(() => grad((x) => sum(sqrt(x)))(tensor([0])))
 * } catch (e) {
 *   console.log(e instanceof NanError) // true: Inf in the backward sweep of sqrt
 * }
 */
export function withNanCheck<T>(body: () => T): T {
  if (typeof body !== 'function') throw new ValueError('withNanCheck: the argument must be a function')
  const before = enabled
  enabled = true
  try {
    return body()
  } finally {
    enabled = before
  }
}

/** Runs one pullback with its phase recorded, for NaN reports. */
export function inPhase<T>(p: Phase, body: () => T): T {
  const before = phase
  phase = p
  try {
    return body()
  } finally {
    phase = before
  }
}

/** The user's call site: the first stack frame outside dualtape's own sources. */
export function callSite(): string | undefined {
  const stack = new Error().stack?.split('\n').slice(1) ?? []
  const own = /[\\/]src[\\/](core|ops|forward|reverse|jacobian|backends|check)[\\/]/
  const line = stack.find((l) => !own.test(l) && !l.includes('node:internal')) ?? stack[0]
  return line?.trim().replace(/^at /, '')
}

/** The backends whose outputs NaN checking had to skip, each named once. */
const skipped = new Set<string>()

/**
 * Says, once per backend, that NaN checking cannot look at its outputs: a backend that reads
 * only asynchronously (tfjs-webgpu in Node) cannot be checked inside a synchronous op.
 */
function warnSkipped(backend: string): void {
  if (skipped.has(backend)) return
  skipped.add(backend)
  const message = `debugNans: the ${backend} backend reads its data only asynchronously, so NaN checking skips its op outputs; check the results with await t.data(), or debug on the cpu backend`
  const p = (globalThis as { process?: { emitWarning?: (m: string, o: object) => void } }).process
  if (typeof p?.emitWarning === 'function') p.emitWarning(message, { code: 'DUALTAPE_NAN_CHECK_SKIPPED' })
  else console.warn(message)
}

function firstNonFinite(t: Tensor): number {
  const impl = t.impl
  if (impl.kind !== 'concrete') return -1
  if (!impl.backend.syncRead) {
    warnSkipped(impl.backend.name)
    return -1
  }
  const a = impl.backend.readSync(impl.handle, t)
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i
  return -1
}

/**
 * Something that watches every concrete op application (a FLOP counter, a profiler).
 *
 * @example
 * import { observeOps, matmul, ones, type OpObserver } from 'dualtape'
 * const seen: string[] = []
 * const observer: OpObserver = (op, inputs, y) => seen.push(`${op} → ${y.shape.join('×')}`)
 * const stop = observeOps(observer)
 * matmul(ones([2, 3]), ones([3, 4]))
 * stop()
 * seen // → ['matmul → 2×4']
 */
export type OpObserver = (op: string, inputs: readonly Tensor[], y: Tensor) => void

const observers: OpObserver[] = []

/**
 * Calls `observer` after every op that runs on data (inside or outside transformations) until
 * the returned function is called.
 *
 * @example
 * import { observeOps, sin, tensor } from 'dualtape'
 * const seen: string[] = []
 * const stop = observeOps((op) => seen.push(op))
 * sin(tensor([1]))
 * stop() // seen: ['sin']
 */
export function observeOps(observer: OpObserver): () => void {
  observers.push(observer)
  return () => {
    const i = observers.indexOf(observer)
    if (i >= 0) observers.splice(i, 1)
  }
}

/** Whether `checkNonFinite` has anything to do: NaN checking is on or an observer watches. */
export const watchingOps = (): boolean => enabled || observers.length > 0

/** Checks one concrete op output, if checking is on, and tells the observers. */
export function checkNonFinite(op: string, inputs: readonly Tensor[], y: Tensor): void {
  for (let i = 0; i < observers.length; i++) observers[i]!(op, inputs, y)
  if (!enabled) return
  const i = firstNonFinite(y)
  if (i < 0 || inputs.some((x) => firstNonFinite(x) >= 0)) return
  const v = y.impl.kind === 'concrete' ? y.impl.backend.readSync(y.impl.handle, y)[i] : NaN
  const what = Number.isNaN(v) ? 'NaN' : String(v)
  const shapes = inputs.map((x) => fmtShape(x.shape)).join(', ')
  const where =
    phase === null
      ? `in the forward sweep, called at ${callSite() ?? 'an unknown site'}`
      : `in the backward sweep of ${phase.backwardOf}, recorded at ${phase.site ?? 'an unknown site'}`
  throw new NanError(
    `${op} produced ${what} at element ${i} of its output ${fmtShape(y.shape)} from finite inputs of shapes ${shapes}, ${where}`,
  )
}
