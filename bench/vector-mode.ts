import { type Tensor, add, jacfwd, matmul, mul, randn, tanh } from '../src/index.js'
import { timeInterleaved } from './timing.js'

/** One line of the vector-mode benchmark. */
export interface VectorModeRow {
  readonly name: string
  readonly batchedMs: number
  readonly separateMs: number
  /** separate / batched: how much one vector-mode pass saves over k separate JVPs. */
  readonly speedup: number
  /** The largest difference between the two Jacobians (they must agree). */
  readonly maxDiff: number
}

/** A stack of tanh(W·x + b) layers R^width → R^width. */
export function layerStack(width: number, depth: number, seed = 3): (x: Tensor) => Tensor {
  const layers = Array.from({ length: depth }, (_, i) => ({
    w: mul(randn([width, width], { seed: seed + 2 * i }), 1 / Math.sqrt(width)),
    b: mul(randn([width], { seed: seed + 2 * i + 1 }), 0.1),
  }))
  return (x: Tensor) => layers.reduce((h, l) => tanh(add(matmul(l.w, h), l.b)), x)
}

/**
 * The Jacobian of an MLP layer stack R^n → R^n by one vector-mode pass carrying all n tangent
 * directions (k = n) against n separate JVPs, side by side. `width` is n (256 unless given);
 * `quick` takes fewer rounds.
 *
 * @example
 * import { benchVectorMode } from './vector-mode.js'
 * const [row] = benchVectorMode({ quick: true, width: 16 })
 * console.log(row!.maxDiff < 1e-12) // true
 */
export function benchVectorMode(opts: { quick: boolean; width?: number }): VectorModeRow[] {
  const width = opts.width ?? 256
  const depth = 3
  const f = layerStack(width, depth)
  const x = randn([width], { seed: 11 })
  const batched = jacfwd(f)
  const separate = jacfwd(f, { batched: false })
  const a = (batched(x) as Tensor).dataSync()
  const b = (separate(x) as Tensor).dataSync()
  let maxDiff = 0
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!))
  const [batchedMs, separateMs] = timeInterleaved([() => batched(x), () => separate(x)], {
    repeats: opts.quick ? 3 : 7,
    warmup: 1,
  })
  return [
    {
      name: `Jacobian of ${depth} tanh layers R^${width} → R^${width}, k = ${width}`,
      batchedMs: batchedMs!,
      separateMs: separateMs!,
      speedup: separateMs! / batchedMs!,
      maxDiff,
    },
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of benchVectorMode({ quick: process.argv.includes('--quick') })) {
    console.log(
      `${r.name}: one batched pass ${r.batchedMs.toFixed(1)} ms, ${r.name.split('k = ')[1]} JVPs ` +
        `${r.separateMs.toFixed(1)} ms: ${r.speedup.toFixed(2)}× faster; the Jacobians differ by ${r.maxDiff.toExponential(1)}`,
    )
  }
}
