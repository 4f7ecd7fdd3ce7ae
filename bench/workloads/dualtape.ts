/**
 * dualtape's workloads, as setup functions for a host (see bench/measure/host.ts): each selects
 * the dualtape backend it is given, builds its tensors, and returns the thunks to time.
 */
import {
  type Tensor,
  cast,
  grad,
  jacfwd,
  jacrev,
  jvp,
  matmul,
  randn,
  tanh,
  tensor,
  useBackend,
  valueAndGrad,
} from '../../src/index.js'
import { initTfjsBackend } from '../../src/backends/tfjs/index.js'
import { elementwiseChain, makeMlp, mlpLoss } from '../engine.js'
import type { Setup } from '../measure/host.js'
import { tanhNet } from '../suites/modes.js'
import { layerStack } from '../vector-mode.js'

/** The dualtape backends a run can select: cpu, and TensorFlow.js on cpu, wasm or WebGPU. */
export const BENCH_BACKENDS = ['cpu', 'tfjs-cpu', 'tfjs-wasm', 'tfjs-webgpu'] as const

/** Selects a dualtape backend by name in this process, initialising a tfjs one first. */
export async function selectBackend(name: string): Promise<void> {
  const kind = /^tfjs-(cpu|wasm|webgpu)$/.exec(name)?.[1] as 'cpu' | 'wasm' | 'webgpu' | undefined
  if (kind !== undefined) await initTfjsBackend(kind)
  useBackend(name)
}

/** The tensor functions of the overhead suite. */
export type OverheadFunction =
  | { readonly kind: 'mlp'; readonly batch: number; readonly width: number; readonly layers: number }
  | { readonly kind: 'chain'; readonly n: number }
  | { readonly kind: 'scalar'; readonly depth: number; readonly x0: number }

/**
 * f, its gradient (valueAndGrad) and one JVP of a tensor function of the overhead suite. The
 * inputs are random (the scalar chain starts at `x0`), so no op sits at a special value such
 * as tanh(0) = 0.
 */
export async function overheadSetup(fn: OverheadFunction, backend: string): Promise<Setup> {
  await selectBackend(backend)
  if (fn.kind === 'mlp') {
    const { params, x, forward } = makeMlp(fn)
    const vg = valueAndGrad((ps: typeof params) => forward(ps, x))
    const dx = randn(x.shape, { seed: 99 })
    const atX = (xx: Tensor): Tensor => forward(params, xx)
    return {
      subjects: {
        f: () => forward(params, x),
        grad: () => vg(params),
        jvp: () => jvp(atX, [x], [dx]),
      },
    }
  }
  if (fn.kind === 'chain') {
    const x = randn([fn.n], { seed: 5 })
    const dx = randn([fn.n], { seed: 6 })
    const g = grad(elementwiseChain)
    return {
      subjects: {
        f: () => elementwiseChain(x),
        grad: () => g(x),
        jvp: () => jvp(elementwiseChain, [x], [dx]),
      },
    }
  }
  const depth = fn.depth
  const chain = (v: Tensor): Tensor => {
    let y = v
    for (let i = 0; i < depth; i++) y = tanh(y)
    return y
  }
  const x = tensor(fn.x0)
  const dx = tensor(1)
  const g = grad(chain)
  return {
    subjects: {
      f: () => chain(x),
      grad: () => g(x),
      jvp: () => jvp(chain, [x], [dx]),
    },
  }
}

/** The largest |a − b| of two arrays of the same length (Infinity when the lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity
  let d = 0
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!))
  return Number.isNaN(d) ? Infinity : d
}

/**
 * f, jacfwd and jacrev of the tanh network over `widths` (the modes suite), after checking that
 * the two Jacobians agree; `info` is that check.
 */
export async function modesSetup(widths: readonly number[], seed: number, backend: string): Promise<Setup> {
  await selectBackend(backend)
  const n = widths[0]!
  const f = tanhNet(widths, seed)
  const x = randn([n], { seed: seed + 1000 })
  const jf = jacfwd(f)
  const jr = jacrev(f)
  const a = (jf(x) as Tensor).dataSync()
  const b = (jr(x) as Tensor).dataSync()
  return {
    subjects: { f: () => f(x), jacfwd: () => jf(x), jacrev: () => jr(x) },
    info: { maxDiff: maxAbsDiff(a, b), size: a.length },
  }
}

/** One vector-mode pass with k = width tangents against k separate JVPs (the modes suite). */
export async function vectorModeSetup(width: number, depth: number, backend: string): Promise<Setup> {
  await selectBackend(backend)
  const f = layerStack(width, depth)
  const x = randn([width], { seed: 11 })
  const batched = jacfwd(f)
  const separate = jacfwd(f, { batched: false })
  const a = (batched(x) as Tensor).dataSync()
  const b = (separate(x) as Tensor).dataSync()
  return {
    subjects: { batched: () => batched(x), separate: () => separate(x) },
    info: { maxDiff: maxAbsDiff(a, b) },
  }
}

/** The MLP of the peers suite as plain arrays, so that every library builds the same network. */
export interface MlpArrays {
  readonly batch: number
  readonly width: number
  /** Weights [width × width] and biases [width] of each layer, the last one linear. */
  readonly ws: readonly Float64Array[]
  readonly bs: readonly Float64Array[]
  readonly x: Float64Array
}

/** A matrix product A·B of the peers suite, [m × k] by [k × n], as plain row-major arrays. */
export interface ProductArrays {
  readonly m: number
  readonly k: number
  readonly n: number
  readonly a: Float64Array
  readonly b: Float64Array
  /** 2·m·k·n. */
  readonly flops: number
}

/**
 * A workload of the peers suite, as plain arrays: the MLP or the elementwise chain (timed per
 * gradient), or a matrix product (timed per product: the kernels alone).
 */
export type PeerWorkload =
  | ({ readonly kind: 'mlp'; readonly name: string } & MlpArrays)
  | { readonly kind: 'chain'; readonly name: string; readonly x: Float64Array }
  | ({ readonly kind: 'product'; readonly name: string } & ProductArrays)

const f64 = (t: Tensor): Float64Array => Float64Array.from(t.dataSync())

/** The workloads of the peers suite, from dualtape's seeded generators. */
export function peerWorkloads(smoke: boolean): PeerWorkload[] {
  const size = smoke ? { batch: 4, width: 8, layers: 2 } : { batch: 64, width: 256, layers: 4 }
  const n = smoke ? 50 : 10_000
  const mlp = makeMlp(size)
  return [
    {
      kind: 'mlp',
      name: `MLP ${size.batch}×${size.width}, ${size.layers} tanh + linear`,
      batch: size.batch,
      width: size.width,
      ws: mlp.params.map((p) => f64(p.w)),
      bs: mlp.params.map((p) => f64(p.b)),
      x: f64(mlp.x),
    },
    {
      kind: 'chain',
      name: `12-op elementwise chain, n = ${n.toLocaleString('en-US')}`,
      x: f64(randn([n], { seed: 5 })),
    },
    product(smoke ? [16, 16, 16] : [256, 256, 256], 'matmul', 6),
    product(smoke ? [50, 50, 1] : [1000, 1000, 1], 'matrix–vector', 8),
  ]
}

/** A product workload of seeded normal matrices. */
function product([m, k, n]: [number, number, number], what: string, seed: number): PeerWorkload {
  const name = n === 1 ? `${what} ${m}×${k}` : m === k && k === n ? `${what} ${m}³` : `${what} ${m}×${k}×${n}`
  return {
    kind: 'product',
    name,
    m,
    k,
    n,
    a: f64(randn([m, k], { seed })),
    b: f64(randn([k, n], { seed: seed + 1 })),
    flops: 2 * m * k * n,
  }
}

/** Flattens a list of arrays into one Float64Array. */
export function concat(parts: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/**
 * dualtape's gradient of a peers workload in a dtype, on its cpu backend: the subject `grad`
 * (value and gradient, read back) and, as info, the gradient (flat, layer by layer: w then b).
 * For a product workload the subject is the product (read back), and the info the product.
 */
export async function dualtapePeerSetup(w: PeerWorkload, dtype: 'float32' | 'float64'): Promise<Setup> {
  await selectBackend('cpu')
  if (w.kind === 'product') {
    const a = cast(tensor(w.a, [w.m, w.k]), dtype)
    const b = cast(tensor(w.b, [w.k, w.n]), dtype)
    const read = (): ArrayLike<number> => matmul(a, b).dataSync()
    return { subjects: { grad: read }, info: { gradient: Float64Array.from(read()) } }
  }
  if (w.kind === 'mlp') {
    const params = w.ws.map((wi, i) => ({
      w: cast(tensor(wi, [w.width, w.width]), dtype),
      b: cast(tensor(w.bs[i]!), dtype),
    }))
    const x = cast(tensor(w.x, [w.batch, w.width]), dtype)
    const vg = valueAndGrad((ps: typeof params) => mlpLoss(ps, x))
    // every result read back, as from every library: the value and each gradient
    const read = (): ArrayLike<number>[] => {
      const [value, g] = vg(params) as [Tensor, { w: Tensor; b: Tensor }[]]
      return [value.dataSync(), ...g.flatMap((p) => [p.w.dataSync(), p.b.dataSync()])]
    }
    return { subjects: { grad: read }, info: { gradient: concat(read().slice(1)) } }
  }
  const x = cast(tensor(w.x), dtype)
  const g = grad(elementwiseChain)
  const read = (): ArrayLike<number> => (g(x) as Tensor).dataSync()
  return { subjects: { grad: read }, info: { gradient: Float64Array.from(read()) } }
}
