/**
 * dualtape on TensorFlow.js against TensorFlow.js's own gradients, on the same tfjs backend:
 * the engine issue's MLP (batch 64, width 256, four tanh layers and a linear layer, loss = mean
 * of squares) in float32, forward and value-and-grad side by side; and, per backend, tf.matMul
 * with transpose flags against an explicit transpose followed by a plain matmul (the choice the
 * tfjs backend's matmul kernel makes per backend).
 *
 *   npx tsx bench/tfjs.ts [--backend wasm|webgpu|cpu] [--quick]
 */
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs-core'
import { build } from 'esbuild'
import { useBackend } from '../src/backends/registry.js'
import { type TfjsKind, initTfjsBackend } from '../src/backends/tfjs/index.js'
import { dispose, tidy } from '../src/core/scope.js'
import { type Tensor, add, matmul, mean, square, tanh, tensor, valueAndGrad } from '../src/index.js'
import type { TimingPlan } from './measure/rounds.js'
import { TIMING_PLANS } from './measure/session.js'
import { median, timeSideBySide } from './timing.js'

/** One line of the MLP comparison: milliseconds per call, dualtape and tf side by side. */
export interface TfjsMlpRow {
  readonly backend: string
  readonly what: 'forward' | 'value and grad'
  readonly dualtapeMs: number
  readonly tfMs: number
  /** dualtape / tf: below 1, dualtape is faster. */
  readonly ratio: number
}

/** One line of the matmul comparison: op(A)·op(B) with flags, and with explicit transposes. */
export interface TfjsMatmulRow {
  readonly backend: string
  /** m×k·k×n with the operands that are transposed. */
  readonly product: string
  readonly flagsMs: number
  readonly explicitMs: number
}

/** Options of `benchTfjs`. */
export interface TfjsBenchOptions {
  readonly quick: boolean
  readonly backend: TfjsKind
}

/** The MLP's sizes: the engine issue's, smaller for software WebGPU in quick runs. */
const mlpSizes = (o: TfjsBenchOptions) =>
  o.backend === 'webgpu' && o.quick
    ? { batch: 16, width: 64, layers: 4 }
    : { batch: 64, width: 256, layers: 4 }

let gradients: Promise<void> | undefined

/**
 * Registers TensorFlow.js's gradients (tfjs-core registers none by itself; the `@tensorflow/tfjs`
 * package imports `register_all_gradients`). That module exists only in tfjs-core's ESM build,
 * which Node cannot load as it is (directory imports), so it is bundled first. tfjs keeps its
 * registries on a global object, so the bundled copy registers into the engine in use.
 */
function registerTfGradients(): Promise<void> {
  gradients ??= (async () => {
    const entry = createRequire(import.meta.url).resolve(
      '@tensorflow/tfjs-core/dist/register_all_gradients.js',
    )
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'node',
      write: false,
    })
    const code = out.outputFiles[0]!.text
    await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)
  })()
  return gradients
}

/** Seeded values in [-1, 1), float32. */
function values(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = (s / 2 ** 31 - 1) * scale
  }
  return out
}

interface MlpData {
  readonly w: Float32Array[]
  readonly b: Float32Array[]
  readonly x: Float32Array
}

function mlpData(batch: number, width: number, layers: number): MlpData {
  const scale = Math.sqrt(3 / width)
  return {
    w: Array.from({ length: layers + 1 }, (_, i) => values(width * width, 2 * i + 1, scale)),
    b: Array.from({ length: layers + 1 }, (_, i) => values(width, 2 * i + 2, 0.1)),
    x: values(batch * width, 999, 1),
  }
}

/**
 * Times the MLP's forward and value-and-grad with dualtape and with TensorFlow.js (tf.valueAndGrads)
 * on one tfjs backend, interleaved. On WebGPU each call ends by reading the last gradient, so that
 * the queued GPU work is inside the timing.
 */
export async function benchTfjs(
  opts: TfjsBenchOptions,
): Promise<{ mlp: TfjsMlpRow[]; matmul: TfjsMatmulRow[]; switchMs: number; sizes: string }> {
  const be = await initTfjsBackend(opts.backend)
  await registerTfGradients()
  const name = be.name
  const { batch, width, layers } = mlpSizes(opts)
  const data = mlpData(batch, width, layers)

  // dualtape, on the tfjs backend
  const params = data.w.map((w, i) => ({
    w: tensor(w, { shape: [width, width], backend: name }),
    b: tensor(data.b[i]!, { shape: [width], backend: name }),
  }))
  const x = tensor(data.x, { shape: [batch, width], backend: name })
  const forward = (ps: readonly { w: Tensor; b: Tensor }[]): Tensor => {
    let h = x
    ps.forEach((p, i) => {
      const z = add(matmul(h, p.w), p.b)
      h = i < ps.length - 1 ? tanh(z) : z
    })
    return mean(square(h))
  }
  const vg = valueAndGrad(forward)

  // TensorFlow.js, the same network
  useBackend(name)
  const tw = data.w.map((w) => tf.tensor2d(w, [width, width]))
  const tb = data.b.map((b) => tf.tensor1d(b))
  const tx = tf.tensor2d(data.x, [batch, width])
  const tfForward = (ws: readonly tf.Tensor[], bs: readonly tf.Tensor[]): tf.Scalar => {
    let h: tf.Tensor = tx
    ws.forEach((w, i) => {
      const z = tf.add(tf.matMul(h, w), bs[i]!)
      h = i < ws.length - 1 ? tf.tanh(z) : z
    })
    return tf.mean(tf.square(h))
  }
  const tfVg = tf.valueAndGrads((...ps: tf.Tensor[]) =>
    tfForward(ps.slice(0, layers + 1), ps.slice(layers + 1)),
  )

  // the values agree before anything is timed
  const [v0] = vg(params) as [Tensor, unknown]
  const ref = tf.tidy(() => tfForward(tw, tb))
  const [a, b] = [(await v0.data())[0]!, (await ref.data())[0]!]
  if (!(Math.abs(a - b) <= 1e-4 * Math.abs(b))) throw new Error(`benchTfjs: dualtape's loss ${a} ≠ tf's ${b}`)
  dispose(v0)
  ref.dispose()

  const fns: (() => unknown)[] = [
    () => tidy(() => void forward(params)),
    () => tf.tidy(() => void tfForward(tw, tb)),
    () => dispose(vg(params)),
    () => tf.tidy(() => void tfVg([...tw, ...tb])),
  ]
  const repeats = opts.quick ? 5 : 15
  let ms: number[]
  if (opts.backend === 'webgpu') {
    // queued GPU work completes before the read of the value computed last resolves
    const asyncFns: (() => Promise<unknown>)[] = [
      async () => {
        const y = tidy(() => forward(params))
        await y.data()
        dispose(y)
      },
      async () => {
        const y = tfForward(tw, tb)
        await y.data()
        tf.dispose(y)
      },
      async () => {
        const r = vg(params) as [Tensor, { w: Tensor; b: Tensor }[]]
        await r[1][0]!.b.data()
        dispose(r)
      },
      async () => {
        const r = tfVg([...tw, ...tb])
        await r.grads[layers + 1]!.data()
        tf.dispose([r.value, ...r.grads])
      },
    ]
    ms = await timeAsync(asyncFns, opts.quick ? 3 : 7)
  } else {
    ms = timeSideBySide(fns, roundsOf(repeats)).map((t) => t.cpu.median)
  }
  useBackend('cpu')
  tf.dispose([...tw, ...tb, tx])
  dispose([params, x])
  const rows: TfjsMlpRow[] = [
    { backend: name, what: 'forward', dualtapeMs: ms[0]!, tfMs: ms[1]!, ratio: ms[0]! / ms[1]! },
    { backend: name, what: 'value and grad', dualtapeMs: ms[2]!, tfMs: ms[3]!, ratio: ms[2]! / ms[3]! },
  ]
  return {
    mlp: rows,
    matmul: await benchTranspose(opts, batch, width),
    switchMs: await benchSwitch(opts),
    sizes: `MLP batch ${batch}, width ${width}, ${layers} tanh layers + linear, float32`,
  }
}

/** The quick timing plan with exactly `rounds` rounds. */
const roundsOf = (rounds: number): TimingPlan => ({
  ...TIMING_PLANS.quick,
  rounds: { min: rounds, max: rounds, budgetMs: 0 },
})

/** Interleaved medians of asynchronous calls, after one warm-up call each. */
async function timeAsync(fns: readonly (() => Promise<unknown>)[], repeats: number): Promise<number[]> {
  for (const f of fns) await f()
  const samples: number[][] = fns.map(() => [])
  for (let r = 0; r < repeats; r++) {
    for (let i = 0; i < fns.length; i++) {
      const t0 = performance.now()
      await fns[i]!()
      samples[i]!.push(performance.now() - t0)
    }
  }
  return samples.map(median)
}

/**
 * tf.matMul(A, B, transposeA, transposeB) against tf.transpose then a plain tf.matMul, for the
 * products of the MLP's backward pass (C̄ Wᵀ and Hᵀ C̄).
 */
async function benchTranspose(
  opts: TfjsBenchOptions,
  batch: number,
  width: number,
): Promise<TfjsMatmulRow[]> {
  const be = await initTfjsBackend(opts.backend)
  await tf.setBackend(opts.backend)
  const rows: TfjsMatmulRow[] = []
  const cases: [number, number, number, boolean, boolean][] = [
    [batch, width, width, false, false],
    [batch, width, width, false, true],
    [width, batch, width, true, false],
    [batch, width, width, true, true],
  ]
  for (const [m, k, n, ta, tb] of cases) {
    const A = tf.tensor2d(values(m * k, 5, 1), ta ? [k, m] : [m, k])
    const B = tf.tensor2d(values(k * n, 6, 1), tb ? [n, k] : [k, n])
    const flags = () => tf.matMul(A, B, ta, tb)
    const explicit = () => tf.tidy(() => tf.matMul(ta ? tf.transpose(A) : A, tb ? tf.transpose(B) : B))
    let ms: number[]
    if (opts.backend === 'webgpu') {
      const run = (f: () => tf.Tensor) => async () => {
        const y = f()
        await y.data()
        y.dispose()
      }
      ms = await timeAsync([run(flags), run(explicit)], opts.quick ? 3 : 7)
    } else {
      ms = timeSideBySide(
        [() => flags().dispose(), () => explicit().dispose()],
        roundsOf(opts.quick ? 5 : 15),
      ).map((t) => t.cpu.median)
    }
    tf.dispose([A, B])
    const t = `${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'}`
    rows.push({ backend: be.name, product: `${m}×${k}·${k}×${n} ${t}`, flagsMs: ms[0]!, explicitMs: ms[1]! })
  }
  return rows
}

/**
 * What a kernel pays when the previous one ran on another tfjs backend (here tfjs-cpu): the
 * active TensorFlow.js backend is global, so it switches first. Milliseconds per switch.
 */
async function benchSwitch(opts: TfjsBenchOptions): Promise<number> {
  const here = (await initTfjsBackend(opts.backend)).name
  const other = opts.backend === 'cpu' ? 'tfjs-wasm' : 'tfjs-cpu'
  await initTfjsBackend(other === 'tfjs-cpu' ? 'cpu' : 'wasm')
  const a = tensor([1, 2], { backend: here })
  const b = tensor([1, 2], { backend: other })
  const n = 50
  const [same, alternating] = timeSideBySide(
    [
      () => {
        for (let i = 0; i < n; i++) dispose(add(a, a))
      },
      () => {
        for (let i = 0; i < n; i++) dispose(i % 2 === 0 ? add(a, a) : add(b, b))
      },
    ],
    roundsOf(opts.quick ? 3 : 7),
  ).map((t) => t.cpu.median)
  dispose([a, b])
  return (alternating! - same!) / n
}

const fmt = (v: number): string => (v >= 10 ? v.toFixed(1) : v.toFixed(2))

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--backend')
  const backend = (i >= 0 ? process.argv[i + 1] : 'wasm') as TfjsKind
  const quick = process.argv.includes('--quick')
  const r = await benchTfjs({ quick, backend })
  console.log(r.sizes)
  console.log(`switching TensorFlow.js's active backend costs ${fmt(r.switchMs)} ms per switch`)
  console.table(
    r.mlp.map((row) => ({
      backend: row.backend,
      what: row.what,
      'dualtape ms': fmt(row.dualtapeMs),
      'tf ms': fmt(row.tfMs),
      'dualtape / tf': row.ratio.toFixed(2),
    })),
  )
  console.table(
    r.matmul.map((row) => ({
      backend: row.backend,
      product: row.product,
      'flags ms': fmt(row.flagsMs),
      'explicit transpose ms': fmt(row.explicitMs),
    })),
  )
  process.exit(0)
}
