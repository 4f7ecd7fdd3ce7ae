import * as E from 'fp-ts/lib/Either.js'
import type { DType, FloatDType } from '../core/dtype.js'
import { ValueError } from '../core/errors.js'
import { Rng, checkSeed } from '../core/random.js'
import { type Shape, sizeOf } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import { jvp } from '../forward/jvp.js'
import { concat, reshape, cast } from '../ops/shape.js'
import { vjp } from '../reverse/vjp.js'
import { type FdOptions, fdDefaults, fdJacobian, fdJvp } from './fd.js'
import { jacobianFwd, jacobianRev, jvpData, pullbackData } from './jacobian.js'
import {
  type CheckEntry,
  type CheckKind,
  type CheckReport,
  type CheckSummary,
  GradCheckError,
  type Mode,
  checkName,
} from './report.js'
import {
  type TensorFn,
  absDot,
  anyFloat32,
  callChecked,
  checkArgs,
  checkNonNegative,
  checkPositive,
  dot,
  fromLike,
  fromShape,
  normals,
  read,
  unravel,
} from './util.js'

// ---------------------------------------------------------------------------------------------
// checkGrads: the derivatives of f from both modes against finite differences, and the two
// modes against each other through the adjoint identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩. At order 2 the
// same checks run on the derivative functions x ↦ J(x) v (fwd) and x ↦ J(x)ᵀu (rev).
// ---------------------------------------------------------------------------------------------

/**
 * Options of `checkGrads` and `assertGrads`.
 *
 * @example
 * import { checkGrads, type CheckGradsOptions } from 'dualtape/check'
 * import { tanh, tensor } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * const options: CheckGradsOptions = { order: 2, modes: ['rev'], atol: 1e-8, rtol: 1e-6, seed: 3 }
 * E.isRight(checkGrads(tanh, [tensor([0.5, -1])], options)) // → true
 */
export interface CheckGradsOptions extends FdOptions {
  /** 1: first derivatives; 2: also the derivatives of the JVP and VJP functions. Default 1. */
  readonly order?: 1 | 2
  /** Which modes to check; the adjoint test runs when both are present. Default ['fwd', 'rev']. */
  readonly modes?: readonly Mode[]
  /** Absolute tolerance. Default 1e-6 (float64), 2e-3 (float32). */
  readonly atol?: number
  /** Relative tolerance, against the magnitude of the numeric value. Default 1e-5 (float64), 2e-3 (float32). */
  readonly rtol?: number
  /** Seeds the random directions u and v: a safe integer, all of whose bits count. Default 0. */
  readonly seed?: number
  /** Compare random projections uᵀ J v instead of full Jacobians (PyTorch's fast mode). Default false. */
  readonly fast?: boolean
}

/**
 * Default tolerances per precision (overridden by the `atol` and `rtol` options).
 *
 * @example
 * import { defaultTolerances } from 'dualtape/check'
 * defaultTolerances.float32 // { atol: 2e-3, rtol: 2e-3 }
 */
export const defaultTolerances: {
  readonly [K in FloatDType]: { readonly atol: number; readonly rtol: number }
} = {
  float64: { atol: 1e-6, rtol: 1e-5 },
  float32: { atol: 2e-3, rtol: 2e-3 },
}

interface Settings {
  readonly atol: number
  readonly rtol: number
  readonly fd: Required<FdOptions>
  readonly fast: boolean
  readonly modes: readonly Mode[]
  readonly order: 1 | 2
  readonly seed: number
}

/** Describes output element k of a function: its multi-index and a readable form. */
type OutputNamer = (k: number) => { readonly index: readonly number[]; readonly where: string }

const outputOf =
  (shape: Shape): OutputNamer =>
  (k) => {
    const index = unravel(k, shape)
    return { index, where: `output [${index.join(', ')}]` }
  }

/** Names element k of the concatenated cotangents of arguments with the given shapes. */
const cotangentOf =
  (shapes: readonly Shape[]): OutputNamer =>
  (k) => {
    let rest = k
    for (let a = 0; a < shapes.length; a++) {
      const n = sizeOf(shapes[a]!)
      if (rest < n) {
        const index = unravel(rest, shapes[a]!)
        return { index: [a, ...index], where: `cotangent of argument ${a} at [${index.join(', ')}]` }
      }
      rest -= n
    }
    return { index: [k], where: `cotangent element ${k}` }
  }

/** Builds an entry: passes when the error bar is within the tolerance and |diff| ≤ tolerance + error bar. */
function entry(
  s: Settings,
  base: Pick<CheckEntry, 'check' | 'fn' | 'argument' | 'input' | 'output' | 'where'>,
  analytic: number,
  numeric: number,
  errorBar: number,
  scale: number,
): CheckEntry {
  const tolerance = s.atol + s.rtol * scale
  const diff = Math.abs(analytic - numeric)
  const inconclusive = !(errorBar <= tolerance)
  const passed = !inconclusive && diff <= tolerance + errorBar
  const raw = inconclusive ? tolerance - errorBar : tolerance + errorBar - diff
  const margin = Number.isNaN(raw) ? -Infinity : raw
  return { ...base, analytic, numeric, errorBar, tolerance, margin, passed, inconclusive }
}

/** All entries of one function's checks, by check. */
type Entries = Map<CheckKind, CheckEntry[]>

function push(out: Entries, e: CheckEntry): void {
  const list = out.get(e.check) ?? []
  list.push(e)
  out.set(e.check, list)
}

/** The first-order checks of one function `f` at `args`, in the settings' modes. */
function checkFunction(
  s: Settings,
  rng: Rng,
  fn: string,
  f: TensorFn,
  args: readonly Tensor[],
  nameOut: OutputNamer,
): Entries {
  const out: Entries = new Map()
  const y = callChecked('checkGrads', f, args)
  const m = y.size
  const fwd = s.modes.includes('fwd')
  const rev = s.modes.includes('rev')
  // random directions, rounded once to the arguments' dtypes so that every use sees the same numbers
  const v = args.map((a) => read(fromLike(a, normals(rng, a.size))))
  const u = read(fromShape(y, normals(rng, m), y.shape))
  const vT = args.map((a, i) => fromLike(a, v[i]!))
  let jv: Float64Array | null = null
  let jtu: Float64Array[] | null = null
  const getJv = (): Float64Array => (jv ??= jvpData(f, args, v))
  const getJtu = (): Float64Array[] => (jtu ??= pullbackData(f, args)(u))

  if (s.fast) {
    // uᵀ J v against uᵀ (finite-difference J v)
    const est = fdJvp(f, args, vT, s.fd)
    const numeric = dot(u, est.value)
    const errorBar = absDot(u, est.error)
    const scale = absDot(u, est.value)
    const base = { fn, argument: null, input: null, output: null, where: 'projection uᵀ J v' }
    if (fwd) push(out, entry(s, { ...base, check: 'jvp-fd' }, dot(u, getJv()), numeric, errorBar, scale))
    if (rev) {
      const analytic = getJtu().reduce((acc, g, a) => acc + dot(g, v[a]!), 0)
      push(
        out,
        entry(
          s,
          { ...base, check: 'vjp-fd', where: 'projection (Jᵀu)ᵀ v' },
          analytic,
          numeric,
          errorBar,
          scale,
        ),
      )
    }
  } else if (fwd || rev) {
    const fdJ = fdJacobian(f, args, s.fd)
    const blocks: [CheckKind, Float64Array[]][] = []
    if (fwd) blocks.push(['jvp-fd', jacobianFwd(f, args, m)])
    if (rev) blocks.push(['vjp-fd', jacobianRev(f, args, m)])
    for (const [check, J] of blocks) {
      args.forEach((a, ai) => {
        const n = a.size
        const num = fdJ[ai]!
        for (let i = 0; i < m; i++) {
          const o = nameOut(i)
          for (let j = 0; j < n; j++) {
            const input = unravel(j, a.shape)
            const k = i * n + j
            const where = `argument ${ai} at [${input.join(', ')}] → ${o.where}`
            const base = { check, fn, argument: ai, input, output: o.index, where }
            push(out, entry(s, base, J[ai]![k]!, num.value[k]!, num.error[k]!, Math.abs(num.value[k]!)))
          }
        }
      })
    }
  }

  if (fwd && rev) {
    // ⟨u, J v⟩ = ⟨Jᵀu, v⟩: exact in both modes, so only rounding separates the two sides
    const jvv = getJv()
    const g = getJtu()
    const left = dot(u, jvv)
    const right = g.reduce((acc, ga, a) => acc + dot(ga, v[a]!), 0)
    const scale = Math.max(
      absDot(u, jvv),
      g.reduce((acc, ga, a) => acc + absDot(ga, v[a]!), 0),
    )
    const base = {
      check: 'adjoint' as const,
      fn,
      argument: null,
      input: null,
      output: null,
      where: 'random u, v',
    }
    push(out, entry(s, base, left, right, 0, scale))
  }
  return out
}

/** The derivative functions checked at order 2: x ↦ J(x) v and x ↦ J(x)ᵀ u, for fixed random u, v. */
function derivativeFns(
  rng: Rng,
  fn: string,
  f: TensorFn,
  args: readonly Tensor[],
  modes: readonly Mode[],
): [string, TensorFn, OutputNamer][] {
  const y = callChecked('checkGrads', f, args)
  const out: [string, TensorFn, OutputNamer][] = []
  if (modes.includes('fwd')) {
    const vT = args.map((a) => fromLike(a, normals(rng, a.size)))
    const jvpFn: TensorFn = (...xs) => (jvp(f, xs, vT) as [Tensor, Tensor])[1]
    out.push([`JVP of ${fn}`, jvpFn, outputOf(y.shape)])
  }
  if (modes.includes('rev')) {
    const uT = fromShape(y, normals(rng, y.size), y.shape)
    const vjpFn: TensorFn = (...xs) => {
      const [, pb] = vjp(f, ...xs) as [Tensor, (ct: unknown) => unknown[]]
      return concat((pb(uT) as Tensor[]).map((g) => reshape(g, [-1])))
    }
    out.push([`VJP of ${fn}`, vjpFn, cotangentOf(args.map((a) => a.shape))])
  }
  return out
}

function summarise(all: [string, Entries][]): { checks: CheckSummary[]; failures: CheckEntry[] } {
  const checks: CheckSummary[] = []
  const failures: CheckEntry[] = []
  for (const [fn, entries] of all) {
    for (const [check, list] of entries) {
      let worst: CheckEntry | null = null
      const failed = list.filter((e) => !e.passed)
      for (const e of list) if (worst === null || e.margin < worst.margin) worst = e
      checks.push({
        check,
        fn,
        name: checkName(check, fn),
        compared: list.length,
        failed: failed.length,
        worst,
      })
      failures.push(...[...failed].sort((a, b) => a.margin - b.margin).slice(0, 10))
    }
  }
  failures.sort((a, b) => a.margin - b.margin)
  return { checks, failures }
}

function run(f: TensorFn, args: readonly Tensor[], s: Settings, dtype: DType, notes: string[]): CheckReport {
  const rng = new Rng(s.seed)
  const all: [string, Entries][] = []
  const y = callChecked('checkGrads', f, args)
  all.push(['f', checkFunction(s, rng, 'f', f, args, outputOf(y.shape))])
  if (s.order === 2) {
    for (const [fn, g, namer] of derivativeFns(rng, 'f', f, args, s.modes)) {
      all.push([fn, checkFunction(s, rng, fn, g, args, namer)])
    }
  }
  const { checks, failures } = summarise(all)
  return {
    ok: failures.length === 0,
    dtype,
    order: s.order,
    modes: s.modes,
    fast: s.fast,
    seed: s.seed,
    atol: s.atol,
    rtol: s.rtol,
    eps: s.fd.eps,
    levels: s.fd.levels,
    checks,
    failures,
    notes,
  }
}

function settings(options: CheckGradsOptions, dtype: FloatDType): Settings {
  const tol = defaultTolerances[dtype]
  return {
    atol: options.atol ?? tol.atol,
    rtol: options.rtol ?? tol.rtol,
    fd: { eps: options.eps ?? fdDefaults(dtype).eps, levels: options.levels ?? fdDefaults(dtype).levels },
    fast: options.fast === true,
    modes: options.modes ?? ['fwd', 'rev'],
    order: options.order ?? 1,
    seed: options.seed ?? 0,
  }
}

function validate(f: unknown, args: unknown, o: CheckGradsOptions): void {
  if (typeof f !== 'function') throw new ValueError(`checkGrads: f must be a function, got ${typeof f}`)
  checkArgs('checkGrads', args)
  if (typeof o !== 'object' || o === null) throw new ValueError('checkGrads: options must be an object')
  checkNonNegative('checkGrads', 'atol', o.atol)
  checkNonNegative('checkGrads', 'rtol', o.rtol)
  checkPositive('checkGrads', 'eps', o.eps)
  if (o.levels !== undefined && (!Number.isInteger(o.levels) || o.levels < 2)) {
    throw new ValueError(`checkGrads: levels must be an integer ≥ 2, got ${String(o.levels)}`)
  }
  if (o.order !== undefined && o.order !== 1 && o.order !== 2) {
    throw new ValueError(`checkGrads: order must be 1 or 2, got ${String(o.order)}`)
  }
  if (o.modes !== undefined) {
    if (
      !Array.isArray(o.modes) ||
      o.modes.length === 0 ||
      !o.modes.every((m) => m === 'fwd' || m === 'rev')
    ) {
      throw new ValueError(
        `checkGrads: modes must be a non-empty list of 'fwd' and 'rev', got ${JSON.stringify(o.modes)}`,
      )
    }
  }
  if (o.seed !== undefined) checkSeed('checkGrads', o.seed)
}

/**
 * Checks the derivatives of `f` at `args` (JAX's `check_grads`, PyTorch's `gradcheck`):
 * - fwd: the JVP against finite differences (Richardson-extrapolated central differences);
 * - rev: the VJP against finite differences;
 * - both: the adjoint identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩ between the modes;
 * - order 2: the same checks on x ↦ J(x) v and x ↦ J(x)ᵀ u (e.g. the JVP of the VJP).
 * Full Jacobians are compared entry by entry unless `fast` (random projections uᵀ J v).
 *
 * Returns `right(report)` when every check passes and `left(report)` otherwise. With float32
 * inputs the comparison uses float32 tolerances and is repeated on inputs cast to float64 where
 * f accepts them (`report.float64`).
 *
 * @example
 * import { checkGrads, formatReport } from 'dualtape/check'
 * import { tensor, mul, sin } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * const r = checkGrads((x) => mul(sin(x), x), [tensor([0.5, 1.5])], { order: 2 })
 * E.isRight(r) // true
 * console.log(formatReport(E.isRight(r) ? r.right : r.left))
 */
export function checkGrads(
  f: TensorFn,
  args: readonly Tensor[],
  options: CheckGradsOptions = {},
): E.Either<CheckReport, CheckReport> {
  validate(f, args, options)
  const y = callChecked('checkGrads', f, args)
  const inputs32 = anyFloat32(args)
  const dtype: FloatDType = inputs32 || y.dtype === 'float32' ? 'float32' : 'float64'
  const notes: string[] = []
  let float64: CheckReport | undefined
  if (dtype === 'float32') {
    const t = defaultTolerances.float32
    notes.push(
      inputs32
        ? `float32 inputs: compared at float32 tolerances (default atol ${t.atol}, rtol ${t.rtol}) and re-checked in float64`
        : `f returns float32: compared at float32 tolerances (default atol ${t.atol}, rtol ${t.rtol})`,
    )
    if (inputs32) {
      try {
        const args64 = args.map((a) => cast(a, 'float64'))
        const y64 = callChecked('checkGrads', f, args64)
        if (y64.dtype === 'float32') {
          notes.push('no float64 re-check: f returns float32 for float64 inputs')
        } else {
          float64 = run(f, args64, settings(options, 'float64'), 'float64', [])
        }
      } catch (e) {
        notes.push(`no float64 re-check: f does not accept float64 inputs (${(e as Error).message})`)
      }
    }
  }
  const base = run(f, args, settings(options, dtype), dtype, notes)
  const report: CheckReport = float64 === undefined ? base : { ...base, ok: base.ok && float64.ok, float64 }
  return report.ok ? E.right(report) : E.left(report)
}

/**
 * `checkGrads` for tests: returns the report when every check passes, and otherwise throws a
 * `GradCheckError` whose message is the formatted report.
 *
 * @example
 * import { assertGrads } from 'dualtape/check'
 * import { tensor, tanh } from 'dualtape'
 * assertGrads(tanh, [tensor([[0.1, -0.4], [0.7, 1.2]])], { order: 2 })
 */
export function assertGrads(
  f: TensorFn,
  args: readonly Tensor[],
  options: CheckGradsOptions = {},
): CheckReport {
  const r = checkGrads(f, args, options)
  if (E.isLeft(r)) throw new GradCheckError(r.left)
  return r.right
}
