/**
 * Throughput of the CPU backend's `gemm` kernel: GFLOP/s = 2·m·n·k / time for square products.
 *
 * Run as a script (`npx tsx bench/matmul.ts`) to print the table, or import `benchMatmul`.
 */
import { pathToFileURL } from 'node:url'
import { gemm, type FloatArray } from '../src/kernels/matmul.js'

/** One measured configuration of the benchmark. */
export interface MatmulBenchRow {
  /** Matrix side: the product is n×n times n×n. */
  n: number
  /** Element type, with a transpose suffix when an operand is read transposed (e.g. `float64 AᵀB`). */
  dtype: string
  /** Median wall time of one product, in milliseconds. */
  ms: number
  /** Floating-point rate, 2·n³ / time, in GFLOP/s. */
  gflops: number
}

type Ctor = Float64ArrayConstructor | Float32ArrayConstructor

/** Square operand pair and output for one configuration, filled with values in [-1, 1). */
function operands(n: number, ctor: Ctor): { a: FloatArray; b: FloatArray; c: FloatArray } {
  const a = new ctor(n * n)
  const b = new ctor(n * n)
  // Linear congruential fill: deterministic and cheap.
  let s = 12345
  const next = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return s / 2 ** 31 - 1
  }
  for (let i = 0; i < n * n; i++) {
    a[i] = next()
    b[i] = next()
  }
  return { a, b, c: new ctor(n * n) }
}

/**
 * Median time of `repeats` calls of `run` after two warm-up calls (which let the JIT optimize the
 * kernel), repeating each timed sample enough times to last about 20 ms.
 */
function timeMedian(run: () => void, repeats: number): number {
  run()
  run()
  const t0 = performance.now()
  run()
  const once = Math.max(performance.now() - t0, 1e-3)
  const inner = Math.max(1, Math.ceil(20 / once))
  const samples: number[] = []
  for (let r = 0; r < repeats; r++) {
    const start = performance.now()
    for (let t = 0; t < inner; t++) run()
    samples.push((performance.now() - start) / inner)
  }
  samples.sort((x, y) => x - y)
  const mid = samples.length >> 1
  return samples.length % 2 === 1 ? samples[mid]! : (samples[mid - 1]! + samples[mid]!) / 2
}

/** Measures one n×n×n product; `ta`/`tb` read A/B transposed through their strides. */
function measure(n: number, ctor: Ctor, ta: boolean, tb: boolean, repeats: number): MatmulBenchRow {
  const { a, b, c } = operands(n, ctor)
  const [aRs, aCs] = ta ? [1, n] : [n, 1]
  const [bRs, bCs] = tb ? [1, n] : [n, 1]
  const ms = timeMedian(() => gemm(n, n, n, a, 0, aRs, aCs, b, 0, bRs, bCs, c, 0), repeats)
  const name = ctor === Float64Array ? 'float64' : 'float32'
  const op = ta || tb ? ` ${ta ? 'Aᵀ' : 'A'}${tb ? 'Bᵀ' : 'B'}` : ''
  return { n, dtype: name + op, ms, gflops: (2 * n * n * n) / (ms * 1e6) }
}

/**
 * Benchmarks `gemm` on square products: float64 at every size in `sizes`, then float32 and the
 * three transposed float64 variants (AᵀB, ABᵀ, AᵀBᵀ) at 256 when 256 is among `sizes`. Each row
 * is the median of `repeats` timed samples taken after warm-up.
 */
export async function benchMatmul(
  sizes: number[],
  repeats: number,
): Promise<Array<{ n: number; dtype: string; ms: number; gflops: number }>> {
  const rows: MatmulBenchRow[] = []
  for (const n of sizes) rows.push(measure(n, Float64Array, false, false, repeats))
  if (sizes.includes(256)) {
    rows.push(measure(256, Float32Array, false, false, repeats))
    rows.push(measure(256, Float64Array, true, false, repeats))
    rows.push(measure(256, Float64Array, false, true, repeats))
    rows.push(measure(256, Float64Array, true, true, repeats))
  }
  return rows
}

/** Renders benchmark rows as a fixed-width text table. */
export function formatMatmulTable(rows: MatmulBenchRow[]): string {
  const lines = ['     n  dtype              ms     GFLOP/s']
  for (const r of rows) {
    lines.push(
      `${String(r.n).padStart(6)}  ${r.dtype.padEnd(14)}${r.ms.toFixed(3).padStart(9)}${r.gflops.toFixed(2).padStart(12)}`,
    )
  }
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchMatmul([64, 128, 256, 512], 7)
  console.log(formatMatmulTable(rows))
}
