/**
 * The garbage-collection cliff of reverse mode: how much slower a small gradient runs right after
 * a full garbage collection than in steady state. Between two gradients no tape is alive; when a
 * full collection freed the hidden classes of the tape, V8 dropped the optimized code of the core
 * (`Tensor`, `apply`, the sweep, …) and the next gradients ran 3-4× slower until it was compiled
 * again (see `VjpLevel.keepClasses` in src/reverse/vjp.ts).
 *
 * Each round forces a full collection, times the first gradient after it and the next nine, then
 * runs the gradient until it is warm again. Steady state is timed between rounds. A plain
 * JavaScript workload of objects and arrays is timed the same way as the control: what a full
 * collection costs any code that runs right after it on this machine (cold caches), which no
 * change to dualtape can remove.
 *
 * Run as a script: `npx tsx bench/gc-cliff.ts [--quick]` (it turns on `--expose-gc` itself), or
 * import `benchGcCliff`.
 */
import { pathToFileURL } from 'node:url'
import { type Tensor, grad, tanh, tensor } from '../src/index.js'
import { fullGc } from './memory.js'
import { type Spread, spread } from './measure/stats.js'

export type { Spread }

/** The target of the reverse-mode issue: the gradients after a full collection within 1.3× of steady state. */
export const GC_CLIFF_TARGET = 1.3

/** One timed workload: medians in µs, and the ratios to steady state. */
export interface GcCliffRow {
  readonly workload: string
  /** Median of single calls in steady state (wall, µs). */
  readonly steady: number
  /** Median of the first call after each full collection (wall, µs). */
  readonly first: number
  /** Median of the second to tenth calls after each full collection (wall, µs). */
  readonly next: number
  /** CPU time of a call in steady state and of the ten calls after a collection (µs per call, medians). */
  readonly cpuSteady: number
  readonly cpuAfter: number
  /** first ÷ steady and next ÷ steady, with the quartiles of the per-round ratios. */
  readonly firstRatio: Spread
  readonly nextRatio: Spread
}

const median = (xs: readonly number[]): number => spread(xs).median

/** Wall and CPU time of one call, in µs. */
function timeCall(fn: () => unknown): [number, number] {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  fn()
  const t1 = performance.now()
  const c = process.cpuUsage(c0)
  return [(t1 - t0) * 1000, c.user + c.system]
}

function measure(
  workload: string,
  fn: () => unknown,
  rounds: number,
  warm: number,
  gc: () => void,
): GcCliffRow {
  for (let i = 0; i < warm * 4; i++) fn()
  const steadyWall: number[] = []
  const steadyCpu: number[] = []
  const first: number[] = []
  const next: number[] = []
  const afterCpu: number[] = []
  const firstRatios: number[] = []
  const nextRatios: number[] = []
  for (let r = 0; r < rounds; r++) {
    // steady state just before the collection, so that each round's ratios pair with it
    const round: number[] = []
    for (let i = 0; i < warm; i++) fn()
    for (let i = 0; i < 50; i++) {
      const [w, c] = timeCall(fn)
      round.push(w)
      steadyWall.push(w)
      steadyCpu.push(c)
    }
    const base = median(round)
    gc()
    const after: number[] = []
    let cpu = 0
    for (let i = 0; i < 10; i++) {
      const [w, c] = timeCall(fn)
      after.push(w)
      cpu += c
    }
    first.push(after[0]!)
    const rest = median(after.slice(1))
    next.push(rest)
    afterCpu.push(cpu / 10)
    firstRatios.push(after[0]! / base)
    nextRatios.push(rest / base)
  }
  return {
    workload,
    steady: median(steadyWall),
    first: median(first),
    next: median(next),
    cpuSteady: median(steadyCpu),
    cpuAfter: median(afterCpu),
    firstRatio: spread(firstRatios),
    nextRatio: spread(nextRatios),
  }
}

/** A plain JavaScript workload of about the same size as the gradient: objects, arrays, a typed array each. */
function plainWorkload(): () => unknown {
  let sink: unknown = null
  return () => {
    let o: { prev: unknown; v: Float64Array; xs: number[] } | null = null
    for (let i = 0; i < 120; i++) o = { prev: o, v: new Float64Array(1), xs: [i] }
    sink = o
    return sink
  }
}

/**
 * Times a 10-op scalar gradient (grad of ten tanh) after full collections against steady state,
 * and the plain JavaScript control.
 *
 * @example
 * import { benchGcCliff } from './gc-cliff.js'
 * const [row] = benchGcCliff({ quick: true })
 * console.log(row!.workload, row!.nextRatio.median) // 10-op gradient 1.1 (about)
 */
export function benchGcCliff(options: { quick?: boolean } = {}): GcCliffRow[] {
  const gc = fullGc()
  const rounds = options.quick === true ? 10 : 40
  const warm = options.quick === true ? 1000 : 3000
  const chain = (x: Tensor): Tensor => {
    let y = x
    for (let i = 0; i < 10; i++) y = tanh(y)
    return y
  }
  const g = grad(chain)
  const x = tensor(0.7)
  return [
    measure('10-op gradient', () => g(x), rounds, warm, gc),
    measure('control: plain JavaScript', plainWorkload(), rounds, warm, gc),
  ]
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1))
const fmtSpread = (s: Spread): string => `${s.median.toFixed(2)} [${s.q1.toFixed(2)}–${s.q3.toFixed(2)}]`

/** The rows as a table, with the target's verdict for the gradient. */
export function formatGcCliff(rows: readonly GcCliffRow[]): string {
  const head =
    '| workload | steady µs (CPU) | first after gc µs | calls 2–10 µs (CPU) | first ÷ steady [IQR] | calls 2–10 ÷ steady [IQR] |'
  const rule = '| --- | ---: | ---: | ---: | ---: | ---: |'
  const body = rows.map(
    (r) =>
      `| ${r.workload} | ${fmt(r.steady)} (${fmt(r.cpuSteady)}) | ${fmt(r.first)} | ${fmt(r.next)} (${fmt(r.cpuAfter)}) | ${fmtSpread(r.firstRatio)} | ${fmtSpread(r.nextRatio)} |`,
  )
  const g = rows[0]!
  const verdict =
    g.nextRatio.median <= GC_CLIFF_TARGET
      ? `calls 2–10 after a full collection within ${GC_CLIFF_TARGET}× of steady state: met`
      : `calls 2–10 after a full collection within ${GC_CLIFF_TARGET}× of steady state: missed (${g.nextRatio.median.toFixed(2)}×)`
  return [head, rule, ...body, '', verdict].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick')
  console.log(formatGcCliff(benchGcCliff({ quick })))
}
