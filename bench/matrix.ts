/**
 * The cost of the matrix functions (`dualtape/matrix`) and of their gradients on the cpu backend:
 * for each function and size, the value f(A) and the gradient grad(f)(A) are timed in paired,
 * alternating rounds; the table gives the median wall time of each, the median and quartiles of
 * the per-round ratio gradient ÷ value, and the median CPU time (process.cpuUsage) beside the wall
 * time. The last rows time the Gaussian-process log marginal likelihood of
 * examples/gaussian-process.ts: its value, its gradient by reverse mode and by forward mode (three
 * JVPs).
 *
 * Run as a script: `npx tsx bench/matrix.ts [--quick]`, or import `benchMatrix`.
 */
import { pathToFileURL } from 'node:url'
import { type Tensor, grad, jacfwd, mul, sum, tensor } from '../src/index.js'
import { materialize } from '../src/check/index.js'
import { cholesky, eigh, logdet, solve } from '../src/matrix/index.js'
import { gpData, logMarginalLikelihood } from '../examples/gaussian-process.js'

/** One timed workload. */
export interface MatrixBenchRow {
  readonly workload: string
  /** Median wall time of the value and of the gradient (ms). */
  readonly value: number
  readonly gradient: number
  /** The per-round ratio gradient ÷ value: median and quartiles. */
  readonly ratio: readonly [number, number, number]
  /** Median CPU time of the value and of the gradient (ms). */
  readonly cpuValue: number
  readonly cpuGradient: number
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo)
}

/** Wall and CPU time of one call (ms). */
function time(f: () => unknown): [number, number] {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  f()
  const wall = performance.now() - t0
  const c = process.cpuUsage(c0)
  return [wall, (c.user + c.system) / 1000]
}

/** Paired alternating rounds of `value` and `gradient` (the order alternates from round to round). */
function paired(
  workload: string,
  value: () => unknown,
  gradient: () => unknown,
  rounds: number,
): MatrixBenchRow {
  for (let i = 0; i < 3; i++) {
    value()
    gradient()
  }
  const v: number[] = []
  const g: number[] = []
  const cv: number[] = []
  const cg: number[] = []
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0]
    for (const which of order) {
      const [wall, cpu] = time(which === 0 ? value : gradient)
      ;(which === 0 ? v : g).push(wall)
      ;(which === 0 ? cv : cg).push(cpu)
    }
  }
  const ratios = v.map((x, i) => g[i]! / x)
  return {
    workload,
    value: quantile(v, 0.5),
    gradient: quantile(g, 0.5),
    ratio: [quantile(ratios, 0.25), quantile(ratios, 0.5), quantile(ratios, 0.75)],
    cpuValue: quantile(cv, 0.5),
    cpuGradient: quantile(cg, 0.5),
  }
}

/** Times every workload; `quick` uses smaller sizes and fewer rounds. */
export function benchMatrix(quick = false): MatrixBenchRow[] {
  const rounds = quick ? 5 : 15
  const sizes = quick ? [16, 32] : [16, 64, 128]
  const rows: MatrixBenchRow[] = []
  for (const n of sizes) {
    const spd = materialize({ shape: [n, n], domain: 'spd', seed: n })
    const inv = materialize({ shape: [n, n], domain: 'invertible', seed: n + 1 })
    const sym = materialize({ shape: [n, n], domain: 'symmetric', seed: n + 2 })
    const w = materialize({ shape: [n, n], domain: 'real', seed: n + 3 })
    const b = materialize({ shape: [n, 1], domain: 'real', seed: n + 4 })
    const fs: [string, (a: Tensor) => Tensor, Tensor][] = [
      ['cholesky', (a) => sum(mul(cholesky(a), w)), spd],
      ['solve (one column)', (a) => sum(solve(a, b)), inv],
      ['logdet', (a) => logdet(a), spd],
      ['eigh (vectors)', (a) => sum(mul(eigh(a).vectors, w)), sym],
    ]
    for (const [name, f, a] of fs) {
      const g = grad(f)
      rows.push(
        paired(
          `${name}, n = ${n}`,
          () => f(a),
          () => g(a),
          rounds,
        ),
      )
    }
  }
  for (const n of quick ? [30] : [100, 200]) {
    const { x, y } = gpData(n, 1)
    const f = (t: Tensor) => logMarginalLikelihood(t, x, y)
    const theta = tensor([0, 0, -2])
    const g = grad(f)
    const j = jacfwd(f)
    rows.push(
      paired(
        `GP log-likelihood, n = ${n}: reverse`,
        () => f(theta),
        () => g(theta),
        rounds,
      ),
    )
    rows.push(
      paired(
        `GP log-likelihood, n = ${n}: forward (3 JVPs)`,
        () => f(theta),
        () => j(theta),
        rounds,
      ),
    )
  }
  return rows
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = benchMatrix(process.argv.includes('--quick'))
  const f = (v: number) => v.toPrecision(3)
  console.log('workload | value ms (cpu) | gradient ms (cpu) | gradient ÷ value: median [IQR]')
  for (const r of rows) {
    console.log(
      `${r.workload} | ${f(r.value)} (${f(r.cpuValue)}) | ${f(r.gradient)} (${f(r.cpuGradient)}) | ${f(r.ratio[1])} [${f(r.ratio[0])}–${f(r.ratio[2])}]`,
    )
  }
}
