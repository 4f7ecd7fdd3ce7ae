/**
 * Where a matrix product pays for a second thread: square products n³ of float64 and float32 on
 * one thread and split over two (src/kernels/wasm/threads.ts), timed in paired, alternating
 * rounds (wall time: the second thread's work is CPU time too, so CPU time cannot show the gain),
 * medians with their interquartile range, the ratio taken per round.
 *
 * Run as a script: `npx tsx bench/threads.ts [rounds]` (15 rounds).
 */
import { pathToFileURL } from 'node:url'
import { fastGemm } from '../src/kernels/wasm/index.js'
import { gemmThreadsActive, setGemmThreads } from '../src/kernels/wasm/threads.js'
import { spread, type Spread } from './measure/stats.js'

/** One product size and dtype: wall ms per product on one and on two threads, and one ÷ two. */
export interface ThreadRow {
  readonly n: number
  readonly dtype: 'float64' | 'float32'
  readonly one: Spread
  readonly two: Spread
  readonly speedup: Spread
}

function timeOf(run: () => void): number {
  let reps = 1
  for (;;) {
    const t0 = performance.now()
    for (let i = 0; i < reps; i++) run()
    const t = performance.now() - t0
    if (t >= 20) return t / reps
    reps *= 2
  }
}

/** Paired rounds for each size and dtype. */
export function benchThreads(sizes: readonly number[], rounds: number): ThreadRow[] {
  if (!gemmThreadsActive()) throw new Error('threads: no worker thread here')
  const rows: ThreadRow[] = []
  for (const dtype of ['float64', 'float32'] as const) {
    for (const n of sizes) {
      const Ctor = dtype === 'float64' ? Float64Array : Float32Array
      const a = new Ctor(n * n).map((_, i) => Math.sin(i + 1))
      const b = new Ctor(n * n).map((_, i) => Math.cos(i + 2))
      const c = new Ctor(n * n)
      const product = () => fastGemm(n, n, n, a, 0, n, 1, b, 0, n, 1, c, 0)
      const on = (two: boolean) => {
        setGemmThreads(two, two ? 0 : Infinity)
        return timeOf(product)
      }
      on(true)
      on(false)
      const ones: number[] = []
      const twos: number[] = []
      for (let r = 0; r < rounds; r++) {
        if (r % 2 === 0) {
          ones.push(on(false))
          twos.push(on(true))
        } else {
          twos.push(on(true))
          ones.push(on(false))
        }
      }
      rows.push({
        n,
        dtype,
        one: spread(ones),
        two: spread(twos),
        speedup: spread(ones.map((o, i) => o / twos[i]!)),
      })
    }
  }
  setGemmThreads(true)
  return rows
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rounds = Number(process.argv[2] ?? 15)
  const rows = benchThreads([32, 64, 96, 128, 192, 256, 384, 512], rounds)
  const f = (s: Spread) => `${s.median.toFixed(3)} [${s.q1.toFixed(3)}–${s.q3.toFixed(3)}]`
  console.log('| n³ | dtype | one thread ms | two threads ms | one ÷ two [IQR] |')
  console.log('| --: | --- | --: | --: | --: |')
  for (const r of rows) console.log(`| ${r.n} | ${r.dtype} | ${f(r.one)} | ${f(r.two)} | ${f(r.speedup)} |`)
}
