/**
 * Jacobian chain accumulation: the cost of the `left` (adjoint), `right` (tangent) and `optimal`
 * bracketings on chains of dense and diagonal factors, predicted (flops of the cost model) and
 * measured (median wall time of `accumulate`).
 *
 * Run as a script (`npx tsx bench/chain.ts [--quick]`) to print the table and the hourglass check,
 * or import `benchChain`.
 */
import { pathToFileURL } from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'
import { dense, diagonal, type JacobianForm } from '../src/jacobian/structured.js'
import {
  accumulate,
  chainFromFactors,
  plan,
  type ChainPlan,
  type JacobianChain,
} from '../src/jacobian/chain.js'

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
  /** Flops the cost model predicts for the plan. */
  predictedFlops: number
  /** Median wall time of one accumulation, in milliseconds. */
  ms: number
}

const STRATEGIES = ['left', 'right', 'optimal'] as const

/** Deterministic values in [-1, 1) from a linear congruential generator. */
function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 31 - 1
  }
}

function randomDense(rows: number, cols: number, next: () => number): JacobianForm {
  const data = new Float64Array(rows * cols)
  for (let t = 0; t < data.length; t++) data[t] = next()
  return dense({ rows, cols, data })
}

function randomDiagonal(n: number, next: () => number): JacobianForm {
  return diagonal(Array.from({ length: n }, () => next()))
}

/**
 * An MLP-like chain over the widths: a dense factor W_i (n_i × n_{i-1}) per step, followed by a
 * diagonal factor (an elementwise activation) after every dense one but the last.
 */
function mlpChain(widths: readonly number[], seed: number): JacobianChain {
  const next = lcg(seed)
  const factors: JacobianForm[] = []
  for (let t = 1; t < widths.length; t++) {
    factors.push(randomDense(widths[t]!, widths[t - 1]!, next))
    if (t < widths.length - 1) factors.push(randomDiagonal(widths[t]!, next))
  }
  return chainFromFactors(factors)
}

/** Dense factors only, one per step. */
function denseChain(widths: readonly number[], seed: number): JacobianChain {
  const next = lcg(seed)
  return chainFromFactors(widths.slice(1).map((w, t) => randomDense(w, widths[t]!, next)))
}

const describeChain = (name: string, c: JacobianChain): string =>
  `${name} ${c.widths.join('→')} [${c.factors.map((f) => (f.kind === 'dense' ? 'D' : 'd')).join('')}]`

/** The chains of the benchmark, smaller in quick mode. */
function chains(quick: boolean): { name: string; chain: JacobianChain }[] {
  const s = quick ? 0.5 : 1
  const w = (x: number): number => Math.max(2, Math.round(x * s))
  const next = lcg(99)
  const randomWidths = Array.from({ length: 7 }, () => w(10 + Math.floor(((next() + 1) / 2) * 390)))
  return [
    { name: 'hourglass', chain: denseChain([1000, 10, 1000, 10, 1000], 1) },
    { name: 'constant', chain: mlpChain([w(300), w(300), w(300), w(300)], 2) },
    { name: 'widening', chain: mlpChain([w(8), w(32), w(128), w(512)], 3) },
    { name: 'narrowing', chain: mlpChain([w(512), w(128), w(32), w(8)], 4) },
    { name: 'hourglass', chain: mlpChain([w(500), w(16), w(500), w(16), w(500)], 5) },
    { name: 'random', chain: mlpChain(randomWidths, 6) },
  ]
}

/**
 * A full garbage collection, so that the garbage of one timed run is not collected inside the
 * next one (the 1000×1000 intermediates are 8 MB each).
 */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc') as unknown
  return typeof gc === 'function' ? (gc as () => void) : () => {}
})()

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/**
 * Times `left`, `right` and `optimal` on each chain: plans are made once, then each strategy's
 * `accumulate` runs twice as warm-up, then `repeats` rounds run the strategies interleaved, in an
 * order rotated every round (so drifts in machine load hit all of them alike), each run after a
 * full garbage collection, and the median per strategy is reported.
 *
 * @example
 * import { benchChain } from './chain.js'
 * for (const r of await benchChain({ quick: true })) console.log(r.shape, r.strategy, r.predictedFlops, r.ms)
 */
export async function benchChain(opts: { quick: boolean }): Promise<ChainBenchRow[]> {
  const repeats = opts.quick ? 9 : 21
  const rows: ChainBenchRow[] = []
  for (const { name, chain } of chains(opts.quick)) {
    const plans: ChainPlan[] = STRATEGIES.map((s) => plan(chain, s))
    for (const p of plans) for (let t = 0; t < 2; t++) accumulate(chain, p)
    const samples: number[][] = plans.map(() => [])
    for (let r = 0; r < repeats; r++) {
      // rotate the order each round so no strategy always runs first or last
      for (let q = 0; q < plans.length; q++) {
        const k = (q + r) % plans.length
        collectGarbage()
        const t0 = performance.now()
        accumulate(chain, plans[k]!)
        samples[k]!.push(performance.now() - t0)
      }
      // yield to the event loop between rounds
      await new Promise((resolve) => setImmediate(resolve))
    }
    const shape = describeChain(name, chain)
    plans.forEach((p, k) =>
      rows.push({ shape, strategy: p.strategy, predictedFlops: p.flops, ms: median(samples[k]!) }),
    )
  }
  return rows
}

/**
 * For one chain's rows: the better of `left` and `right` against `optimal`, as a ratio of
 * predicted flops and as a ratio of measured times.
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

function printTable(rows: readonly ChainBenchRow[]): void {
  const header = ['shape', 'strategy', 'predicted MFLOP', 'ms', 'flops ÷ optimal', 'time ÷ optimal']
  const body = rows.map((r) => {
    const opt = rows.find((x) => x.shape === r.shape && x.strategy === 'optimal')!
    return [
      r.shape,
      r.strategy,
      (r.predictedFlops / 1e6).toFixed(3),
      r.ms.toFixed(2),
      (r.predictedFlops / opt.predictedFlops).toFixed(2),
      (r.ms / opt.ms).toFixed(2),
    ]
  })
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)))
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((x, c) => x.padEnd(widths[c]!)).join(' | ')} |`
  console.log(line(header))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const b of body) console.log(line(b))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick')
  const rows = await benchChain({ quick })
  printTable(rows)
  const shape = rows[0]!.shape
  const { predicted, measured } = speedup(rows, shape)
  const agreement = Math.max(predicted / measured, measured / predicted)
  console.log(
    `\n${shape}: optimal vs the better of left/right: ${predicted.toFixed(2)}× fewer flops predicted, ` +
      `${measured.toFixed(2)}× faster measured (predicted/measured within ${agreement.toFixed(2)}×)`,
  )
  console.log(`  optimal at least 2× faster: ${measured >= 2 ? 'yes' : 'NO'}`)
  console.log(`  predicted ratio within 1.5× of measured: ${agreement <= 1.5 ? 'yes' : 'NO'}`)
}
