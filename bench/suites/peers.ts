/**
 * The peers suite: the MLP and the elementwise chain of the engine benchmark, differentiated by
 * TensorFlow.js (tfjs-backend-cpu and tfjs-backend-wasm, float32, `tf.valueAndGrads`) and by
 * jax-js (its wasm device, float32 and float64, eager and `jit`), in this process. Each peer's
 * gradient is first checked against dualtape's float64 gradient, then timed side by side with
 * dualtape's in the same dtype. A peer that fails to load is reported and the others still run.
 *
 * Loading notes, for Node 20:
 * - tfjs-core's Node entry registers no gradients (the `@tensorflow/tfjs` bundle does, by
 *   importing `register_all_gradients`, whose ES module graph Node cannot resolve: it imports
 *   `./gradients`, both a file and a folder). So the gradient files of the kernels used here are
 *   imported one by one from `dist/gradients/` and registered; tfjs keeps its engine and its
 *   registries in one global object, so they serve the Node entry too.
 * - tfjs-backend-wasm loads its `.wasm` binaries from the folder given to `setWasmPaths`: the
 *   package's `dist/` folder, as a file path with a trailing slash.
 * - jax-js needs `init('wasm')`; its dtype tables name `Float16Array`, which Node 20 lacks, so a
 *   stand-in (a Float32Array subclass, never used for data here) is defined when it is missing.
 *   Its arrays are reference-counted: each call gets `.ref`s, and reading a result (`dataSync`)
 *   consumes it.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as TfCore from '@tensorflow/tfjs-core'
import { type Tensor, cast, grad, randn, tensor, valueAndGrad } from '../../src/index.js'
import { elementwiseChain, makeMlp } from '../engine.js'
import { timeInterleaved } from '../timing.js'
import { type Plot, type Problem, type Suite, type SuiteSize, type Table, breathe } from './types.js'

type Tf = typeof TfCore
type Jax = typeof import('@jax-js/jax')
type DType = 'float32' | 'float64'

// ---------------------------------------------------------------------------------------------
// the problems, as plain arrays
// ---------------------------------------------------------------------------------------------

interface MlpProblem {
  readonly kind: 'mlp'
  readonly name: string
  readonly batch: number
  readonly width: number
  /** Weights [width × width] and biases [width] of each layer, the last one linear. */
  readonly ws: readonly Float64Array[]
  readonly bs: readonly Float64Array[]
  readonly x: Float64Array
  /** The same network in dualtape (float64). */
  readonly mlp: ReturnType<typeof makeMlp>
}

interface ChainProblem {
  readonly kind: 'chain'
  readonly name: string
  readonly x: Float64Array
}

type Workload = MlpProblem | ChainProblem

const f64 = (t: Tensor): Float64Array => Float64Array.from(t.dataSync())

function workloads(size: SuiteSize): Workload[] {
  const mlpSize = size === 'smoke' ? { batch: 4, width: 8, layers: 2 } : { batch: 64, width: 256, layers: 4 }
  const n = size === 'smoke' ? 50 : 10_000
  const mlp = makeMlp(mlpSize)
  const { batch, width, layers } = mlpSize
  return [
    {
      kind: 'mlp',
      name: `MLP ${batch}×${width}, ${layers} tanh + linear`,
      batch,
      width,
      ws: mlp.params.map((p) => f64(p.w)),
      bs: mlp.params.map((p) => f64(p.b)),
      x: f64(mlp.x),
      mlp,
    },
    {
      kind: 'chain',
      name: `12-op elementwise chain, n = ${n.toLocaleString('en-US')}`,
      x: f64(randn([n], { seed: 5 })),
    },
  ]
}

/** What a differentiator gives for a workload: a timed call, its gradient (flat, layer by layer: w then b). */
interface Runner {
  readonly run: () => void
  readonly gradient: () => Float64Array
  readonly dispose: () => void
}

const concat = (parts: readonly ArrayLike<number>[]): Float64Array => {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// dualtape
// ---------------------------------------------------------------------------------------------

function dualtapeRunner(w: Workload, dtype: DType): Runner {
  if (w.kind === 'mlp') {
    const { forward } = w.mlp
    const params = w.mlp.params.map((p) => ({ w: cast(p.w, dtype), b: cast(p.b, dtype) }))
    const x = cast(w.mlp.x, dtype)
    const vg = valueAndGrad((ps: typeof params) => forward(ps, x))
    return {
      run: () => vg(params),
      gradient: () => {
        const [, g] = vg(params) as [Tensor, { w: Tensor; b: Tensor }[]]
        return concat(g.flatMap((p) => [p.w.dataSync(), p.b.dataSync()]))
      },
      dispose: () => undefined,
    }
  }
  const x = cast(tensor(w.x), dtype)
  const g = grad(elementwiseChain)
  return {
    run: () => g(x),
    gradient: () => Float64Array.from((g(x) as Tensor).dataSync()),
    dispose: () => undefined,
  }
}

// ---------------------------------------------------------------------------------------------
// TensorFlow.js
// ---------------------------------------------------------------------------------------------

/** The tfjs kernels whose gradients the two workloads need. */
const TF_GRADIENTS = [
  'BatchMatMul',
  'Add',
  'Tanh',
  'Square',
  'Mean',
  'Sum',
  'Sin',
  'Cos',
  'Multiply',
  'Exp',
  'Softplus',
  'Sigmoid',
  'Reshape',
  'Cast',
  'Identity',
]

let tfLoading: Promise<Tf> | undefined

/** tfjs-core with its cpu backend and the gradients of {@link TF_GRADIENTS} registered. */
function loadTf(): Promise<Tf> {
  tfLoading ??= (async () => {
    const tf = (await import('@tensorflow/tfjs-core')) as Tf
    await import('@tensorflow/tfjs-backend-cpu')
    // no console banners; no debug checks
    tf.env().set('PROD', true)
    const req = createRequire(import.meta.url)
    const dir = join(dirname(req.resolve('@tensorflow/tfjs-core/package.json')), 'dist', 'gradients')
    for (const k of TF_GRADIENTS) {
      const mod = (await import(pathToFileURL(join(dir, `${k}_grad.js`)).href)) as Record<
        string,
        TfCore.GradConfig
      >
      for (const config of Object.values(mod))
        if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config)
    }
    return tf
  })()
  return tfLoading
}

let wasmPathsSet = false

/** Selects a tfjs backend ('cpu' or 'wasm'), loading the wasm one on first use. */
async function useTfBackend(tf: Tf, name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    const req = createRequire(import.meta.url)
    wasm.setWasmPaths(`${dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`)
    wasmPathsSet = true
  }
  if (tf.getBackend() === name) return
  if (!(await tf.setBackend(name))) {
    throw new Error(`tfjs could not initialise its '${name}' backend (its warning above says why)`)
  }
  await tf.ready()
}

function tfRunner(tf: Tf, w: Workload): Runner {
  if (w.kind === 'mlp') {
    const x = tf.tensor2d(Float32Array.from(w.x), [w.batch, w.width])
    const params = w.ws.flatMap((wi, i) => [
      tf.tensor2d(Float32Array.from(wi), [w.width, w.width]),
      tf.tensor1d(Float32Array.from(w.bs[i]!)),
    ])
    const last = w.ws.length - 1
    const loss = (...ps: TfCore.Tensor[]): TfCore.Scalar => {
      let h: TfCore.Tensor = x
      for (let i = 0; i <= last; i++) {
        const z = tf.add(tf.matMul(h, ps[2 * i]!), ps[2 * i + 1]!)
        h = i < last ? tf.tanh(z) : z
      }
      return tf.mean(tf.square(h))
    }
    const vg = tf.valueAndGrads(loss)
    const call = (): Float32Array[] =>
      tf.tidy(() => {
        const r = vg(params)
        r.value.dataSync()
        return r.grads.map((g) => g.dataSync() as Float32Array)
      })
    return {
      run: () => void call(),
      gradient: () => concat(call()),
      dispose: () => tf.dispose([x, ...params]),
    }
  }
  const x = tf.tensor1d(Float32Array.from(w.x))
  const chain = (v: TfCore.Tensor): TfCore.Scalar => {
    let y = v
    for (let i = 0; i < 2; i++) {
      y = tf.sin(y)
      y = tf.mul(y, 1.5)
      y = tf.tanh(y)
      y = tf.exp(y)
      y = tf.softplus(y)
      y = tf.sigmoid(tf.cos(y))
    }
    return tf.sum(y)
  }
  const g = tf.grads(chain)
  const call = (): Float32Array => tf.tidy(() => g([x])[0]!.dataSync() as Float32Array)
  return { run: () => void call(), gradient: () => Float64Array.from(call()), dispose: () => x.dispose() }
}

// ---------------------------------------------------------------------------------------------
// jax-js
// ---------------------------------------------------------------------------------------------

let jaxLoading: Promise<Jax> | undefined

/** jax-js, initialised on its wasm device. */
function loadJax(): Promise<Jax> {
  jaxLoading ??= (async () => {
    const g = globalThis as { Float16Array?: unknown }
    if (g.Float16Array === undefined) g.Float16Array = class Float16Array extends Float32Array {}
    const jax = await import('@jax-js/jax')
    const devices = await jax.init('wasm')
    if (!devices.includes('wasm'))
      throw new Error(`jax-js has no wasm device here (it found: ${devices.join(', ') || 'none'})`)
    jax.defaultDevice('wasm')
    return jax
  })()
  return jaxLoading
}

function jaxRunner(jax: Jax, w: Workload, dtype: DType, jit: boolean): Runner {
  const np = jax.numpy
  const arr = (d: Float64Array, shape: number[]) =>
    np.array(dtype === 'float32' ? Float32Array.from(d) : Float64Array.from(d)).reshape(shape)
  type A = ReturnType<typeof arr>
  if (w.kind === 'mlp') {
    const x = arr(w.x, [w.batch, w.width])
    const params = w.ws.map((wi, i) => ({ w: arr(wi, [w.width, w.width]), b: arr(w.bs[i]!, [w.width]) }))
    const last = params.length - 1
    const loss = (ps: { w: A; b: A }[], input: A): A => {
      let h = input
      ps.forEach((p, i) => {
        const z = np.matmul(h, p.w).add(p.b)
        h = i < last ? np.tanh(z) : z
      })
      return np.mean(np.square(h))
    }
    const jitted = jit ? jax.jit(jax.valueAndGrad(loss)) : null
    const vg = jitted ?? jax.valueAndGrad(loss)
    const call = (read: boolean): Float64Array | undefined => {
      const [value, g] = vg(jax.tree.ref(params), x.ref) as [A, { w: A; b: A }[]]
      // dataSync consumes its array: value and gradients are freed here
      value.dataSync()
      const parts = g.flatMap((p) => [p.w.dataSync(), p.b.dataSync()])
      return read ? concat(parts) : undefined
    }
    return {
      run: () => void call(false),
      gradient: () => call(true)!,
      dispose: () => {
        jax.tree.dispose(params)
        x.dispose()
        jitted?.dispose()
      },
    }
  }
  const x = arr(w.x, [w.x.length])
  const chain = (v: A): A => {
    let y = v
    for (let i = 0; i < 2; i++) {
      y = np.sin(y)
      y = y.mul(1.5)
      y = np.tanh(y)
      y = np.exp(y)
      y = jax.nn.softplus(y)
      y = jax.nn.sigmoid(np.cos(y))
    }
    return np.sum(y)
  }
  const jitted = jit ? jax.jit(jax.grad(chain)) : null
  const g = jitted ?? jax.grad(chain)
  const call = (read: boolean): Float64Array | undefined => {
    // dataSync consumes the gradient
    const d = (g(x.ref) as A).dataSync()
    return read ? Float64Array.from(d) : undefined
  }
  return {
    run: () => void call(false),
    gradient: () => call(true)!,
    dispose: () => {
      x.dispose()
      jitted?.dispose()
    },
  }
}

/**
 * The largest relative error of jax-js's float64 elementary functions against Math's, on a grid
 * of [-3, 3] that misses the zeros of sin and cos (values below 1e-6 count as 1e-6).
 */
function jaxFloat64Probe(jax: Jax): { fn: string; relErr: number }[] {
  const np = jax.numpy
  const xs = Float64Array.from({ length: 200 }, (_, i) => -2.995 + i * 0.03)
  const fns: [
    string,
    (a: ReturnType<typeof np.array>) => ReturnType<typeof np.array>,
    (v: number) => number,
  ][] = [
    ['sin', np.sin, Math.sin],
    ['cos', np.cos, Math.cos],
    ['exp', np.exp, Math.exp],
    ['tanh', np.tanh, Math.tanh],
    ['sigmoid', jax.nn.sigmoid, (v) => 1 / (1 + Math.exp(-v))],
    ['softplus', jax.nn.softplus, (v) => Math.log1p(Math.exp(v))],
  ]
  return fns.map(([fn, f, ref]) => {
    const y = f(np.array(Float64Array.from(xs))).dataSync()
    let relErr = 0
    xs.forEach(
      (v, i) => (relErr = Math.max(relErr, Math.abs(y[i]! - ref(v)) / Math.max(Math.abs(ref(v)), 1e-6))),
    )
    return { fn, relErr }
  })
}

// ---------------------------------------------------------------------------------------------
// the peers
// ---------------------------------------------------------------------------------------------

/** One way of differentiating the workloads outside dualtape. */
interface Peer {
  readonly library: string
  readonly device: string
  readonly dtype: DType
  readonly mode: string
  /** Loads the library (and selects its backend); rejects if it cannot. */
  readonly load: () => Promise<(w: Workload) => Runner>
}

const PEERS: readonly Peer[] = [
  {
    library: 'TensorFlow.js',
    device: 'tfjs-backend-cpu',
    dtype: 'float32',
    mode: 'eager (tape)',
    load: async () => {
      const tf = await loadTf()
      await useTfBackend(tf, 'cpu')
      return (w) => tfRunner(tf, w)
    },
  },
  {
    library: 'TensorFlow.js',
    device: 'tfjs-backend-wasm',
    dtype: 'float32',
    mode: 'eager (tape)',
    load: async () => {
      const tf = await loadTf()
      await useTfBackend(tf, 'wasm')
      return (w) => tfRunner(tf, w)
    },
  },
  ...(['float32', 'float64'] as const).flatMap((dtype) =>
    [false, true].map((jit): Peer => ({
      library: 'jax-js',
      device: 'wasm',
      dtype,
      mode: jit ? 'jit' : 'eager',
      load: async () => {
        const jax = await loadJax()
        return (w) => jaxRunner(jax, w, dtype, jit)
      },
    })),
  ),
]

/**
 * Tolerance of the gradient check, normwise relative error: is the gradient right? It is loose
 * enough for float32 rounding along the chain; float64 peers get the same gate, and their error
 * is compared with {@link FLOAT64_PRECISE} separately.
 */
const TOLERANCE: Record<DType, number> = { float32: 1e-3, float64: 1e-3 }

/** The relative error a float64 gradient of these workloads should stay under. */
const FLOAT64_PRECISE = 1e-9

/** max |g − ref| / max |ref|. */
function relativeError(g: Float64Array, ref: Float64Array): number {
  if (g.length !== ref.length) return Infinity
  let num = 0
  let den = 0
  for (let i = 0; i < g.length; i++) {
    num = Math.max(num, Math.abs(g[i]! - ref[i]!))
    den = Math.max(den, Math.abs(ref[i]!))
  }
  return Number.isNaN(num) ? Infinity : num / Math.max(den, Number.MIN_VALUE)
}

/** One row of the peers table. */
export interface PeerRow {
  readonly library: string
  readonly device: string
  readonly dtype: DType
  readonly mode: string
  readonly fn: string
  readonly relErr: number | null
  readonly tolerance: number
  readonly agrees: boolean
  readonly peerMs: number | null
  readonly dualtapeMs: number | null
  /** dualtape ÷ peer: above 1, the peer is faster. */
  readonly ratio: number | null
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** The peers suite. */
export const peersSuite: Suite = {
  name: 'peers',
  title: 'Peers: TensorFlow.js and jax-js on the same gradients',
  description:
    'the MLP and the elementwise chain differentiated by tfjs (cpu, wasm) and jax-js (wasm; float32, float64; eager, jit), checked against dualtape, then timed side by side',
  steps: () => PEERS.length,
  run: async (ctx) => {
    const problems: Problem[] = []
    const rows: PeerRow[] = []
    const ws = workloads(ctx.size)
    const reference = ws.map((w) => dualtapeRunner(w, 'float64').gradient())
    const dualtape = new Map<DType, Runner[]>()
    const dualtapeOf = (dtype: DType): Runner[] => {
      let r = dualtape.get(dtype)
      if (r === undefined) {
        r = ws.map((w) => dualtapeRunner(w, dtype))
        dualtape.set(dtype, r)
      }
      return r
    }
    const timing =
      ctx.size === 'smoke'
        ? { warmup: 1, repeats: 3, minSampleMs: 1 }
        : ctx.size === 'quick'
          ? { warmup: 1, repeats: 3, minSampleMs: 5 }
          : { warmup: 2, repeats: 9, minSampleMs: 5 }
    const failedLibraries = new Map<string, string>()
    for (const peer of PEERS) {
      const label = `${peer.library} ${peer.device} ${peer.dtype} ${peer.mode}`
      ctx.tick(`peers: ${label}`)
      await breathe()
      const known = failedLibraries.get(`${peer.library}/${peer.device}`)
      let make: ((w: Workload) => Runner) | undefined
      try {
        if (known !== undefined) throw new Error(known)
        make = await peer.load()
      } catch (e) {
        if (known === undefined) {
          failedLibraries.set(`${peer.library}/${peer.device}`, message(e))
          problems.push({ kind: 'peer-load', message: `${peer.library} (${peer.device}): ${message(e)}` })
        }
        for (const w of ws) rows.push(emptyRow(peer, w.name))
        continue
      }
      for (const [i, w] of ws.entries()) {
        let runner: Runner | undefined
        try {
          runner = make(w)
          const relErr = relativeError(runner.gradient(), reference[i]!)
          const tolerance = TOLERANCE[peer.dtype]
          if (!(relErr <= tolerance)) {
            problems.push({
              kind: 'peer-check',
              message: `${label}, ${w.name}: relative error ${relErr.toExponential(2)} against dualtape (tolerance ${tolerance}); not timed`,
            })
            rows.push({ ...emptyRow(peer, w.name), relErr, agrees: false })
            continue
          }
          const ours = dualtapeOf(peer.dtype)[i]!
          const [dualtapeMs, peerMs] = timeInterleaved([ours.run, runner.run], timing) as [number, number]
          rows.push({
            ...emptyRow(peer, w.name),
            relErr,
            agrees: true,
            peerMs,
            dualtapeMs,
            ratio: dualtapeMs / peerMs,
          })
        } catch (e) {
          problems.push({ kind: 'error', message: `${label}, ${w.name}: ${message(e)}` })
          rows.push(emptyRow(peer, w.name))
        } finally {
          runner?.dispose()
        }
        await breathe()
      }
    }
    const table: Table = {
      title:
        'Gradients by the peers, checked against dualtape (float64), timed beside dualtape in the same dtype',
      columns: [
        { key: 'fn', header: 'function', format: 'text' },
        { key: 'library', header: 'library', format: 'text' },
        { key: 'device', header: 'device', format: 'text' },
        { key: 'dtype', header: 'dtype', format: 'text' },
        { key: 'mode', header: 'mode', format: 'text' },
        { key: 'relErr', header: 'rel. error', format: 'err' },
        { key: 'agrees', header: 'agrees', format: 'check' },
        { key: 'peerMs', header: 'peer ms', format: 'ms' },
        { key: 'dualtapeMs', header: 'dualtape ms', format: 'ms' },
        { key: 'ratio', header: 'dualtape ÷ peer', format: 'ratio' },
      ],
      rows: [...rows].sort((a, b) => (a.fn < b.fn ? -1 : a.fn > b.fn ? 1 : 0)).map((r) => ({ ...r })),
      notes: [
        `rel. error: max |g − g_dualtape| / max |g_dualtape|, against dualtape in float64; a gradient agrees within ${TOLERANCE.float32} (float64 peers too: their precision is judged against ${FLOAT64_PRECISE} separately).`,
        'dualtape ÷ peer above 1: the peer is faster. dualtape runs on its pure-TypeScript cpu backend; tfjs-backend-wasm and jax-js run WebAssembly kernels.',
        'Each time includes reading the gradient back (dataSync), since the peers evaluate lazily or asynchronously.',
      ],
    }
    for (const runners of dualtape.values()) for (const r of runners) r.dispose()
    const timed = rows.filter((r) => r.ratio !== null)
    const imprecise = rows.filter(
      (r) => r.dtype === 'float64' && r.relErr !== null && r.relErr > FLOAT64_PRECISE,
    )
    const notes = [`Peers that ran: ${PEERS.length - failedPeers(rows)} of ${PEERS.length} configurations.`]
    if (imprecise.length > 0) {
      const worst = Math.max(...imprecise.map((r) => r.relErr!))
      const who = [...new Set(imprecise.map((r) => `${r.library} (${r.device})`))].join(', ')
      notes.push(
        `float64 gradients of ${who} agree with dualtape's only to ${worst.toExponential(1)} (relative), far above float64 rounding (< ${FLOAT64_PRECISE}); see the elementary functions below.`,
      )
    }
    const tables = [table]
    if (failedLibraries.has('jax-js/wasm') === false && jaxLoading !== undefined) {
      try {
        const probe = jaxFloat64Probe(await jaxLoading)
        tables.push({
          title: 'jax-js float64 elementary functions against Math (on [-3, 3])',
          columns: [
            { key: 'fn', header: 'function', format: 'text' },
            { key: 'relErr', header: 'max rel. error', format: 'err' },
          ],
          rows: probe,
          notes: [
            `Double precision would be about 1e-16; a float64-accurate gradient of these workloads stays under ${FLOAT64_PRECISE}.`,
          ],
        })
      } catch (e) {
        problems.push({ kind: 'error', message: `jax-js float64 probe: ${message(e)}` })
      }
    }
    return {
      notes,
      tables,
      targets: [],
      plots: timed.length === 0 ? [] : [await peersPlot(timed)],
      problems,
    }
  },
}

async function peersPlot(rows: readonly PeerRow[]): Promise<Plot> {
  const { barPlot } = await import('../../src/viz/plot.js')
  return {
    file: 'speed',
    title: 'dualtape ÷ peer',
    spec: barPlot({
      title: 'Gradient time, dualtape ÷ peer (above 1: the peer is faster)',
      data: rows.map((r) => ({
        peer: `${r.library} ${r.device.replace('tfjs-backend-', '')} ${r.dtype} ${r.mode}`,
        function: r.fn,
        'dualtape ÷ peer': r.ratio!,
      })),
      x: 'peer',
      y: 'dualtape ÷ peer',
      color: 'function',
      horizontal: true,
      logY: true,
      width: 420,
      height: 30 * rows.length,
    }),
  }
}

const failedPeers = (rows: readonly PeerRow[]): number =>
  new Set(rows.filter((r) => r.peerMs === null).map((r) => `${r.library}/${r.device}/${r.dtype}/${r.mode}`))
    .size

const emptyRow = (peer: Peer, fn: string): PeerRow => ({
  library: peer.library,
  device: peer.device,
  dtype: peer.dtype,
  mode: peer.mode,
  fn,
  relErr: null,
  tolerance: TOLERANCE[peer.dtype],
  agrees: false,
  peerMs: null,
  dualtapeMs: null,
  ratio: null,
})
