/**
 * The peers' workloads, as setup functions for a host (bench/measure/host.ts): the MLP and the
 * elementwise chain of bench/workloads/dualtape.ts (and the matrix products, timed alone), differentiated by TensorFlow.js
 * (tfjs-backend-cpu or tfjs-backend-wasm, float32, `tf.valueAndGrads` / `tf.grads`) or by jax-js
 * (its wasm device, float32 or float64, eager or `jit`). Each host runs one library on one
 * device, so that no library's code or memory shares a process with another's.
 *
 * Every library's results are read the same way: each call reads the value and every gradient
 * back to the host (`dataSync`), outside any scope. (Reading inside `tf.tidy` makes tfjs walk the
 * returned typed arrays element by element when the scope ends, which slowed its timings up to
 * 6×: the tensors are disposed explicitly instead.)
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
import { createRequire, register } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as TfCore from '@tensorflow/tfjs-core'
import type { Setup } from '../measure/host.js'
import { type PeerWorkload, concat } from './dualtape.js'

type Tf = typeof TfCore
type Jax = typeof import('@jax-js/jax')

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

/**
 * A module resolution hook: tfjs-core's ES modules in dist/ import each other without file
 * extensions ('../kernel_names'), which Node's own loader refuses (tsx resolves them, compiled
 * JavaScript does not); this retries such relative imports with '.js' appended.
 */
const TFJS_RESOLVE_HOOK = `export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (e) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../')
    const inTfjs = context.parentURL?.includes('/@tensorflow/tfjs-core/dist/')
    if (!relative || !inTfjs || e?.code !== 'ERR_MODULE_NOT_FOUND') throw e
    return next(specifier + '.js', context)
  }
}`

let hooked = false

/** tfjs-core with its cpu backend and the gradients of {@link TF_GRADIENTS} registered. */
async function loadTf(): Promise<Tf> {
  if (!hooked) {
    register(`data:text/javascript,${encodeURIComponent(TFJS_RESOLVE_HOOK)}`)
    hooked = true
  }
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
    for (const config of Object.values(mod)) {
      if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config)
    }
  }
  return tf
}

/** Selects a tfjs backend ('cpu' or 'wasm'), loading the wasm one first. */
async function useTfBackend(tf: Tf, name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    const req = createRequire(import.meta.url)
    wasm.setWasmPaths(`${dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`)
  }
  if (!(await tf.setBackend(name))) {
    throw new Error(`tfjs could not initialise its '${name}' backend`)
  }
  await tf.ready()
}

/** A peers workload's gradient by TensorFlow.js on `device`: the subject `grad` and the gradient as info. */
export async function tfjsSetup(device: 'cpu' | 'wasm', w: PeerWorkload): Promise<Setup> {
  const tf = await loadTf()
  await useTfBackend(tf, device)
  if (w.kind === 'product') {
    const a = tf.tensor2d(Float32Array.from(w.a), [w.m, w.k])
    const b = tf.tensor2d(Float32Array.from(w.b), [w.k, w.n])
    const read = (): ArrayLike<number> => {
      const y = tf.matMul(a, b)
      const out = y.dataSync()
      y.dispose()
      return out
    }
    return { subjects: { grad: read }, info: { gradient: Float64Array.from(read()) } }
  }
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
    const read = (): ArrayLike<number>[] => {
      const { value, grads } = vg(params)
      const out = [value.dataSync(), ...grads.map((g) => g.dataSync())]
      tf.dispose([value, ...grads])
      return out
    }
    return { subjects: { grad: read }, info: { gradient: concat(read().slice(1)) } }
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
  const read = (): ArrayLike<number> => {
    const [gx] = g([x])
    const out = gx!.dataSync()
    gx!.dispose()
    return out
  }
  return { subjects: { grad: read }, info: { gradient: Float64Array.from(read()) } }
}

// ---------------------------------------------------------------------------------------------
// jax-js
// ---------------------------------------------------------------------------------------------

/** jax-js, initialised on its wasm device. */
async function loadJax(): Promise<Jax> {
  const g = globalThis as { Float16Array?: unknown }
  if (g.Float16Array === undefined) g.Float16Array = class Float16Array extends Float32Array {}
  const jax = await import('@jax-js/jax')
  const devices = await jax.init('wasm')
  if (!devices.includes('wasm')) {
    throw new Error(`jax-js has no wasm device here (it found: ${devices.join(', ') || 'none'})`)
  }
  jax.defaultDevice('wasm')
  return jax
}

/** A peers workload's gradient by jax-js on its wasm device: the subject `grad` and the gradient as info. */
export async function jaxSetup(dtype: 'float32' | 'float64', jit: boolean, w: PeerWorkload): Promise<Setup> {
  const jax = await loadJax()
  const np = jax.numpy
  const arr = (d: Float64Array, shape: number[]) =>
    np.array(dtype === 'float32' ? Float32Array.from(d) : Float64Array.from(d)).reshape(shape)
  type A = ReturnType<typeof arr>
  if (w.kind === 'product') {
    const a = arr(w.a, [w.m, w.k])
    const b = arr(w.b, [w.k, w.n])
    const mm = jit ? jax.jit((p: A, q: A) => np.matmul(p, q)) : (p: A, q: A) => np.matmul(p, q)
    // dataSync consumes the product
    const read = (): ArrayLike<number> => (mm(a.ref, b.ref) as A).dataSync()
    return { subjects: { grad: read }, info: { gradient: Float64Array.from(read()) } }
  }
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
    const vg = jit ? jax.jit(jax.valueAndGrad(loss)) : jax.valueAndGrad(loss)
    const read = (): ArrayLike<number>[] => {
      const [value, g] = vg(jax.tree.ref(params), x.ref) as [A, { w: A; b: A }[]]
      // dataSync consumes its array: value and gradients are freed here
      return [value.dataSync(), ...g.flatMap((p) => [p.w.dataSync(), p.b.dataSync()])]
    }
    return { subjects: { grad: read }, info: { gradient: concat(read().slice(1)) } }
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
  const g = jit ? jax.jit(jax.grad(chain)) : jax.grad(chain)
  // dataSync consumes the gradient
  const read = (): ArrayLike<number> => (g(x.ref) as A).dataSync()
  return { subjects: { grad: read }, info: { gradient: Float64Array.from(read()) } }
}

/**
 * The largest relative error of jax-js's float64 elementary functions against Math's, on a grid
 * of [-3, 3] that misses the zeros of sin and cos (values below 1e-6 count as 1e-6), as info.
 */
export async function jaxFloat64ProbeSetup(): Promise<Setup> {
  const jax = await loadJax()
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
  const probe = fns.map(([fn, f, ref]) => {
    const y = f(np.array(Float64Array.from(xs))).dataSync()
    let relErr = 0
    xs.forEach(
      (v, i) => (relErr = Math.max(relErr, Math.abs(y[i]! - ref(v)) / Math.max(Math.abs(ref(v)), 1e-6))),
    )
    return { fn, relErr }
  })
  return { subjects: {}, info: probe }
}
