/**
 * Jacobian chain accumulation: every strategy of `plan` on chains of structured factors (dense D
 * and diagonal d: `left`, `right`, `optimal`) and on matrix-free operator chains (the same kinds
 * of factor seen only through their JVP and VJP: `tangent`, `adjoint`, `segments`, `optimal`),
 * with the time the cost model predicts beside the time measured.
 *
 * `chainCases(size, model?)` builds the cases, each strategy with its plan made once and a `run`
 * thunk that accumulates the chain with it; the benchmark suite times them with its own harness.
 *
 * Run as a script (`npx tsx bench/chain.ts [--quick|--smoke] [--rounds N] [--json FILE]`): it
 * calibrates the cost model, builds the cases with it, times every strategy of every case (CPU
 * time, strategies interleaved in a rotating order, medians after a warm-up) and prints the table,
 * with whether the plan `plan(chain)` chooses is within 1.2× of the fastest strategy. The script
 * re-runs itself with glibc's `MALLOC_MMAP_THRESHOLD_` and `MALLOC_TRIM_THRESHOLD_` raised (as
 * `npm run bench` does): otherwise every large result is a fresh mapping whose pages fault in
 * one by one, about 20 ns per entry on this machine, and allocation drowns the kernels.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { dense, diagonal, type JacobianForm } from '../src/jacobian/structured.js'
import {
  DEFAULT_CHAIN_COST_MODEL,
  FLOP_COST_MODEL,
  accumulate,
  calibrateChainCostModel,
  chainFromFactors,
  chainFromOperators,
  operatorFromForm,
  plan,
  planFromSweepTree,
  planFromTree,
  type ChainCostModel,
  type JacobianChain,
  type OperatorChain,
} from '../src/jacobian/chain.js'

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

/**
 * One chain of the benchmark with every strategy that applies to it, each planned once.
 *
 * @example
 * import { chainCases } from './chain.js'
 * const c = chainCases('smoke')[0]!
 * console.log(c.name, c.kind, c.strategies.map((s) => s.strategy)) // hourglass structured ['left', 'right', 'optimal']
 * c.strategies[0]!.run() // one accumulation
 */
export interface ChainCase {
  /** e.g. `hourglass`, `operators hourglass`; unique among the cases. */
  readonly name: string
  /** The name, the widths n_0 → … → n_L and the factor kinds (D dense, d diagonal). */
  readonly shape: string
  readonly kind: 'structured' | 'matrix-free'
  /**
   * The strategy whose plan equals the one `plan(chain)` (strategy `optimal`) makes under the
   * case's model: `left`, `right`, `tangent`, `adjoint` or `segments` when optimal coincides with
   * one of them, otherwise `optimal`.
   */
  readonly chosen: string
  /** The expression of the optimal plan, e.g. `(J4 · (J3 · J2)) · J1`. */
  readonly chosenExpression: string
  /** The chain itself, for planning it under another model. */
  readonly chain: JacobianChain | OperatorChain
  readonly strategies: readonly CaseStrategy[]
}

/**
 * One strategy of a case: its plan's predicted time and flops, and `run`, one accumulation with
 * the precomputed plan (self-contained, cheap to call repeatedly).
 *
 * @example
 * import { chainCases } from './chain.js'
 * const s = chainCases('smoke')[0]!.strategies[2]!
 * console.log(s.strategy, s.predictedMs > 0, s.predictedFlops > 0) // optimal true true
 */
export interface CaseStrategy {
  /** `left`/`right`/`optimal` (structured) or `tangent`/`adjoint`/`segments`/`optimal`. */
  readonly strategy: string
  readonly predictedMs: number
  readonly predictedFlops: number
  /** The plan's expression. */
  readonly expression: string
  readonly run: () => unknown
}

/** Deterministic values in [-1, 1) from a linear congruential generator. */
function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 31 - 1
  }
}

const randomDense = (rows: number, cols: number, next: () => number): JacobianForm =>
  dense({ rows, cols, data: Float64Array.from({ length: rows * cols }, next) })

const randomDiagonal = (n: number, next: () => number): JacobianForm =>
  diagonal(Array.from({ length: n }, () => next()))

/**
 * The factors of an MLP-like chain over the widths: a dense W_i (n_i × n_{i-1}) per layer,
 * followed by a diagonal (an elementwise activation) after every layer but the last.
 */
function mlpFactors(widths: readonly number[], seed: number): JacobianForm[] {
  const next = lcg(seed)
  const factors: JacobianForm[] = []
  for (let t = 1; t < widths.length; t++) {
    factors.push(randomDense(widths[t]!, widths[t - 1]!, next))
    if (t < widths.length - 1) factors.push(randomDiagonal(widths[t]!, next))
  }
  return factors
}

/** Dense factors only, one per layer. */
function denseFactors(widths: readonly number[], seed: number): JacobianForm[] {
  const next = lcg(seed)
  return widths.slice(1).map((w, t) => randomDense(w, widths[t]!, next))
}

/** What a case is made of, before planning. */
interface CaseSpec {
  readonly name: string
  readonly kind: 'structured' | 'matrix-free'
  readonly factors: readonly JacobianForm[]
}

/** The chains of each size: `smoke` tiny, `quick` the MLP-like chains at half width. */
function specs(size: 'full' | 'quick' | 'smoke'): CaseSpec[] {
  const smoke = size === 'smoke'
  const s = size === 'full' ? 1 : size === 'quick' ? 0.5 : 0.05
  const w = (x: number): number => Math.max(2, Math.round(x * s))
  // the two hourglasses of the issue keep their size in quick mode
  const big = (x: number): number => (smoke ? Math.max(2, Math.round(x / 25)) : x)
  const next = lcg(99)
  const randomWidths = Array.from({ length: 7 }, () => w(10 + Math.floor(((next() + 1) / 2) * 390)))
  const hg = [big(1000), big(10), big(1000), big(10), big(1000)]
  const mf = (x: number): number => (smoke ? Math.max(2, Math.round(x / 15)) : x)
  const structured = (name: string, factors: readonly JacobianForm[]): CaseSpec => ({
    name,
    kind: 'structured',
    factors,
  })
  const operators = (name: string, factors: readonly JacobianForm[]): CaseSpec => ({
    name: `operators ${name}`,
    kind: 'matrix-free',
    factors,
  })
  return [
    structured('hourglass', denseFactors(hg, 1)),
    structured('constant', mlpFactors([w(300), w(300), w(300), w(300)], 2)),
    structured('widening', mlpFactors([w(8), w(32), w(128), w(512)], 3)),
    structured('narrowing', mlpFactors([w(512), w(128), w(32), w(8)], 4)),
    structured('hourglass mlp', mlpFactors([w(500), w(16), w(500), w(16), w(500)], 5)),
    structured('random', mlpFactors(randomWidths, 6)),
    // a funnel to a scalar loss: from the left every product is a row times a matrix (gemv)
    structured('loss', mlpFactors([w(300), w(300), w(300), w(30), 1], 12)),
    operators('hourglass', denseFactors([mf(300), mf(10), mf(300), mf(10), mf(300)], 7)),
    operators('widening', mlpFactors([mf(10), mf(50), mf(200), mf(300)], 8)),
    operators('narrowing', mlpFactors([mf(300), mf(200), mf(50), mf(10)], 9)),
    operators('mlp', mlpFactors([mf(100), mf(100), mf(100), mf(100)], 10)),
    operators('loss', mlpFactors([mf(300), mf(300), mf(30), 1], 11)),
  ]
}

const kindLetters = (factors: readonly JacobianForm[]): string =>
  factors.map((f) => (f.kind === 'dense' ? 'D' : 'd')).join('')

const STRUCTURED = ['left', 'right', 'optimal'] as const
const MATRIX_FREE = ['tangent', 'adjoint', 'segments', 'optimal'] as const

/**
 * The benchmark's chains, each with every strategy planned under `model` (default
 * `DEFAULT_CHAIN_COST_MODEL`, the model `plan(chain)` uses): structured chains (the hourglass
 * 1000→10→1000→10→1000 of dense factors; constant, widening, narrowing, hourglass and random
 * MLP-like chains of dense and diagonal factors, and a funnel to a scalar loss) and matrix-free chains of the same kinds of
 * factor seen as operators (an hourglass 300→10→300→10→300, widening, narrowing, a square MLP and
 * a funnel to one output). `smoke` is tiny (milliseconds for every run of every case); `quick`
 * halves the widths of the MLP-like structured chains.
 *
 * @example
 * import { chainCases } from './chain.js'
 * for (const c of chainCases('smoke')) {
 *   for (const s of c.strategies) console.log(c.shape, s.strategy, s.predictedMs, s.run() !== undefined)
 * }
 */
export function chainCases(
  size: 'full' | 'quick' | 'smoke',
  model: ChainCostModel = DEFAULT_CHAIN_COST_MODEL,
): ChainCase[] {
  return specs(size).map((spec) => {
    const shapeOf = (widths: readonly number[]): string =>
      `${spec.name} ${widths.join('→')} [${kindLetters(spec.factors)}]`
    if (spec.kind === 'structured') {
      const chain = chainFromFactors(spec.factors)
      const plans = STRUCTURED.map((s) => plan(chain, s, { model }))
      const optimal = plans[plans.length - 1]!
      const same = plans.find((p) => p.expression === optimal.expression)!
      return {
        name: spec.name,
        shape: shapeOf(chain.widths),
        kind: spec.kind,
        chosen: same.strategy,
        chosenExpression: optimal.expression,
        chain,
        strategies: plans.map((p) => ({
          strategy: p.strategy,
          predictedMs: p.predictedMs,
          predictedFlops: p.flops,
          expression: p.expression,
          run: () => accumulate(chain, p),
        })),
      }
    }
    const chain = chainFromOperators(spec.factors.map((f) => operatorFromForm(f)))
    const plans = MATRIX_FREE.map((s) => plan(chain, s, { model }))
    const optimal = plans[plans.length - 1]!
    const same = plans.find((p) => p.expression === optimal.expression)!
    return {
      name: spec.name,
      shape: shapeOf(chain.widths),
      kind: spec.kind,
      chosen: same.strategy,
      chosenExpression: optimal.expression,
      chain,
      strategies: plans.map((p) => ({
        strategy: p.strategy,
        predictedMs: p.predictedMs,
        predictedFlops: p.cost,
        expression: p.expression,
        run: () => accumulate(chain, p),
      })),
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------

/** CPU time of this process so far, in ms (user + system). */
const cpuMs = (): number => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1e3
}

/**
 * The median of a list of numbers.
 *
 * @example
 * import { median } from './chain.js'
 * console.log(median([3, 1, 2])) // 2
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/**
 * Measured time of one run of a thunk: medians over the rounds of CPU time (user + system, which
 * a busy machine inflates less than wall time) and of wall time, in ms per call.
 *
 * @example
 * import type { Timing } from './chain.js'
 * const t: Timing = { cpuMs: 1.2, wallMs: 1.3, samples: 15 }
 */
export interface Timing {
  readonly cpuMs: number
  readonly wallMs: number
  readonly samples: number
}

/**
 * Times several thunks side by side: warm-up calls first (which also fix how many calls one
 * sample makes, so that a sample lasts about `minSampleMs`), then `rounds` rounds, each timing
 * every thunk once in an order rotated by one every round, so that drifts in the machine's load
 * and the garbage one thunk leaves for the next fall on all alike. Never forces a garbage
 * collection (a forced collection deoptimises the code it interrupts).
 *
 * @example
 * import { timeInterleaved } from './chain.js'
 * const [a, b] = timeInterleaved([() => Math.sqrt(2), () => new Float64Array(1000)], { rounds: 5 })
 * console.log(a!.cpuMs >= 0, b!.samples) // true 5
 */
export function timeInterleaved(
  thunks: readonly (() => unknown)[],
  opts: { readonly rounds?: number; readonly warmup?: number; readonly minSampleMs?: number } = {},
): Timing[] {
  const rounds = opts.rounds ?? 15
  const warmup = opts.warmup ?? 3
  const minSampleMs = opts.minSampleMs ?? 2
  const inner = thunks.map((f) => {
    const t0 = performance.now()
    for (let r = 0; r < warmup; r++) f()
    const per = Math.max((performance.now() - t0) / warmup, 1e-4)
    return Math.max(1, Math.ceil(minSampleMs / per))
  })
  const cpu: number[][] = thunks.map(() => [])
  const wall: number[][] = thunks.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (let q = 0; q < thunks.length; q++) {
      const k = (q + r) % thunks.length
      const f = thunks[k]!
      const n = inner[k]!
      const w0 = performance.now()
      const c0 = cpuMs()
      for (let i = 0; i < n; i++) f()
      cpu[k]!.push((cpuMs() - c0) / n)
      wall[k]!.push((performance.now() - w0) / n)
    }
  }
  return thunks.map((_, k) => ({ cpuMs: median(cpu[k]!), wallMs: median(wall[k]!), samples: rounds }))
}

/**
 * A measured strategy of a case.
 *
 * @example
 * import type { MeasuredStrategy } from './chain.js'
 * const m: MeasuredStrategy = { strategy: 'left', predictedMs: 1, predictedFlops: 2e6, expression: 'J2 · J1', cpuMs: 1.1, wallMs: 1.2 }
 */
export interface MeasuredStrategy {
  readonly strategy: string
  readonly predictedMs: number
  readonly predictedFlops: number
  readonly expression: string
  readonly cpuMs: number
  readonly wallMs: number
}

/**
 * A measured case: every strategy, and the plan `plan(chain)` makes under the default model
 * (`chosen`), which is one of the strategies when the case's model is the default one, or is
 * measured beside them as `plan()` when it differs from the case's optimal plan.
 *
 * @example
 * import { measureCases } from './chain.js'
 * const [m] = measureCases('smoke', { rounds: 3 })
 * console.log(m!.chosen.cpuMs / m!.bestCpuMs >= 1) // true
 */
export interface MeasuredCase {
  readonly name: string
  readonly shape: string
  readonly kind: 'structured' | 'matrix-free'
  readonly strategies: readonly MeasuredStrategy[]
  /** plan(chain) under the default model: its expression, and the strategy it equals. */
  readonly chosen: MeasuredStrategy & { readonly equals: string }
  /** The fastest measured strategy's CPU time. */
  readonly bestCpuMs: number
}

/** The name of the plan of least flops among the measured strategies. */
const FLOP_PLAN = 'least flops'

/** A plan made outside the case's strategies, priced by the case's model, ready to run. */
interface ExtraPlan {
  readonly expression: string
  readonly ms: number
  readonly flops: number
  readonly run: () => unknown
}

/** plan(chain) with no options: the default strategy under the default model. */
function defaultChoice(chain: JacobianChain | OperatorChain, model: ChainCostModel): ExtraPlan {
  if (chain.kind === 'forms') {
    const p = planFromTree(chain, plan(chain).tree, 'given', { model })
    return { expression: p.expression, ms: p.predictedMs, flops: p.flops, run: () => accumulate(chain, p) }
  }
  const p = planFromSweepTree(chain, plan(chain).tree, 'given', { model })
  return { expression: p.expression, ms: p.predictedMs, flops: p.cost, run: () => accumulate(chain, p) }
}

/** The plan of least flops (what `plan` chose before it counted time), priced by the case's model. */
function flopChoice(chain: JacobianChain | OperatorChain, model: ChainCostModel): ExtraPlan {
  const byFlops = { model: FLOP_COST_MODEL }
  if (chain.kind === 'forms') {
    const p = planFromTree(chain, plan(chain, 'optimal', byFlops).tree, 'given', { model })
    return { expression: p.expression, ms: p.predictedMs, flops: p.flops, run: () => accumulate(chain, p) }
  }
  const p = planFromSweepTree(chain, plan(chain, 'optimal', byFlops).tree, 'given', { model })
  return { expression: p.expression, ms: p.predictedMs, flops: p.cost, run: () => accumulate(chain, p) }
}

/**
 * Builds the cases of `size` under `model`, then times every strategy of each (and `plan()`'s own
 * plan under the default model, when it differs from the case's optimal one; with `flopPlan`,
 * also the plan of least flops as `least flops`, when it differs from all of these) with
 * `timeInterleaved`. Strategies whose plans are the same (optimal is often one of the others)
 * are timed once and share the result. The fastest (`bestCpuMs`) is taken over the case's
 * strategies and `plan()`, not over the plan of least flops.
 *
 * @example
 * import { measureCases } from './chain.js'
 * for (const m of measureCases('smoke', { rounds: 3 })) console.log(m.shape, m.chosen.equals, m.chosen.cpuMs)
 */
export function measureCases(
  size: 'full' | 'quick' | 'smoke',
  opts: {
    readonly model?: ChainCostModel
    readonly rounds?: number
    readonly minSampleMs?: number
    readonly flopPlan?: boolean
  } = {},
): MeasuredCase[] {
  const model = opts.model ?? DEFAULT_CHAIN_COST_MODEL
  return chainCases(size, model).map((c) => {
    const entries = c.strategies.map((s) => ({ ...s }))
    const byDefault = defaultChoice(c.chain, model)
    let chosenIndex = entries.findIndex(
      (s) => s.strategy === 'optimal' && s.expression === byDefault.expression,
    )
    if (chosenIndex < 0) {
      entries.push({
        strategy: 'plan()',
        predictedMs: byDefault.ms,
        predictedFlops: byDefault.flops,
        expression: byDefault.expression,
        run: byDefault.run,
      })
      chosenIndex = entries.length - 1
    }
    const byFlops = opts.flopPlan === true ? flopChoice(c.chain, model) : null
    if (byFlops !== null && entries.every((s) => s.expression !== byFlops.expression)) {
      entries.push({
        strategy: FLOP_PLAN,
        predictedMs: byFlops.ms,
        predictedFlops: byFlops.flops,
        expression: byFlops.expression,
        run: byFlops.run,
      })
    }
    // strategies that share a plan (optimal is often left, or segments) share its timing: the
    // same computation timed twice would only differ by noise
    const distinct = [...new Set(entries.map((s) => s.expression))]
    const timed = timeInterleaved(
      distinct.map((e) => entries.find((s) => s.expression === e)!.run),
      { rounds: opts.rounds ?? 15, minSampleMs: opts.minSampleMs ?? 2 },
    )
    const times = entries.map((s) => timed[distinct.indexOf(s.expression)]!)
    const strategies = entries.map((s, k): MeasuredStrategy => ({
      strategy: s.strategy,
      predictedMs: s.predictedMs,
      predictedFlops: s.predictedFlops,
      expression: s.expression,
      cpuMs: times[k]!.cpuMs,
      wallMs: times[k]!.wallMs,
    }))
    const chosen = strategies[chosenIndex]!
    const equals = strategies.find(
      (s) => s.strategy !== 'plan()' && s.strategy !== FLOP_PLAN && s.expression === chosen.expression,
    )
    return {
      name: c.name,
      shape: c.shape,
      kind: c.kind,
      strategies,
      chosen: { ...chosen, equals: equals?.strategy ?? chosen.strategy },
      bestCpuMs: Math.min(...strategies.filter((s) => s.strategy !== FLOP_PLAN).map((s) => s.cpuMs)),
    }
  })
}

// ---------------------------------------------------------------------------------------------
// The rows of the earlier report, for bench/suites/chain.ts
// ---------------------------------------------------------------------------------------------

/**
 * One measured (chain, strategy) pair.
 *
 * @example
 * import { benchChain } from './chain.js'
 * const row = (await benchChain({ quick: true }))[0]!
 * console.log(row.shape, row.strategy) // hourglass 1000→10→1000→10→1000 [DDDD] left
 */
export interface ChainBenchRow {
  /** The chain: its name and widths n_0 → … → n_L, factor kinds abbreviated (D dense, d diagonal). */
  shape: string
  strategy: string
  /** Flops of the plan (for operator chains, the cost in the operators' units). */
  predictedFlops: number
  /** Median CPU time of one accumulation, in milliseconds. */
  ms: number
}

/**
 * Every strategy of every case, timed by `measureCases` under the default model, as rows.
 *
 * @example
 * import { benchChain } from './chain.js'
 * for (const r of await benchChain({ quick: true })) console.log(r.shape, r.strategy, r.predictedFlops, r.ms)
 */
export async function benchChain(opts: { quick: boolean }): Promise<ChainBenchRow[]> {
  await new Promise((resolve) => setImmediate(resolve))
  return measureCases(opts.quick ? 'quick' : 'full', { rounds: opts.quick ? 15 : 21 }).flatMap((c) =>
    c.strategies
      .filter((s) => s.strategy !== 'plan()' && s.strategy !== FLOP_PLAN)
      .map((s) => ({ shape: c.shape, strategy: s.strategy, predictedFlops: s.predictedFlops, ms: s.cpuMs })),
  )
}

/**
 * For one structured chain's rows: the better of `left` and `right` against `optimal`, as a ratio
 * of predicted flops and as a ratio of measured times.
 *
 * @example
 * import { benchChain, speedup } from './chain.js'
 * const rows = await benchChain({ quick: true })
 * console.log(speedup(rows, rows[0]!.shape)) // e.g. { predicted: 2.94, measured: 2.4 }
 */
export function speedup(
  rows: readonly ChainBenchRow[],
  shape: string,
): { predicted: number; measured: number } {
  const get = (s: string): ChainBenchRow => rows.find((r) => r.shape === shape && r.strategy === s)!
  const opt = get('optimal')
  const l = get('left')
  const r = get('right')
  return {
    predicted: Math.min(l.predictedFlops, r.predictedFlops) / opt.predictedFlops,
    measured: Math.min(l.ms, r.ms) / opt.ms,
  }
}

// ---------------------------------------------------------------------------------------------
// The script
// ---------------------------------------------------------------------------------------------

/** The ratio within which plan()'s choice must be of the fastest strategy. */
const WITHIN = 1.2

function printTable(header: readonly string[], body: readonly (readonly string[])[]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)))
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((x, c) => x.padEnd(widths[c]!)).join(' | ')} |`
  console.log(line(header))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const b of body) console.log(line(b))
}

const fmtMs = (ms: number): string => (ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3))

function report(model: ChainCostModel, cases: readonly MeasuredCase[]): boolean {
  const figures = (m: ChainCostModel): string =>
    `call ${m.callUs} µs, gemm ${m.gemmGflops} GFLOP/s (tile ${m.gemmTile}), gemv ${m.gemvGflops}, ` +
    `scale ${m.scaleGflops}, write ${m.writeNs} ns/entry, sweep call ${m.sweepCallUs} µs, jvp ${m.jvpGflops}, vjp ${m.vjpGflops}`
  console.log(`calibrated: ${figures(model)}`)
  console.log(`default:    ${figures(DEFAULT_CHAIN_COST_MODEL)}\n`)
  const body: string[][] = []
  let ok = true
  for (const c of cases) {
    for (const s of c.strategies) {
      const isChosen = s.strategy === c.chosen.strategy
      const within = c.chosen.cpuMs <= WITHIN * c.bestCpuMs
      if (isChosen && !within) ok = false
      body.push([
        c.shape,
        s.strategy + (isChosen ? ' *' : ''),
        (s.predictedFlops / 1e6).toPrecision(3),
        fmtMs(s.predictedMs),
        fmtMs(s.cpuMs),
        fmtMs(s.wallMs),
        (s.cpuMs / s.predictedMs).toFixed(2),
        (s.cpuMs / c.bestCpuMs).toFixed(2),
        isChosen ? (within ? 'yes' : 'NO') : '',
      ])
    }
  }
  printTable(
    [
      'case',
      'strategy',
      'MFLOP',
      'predicted ms',
      'CPU ms',
      'wall ms',
      'CPU ÷ predicted',
      'CPU ÷ best',
      `plan() within ${WITHIN}×`,
    ],
    body,
  )
  console.log(
    `\n* plan(chain)'s choice (the default model's optimal plan); 'plan()' rows appear where it differs from the calibrated model's,` +
      `\n  'least flops' rows where the plan of least flops differs from all the others (not counted as best).`,
  )
  for (const c of cases) console.log(`  ${c.shape}: plan() = ${c.chosen.equals}: ${c.chosen.expression}`)
  console.log(
    `\nplan()'s choice within ${WITHIN}× of the fastest strategy on every case: ${ok ? 'yes' : 'NO'}`,
  )
  return ok
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.env['MALLOC_MMAP_THRESHOLD_'] === undefined) {
    // re-run with the allocator settings of `npm run bench` (see the top of this file)
    const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '4294967296', MALLOC_TRIM_THRESHOLD_: '4294967296' },
    })
    process.exit(r.status ?? 1)
  }
  const args = process.argv.slice(2)
  const size = args.includes('--smoke') ? 'smoke' : args.includes('--quick') ? 'quick' : 'full'
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  const rounds = Number(arg('--rounds') ?? (size === 'smoke' ? 3 : size === 'quick' ? 15 : 21))
  const t0 = performance.now()
  const model = calibrateChainCostModel()
  const calibrationMs = performance.now() - t0
  const cases = measureCases(size, { model, rounds, flopPlan: true })
  console.log(`calibration took ${calibrationMs.toFixed(0)} ms; ${rounds} rounds per case\n`)
  const ok = report(model, cases) || size === 'smoke'
  if (size === 'smoke')
    console.log('(smoke size: microsecond runs, too small for the check to mean anything)')
  const json = arg('--json')
  if (json !== undefined) writeFileSync(json, JSON.stringify({ size, rounds, model, cases }, null, 2))
  process.exitCode = ok ? 0 : 1
}
