import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import * as D from '../src/index.js'
import * as Ck from '../src/check/index.js'
import * as La from '../src/linalg/index.js'
import * as Sp from '../src/sparse/index.js'
import {
  BackendError,
  DTypeError,
  DualtapeError,
  NanError,
  ShapeError,
  type Tensor,
  TransformError,
  ValueError,
} from '../src/index.js'
import * as R from './support/fuzz-reference.js'
import {
  type Arg,
  type Other,
  type TSpec,
  args,
  axes,
  build,
  intLists,
  junk,
  numbers,
  otherBackend,
  partnerShape,
  refOf,
  shapes,
  show,
  tensorOf,
  tensors,
} from './support/fuzz-values.js'

// Random, mostly wrong, inputs to every public function that takes tensors or options. Each call
// either returns the right result (checked against the numpy semantics of ./fuzz-reference.ts)
// or throws a DualtapeError subclass whose message begins with the name of the function or op
// (and, for a ShapeError, shows a shape). A bare TypeError or RangeError fails the test.

const SEED = 20240611

type ErrorClass = new (...a: never[]) => DualtapeError

/** What a call must do: return this value, throw one of these classes, or either (garbage in). */
type Expect =
  | {
      readonly value: R.Ref
      readonly tol?: number
      readonly scale?: readonly number[]
      readonly dtype?: D.DType
      readonly backend?: string
    }
  | { readonly error: ErrorClass | readonly ErrorClass[] }
  | { readonly either: true }

const anyError: { error: readonly ErrorClass[] } = { error: [DualtapeError] }
const either = { either: true } as const

// ---------------------------------------------------------------------------------------------
// The harness: every call goes through `attempt`, which counts it and classifies its error
// ---------------------------------------------------------------------------------------------

const names = new Set<string>([
  ...[D, Sp, La, Ck].flatMap((m) => Object.keys(m)),
  ...Object.keys(D.registry),
  ...Object.keys(D.registry).map((n) => `${n}′`),
])

let calls = 0
const kinds = new Map<string, number>()

afterAll(() => {
  const list = [...kinds.entries()].sort((a, b) => b[1] - a[1])
  console.log(
    `API fuzzing: ${calls} calls, ${list.length} distinct error kinds (class + function/op):\n` +
      list.map(([k, n]) => `  ${k} ×${n}`).join('\n'),
  )
})

type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: DualtapeError }

/** Runs one call: a DualtapeError naming a function or op is an outcome; anything else fails. */
function attempt(what: string, body: () => unknown): Outcome {
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
function check(what: string, out: Outcome, want: Expect): void {
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

function expectTensor(what: string, t: unknown, want: Extract<Expect, { value: R.Ref }>): void {
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

const run = (what: string, body: () => unknown, want: Expect): void => check(what, attempt(what, body), want)

const props = (arb: fc.Arbitrary<unknown>, numRuns: number, body: (v: any) => void): void =>
  fc.assert(
    fc.property(arb, (v) => {
      body(v)
    }),
    { seed: SEED, numRuns },
  )

/** The f32 rounding of reference values for a float32 result. */
const rounded = (r: R.Ref, dtype: D.DType): R.Ref => (dtype === 'float32' ? R.map(r, Math.fround) : r)

/** The relative tolerance of an inexact result. */
const inexact = (dtype: D.DType): number => (dtype === 'float32' ? 2 ** -20 : 1e-13)

/** Numbers as scalars of the dtype and backend of the first tensor among the arguments (as ops take them). */
function asSpecs(op: string, list: readonly Arg[]): TSpec[] | Expect {
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
function mixed(dts: readonly TSpec[], bes: readonly TSpec[] = dts): Expect | null {
  if (dts.some((t) => t.dtype !== dts[0]!.dtype)) return { error: DTypeError }
  if (bes.some((t) => t.backend !== bes[0]!.backend)) return { error: BackendError }
  return null
}

/** Any value as text, for failure messages (an object without prototype has no toString). */
const text = (v: unknown): string => {
  try {
    return typeof v === 'object' && v !== null ? (JSON.stringify(v) ?? String(v)) : String(v)
  } catch {
    return Object.prototype.toString.call(v)
  }
}

const ctx = (name: string, list: readonly unknown[]): string =>
  `${name}(${list.map((a) => (typeof a === 'object' && a !== null && 'kind' in a ? show(a as Arg) : text(a))).join(', ')})`

const valueArg = (a: unknown): unknown =>
  typeof a === 'object' && a !== null && 'kind' in a ? build(a as Arg) : a

// ---------------------------------------------------------------------------------------------
// Elementwise ops
// ---------------------------------------------------------------------------------------------

const unaryNames = Object.keys(R.unary)
const binaryNames = Object.keys(R.binary)

function unaryExpect(op: string, x: Arg, p?: number): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  const f = op === 'pow' ? (v: number) => Math.pow(v, p!) : R.unary[op]!
  const exact = R.exactUnary.has(op)
  return {
    value: rounded(R.map(refOf(x), f), x.dtype),
    tol: exact ? 0 : op === 'pow' ? inexact(x.dtype) : x.dtype === 'float32' ? 2 ** -22 : 1e-14,
    dtype: x.dtype,
    backend: x.backend,
  }
}

function binaryExpect(op: string, list: readonly Arg[]): Expect {
  const specs = asSpecs(op, list)
  if (!Array.isArray(specs)) return specs as Expect
  const [a, b] = specs as [TSpec, TSpec]
  const y = R.zipWith(refOf(a), refOf(b), R.binary[op]!)
  if (y === null) return { error: ShapeError }
  return mixed([a, b]) ?? { value: rounded(y, a.dtype), dtype: a.dtype, backend: a.backend }
}

function whereExpect(list: readonly Arg[]): Expect {
  const specs = asSpecs('where', list)
  if (!Array.isArray(specs)) return specs as Expect
  const [c, a, b] = specs as [TSpec, TSpec, TSpec]
  const ca = R.broadcast(c.shape, a.shape)
  if (ca === null || R.broadcast(ca, b.shape) === null) return { error: ShapeError }
  const bad = mixed([a, b], [c, a, b])
  if (bad !== null) return bad
  const pick = R.zipWith(
    refOf(c),
    R.zipWith(refOf(a), refOf(b), (u, v) => u + v * 0)!,
    () => 0,
  )!
  const shape = pick.shape
  const C = R.broadcastTo(refOf(c), shape).data
  const A = R.broadcastTo(refOf(a), shape).data
  const B = R.broadcastTo(refOf(b), shape).data
  // a nonzero condition (NaN included) picks a
  return { value: { shape, data: C.map((v, i) => (v !== 0 ? A[i]! : B[i]!)) }, dtype: a.dtype }
}

/** Two tensors whose shapes broadcast most of the time, or a tensor and a number, or junk. */
const binaryArgs: fc.Arbitrary<Arg[]> = shapes().chain((s) =>
  partnerShape(s).chain((s2) =>
    fc
      .tuple(args(tensorOf(s), true), args(tensorOf(s2), true))
      .chain(([a, b]) => fc.boolean().map((swap) => (swap ? [b, a] : [a, b]))),
  ),
)

describe('elementwise ops', () => {
  test('unary ops and pow: values (NaN and ±Infinity included) or an error naming the op', () => {
    props(
      fc.tuple(fc.constantFrom(...unaryNames, 'pow'), args(tensors()), numbers),
      800,
      ([op, x, p]: [string, Arg, number]) => {
        const fn = (D as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!
        const list = op === 'pow' ? [x, p] : [x]
        run(ctx(op, list), () => fn(...list.map(valueArg)), unaryExpect(op, x, p))
      },
    )
  })

  test('pow with an exponent that is not a number', () => {
    props(fc.tuple(args(tensors()), junk), 30, ([x, p]: [Arg, Other]) => {
      run(ctx('pow', [x, p]), () => D.pow(build(x) as Tensor, p.value as number), { error: ValueError })
    })
  })

  test('binary ops broadcast like numpy; shapes, dtypes and backends that do not fit are errors', () => {
    props(fc.tuple(fc.constantFrom(...binaryNames), binaryArgs), 1200, ([op, list]: [string, Arg[]]) => {
      const fn = (D as unknown as Record<string, (a: unknown, b: unknown) => unknown>)[op]!
      run(ctx(op, list), () => fn(valueArg(list[0]), valueArg(list[1])), binaryExpect(op, list))
    })
  })

  test('where broadcasts all three; the condition picks where it is nonzero', () => {
    const arb = shapes().chain((s) =>
      fc.tuple(
        args(tensorOf(s), true),
        partnerShape(s).chain((t) => args(tensorOf(t), true)),
        partnerShape(s).chain((t) => args(tensorOf(t), true)),
      ),
    )
    props(arb, 600, (list: Arg[]) => {
      run(
        ctx('where', list),
        () => D.where(...(list.map(valueArg) as [Tensor, Tensor, Tensor])),
        whereExpect(list),
      )
    })
  })

  test('with NaN checking on, the op that makes a NaN or an infinity from finite inputs is named', () => {
    props(
      fc.tuple(
        fc.constantFrom(...unaryNames),
        tensors({ special: false, mixed: 0 }).map((t) => ({
          ...t,
          data: t.data.map((v) => v * 400),
        })),
      ),
      400,
      ([op, x]: [string, TSpec]) => {
        const fn = (D as unknown as Record<string, (a: unknown) => Tensor>)[op]!
        const want = unaryExpect(op, x) as { value: R.Ref }
        const bad = want.value.data.some((v) => !Number.isFinite(v))
        const out = attempt(ctx(`withNanCheck ${op}`, [x]), () => D.withNanCheck(() => fn(build(x))))
        if (bad) {
          check(op, out, { error: NanError })
          expect((out as { error: Error }).error.message).toMatch(
            new RegExp(`^${op} produced (NaN|-?Infinity) at element`),
          )
        } else check(op, out, want)
      },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------------------------

/** numpy's axis rules: undefined is all axes; negative counts from the end; no repeats. */
function axesOf(rank: number, axis: Arg): number[] | Expect {
  const v = axis.kind === 'tensor' ? null : axis.value
  if (v === undefined) return Array.from({ length: rank }, (_, i) => i)
  if (typeof v !== 'number' && !Array.isArray(v)) return { error: ValueError }
  const list: unknown[] = typeof v === 'number' ? [v] : [...(v as unknown[])]
  if (rank === 0 && list.length > 0) return { error: ShapeError }
  const out: number[] = []
  for (const a of list) {
    if (typeof a !== 'number') return { error: ValueError }
    if (!Number.isInteger(a) || a < -rank || a >= rank) return { error: ShapeError }
    out.push(a < 0 ? a + rank : a)
  }
  if (new Set(out).size !== out.length) return { error: ShapeError }
  return out.sort((a, b) => a - b)
}

function reduceExpect(op: string, x: Arg, axis: Arg, keepdims: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  const ax = axesOf(x.shape.length, axis)
  if (!Array.isArray(ax)) return ax
  const kd = keepdims === true
  const r = refOf(x)
  const abs = R.reduce(R.map(r, Math.abs), ax, kd, 0, (a, v) => a + v)
  const common = { dtype: x.dtype, backend: x.backend }
  switch (op) {
    case 'sum':
      return {
        ...common,
        value: R.reduce(r, ax, kd, 0, (a, v) => a + v),
        tol: inexact(x.dtype),
        scale: abs.data,
      }
    case 'mean':
      return {
        ...common,
        value: R.reduce(
          r,
          ax,
          kd,
          0,
          (a, v) => a + v,
          (a, n) => a / n,
        ),
        tol: inexact(x.dtype),
        scale: R.reduce(
          R.map(r, Math.abs),
          ax,
          kd,
          0,
          (a, v) => a + v,
          (a, n) => a / n,
        ).data,
      }
    case 'max':
      return { ...common, value: R.reduce(r, ax, kd, -Infinity, R.maxOf) }
    default: {
      const big = R.reduce(R.map(r, Math.abs), ax, kd, 1, R.maxOf)
      return { ...common, value: R.logsumexp(r, ax, kd), tol: inexact(x.dtype), scale: big.data }
    }
  }
}

describe('reductions', () => {
  test('sum, max, mean and logsumexp over any axes, zero-size axes included', () => {
    props(
      fc.tuple(
        fc.constantFrom('sum', 'max', 'mean', 'logsumexp'),
        args(tensors()),
        axes,
        fc.constantFrom<unknown>(undefined, true, false, 1, 'yes'),
      ),
      1000,
      ([op, x, axis, kd]: [string, Arg, Arg, unknown]) => {
        const fn = (D as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!
        run(ctx(op, [x, axis, kd]), () => fn(build(x), valueArg(axis), kd), reduceExpect(op, x, axis, kd))
      },
    )
  })

  test('over no elements: sum 0, max and logsumexp -Infinity (their identities), mean NaN (0/0)', () => {
    const e = D.zeros([2, 0])
    expect(D.sum(e, 1).toArray()).toEqual([0, 0])
    expect(D.max(e, 1).toArray()).toEqual([-Infinity, -Infinity])
    expect(D.logsumexp(e, 1).toArray()).toEqual([-Infinity, -Infinity])
    expect(D.mean(e, 1).toArray()).toEqual([NaN, NaN])
    expect((D.grad((x: Tensor) => D.sum(D.max(x, 1)))(e) as Tensor).shape).toEqual([2, 0])
  })
})

// ---------------------------------------------------------------------------------------------
// Layout ops
// ---------------------------------------------------------------------------------------------

const isIntList = (v: unknown, min: number): v is number[] =>
  Array.isArray(v) && [...v].every((d) => Number.isInteger(d) && (d as number) >= min)

function reshapeExpect(x: Arg, shape: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  if (!isIntList(shape, -1)) return { error: ValueError }
  const n = R.sizeOf(x.shape)
  const unknowns = shape.filter((d) => d === -1).length
  if (unknowns > 1) return { error: ShapeError }
  let target = shape
  if (unknowns === 1) {
    const known = R.sizeOf(shape.filter((d) => d !== -1))
    if (known === 0 || n % known !== 0) return { error: ShapeError }
    target = shape.map((d) => (d === -1 ? n / known : d))
  }
  if (R.sizeOf(target) !== n) return { error: ShapeError }
  return { value: { shape: target, data: x.data }, dtype: x.dtype, backend: x.backend }
}

function transposeExpect(x: Arg, perm: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  const rank = x.shape.length
  if (perm === undefined) perm = Array.from({ length: rank }, (_, i) => rank - 1 - i)
  if (!Array.isArray(perm)) return { error: ValueError }
  const p: number[] = []
  for (const a of [...perm] as unknown[]) {
    if (typeof a !== 'number') return { error: ValueError }
    if (!Number.isInteger(a) || a < -rank || a >= rank) return { error: ShapeError }
    p.push(a < 0 ? a + rank : a)
  }
  if (p.length !== rank || new Set(p).size !== rank) return { error: ShapeError }
  return { value: R.transpose(refOf(x), p), dtype: x.dtype }
}

function broadcastToExpect(x: Arg, shape: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  if (!isIntList(shape, 0)) return { error: ValueError }
  if (R.sizeOf(shape) > 2 ** 32 - 1) return { error: ValueError }
  const b = R.broadcast(x.shape, shape)
  if (b === null || b.length !== shape.length || b.some((d, i) => d !== shape[i]))
    return { error: ShapeError }
  return { value: R.broadcastTo(refOf(x), shape), dtype: x.dtype }
}

function sliceExpect(x: Arg, begin: unknown, size: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  const s = x.shape
  if (!Array.isArray(begin) || begin.length !== s.length) return { error: ShapeError }
  if (size !== undefined && (!Array.isArray(size) || size.length !== s.length)) return { error: ShapeError }
  const b = [...begin] as unknown[]
  const sz = ((size as unknown[] | undefined) ?? s.map(() => -1)).map((v, i) =>
    v === -1 ? s[i]! - (b[i] as number) : v,
  )
  const ok = b.every(
    (v, i) =>
      Number.isInteger(v) &&
      (v as number) >= 0 &&
      Number.isInteger(sz[i]) &&
      (sz[i] as number) >= 0 &&
      (v as number) + (sz[i] as number) <= s[i]!,
  )
  const identity = b.every((v) => v === 0) && sz.every((v, i) => v === s[i])
  if (!ok && !identity) return { error: ShapeError }
  return { value: R.slice(refOf(x), b as number[], sz as number[]), dtype: x.dtype }
}

function padExpect(x: Arg, before: unknown, after: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  if (!Array.isArray(before) || !Array.isArray(after)) return { error: ShapeError }
  const r = x.shape.length
  const all = [...before, ...after] as unknown[]
  if (before.length === r && after.length === r && all.every((v) => v === 0)) {
    return { value: refOf(x), dtype: x.dtype }
  }
  if (
    before.length !== r ||
    after.length !== r ||
    !all.every((v) => Number.isInteger(v) && (v as number) >= 0)
  ) {
    return { error: ShapeError }
  }
  const shape = x.shape.map((d, i) => d + (before[i] as number) + (after[i] as number))
  if (R.sizeOf(shape) > 2 ** 32 - 1) return { error: ValueError }
  return { value: R.pad(refOf(x), before as number[], after as number[]), dtype: x.dtype }
}

function concatExpect(list: readonly Arg[], axis: Arg): Expect {
  if (list.length === 0 || list.some((a) => a.kind !== 'tensor')) return { error: ValueError }
  const ts = list as TSpec[]
  const first = ts[0]!
  const r = first.shape.length
  if (r === 0) return { error: ShapeError }
  const a = axis.kind === 'tensor' ? null : axis.value === undefined ? 0 : axis.value
  if (typeof a !== 'number') return { error: ValueError }
  if (!Number.isInteger(a) || a < -r || a >= r) return { error: ShapeError }
  const ax = a < 0 ? a + r : a
  if (ts.length === 1) return { value: refOf(first) }
  if (ts.some((t) => t.dtype !== first.dtype)) return { error: DTypeError }
  const fits = ts.every(
    (t) => t.shape.length === r && t.shape.every((d, i) => i === ax || d === first.shape[i]),
  )
  if (!fits) return { error: ShapeError }
  return mixed(ts) ?? { value: R.concat(ts.map(refOf), ax), dtype: first.dtype }
}

function matmulExpect(a: Arg, b: Arg, dot: boolean): Expect {
  if (a.kind !== 'tensor' || b.kind !== 'tensor') return { error: ValueError }
  const ra = a.shape.length
  const rb = b.shape.length
  if (dot && (ra < 1 || ra > 2 || rb < 1 || rb > 2)) return { error: ShapeError }
  const y = R.matmul(refOf(a), refOf(b))
  if (y === null) return { error: ShapeError }
  return (
    mixed([a, b]) ?? {
      value: y.y,
      tol: inexact(a.dtype),
      scale: y.scale,
      dtype: a.dtype,
      backend: a.backend,
    }
  )
}

describe('layout ops', () => {
  const rank = fc.integer({ min: 0, max: 3 })

  test('reshape, with -1 inferred', () => {
    const shape = fc.oneof(
      intLists(rank, -1, 6),
      fc.constant([-1]),
      fc.constant([2, -1]),
      fc.constant([-1, -1]),
    )
    props(fc.tuple(args(tensors()), shape), 600, ([x, s]: [Arg, unknown]) => {
      run(ctx('reshape', [x, s]), () => D.reshape(build(x) as Tensor, s as number[]), reshapeExpect(x, s))
    })
  })

  test('transpose by any permutation (negative axes allowed)', () => {
    const perm = fc.oneof(
      fc.constant(undefined),
      rank.chain((n) => fc.shuffledSubarray([0, 1, 2], { minLength: n, maxLength: n })),
      intLists(rank, -3, 3),
    )
    props(fc.tuple(args(tensors()), perm), 600, ([x, p]: [Arg, unknown]) => {
      run(
        ctx('transpose', [x, p]),
        () => D.transpose(build(x) as Tensor, p as number[]),
        transposeExpect(x, p),
      )
    })
  })

  test('broadcastTo', () => {
    const arb = tensors().chain((x) =>
      fc.tuple(
        args(fc.constant(x)),
        fc.oneof(partnerShape(x.shape), intLists(rank, -1, 3), fc.constant([2 ** 20, 2 ** 20])),
      ),
    )
    props(arb, 600, ([x, s]: [Arg, unknown]) => {
      run(
        ctx('broadcastTo', [x, s]),
        () => D.broadcastTo(build(x) as Tensor, s as number[]),
        broadcastToExpect(x, s),
      )
    })
  })

  test('slice (size -1: to the end) and pad', () => {
    const arb = tensors().chain((x) => {
      const n = fc.constant(x.shape.length)
      return fc.tuple(
        args(fc.constant(x)),
        intLists(n, -1, 3),
        fc.oneof(fc.constant(undefined), intLists(n, -1, 3)),
        intLists(n, 0, 2),
        fc.oneof(intLists(n, 0, 2), fc.constant(x.shape.map(() => 2 ** 40))),
      )
    })
    props(arb, 600, ([x, b, s, pb, pa]: [Arg, unknown, unknown, unknown, unknown]) => {
      run(
        ctx('slice', [x, b, s]),
        () => D.slice(build(x) as Tensor, b as number[], s as number[]),
        sliceExpect(x, b, s),
      )
      run(
        ctx('pad', [x, pb, pa]),
        () => D.pad(build(x) as Tensor, pb as number[], pa as number[]),
        padExpect(x, pb, pa),
      )
    })
  })

  test('concat along any axis; dtypes, backends and the other axes must agree', () => {
    const arb = shapes()
      .filter((s) => s.length > 0)
      .chain((s) =>
        fc.tuple(
          fc.array(
            fc.oneof(
              {
                arbitrary: fc
                  .integer({ min: 0, max: 2 })
                  .chain((d) => tensorOf(s.map((v, i) => (i === 0 ? d : v)))),
                weight: 4,
              },
              { arbitrary: tensors(), weight: 1 },
              { arbitrary: junk, weight: 1 },
            ),
            { maxLength: 3 },
          ),
          fc.oneof(
            {
              arbitrary: fc.constant<Arg>({ kind: 'other', value: undefined, label: 'undefined' }),
              weight: 3,
            },
            { arbitrary: axes, weight: 1 },
          ),
        ),
      )
    props(arb, 600, ([list, axis]: [Arg[], Arg]) => {
      run(
        ctx('concat', [...list, axis]),
        () => D.concat(list.map(build) as Tensor[], valueArg(axis) as number),
        concatExpect(list, axis),
      )
    })
    run('concat(a number)', () => D.concat(3 as never), { error: ValueError })
  })

  test('matmul and dot, numpy-style (vectors promoted, stacks broadcast)', () => {
    const arb = fc
      .tuple(
        fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 1 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 5 }),
      )
      .chain(([batch, m, k, n, ra, rb, mutate]) => {
        const sa = ra === 0 ? [] : ra === 1 ? [k] : [...batch, m, k]
        const sb = rb === 0 ? [] : rb === 1 ? [mutate === 0 ? k + 1 : k] : [k, n]
        return fc.tuple(args(tensorOf(sa, { special: false })), args(tensorOf(sb, { special: false })))
      })
    props(arb, 600, ([a, b]: [Arg, Arg]) => {
      run(
        ctx('matmul', [a, b]),
        () => D.matmul(build(a) as Tensor, build(b) as Tensor),
        matmulExpect(a, b, false),
      )
      run(ctx('dot', [a, b]), () => D.dot(build(a) as Tensor, build(b) as Tensor), matmulExpect(a, b, true))
    })
  })

  test('cast and stopGradient', () => {
    props(
      fc.tuple(args(tensors()), fc.constantFrom<unknown>('float32', 'float64', 'int32', undefined, 3)),
      400,
      ([x, d]: [Arg, unknown]) => {
        const want: Expect =
          x.kind !== 'tensor'
            ? { error: ValueError }
            : d !== 'float32' && d !== 'float64'
              ? { error: DTypeError }
              : { value: rounded(refOf(x), d), dtype: d }
        run(ctx('cast', [x, d]), () => D.cast(build(x) as Tensor, d as D.DType), want)
        run(
          ctx('stopGradient', [x]),
          () => D.stopGradient(build(x) as Tensor),
          x.kind === 'tensor' ? { value: refOf(x) } : { error: ValueError },
        )
      },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Creating tensors
// ---------------------------------------------------------------------------------------------

const optionValues = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  {
    arbitrary: fc.record(
      {
        dtype: fc.constantFrom<unknown>('float32', 'float64', 'int8', 3),
        backend: fc.constantFrom<unknown>('cpu', otherBackend, 'nope', 3, null),
      },
      { requiredKeys: [] },
    ),
    weight: 4,
  },
  { arbitrary: fc.constantFrom<unknown>(null, 'float32', 3, [1]), weight: 1 },
)

/** The dtype and backend that options ask for, or the error they give (as create.ts resolves them). */
interface Resolved {
  readonly resolved: true
  readonly dtype: D.DType
  readonly backend: string
}

function resolveOptions(opts: unknown, fallback: D.DType = 'float64'): Resolved | Expect {
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts)))
    return { error: ValueError }
  const o = (opts ?? {}) as { dtype?: unknown; backend?: unknown }
  if (o.backend !== undefined && typeof o.backend !== 'string') return { error: ValueError }
  if (o.backend !== undefined && o.backend !== 'cpu' && o.backend !== otherBackend)
    return { error: BackendError }
  if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'float64') return { error: DTypeError }
  return {
    resolved: true,
    dtype: (o.dtype as D.DType | undefined) ?? fallback,
    backend: (o.backend as string | undefined) ?? 'cpu',
  }
}

const isShape = (s: unknown): s is number[] => isIntList(s, 0) && R.sizeOf(s) <= 2 ** 32 - 1

function created(
  shape: unknown,
  opts: unknown,
  fill: (k: number, n: number) => number,
  first?: Expect | null,
): Expect {
  if (first) return first
  const r = resolveOptions(opts)
  if (!('resolved' in r)) return r
  if (!isShape(shape)) return { error: ValueError }
  const n = R.sizeOf(shape)
  const data = Array.from({ length: n }, (_, k) => fill(k, n))
  return { value: rounded({ shape, data }, r.dtype), dtype: r.dtype, backend: r.backend }
}

describe('creating tensors', () => {
  const shapeArg = fc.oneof(
    { arbitrary: shapes(), weight: 6 },
    { arbitrary: intLists(fc.integer({ min: 0, max: 3 })), weight: 2 },
    { arbitrary: fc.constant([2 ** 20, 2 ** 20, 2 ** 20]), weight: 1 },
  )

  test('full, zeros, ones, eye, arange, zerosLike, onesLike', () => {
    props(
      fc.tuple(
        shapeArg,
        fc.oneof(
          numbers,
          junk.map((j) => j.value),
        ),
        optionValues,
        fc.tuple(numbers, numbers, numbers),
      ),
      800,
      ([shape, value, opts, [a, b, c]]: [unknown, unknown, unknown, [number, number, number]]) => {
        const n = (v: unknown) => (typeof v === 'number' ? v : NaN)
        run(
          ctx('full', [shape, value, opts]),
          () => D.full(shape as number[], value as number, opts as never),
          created(shape, opts, () => n(value), typeof value === 'number' ? null : { error: ValueError }),
        )
        run(
          ctx('zeros', [shape, opts]),
          () => D.zeros(shape as number[], opts as never),
          created(shape, opts, () => 0),
        )
        run(
          ctx('ones', [shape, opts]),
          () => D.ones(shape as number[], opts as never),
          created(shape, opts, () => 1),
        )
        const [rows, cols] = [Math.trunc(a * 2), Math.trunc(b * 2)]
        run(
          ctx('eye', [rows, cols, opts]),
          () => D.eye(rows, cols, opts as never),
          created([rows, cols], opts, (k) => +(Math.floor(k / cols) === k % cols)),
        )
        const steps = (b - a) / c
        const want: Expect =
          !Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c) || c === 0
            ? { error: ValueError }
            : Math.ceil(steps) > 2 ** 32 - 1
              ? { error: ValueError }
              : created([Math.max(0, Math.ceil(steps))], opts, (k) => a + k * c)
        run(ctx('arange', [a, b, c, opts]), () => D.arange(a, b, c, opts as never), want)
        const like = D.tensor([1, 2], { dtype: 'float32', backend: otherBackend })
        const likeShape = shape === undefined ? [2] : shape
        run(
          ctx('zerosLike', [shape]),
          () => D.zerosLike(like, shape as number[]),
          created(likeShape, { dtype: 'float32', backend: otherBackend }, () => 0),
        )
        run(ctx('onesLike', [value]), () => D.onesLike(value as Tensor), { error: ValueError })
      },
    )
  })

  test('randn and uniform: the shape, finite samples, in [low, high) for uniform', () => {
    const ranOpts = fc.oneof(
      optionValues,
      fc.record(
        {
          seed: fc.constantFrom<unknown>(0, 7, -3, 1.5, 'x'),
          low: fc.constantFrom<unknown>(-2, 0, NaN, 'a'),
          high: fc.constantFrom<unknown>(1, 5, Infinity),
        },
        { requiredKeys: [] },
      ),
    )
    props(fc.tuple(shapeArg, ranOpts), 400, ([shape, opts]: [unknown, unknown]) => {
      for (const name of ['randn', 'uniform'] as const) {
        const out = attempt(ctx(name, [shape, opts]), () => D[name](shape as number[], opts as never))
        const o = (typeof opts === 'object' && opts !== null ? opts : {}) as Record<string, unknown>
        const seedBad = o.seed !== undefined && !Number.isInteger(o.seed)
        const [lo, hi] = [o.low ?? 0, o.high ?? 1]
        const rangeBad = name === 'uniform' && (!Number.isFinite(lo) || !Number.isFinite(hi))
        const r = resolveOptions(opts)
        if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
          if (opts !== undefined) check(name, out, { error: ValueError })
          else check(name, out, isShape(shape) ? either : { error: ValueError })
        } else if (seedBad || !('resolved' in r) || rangeBad || !isShape(shape)) check(name, out, anyError)
        else {
          if (!out.ok) throw new Error(`${name}: threw ${out.error.message}`)
          const t = out.value as Tensor
          expect(t.shape).toEqual(shape)
          const data = [...t.dataSync()]
          expect(data.every(Number.isFinite)).toBe(true)
          if (name === 'uniform')
            expect(data.every((v) => v >= (lo as number) && v <= (hi as number))).toBe(true)
        }
      }
    })
  })

  test('tensor from nested arrays, typed arrays, numbers and tensors, with a shape or options', () => {
    const data = fc.oneof(
      { arbitrary: tensors().map((t) => ({ kind: 'nested' as const, t })), weight: 4 },
      { arbitrary: tensors().map((t) => ({ kind: 'typed' as const, t })), weight: 2 },
      { arbitrary: tensors().map((t) => ({ kind: 'tensor' as const, t })), weight: 2 },
      { arbitrary: junk.map((j) => ({ kind: 'junk' as const, j })), weight: 2 },
    )
    const opts = fc.oneof(
      optionValues,
      shapeArg,
      fc.record(
        { shape: shapeArg, dtype: fc.constantFrom<unknown>('float64', 'float32', undefined) },
        { requiredKeys: [] },
      ),
    )
    props(fc.tuple(data, opts), 800, ([d, o]: [{ kind: string; t?: TSpec; j?: Other }, unknown]) => {
      const nest = (t: TSpec): unknown => {
        const go = (off: number, axis: number): unknown => {
          if (axis === t.shape.length) return t.data[off]
          const stride = R.sizeOf(t.shape.slice(axis + 1))
          return Array.from({ length: t.shape[axis]! }, (_, i) => go(off + i * stride, axis + 1))
        }
        return go(0, 0)
      }
      const input =
        d.kind === 'nested'
          ? nest(d.t!)
          : d.kind === 'typed'
            ? (d.t!.dtype === 'float32' ? Float32Array : Float64Array).from(d.t!.data)
            : d.kind === 'tensor'
              ? build(d.t!)
              : d.j!.value
      const opts = Array.isArray(o) ? { shape: o } : o
      let want: Expect = anyError
      const r = resolveOptions(opts, d.kind === 'typed' ? d.t!.dtype : 'float64')
      const shape = (opts as { shape?: unknown } | undefined)?.shape
      if (d.kind === 'junk') {
        const v = d.j!.value
        const tree =
          (Array.isArray(v) && !(v as unknown[]).some((e) => typeof e !== 'number')) ||
          v instanceof Float64Array
        want = tree ? either : anyError
      } else if (d.kind === 'tensor') {
        // a tensor is returned as it is, when the options agree with it: backend, dtype, shape
        const t = d.t!
        const o2 = (opts ?? {}) as { dtype?: unknown; backend?: unknown }
        const b = resolveOptions(
          opts === undefined || typeof opts !== 'object' || opts === null ? opts : { backend: o2.backend },
        )
        want = !('resolved' in b)
          ? b
          : o2.backend !== undefined && o2.backend !== t.backend
            ? { error: BackendError }
            : o2.dtype !== undefined && o2.dtype !== t.dtype
              ? { error: DTypeError }
              : shape !== undefined && !isShape(shape)
                ? { error: ValueError }
                : shape !== undefined && (shape as number[]).join() !== t.shape.join()
                  ? { error: ShapeError }
                  : { value: refOf(t), dtype: t.dtype, backend: t.backend }
      } else if (!('resolved' in r)) want = r
      else if (shape !== undefined && !isShape(shape)) want = { error: ValueError }
      else {
        const t = d.t!
        const target = (shape as number[] | undefined) ?? (d.kind === 'typed' ? [t.data.length] : t.shape)
        const empty = d.kind === 'nested' && t.shape.includes(0) && t.shape.length > 1
        want =
          R.sizeOf(target) !== t.data.length
            ? { error: ShapeError }
            : empty
              ? either
              : {
                  value: rounded({ shape: target, data: t.data }, r.dtype),
                  dtype: r.dtype,
                  backend: r.backend,
                }
      }
      run(ctx('tensor', [d.kind, o]), () => D.tensor(input as number[], o as never), want)
    })
  })
})

// ---------------------------------------------------------------------------------------------
// Transformations: functions with closed-form derivatives, called with matching and mismatched
// primals, tangents and cotangents
// ---------------------------------------------------------------------------------------------

/** A reference for one function: its output and its linear maps, or the error it gives. */
interface Lin {
  readonly out: R.Ref
  readonly jvp: (ts: readonly R.Ref[]) => R.Ref
  readonly vjp: (ct: R.Ref) => R.Ref[]
}

interface PoolFn {
  readonly name: string
  readonly arity: number
  readonly f: (...a: Tensor[]) => Tensor
  readonly scalar: boolean
  /** The output's dtype and backend when they do not follow the first argument's. */
  readonly fixedOutput?: boolean
  readonly ref: (xs: readonly TSpec[]) => Lin | Expect
}

const zip = (a: R.Ref, b: R.Ref, f: (x: number, y: number) => number): R.Ref => R.zipWith(a, b, f)!
const scalarRef = (v: number): R.Ref => ({ shape: [], data: [v] })
const total = (r: R.Ref): number => r.data.reduce((a, v) => a + v, 0)

/** Sums g down to `shape`: the adjoint of broadcasting `shape` to g's shape. */
function sumTo(g: R.Ref, shape: readonly number[]): R.Ref {
  const lead = g.shape.length - shape.length
  const ax = g.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1))
  return { shape, data: R.reduce(g, ax, true, 0, (a, v) => a + v).data }
}

const pool: readonly PoolFn[] = [
  {
    name: 'sum(x·x)',
    arity: 1,
    scalar: true,
    f: (x) => D.sum(D.mul(x, x)),
    ref: ([x]) => {
      const r = refOf(x!)
      return {
        out: scalarRef(total(R.map(r, (v) => v * v))),
        // d Σx² = Σ 2x dx
        jvp: ([t]) => scalarRef(total(zip(r, t!, (v, dv) => 2 * v * dv))),
        vjp: (ct) => [R.map(r, (v) => 2 * v * ct.data[0]!)],
      }
    },
  },
  {
    name: 'sin',
    arity: 1,
    scalar: false,
    f: (x) => D.sin(x),
    ref: ([x]) => {
      const r = refOf(x!)
      const c = R.map(r, Math.cos)
      return {
        out: R.map(r, Math.sin),
        jvp: ([t]) => zip(c, t!, (a, b) => a * b),
        vjp: (ct) => [zip(ct, c, (a, b) => a * b)],
      }
    },
  },
  {
    name: 'x·y + y',
    arity: 2,
    scalar: false,
    f: (x, y) => D.add(D.mul(x, y), y),
    ref: ([x, y]) => {
      const [a, b] = [refOf(x!), refOf(y!)]
      const s = R.broadcast(a.shape, b.shape)
      if (s === null) return { error: ShapeError }
      const bad = mixed([x!, y!])
      if (bad !== null) return bad
      return {
        out: zip(
          zip(a, b, (u, v) => u * v),
          b,
          (u, v) => u + v,
        ),
        // d(x y + y) = dx y + x dy + dy
        jvp: ([tx, ty]) =>
          zip(
            zip(
              zip(tx!, b, (u, v) => u * v),
              zip(a, ty!, (u, v) => u * v),
              (u, v) => u + v,
            ),
            ty!,
            (u, v) => u + v,
          ),
        vjp: (ct) => [
          sumTo(
            zip(ct, b, (u, v) => u * v),
            a.shape,
          ),
          zip(
            sumTo(ct, b.shape),
            sumTo(
              zip(ct, a, (u, v) => u * v),
              b.shape,
            ),
            (u, v) => u + v,
          ),
        ],
      }
    },
  },
  {
    name: 'sum(x²·x)',
    arity: 1,
    scalar: true,
    f: (x) => D.sum(D.mul(D.square(x), x)),
    ref: ([x]) => {
      const r = refOf(x!)
      return {
        out: scalarRef(total(R.map(r, (v) => v * v * v))),
        // d Σx³ = Σ 3x² dx
        jvp: ([t]) => scalarRef(total(zip(r, t!, (v, dv) => 3 * v * v * dv))),
        vjp: (ct) => [R.map(r, (v) => 3 * v * v * ct.data[0]!)],
      }
    },
  },
  {
    name: 'identity',
    arity: 1,
    scalar: false,
    f: (x) => x,
    ref: ([x]) => ({ out: refOf(x!), jvp: ([t]) => t!, vjp: (ct) => [ct] }),
  },
  {
    name: 'constant',
    arity: 1,
    scalar: true,
    fixedOutput: true,
    f: () => D.tensor(2),
    ref: ([x]) => ({
      out: scalarRef(2),
      jvp: () => scalarRef(0),
      vjp: () => [{ shape: x!.shape, data: x!.data.map(() => 0) }],
    }),
  },
]

/** A pool function with arguments and matching tangents or cotangents, some of them spoiled. */
interface Case {
  readonly fn: PoolFn
  readonly xs: TSpec[]
  readonly ts: TSpec[]
  /** How the tangents (or cotangent) were spoiled: null when they match. */
  readonly spoil: null | 'shape' | 'dtype' | 'backend' | 'junk' | 'count' | 'nest'
  readonly junk: Other
  readonly ct: TSpec
}

const transformCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.constantFrom(...pool),
    shapes(),
    fc.nat(),
    fc.constantFrom(null, null, null, 'shape', 'dtype', 'backend', 'junk', 'count', 'nest'),
    junk,
  )
  .chain(([fn, s, k, spoil, j]) =>
    fc
      .tuple(
        tensorOf(s, { mixed: 1 }),
        partnerShape(s).chain((s2) => tensorOf(s2, { mixed: 1 })),
        shapes(),
      )
      .chain(([x0, x1, other]) => {
        const xs = fn.arity === 1 ? [x0] : [x0, x1]
        const like = (x: TSpec, i: number) =>
          tensorOf(
            spoil === 'shape' && i === k % xs.length && other.join() !== x.shape.join() ? other : x.shape,
            {
              special: false,
              mixed: 0,
            },
          ).map((t) => ({
            ...t,
            dtype:
              spoil === 'dtype' && i === k % xs.length
                ? x.dtype === 'float32'
                  ? 'float64'
                  : 'float32'
                : x.dtype,
            backend:
              spoil === 'backend' && i === k % xs.length
                ? x.backend === 'cpu'
                  ? otherBackend
                  : 'cpu'
                : x.backend,
          }))
        const lin = fn.ref(xs)
        const outShape = 'out' in lin ? lin.out.shape : []
        return fc
          .tuple(
            fc
              .tuple(...xs.map(like))
              .map((ts) =>
                ts.map((t) => ({ ...t, data: t.dtype === 'float32' ? t.data.map(Math.fround) : t.data })),
              ),
            tensorOf(outShape, { special: false, mixed: 0 }).map((t) =>
              fn.fixedOutput === true
                ? t
                : {
                    ...t,
                    dtype: xs[0]!.dtype,
                    backend: xs[0]!.backend,
                    data: xs[0]!.dtype === 'float32' ? t.data.map(Math.fround) : t.data,
                  },
            ),
          )
          .map(([ts, ct]) => ({ fn, xs, ts: ts as TSpec[], spoil, junk: j, ct }))
      }),
  )

const linTol = (xs: readonly TSpec[]): number => (xs.some((x) => x.dtype === 'float32') ? 2 ** -18 : 1e-12)

/** A scale for comparing a linear map's result: the largest magnitude among the inputs and outputs. */
const scaleOf = (...rs: readonly R.Ref[]): number[] => {
  const m = Math.max(1, ...rs.flatMap((r) => r.data.filter(Number.isFinite).map(Math.abs)))
  return new Array<number>(1000).fill(m * m * 4)
}

describe('transformations', () => {
  test('jvp: matching tangents give the closed form; spoiled ones an error naming jvp', () => {
    props(transformCase, 600, (c: Case) => {
      const primals = c.xs.map(build)
      let tangents: unknown[] = c.ts.map(build)
      let want: Expect
      const lin = c.fn.ref(c.xs)
      if (c.spoil === 'junk') {
        tangents[0] = c.junk.value
        want = { error: [ValueError, ShapeError] }
      } else if (c.spoil === 'count') {
        tangents = [...tangents, tangents[0]]
        want = { error: ShapeError }
      } else if (c.spoil === 'nest') {
        tangents = [tangents]
        want = { error: ShapeError }
      } else if (c.spoil === 'dtype') want = { error: DTypeError }
      else if (c.spoil === 'backend') want = { error: BackendError }
      else if (c.spoil === 'shape' && c.ts.some((t, i) => t.shape.join() !== c.xs[i]!.shape.join()))
        want = { error: ShapeError }
      else if (!('out' in lin)) want = lin
      else
        want = {
          value: lin.jvp(c.ts.map(refOf)),
          tol: linTol(c.xs),
          scale: scaleOf(...c.xs.map(refOf), ...c.ts.map(refOf)),
        }
      // null and undefined junk are empty trees, which the function itself may reject
      if (
        c.spoil === 'junk' &&
        (c.junk.value === null ||
          c.junk.value === undefined ||
          Array.isArray(c.junk.value) ||
          c.junk.label.includes('object'))
      )
        want = anyError
      const what = `jvp ${c.fn.name} ${c.xs.map(show)} tangents ${c.spoil ?? 'matching'}`
      // tangents may be junk on purpose: what a JavaScript caller could pass
      const out = attempt(what, () => D.jvp(c.fn.f, primals as Tensor[], tangents as never))
      if ('value' in want) {
        if (!out.ok) throw new Error(`${what}: threw ${out.error.message}`)
        const [y, dy] = out.value as [Tensor, Tensor]
        expectTensor(`${what} (output)`, y, {
          value: (lin as Lin).out,
          tol: linTol(c.xs),
          scale: scaleOf(...c.xs.map(refOf)),
        })
        expectTensor(`${what} (tangent)`, dy, want)
      } else check(what, out, want)
    })
  })

  test('vjp: the pullback of a matching cotangent gives the closed form; a spoiled one an error', () => {
    props(transformCase, 600, (c: Case) => {
      const lin = c.fn.ref(c.xs)
      const what = `vjp ${c.fn.name} ${c.xs.map(show)} cotangent ${c.spoil ?? 'matching'}`
      const traced = attempt(what, () => D.vjp(c.fn.f, ...(c.xs.map(build) as Tensor[])))
      if (!('out' in lin)) return check(what, traced, lin)
      if (!traced.ok) throw new Error(`${what}: threw ${traced.error.message}`)
      const [y, pullback] = traced.value as [Tensor, D.Pullback]
      expectTensor(`${what} (output)`, y, {
        value: lin.out,
        tol: linTol(c.xs),
        scale: scaleOf(...c.xs.map(refOf)),
      })
      let ct: unknown = build(c.ct)
      let want: Expect
      const outShape = lin.out.shape
      if (c.spoil === 'junk') {
        ct = c.junk.value
        want = { error: [ValueError, ShapeError] }
      } else if (c.spoil === 'nest' || c.spoil === 'count') {
        ct = [ct]
        want = { error: ShapeError }
      } else if (c.spoil === 'dtype') {
        ct = D.cast(ct as Tensor, c.ct.dtype === 'float32' ? 'float64' : 'float32')
        want = { error: DTypeError }
      } else if (c.spoil === 'backend') {
        const backend = c.ct.backend === 'cpu' ? otherBackend : 'cpu'
        ct = D.tensor(Float64Array.from(c.ct.data), { shape: outShape, dtype: c.ct.dtype, backend })
        want = { error: BackendError }
      } else if (c.spoil === 'shape') {
        ct = D.reshape(ct as Tensor, [...outShape, 1])
        want = { error: ShapeError }
      } else want = either
      const out = attempt(`${what} pullback`, () => pullback(ct as never))
      if (!('either' in want)) return check(`${what} pullback`, out, want)
      if (!out.ok) throw new Error(`${what} pullback: threw ${out.error.message}`)
      const gs = out.value as Tensor[]
      const refs = lin.vjp(refOf(c.ct))
      expect(gs.length).toBe(c.xs.length)
      gs.forEach((g, i) =>
        expectTensor(`${what} cotangent ${i}`, g, {
          value: refs[i]!,
          tol: linTol(c.xs),
          scale: scaleOf(...c.xs.map(refOf), refOf(c.ct)),
        }),
      )
    })
  })

  test('grad and valueAndGrad: options, argnums and non-scalar outputs', () => {
    const options = fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 3 },
      {
        arbitrary: fc.record(
          {
            argnums: fc.oneof(
              fc.integer({ min: -3, max: 2 }),
              fc.array(fc.integer({ min: -2, max: 2 }), { maxLength: 2 }),
              fc.constantFrom<unknown>('0', null, 1.5),
            ),
          },
          { requiredKeys: [] },
        ),
        weight: 3,
      },
      { arbitrary: fc.constantFrom<unknown>(null, 'x', 3, [0]), weight: 1 },
    )
    props(
      fc.tuple(transformCase, options, fc.boolean()),
      500,
      ([c, opts, withValue]: [Case, unknown, boolean]) => {
        const name = withValue ? 'valueAndGrad' : 'grad'
        const what = `${name} ${c.fn.name} ${c.xs.map(show)} ${text(opts)}`
        const made = attempt(what, () =>
          withValue ? D.valueAndGrad(c.fn.f, opts as D.GradOptions) : D.grad(c.fn.f, opts as D.GradOptions),
        )
        const optsBad =
          opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))
        if (optsBad) return check(what, made, { error: ValueError })
        if (!made.ok) throw new Error(`${what}: threw ${made.error.message}`)
        const argnums = (opts as { argnums?: unknown } | undefined)?.argnums
        const n = c.xs.length
        const list =
          argnums === undefined
            ? [0]
            : typeof argnums === 'number'
              ? [argnums]
              : Array.isArray(argnums)
                ? argnums
                : null
        const out = attempt(what, () => (made.value as (...a: unknown[]) => unknown)(...c.xs.map(build)))
        if (
          list === null ||
          list.length === 0 ||
          list.some((a) => !Number.isInteger(a) || a < -n || a >= n)
        ) {
          return check(what, out, { error: ValueError })
        }
        const lin = c.fn.ref(c.xs)
        if (!('out' in lin)) return check(what, out, lin)
        if (lin.out.shape.length !== 0) return check(what, out, { error: ShapeError })
        if (!out.ok) throw new Error(`${what}: threw ${out.error.message}`)
        const gs = lin.vjp(scalarRef(1))
        const value = withValue ? (out.value as unknown[])[1] : out.value
        const got = typeof argnums === 'number' || argnums === undefined ? [value] : (value as unknown[])
        const idx = list.map((a) => (a < 0 ? a + n : a))
        got.forEach((g, i) =>
          expectTensor(`${what} gradient ${i}`, g, {
            value: gs[idx[i]!]!,
            tol: linTol(c.xs),
            scale: scaleOf(...c.xs.map(refOf)),
          }),
        )
      },
    )
  })

  test('an escaped tracer is a TransformError naming the op', () => {
    let leaked: Tensor | null = null
    D.grad((x: Tensor) => ((leaked = x), D.sum(x)))(D.tensor([1, 2]))
    run('sin(escaped tracer)', () => D.sin(leaked!), { error: TransformError })
    D.jvp((x: Tensor) => ((leaked = D.mul(x, 2)), x), [D.tensor(1)], [D.tensor(1)])
    run('add(escaped dual)', () => D.add(leaked!, 1), { error: TransformError })
  })

  test('elementwiseGrad, vjpWithAux and hasAux', () => {
    run('elementwiseGrad(3)', () => D.elementwiseGrad(3 as never), { error: ValueError })
    run('elementwiseGrad(sin)(junk)', () => D.elementwiseGrad(D.sin)('x' as never), { error: ValueError })
    // wrong uses that TypeScript refuses, checked at run time for JavaScript callers
    // @ts-expect-error: f returns no [output, aux]
    run('vjpWithAux without aux', () => D.vjpWithAux((x: Tensor) => x, D.tensor(1)), {
      error: ValueError,
    })
    // @ts-expect-error: f returns no [output, aux]
    run('grad hasAux without aux', () => D.grad((x: Tensor) => D.sum(x), { hasAux: true })(D.tensor([1])), {
      error: ValueError,
    })
    // @ts-expect-error: f returns no [output, aux]
    run('jvp hasAux without aux', () => D.jvp(D.sin, [D.tensor(1)], [D.tensor(1)], { hasAux: true }), {
      error: ValueError,
    })
    // @ts-expect-error: options must be an object
    run('jvp options null', () => D.jvp(D.sin, [D.tensor(1)], [D.tensor(1)], null), {
      error: ValueError,
    })
    run('jvp primals not an array', () => D.jvp(D.sin, D.tensor(1) as never, [D.tensor(1)]), {
      error: ValueError,
    })
    run('jvp batched scalar tangent', () => D.jvp(D.sin, [D.tensor(1)], [D.tensor(1)], { batched: true }), {
      error: ShapeError,
    })
    run(
      'jvp batched sizes differ',
      () => D.jvp(D.mul, [D.tensor(1), D.tensor(1)], [D.ones([2]), D.ones([3])], { batched: true }),
      { error: ShapeError },
    )
    run('grad of a function', () => D.grad(3 as never), { error: ValueError })
    // @ts-expect-error: f must return a Tensor
    run('grad returns a string', () => D.grad((_x: Tensor) => 'x')(D.tensor(1)), anyError)
  })
})

// ---------------------------------------------------------------------------------------------
// Jacobians
// ---------------------------------------------------------------------------------------------

/** The reference Jacobian [...out, ...in] of a one-argument pool function, column by column. */
function jacobianRef(lin: Lin, x: TSpec): R.Ref {
  const n = x.data.length
  const m = R.sizeOf(lin.out.shape)
  const data = new Array<number>(m * n).fill(0)
  for (let j = 0; j < n; j++) {
    const e = { shape: x.shape, data: x.data.map((_, k) => +(k === j)) }
    lin.jvp([e]).data.forEach((v, i) => (data[i * n + j] = v))
  }
  return { shape: [...lin.out.shape, ...x.shape], data }
}

describe('Jacobians', () => {
  const single = pool.filter((p) => p.arity === 1)
  const jopts = fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 4 },
    {
      arbitrary: fc.record(
        { argnums: fc.constantFrom<unknown>(0, -1, 1, [0], 'a', null), batched: fc.boolean() },
        { requiredKeys: [] },
      ),
      weight: 2,
    },
    { arbitrary: fc.constantFrom<unknown>(null, 4), weight: 1 },
  )

  test('jacfwd, jacrev and jacobian agree with the closed form, for every shape', () => {
    props(
      fc.tuple(
        fc.constantFrom(...single),
        args(tensors({ special: false })),
        jopts,
        fc.constantFrom('jacfwd', 'jacrev', 'jacobian'),
      ),
      400,
      ([fn, x, opts, name]: [PoolFn, Arg, unknown, 'jacfwd' | 'jacrev' | 'jacobian']) => {
        const what = `${name} ${fn.name} ${show(x)} ${text(opts)}`
        const jac = () =>
          name === 'jacfwd'
            ? D.jacfwd(fn.f, opts as D.JacfwdOptions)
            : name === 'jacrev'
              ? D.jacrev(fn.f, opts as D.JacobianOptions)
              : D.jacobian(fn.f, opts as D.JacobianOptions)
        const out = attempt(what, () => jac()(build(x) as Tensor))
        const o = opts as { argnums?: unknown } | null | undefined
        const bad = opts !== undefined && (opts === null || typeof opts !== 'object')
        const a = o?.argnums
        const aBad =
          a !== undefined && a !== 0 && a !== -1 && !(Array.isArray(a) && a.length === 1 && a[0] === 0)
        // batched is jacfwd's option (jacobian passes it on); jacrev has none such
        const unknownKey = name === 'jacrev' && o !== null && typeof o === 'object' && 'batched' in o
        if (bad || aBad || unknownKey) return check(what, out, { error: ValueError })
        const got = out.ok && Array.isArray(a) ? (out.value as unknown[])[0] : out.ok ? out.value : undefined
        if (x.kind !== 'tensor') {
          // a tree with no tensor (null, [], {}) is a tree: the identity's Jacobian is the same empty tree
          const v = x.value
          const empty =
            v === null ||
            v === undefined ||
            (Array.isArray(v) && v.length === 0 && Object.keys(v).length === 0) ||
            (typeof v === 'object' &&
              Object.getPrototypeOf(v) === Object.prototype &&
              Object.keys(v).length === 0)
          if (!empty || !out.ok) return check(what, out, { error: ValueError })
          expect(got, what).toEqual(v)
          return
        }
        if (!out.ok) throw new Error(`${what}: threw ${out.error.message}`)
        const J = jacobianRef(fn.ref([x]) as Lin, x)
        expectTensor(what, got, { value: J, tol: linTol([x]), scale: scaleOf(refOf(x)) })
      },
    )
  })

  test('hessian and hvp of scalar functions; non-scalar functions are errors naming them', () => {
    const cube = pool.find((p) => p.name === 'sum(x²·x)')!
    props(
      fc.tuple(args(tensors({ special: false, mixed: 0 })), args(tensors({ special: false, mixed: 0 }))),
      200,
      ([x, v]: [Arg, Arg]) => {
        const what = `hessian sum(x³) ${show(x)}`
        const h = attempt(what, () => D.hessian(cube.f)(build(x) as Tensor))
        if (x.kind !== 'tensor') return check(what, h, { error: ValueError })
        const n = x.data.length
        // ∂²Σx³/∂xᵢ∂xⱼ = 6xᵢ [i = j]
        const H = {
          shape: [...x.shape, ...x.shape],
          data: Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 6 * x.data[k / (n + 1)]! : 0)),
        }
        check(what, h, { value: H, tol: 1e-12 })
        const hv = attempt(`hvp ${show(x)} ${show(v)}`, () =>
          D.hvp(cube.f)(build(x) as Tensor, build(v) as Tensor),
        )
        if (v.kind !== 'tensor') return check('hvp', hv, { error: ValueError })
        if (v.shape.join() !== x.shape.join()) return check('hvp', hv, { error: ShapeError })
        check('hvp', hv, {
          value: { shape: x.shape, data: x.data.map((xi, i) => 6 * xi * v.data[i]!) },
          tol: 1e-12,
          scale: scaleOf(refOf(x), refOf(v)),
        })
        if (x.shape.length > 0 && x.data.length > 1) {
          run(`hessian sin ${show(x)}`, () => D.hessian(D.sin)(build(x) as Tensor), { error: ShapeError })
          run(`hvp sin ${show(x)}`, () => D.hvp(D.sin)(build(x) as Tensor, build(x) as Tensor), {
            error: ShapeError,
          })
        }
      },
    )
    run('hessian(3)', () => D.hessian(3 as never), { error: ValueError })
    run('hvp(3)', () => D.hvp(3 as never), { error: ValueError })
    run('jacobian(3)', () => D.jacobian(3 as never), { error: ValueError })
  })

  test('sparse Jacobians and Hessians, sparsity patterns and traced chains', () => {
    const sopts = fc.oneof(
      fc.constant(undefined),
      fc.record(
        { mode: fc.constantFrom<unknown>('fwd', 'rev', 'auto', 'sideways'), local: fc.boolean() },
        { requiredKeys: [] },
      ),
    )
    const elementwise = [D.sin, D.relu, (x: Tensor) => D.mul(x, 2), (x: Tensor) => D.sum(D.mul(x, x))]
    props(
      fc.tuple(
        fc.constantFrom(...single),
        args(tensors({ special: false, mixed: 0 })),
        sopts,
        fc.array(
          fc.oneof(
            fc.constantFrom(...elementwise),
            junk.map((j) => j.value),
          ),
          { maxLength: 3 },
        ),
      ),
      80,
      ([fn, x, opts, layers]: [PoolFn, Arg, unknown, unknown[]]) => {
        const mode = (opts as { mode?: unknown } | undefined)?.mode
        const what = `sparseJacobian ${fn.name} ${show(x)} ${text(opts)}`
        const out = attempt(what, () => Sp.sparseJacobian(fn.f, opts as never)(build(x) as Tensor))
        if (mode === 'sideways' || x.kind !== 'tensor') check(what, out, anyError)
        else {
          if (!out.ok) throw new Error(`${what}: threw ${out.error.message}`)
          const J = jacobianRef(fn.ref([x]) as Lin, x)
          const dense = (out.value as Sp.SparseJacobianResult).matrix.toDense().flat()
          const bad = R.mismatch(dense, J.data as number[], 1e-12, scaleOf(refOf(x)))
          if (bad !== null) throw new Error(`${what}: ${bad}`)
        }
        run(
          `jacobianSparsity ${fn.name} ${show(x)}`,
          () => Sp.jacobianSparsity(fn.f, build(x) as Tensor),
          x.kind === 'tensor' ? either : { error: ValueError },
        )
        if (fn.scalar) {
          const hs = attempt(`sparseHessian ${fn.name} ${show(x)}`, () =>
            Sp.sparseHessian(fn.f, opts as never)(build(x) as Tensor),
          )
          check('sparseHessian', hs, x.kind === 'tensor' ? either : anyError)
        }
        const chainWant: Expect =
          layers.length === 0 || x.kind !== 'tensor' || layers.some((l) => typeof l !== 'function')
            ? { error: ValueError }
            : either
        run(
          `traceChain ${layers.length} layers ${show(x)}`,
          () => La.traceChain(layers as La.Layer[], build(x) as Tensor),
          chainWant,
        )
        run(
          `operatorChain ${layers.length} layers ${show(x)}`,
          () => La.operatorChain(layers as La.Layer[], build(x) as Tensor),
          chainWant,
        )
        run(
          `localJacobian ${fn.name} ${show(x)}`,
          () => La.localJacobian(fn.f, build(x) as Tensor),
          x.kind === 'tensor' ? either : { error: ValueError },
        )
      },
    )
    run('countFlops(3)', () => La.countFlops(3 as never), { error: ValueError })
    run('withNanCheck(3)', () => D.withNanCheck(3 as never), { error: ValueError })
  })
})

// ---------------------------------------------------------------------------------------------
// Checking derivatives
// ---------------------------------------------------------------------------------------------

describe('checking derivatives', () => {
  test('checkGrads, assertGrads, fdJvp and fdJacobian: a report or an error naming them', () => {
    const copts = fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 3 },
      {
        arbitrary: fc.record(
          {
            order: fc.constantFrom<unknown>(1, 2, 0, 3, 'x'),
            atol: fc.constantFrom<unknown>(1e-6, -1, NaN, 'x'),
            eps: fc.constantFrom<unknown>(1e-3, 0, -1, Infinity),
            modes: fc.constantFrom<unknown>(['fwd'], ['rev'], ['sideways'], 'fwd', []),
            seed: fc.constantFrom<unknown>(1, 1.5, 'x'),
          },
          { requiredKeys: [] },
        ),
        weight: 3,
      },
      { arbitrary: fc.constantFrom<unknown>(null, 3, 'x'), weight: 1 },
    )
    props(
      fc.tuple(
        fc.constantFrom(...pool),
        fc.array(args(tensors({ special: false, mixed: 2 })), { minLength: 1, maxLength: 2 }),
        copts,
      ),
      40,
      ([fn, xs, opts]: [PoolFn, Arg[], unknown]) => {
        const list = xs.map(build) as Tensor[]
        const what = `checkGrads ${fn.name} ${xs.map(show)} ${text(opts)}`
        const r = attempt(what, () => Ck.checkGrads(fn.f, list, opts as never))
        const valid =
          opts === undefined &&
          xs.length === fn.arity &&
          xs.every((x) => x.kind === 'tensor' && x.dtype === 'float64' && x.backend === 'cpu')
        if (valid && 'out' in fn.ref(xs as TSpec[])) {
          if (!r.ok) throw new Error(`${what}: threw ${r.error.message}`)
          expect((r.value as { _tag: string })._tag).toBe('Right')
        }
        attempt(`assertGrads ${what}`, () => Ck.assertGrads(fn.f, list, opts as never))
        attempt(`fdJvp ${what}`, () => Ck.fdJvp(fn.f, list, list, opts as never))
        attempt(`fdJacobian ${what}`, () => Ck.fdJacobian(fn.f, list, opts as never))
      },
    )
  })
})
