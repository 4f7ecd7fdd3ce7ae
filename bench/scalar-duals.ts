/**
 * Scalar dual numbers against plain numbers. Each workload is written twice: once on plain
 * numbers, as one would write it without derivatives, and once against the numeric algebra,
 * differentiated with `derivative` (first-order duals over numbers). The two are separate
 * functions so that the JIT specialises each on its own number type. Plain and dual runs are
 * timed side by side by the benchmark's measurement core (bench/measure): warmed up until stable,
 * then in rotated rounds, in CPU time per evaluation.
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
import { derivative, NumberField, valueAndDerivative, type NumericFn } from '../src/scalar/index.js'

// -------------------------------------------------------------------------------------
// workloads
// -------------------------------------------------------------------------------------

/**
 * The workloads: `polyval` and `transcendental` are the two of the targets (dual ÷ plain ≤ 3);
 * the `horner` rows are the same polynomial written with add and mul.
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

/** Evaluates `run` at `calls` points in [0.1, 0.9) and returns the sum (so that no call is dropped). */
const sweep = (run: (x: number) => number, calls: number): number => {
  let acc = 0
  for (let i = 0; i < calls; i++) acc += run(0.1 + (0.8 * i) / calls)
  return acc
}

/** A workload as the overhead suite names it: its key, its name, the evaluations per timed call. */
export interface ScalarDualInfo {
  readonly key: ScalarDualKey
  readonly name: string
  readonly calls: number
}

/**
 * The workloads as subjects of a benchmark host (bench/measure/host.ts): `<key>/plain` and
 * `<key>/dual` each evaluate the function (or its derivative) at `calls` points; `info` lists
 * the workloads. Each workload is checked first: the plain and dual forms compute the same value
 * and slope.
 */
export function scalarDualsSetup(): {
  subjects: Record<string, () => number>
  info: ScalarDualInfo[]
} {
  const subjects: Record<string, () => number> = {}
  const info: ScalarDualInfo[] = []
  for (const w of workloads()) {
    const plain = w.plain
    const dual = w.dual ?? derivative(w.f)
    const [value, slope] = valueAndDerivative(w.f)(0.5)
    const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b))
    if (!close(plain(0.5), value) || !close(dual(0.5), slope)) {
      throw new Error(`scalarDualsSetup: ${w.name}: the plain and dual forms disagree`)
    }
    subjects[`${w.key}/plain`] = () => sweep(plain, w.calls)
    subjects[`${w.key}/dual`] = () => sweep(dual, w.calls)
    info.push({ key: w.key, name: w.name, calls: w.calls })
  }
  return { subjects, info }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // the workloads in this process, warmed up until stable, timed side by side in rotated rounds
  const { Session, TIMING_PLANS, hostOpener } = await import('./measure/session.js')
  const { pairedRatio } = await import('./measure/stats.js')
  const session = new Session(
    hostOpener(false),
    TIMING_PLANS[process.argv.includes('--quick') ? 'quick' : 'full'],
  )
  // this module loaded a second time under another URL: importing the running entry module itself
  // would wait on its own top-level await, and Node exits with code 13 (unsettled top-level await)
  const { subjects, info } = await session.setup<ScalarDualInfo[]>('scalar duals', {
    module: `${import.meta.url}?setup`,
    name: 'scalarDualsSetup',
  })
  console.log('| workload | plain ns | dual ns | dual ÷ plain [95%] |')
  console.log('| --- | --: | --: | --: |')
  for (const w of info) {
    const m = await session.measure(
      [subjects[`${w.key}/plain`]!, subjects[`${w.key}/dual`]!],
      [w.name, w.name],
    )
    const [p, d] = m.timings.map((t) => (t.cpu.median * 1e6) / w.calls)
    const r = pairedRatio(m.timings[1]!.cpu.samples, m.timings[0]!.cpu.samples)
    console.log(
      `| ${w.name} | ${p!.toFixed(1)} | ${d!.toFixed(1)} | ${r.median.toFixed(2)}× [${r.lo.toFixed(2)}, ${r.hi.toFixed(2)}] |`,
    )
  }
  await session.close()
}
