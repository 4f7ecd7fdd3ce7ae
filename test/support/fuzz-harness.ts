// The harness of the API fuzzer (test/*/*.fuzz.test.ts): random, mostly wrong, inputs to every
// public function that takes tensors or options. Each call either returns the right result
// (checked against the numpy semantics of ./fuzz-reference.ts) or throws a DualtapeError
// subclass whose message begins with the name of the function or op (and, for a ShapeError,
// shows a shape). A bare TypeError or RangeError fails the test. Each fuzz file prints the
// error kinds its calls met (`printTally` in its afterAll).

import fc from 'fast-check'
import * as D from '../../src/index.js'
import * as Ck from '../../src/check/index.js'
import * as La from '../../src/linalg/index.js'
import * as Sp from '../../src/sparse/index.js'
import { BackendError, DTypeError, DualtapeError, ShapeError, ValueError } from '../../src/index.js'
import * as R from './fuzz-reference.js'
import { type Arg, type TSpec, build, show } from './fuzz-values.js'

export const SEED = 20240611

export type ErrorClass = new (...a: never[]) => DualtapeError

/** What a call must do: return this value, throw one of these classes, or either (garbage in). */
export type Expect =
  | {
      readonly value: R.Ref
      readonly tol?: number
      readonly scale?: readonly number[]
      readonly dtype?: D.DType
      readonly backend?: string
    }
  | { readonly error: ErrorClass | readonly ErrorClass[] }
  | { readonly either: true }

export const anyError: { error: readonly ErrorClass[] } = { error: [DualtapeError] }
export const either = { either: true } as const

// ---------------------------------------------------------------------------------------------
// Every call goes through `attempt`, which counts it and classifies its error
// ---------------------------------------------------------------------------------------------

/** The names an error message may begin with: the exports of the entry points, the ops and their derivatives. */
const names = new Set<string>([
  ...[D, Sp, La, Ck].flatMap((m) => Object.keys(m)),
  ...Object.keys(D.registry),
  ...Object.keys(D.registry).map((n) => `${n}′`),
])

let calls = 0
const kinds = new Map<string, number>()

/** Prints the calls made and the error kinds met (class + function/op) since the last tally, and starts a new one. */
export function printTally(area: string): void {
  const list = [...kinds.entries()].sort((a, b) => b[1] - a[1])
  console.log(
    `API fuzzing, ${area}: ${calls} calls, ${list.length} distinct error kinds (class + function/op):\n` +
      list.map(([k, n]) => `  ${k} ×${n}`).join('\n'),
  )
  calls = 0
  kinds.clear()
}

export type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: DualtapeError }

/** Runs one call: a DualtapeError naming a function or op is an outcome; anything else fails. */
export function attempt(what: string, body: () => unknown): Outcome {
  calls++
  try {
    return { ok: true, value: body() }
  } catch (e) {
    if (!(e instanceof DualtapeError)) {
      const err = e as Error
      throw new Error(`${what} threw a bare ${err?.constructor?.name}: ${err?.message}\n${err?.stack}`)
    }
    const token = /^([A-Za-z][\w′]*)/.exec(e.message)?.[1] ?? ''
    const named = names.has(token) || (e instanceof BackendError && /backend '/.test(e.message))
    if (!named) throw new Error(`${what}: the ${e.name} names no function or op: ${e.message}`)
    if (e instanceof ShapeError && !e.message.includes('[')) {
      throw new Error(`${what}: the ShapeError shows no shape: ${e.message}`)
    }
    const kind = `${e.name} ${token}`
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
    return { ok: false, error: e }
  }
}

/** Checks an outcome against what was expected of it. */
export function check(what: string, out: Outcome, want: Expect): void {
  if ('either' in want) return
  if ('error' in want) {
    const classes = Array.isArray(want.error) ? want.error : [want.error as ErrorClass]
    if (out.ok)
      throw new Error(`${what}: returned ${String(out.value)}, expected ${classes.map((c) => c.name)}`)
    if (!classes.some((c) => out.error instanceof c)) {
      throw new Error(
        `${what}: threw ${out.error.name} (${out.error.message}), expected ${classes.map((c) => c.name)}`,
      )
    }
    return
  }
  if (!out.ok) throw new Error(`${what}: threw ${out.error.name}: ${out.error.message}; expected a result`)
  expectTensor(what, out.value, want)
}

export function expectTensor(what: string, t: unknown, want: Extract<Expect, { value: R.Ref }>): void {
  if (!(t instanceof D.Tensor)) throw new Error(`${what}: returned ${String(t)}, not a Tensor`)
  if (t.shape.length !== want.value.shape.length || t.shape.some((d, i) => d !== want.value.shape[i])) {
    throw new Error(`${what}: shape [${t.shape}], expected [${want.value.shape}]`)
  }
  if (want.dtype !== undefined && t.dtype !== want.dtype)
    throw new Error(`${what}: dtype ${t.dtype}, expected ${want.dtype}`)
  if (want.backend !== undefined && t.backend.name !== want.backend) {
    throw new Error(`${what}: backend ${t.backend.name}, expected ${want.backend}`)
  }
  const bad = R.mismatch(t.dataSync(), want.value.data as number[], want.tol ?? 0, want.scale)
  if (bad !== null) throw new Error(`${what}: ${bad}`)
}

export const run = (what: string, body: () => unknown, want: Expect): void =>
  check(what, attempt(what, body), want)

export const props = (arb: fc.Arbitrary<unknown>, numRuns: number, body: (v: any) => void): void =>
  fc.assert(
    fc.property(arb, (v) => {
      body(v)
    }),
    { seed: SEED, numRuns },
  )

/** The f32 rounding of reference values for a float32 result. */
export const rounded = (r: R.Ref, dtype: D.DType): R.Ref => (dtype === 'float32' ? R.map(r, Math.fround) : r)

/** The relative tolerance of an inexact result. */
export const inexact = (dtype: D.DType): number => (dtype === 'float32' ? 2 ** -20 : 1e-13)

/** Numbers as scalars of the dtype and backend of the first tensor among the arguments (as ops take them). */
export function asSpecs(op: string, list: readonly Arg[]): TSpec[] | Expect {
  if (list.some((a) => a.kind === 'other')) return { error: ValueError }
  const like = list.find((a): a is TSpec => a.kind === 'tensor')
  if (like === undefined) return { error: ValueError }
  return list.map((a) =>
    a.kind === 'tensor'
      ? a
      : {
          ...like,
          shape: [],
          data: [like.dtype === 'float32' ? Math.fround(a.value as number) : (a.value as number)],
        },
  )
}

/** The first mismatch of dtype, then of backend, among specs (as the shape rules and apply find them). */
export function mixed(dts: readonly TSpec[], bes: readonly TSpec[] = dts): Expect | null {
  if (dts.some((t) => t.dtype !== dts[0]!.dtype)) return { error: DTypeError }
  if (bes.some((t) => t.backend !== bes[0]!.backend)) return { error: BackendError }
  return null
}

/** Any value as text, for failure messages (an object without prototype has no toString). */
export const text = (v: unknown): string => {
  try {
    return typeof v === 'object' && v !== null ? (JSON.stringify(v) ?? String(v)) : String(v)
  } catch {
    return Object.prototype.toString.call(v)
  }
}

export const ctx = (name: string, list: readonly unknown[]): string =>
  `${name}(${list.map((a) => (typeof a === 'object' && a !== null && 'kind' in a ? show(a as Arg) : text(a))).join(', ')})`

export const valueArg = (a: unknown): unknown =>
  typeof a === 'object' && a !== null && 'kind' in a ? build(a as Arg) : a

// ---------------------------------------------------------------------------------------------
// Elementwise ops
// ---------------------------------------------------------------------------------------------

export const isIntList = (v: unknown, min: number): v is number[] =>
  Array.isArray(v) && [...v].every((d) => Number.isInteger(d) && (d as number) >= min)
