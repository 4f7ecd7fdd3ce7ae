/**
 * Scalar dual numbers against plain numbers. Each workload is written twice: once on plain
 * numbers, as one would write it without derivatives, and once against the numeric algebra,
 * differentiated with `derivative` (first-order duals over numbers). The two are separate
 * functions so that the JIT specialises each on its own number type. Plain and dual runs
 * alternate within each repeat; the reported times are medians over the repeats, taken after
 * a warm-up of at least 400 ms (150 ms quick), in CPU time per evaluation.
 *
 * The 1,000-term polynomial appears four times, against the same plain Horner loop:
 * - through `N.polyval`, the algebra's fused Horner loop (one dual built per evaluation);
 * - written with `N.add` and `N.mul`, one immutable dual per term;
 * - the same, in a function that is also run on plain numbers (`f(NumberField)`) in the
 *   same process, as code written once for every algebra is: V8 shares the type feedback of
 *   one function literal between all its closures, so the call sites turn polymorphic;
 * - Horner on duals written inline, one `{ re, du, tag }` object per term and no algebra: the
 *   cost of the one allocation per term that a loop-carried immutable dual needs, against
 *   which the algebra's own overhead can be read.
 *
 * Run with `npx tsx bench/scalar-duals.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url'
import { derivative, NumberField, valueAndDerivative, type NumericFn } from '../src/forward/scalar/index.js'

// -------------------------------------------------------------------------------------
// workloads
// -------------------------------------------------------------------------------------

/**
 * The workloads: `polyval` and `transcendental` are the two of the targets (dual ÷ plain ≤ 3);
 * the `horner` rows are the same polynomial written with add and mul.
 *
 * @example
 * import { benchScalarDuals, type ScalarDualKey } from './scalar-duals.js'
 * const key: ScalarDualKey = 'polyval'
 * const rows = await benchScalarDuals({ quick: true })
 * console.log(rows.some((r) => r.key === key)) // true
 */
export type ScalarDualKey = 'polyval' | 'transcendental' | 'horner' | 'horner-shared' | 'horner-inline'

interface Workload {
  readonly key: ScalarDualKey
  readonly name: string
  /** the function on plain numbers */
  readonly plain: (x: number) => number
  /** the same function against the algebra */
  readonly f: NumericFn
  /** its derivative, `derivative(f)` unless given */
  readonly dual?: (x: number) => number
  /** evaluations per timed sample */
  readonly calls: number
}

const hornerCoefficients = (): number[] => Array.from({ length: 1000 }, (_, i) => Math.cos(i) / (i + 1))

// p(x) = Σᵢ cᵢ x^(n-1-i) by Horner's rule: n multiplications and n additions
const hornerPlain =
  (cs: readonly number[]) =>
  (x: number): number => {
    let acc = 0
    for (let i = 0; i < cs.length; i++) acc = acc * x + (cs[i] as number)
    return acc
  }

const hornerAlgebra =
  (cs: readonly number[]): NumericFn =>
  (N) =>
  (x) => {
    let acc = N.zero
    for (let i = 0; i < cs.length; i++) acc = N.add(N.mul(acc, x), N.fromNumber(cs[i] as number))
    return acc
  }

const hornerWorkload = (): Workload => {
  const cs = hornerCoefficients()
  return {
    key: 'horner',
    name: 'horner by add and mul, 1,000 terms',
    plain: hornerPlain(cs),
    f: hornerAlgebra(cs),
    calls: 200,
  }
}

// the same loop as another literal, so that running it on numbers leaves `hornerAlgebra` alone
const hornerShared =
  (cs: readonly number[]): NumericFn =>
  (N) =>
  (x) => {
    let acc = N.zero
    for (let i = 0; i < cs.length; i++) acc = N.add(N.mul(acc, x), N.fromNumber(cs[i] as number))
    return acc
  }

const hornerSharedWorkload = (): Workload => {
  const cs = hornerCoefficients()
  const f = hornerShared(cs)
  // run on plain numbers first, as a program that evaluates f before differentiating it does
  const onNumbers = f(NumberField)
  let sum = 0
  for (let i = 0; i < 2000; i++) sum += onNumbers(i / 2000)
  if (!Number.isFinite(sum)) throw new Error('benchScalarDuals: non-finite polynomial values')
  return {
    key: 'horner-shared',
    name: 'horner by add and mul, also run on numbers',
    plain: hornerPlain(cs),
    f,
    calls: 200,
  }
}

// the same polynomial through the algebra's fused Horner loop
const polyvalWorkload = (): Workload => {
  const cs = hornerCoefficients()
  return {
    key: 'polyval',
    name: 'polyval, 1,000 terms',
    plain: hornerPlain(cs),
    f: (N) => (x) => N.polyval(cs, x),
    calls: 200,
  }
}

class InlineDual {
  declare readonly re: number
  declare readonly du: number
  declare readonly tag: number
  constructor(re: number, du: number, tag: number) {
    this.re = re
    this.du = du
    this.tag = tag
  }
}

const hornerFloorWorkload = (): Workload => {
  const cs = hornerCoefficients()
  return {
    key: 'horner-inline',
    name: 'horner, duals inline (floor)',
    plain: hornerPlain(cs),
    f: hornerAlgebra(cs),
    // (acc·x + c)′ = acc′·x + acc (x′ = 1), one immutable dual per term
    dual: (x) => {
      let acc = new InlineDual(0, 0, 1)
      for (let i = 0; i < cs.length; i++) {
        acc = new InlineDual(acc.re * x + (cs[i] as number), acc.du * x + acc.re, 1)
      }
      return acc.du
    },
    calls: 200,
  }
}

// twenty operations, every elementary function of the algebra among them
const transcendentalWorkload = (): Workload => ({
  key: 'transcendental',
  name: 'transcendental, 20 ops',
  plain: (x) => {
    const s = Math.sin(x)
    const c = Math.cos(x)
    const d = Math.exp(s * c)
    const f = x * x + 1
    const j = Math.tanh(Math.log(f) / Math.sqrt(f))
    const l = (d + j) * x
    const n = Math.tan(l * 0.1) - s
    const p = n / Math.pow(f, 1.5)
    return Math.exp(-p) + l
  },
  f: (N) => (x) => {
    const s = N.sin(x)
    const c = N.cos(x)
    const d = N.exp(N.mul(s, c))
    const f = N.add(N.mul(x, x), N.one)
    const j = N.tanh(N.div(N.log(f), N.sqrt(f)))
    const l = N.mul(N.add(d, j), x)
    const n = N.sub(N.tan(N.mul(l, N.fromNumber(0.1))), s)
    const p = N.div(n, N.pow(f, 1.5))
    return N.add(N.exp(N.neg(p)), l)
  },
  calls: 20_000,
})

const workloads = (): Workload[] => [
  polyvalWorkload(),
  transcendentalWorkload(),
  hornerWorkload(),
  hornerSharedWorkload(),
  hornerFloorWorkload(),
]

// -------------------------------------------------------------------------------------
// timing
// -------------------------------------------------------------------------------------

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/**
 * Nanoseconds per call of `run` over `calls` points in [0.1, 0.9). The time is the CPU time
 * of this process (user + system), not wall time, so that time slices lost to other processes
 * on a shared machine do not count.
 */
const sample = (run: (x: number) => number, calls: number, sink: { v: number }): number => {
  const t0 = process.cpuUsage()
  let acc = 0
  for (let i = 0; i < calls; i++) acc += run(0.1 + (0.8 * i) / calls)
  const dt = process.cpuUsage(t0)
  sink.v += acc
  return ((dt.user + dt.system) * 1000) / calls
}

/**
 * One row of the table: CPU times in nanoseconds per evaluation, ratio = dual / plain.
 *
 * @example
 * import { benchScalarDuals, type ScalarDualRow } from './scalar-duals.js'
 * const rows: ScalarDualRow[] = await benchScalarDuals({ quick: true })
 * console.log(rows.every((r) => r.ratio === r.dualNs / r.plainNs)) // true
 */
export interface ScalarDualRow {
  key: ScalarDualKey
  name: string
  plainNs: number
  dualNs: number
  ratio: number
}

/**
 * Times every workload on plain numbers and on first-order duals, alternating the two, and
 * returns medians per evaluation. `quick` takes fewer repeats (for CI smoke runs).
 *
 * @example
 * import { benchScalarDuals } from './scalar-duals.js'
 * const rows = await benchScalarDuals({ quick: true })
 * console.log(rows.map((r) => `${r.name}: ${r.ratio.toFixed(2)}×`).join('\n'))
 */
export async function benchScalarDuals(opts: { quick: boolean }): Promise<ScalarDualRow[]> {
  const repeats = opts.quick ? 7 : 31
  // at least this many rounds and this much CPU time before timing: the optimizing compiler
  // takes a few thousand calls to settle on a loop this long
  const warmup = opts.quick ? 5 : 15
  const warmupNs = (opts.quick ? 150 : 400) * 1e6
  const sink = { v: 0 }
  const rows: ScalarDualRow[] = []
  for (const w of workloads()) {
    const plain = w.plain
    const dual = w.dual ?? derivative(w.f)
    // the forms compute the same function and the same derivative
    const [value, slope] = valueAndDerivative(w.f)(0.5)
    const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b))
    if (!close(plain(0.5), value) || !close(dual(0.5), slope)) {
      throw new Error(`benchScalarDuals: ${w.name}: the plain and dual forms disagree`)
    }
    const plainTimes: number[] = []
    const dualTimes: number[] = []
    let warmed = 0
    for (let r = 0; plainTimes.length < repeats; r++) {
      const tp = sample(plain, w.calls, sink)
      const td = sample(dual, w.calls, sink)
      if (r >= warmup && warmed >= warmupNs) {
        plainTimes.push(tp)
        dualTimes.push(td)
      }
      warmed += (tp + td) * w.calls
      // yield between repeats so a caller's event loop (progress bars) keeps running
      await new Promise((resolve) => setImmediate(resolve))
    }
    const plainNs = median(plainTimes)
    const dualNs = median(dualTimes)
    rows.push({ key: w.key, name: w.name, plainNs, dualNs, ratio: dualNs / plainNs })
  }
  if (!Number.isFinite(sink.v)) throw new Error('benchScalarDuals: non-finite results')
  return rows
}

const printTable = (rows: readonly ScalarDualRow[]): void => {
  const header = ['workload', 'plain ns', 'dual ns', 'dual / plain']
  const body = rows.map((r) => [r.name, r.plainNs.toFixed(1), r.dualNs.toFixed(1), `${r.ratio.toFixed(2)}×`])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)))
  const line = (cells: readonly string[]): string =>
    '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |'
  console.log(line(header))
  console.log(
    '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|',
  )
  for (const b of body) console.log(line(b))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchScalarDuals({ quick: process.argv.includes('--quick') })
  printTable(rows)
}
