/**
 * `dualtape/tfjs`: the TensorFlow.js backends, float32 on tfjs-cpu, tfjs-wasm and tfjs-webgpu
 * (in Node through Dawn, on a GPU or Mesa's software renderer). `initTfjsBackend(kind)` loads
 * the optional TensorFlow.js packages and registers the backend under `tfjsBackendName(kind)`;
 * `toBackend` and `toBackendAsync` move tensors between backends.
 *
 * @example
 * import { tensor, grad, sum, mul } from 'dualtape'
 * import { initTfjsBackend } from 'dualtape/tfjs'
 * const backend = await initTfjsBackend('cpu')
 * const x = tensor([1, 2, 3], { backend: backend.name })
 * grad((v) => sum(mul(v, v)))(x).dtype // → 'float32'
 *
 * @module
 */
import type * as TfCore from '@tensorflow/tfjs-core'
import { BackendError, MissingPackageError, importOptional } from '../../core/errors.js'
import type { Backend } from '../../core/backend.js'
import { recordBackendFailure, registerBackend } from '../registry.js'
import { type TfjsBackendConfig, createTfjsBackend } from './backend.js'
import type { NodeWebGPUOptions } from './node-webgpu.js'

export { toBackend, toBackendAsync, type MoveOptions } from './move.js'

type Tf = typeof TfCore

/**
 * The TensorFlow.js backends dualtape runs on.
 *
 * @example
 * import { initTfjsBackend, tfjsBackendName, type TfjsKind } from 'dualtape/tfjs'
 * const kind: TfjsKind = 'cpu'
 * const backend = await initTfjsBackend(kind)
 * backend.name === tfjsBackendName(kind) // → true
 * backend.dtypes // → ['float32']
 */
export type TfjsKind = 'cpu' | 'wasm' | 'webgpu'

/**
 * Options of `initTfjsBackend`.
 *
 * @example
 * import { initTfjsBackend, type TfjsInitOptions } from 'dualtape/tfjs'
 * // in Node, Dawn's backend for WebGPU: 'vulkan', 'opengles' (Mesa's software renderer without
 * // a GPU) or 'auto' (the default: Vulkan, then OpenGL ES)
 * const options: TfjsInitOptions = { webgpu: { backend: 'auto' } }
 * const backend = await initTfjsBackend('webgpu', options)
 * backend.name // → 'tfjs-webgpu'
 */
export interface TfjsInitOptions {
  /** In Node: which Dawn backend WebGPU uses (default 'auto': Vulkan with a GPU, else OpenGL ES on Mesa). */
  readonly webgpu?: NodeWebGPUOptions
}

const kinds: readonly TfjsKind[] = ['cpu', 'wasm', 'webgpu']

/**
 * Whether tfjs-backend-webgpu can read synchronously here: it reads through an OffscreenCanvas,
 * which browsers have and Node has not.
 */
const webgpuReadsSync = (): boolean =>
  typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'function'

const isNode = (): boolean =>
  typeof process !== 'undefined' &&
  typeof (process as { versions?: { node?: string } }).versions?.node === 'string'

/**
 * How each backend multiplies transposed operands, measured with bench/tfjs.ts: tfjs-backend-wasm
 * runs tf.matMul with a transpose flag about 10× slower than a plain one, so both operands are
 * transposed first; on WebGPU (measured on Mesa's software renderer) a transposed B is faster
 * transposed first, a transposed A as a flag; tfjs-cpu takes the flags as they are.
 */
const configs: { readonly [K in TfjsKind]: () => TfjsBackendConfig } = {
  cpu: () => ({
    name: 'tfjs-cpu',
    tfBackend: 'cpu',
    syncRead: true,
    explicitTranspose: { a: false, b: false },
    copyOnRead: true,
  }),
  wasm: () => ({
    name: 'tfjs-wasm',
    tfBackend: 'wasm',
    syncRead: true,
    explicitTranspose: { a: true, b: true },
    copyOnRead: false,
  }),
  webgpu: () => ({
    name: 'tfjs-webgpu',
    tfBackend: 'webgpu',
    syncRead: webgpuReadsSync(),
    explicitTranspose: { a: false, b: true },
    copyOnRead: false,
  }),
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

async function selectTf(tf: Tf, backend: string, what: string): Promise<void> {
  let ok = false
  try {
    ok = await tf.setBackend(backend)
  } catch (e) {
    throw new BackendError(`${what}: ${message(e)}`, { cause: e })
  }
  if (!ok) throw new BackendError(`${what}: TensorFlow.js could not initialise it (it printed the reason)`)
}

/** Initialises the tfjs backend of a kind; rejects with a BackendError that says what to do. */
async function start(
  kind: TfjsKind,
  opts: TfjsInitOptions,
): Promise<{ tf: Tf; takeErrors?: () => string[] }> {
  const packages = [
    '@tensorflow/tfjs-core',
    `@tensorflow/tfjs-backend-${kind}`,
    ...(kind === 'webgpu' && isNode() ? ['webgpu'] : []),
  ]
  const what = `tfjs-${kind}`
  const tf = (await importOptional(what, packages, () => import('@tensorflow/tfjs-core'))) as Tf
  if (kind === 'cpu') {
    await importOptional(what, packages, () => import('@tensorflow/tfjs-backend-cpu'))
    await selectTf(tf, 'cpu', 'tfjs-cpu')
  } else if (kind === 'wasm') {
    if (isNode()) {
      const { initTfjsWasm } = await import('./node-wasm.js')
      try {
        await initTfjsWasm()
      } catch (e) {
        if (e instanceof MissingPackageError) throw e
        throw new BackendError(
          `tfjs-wasm: ${message(e)}. Use initTfjsBackend('cpu') instead, or check that @tensorflow/tfjs-backend-wasm is installed with its .wasm files`,
          { cause: e },
        )
      }
    } else {
      await importOptional(what, packages, () => import('@tensorflow/tfjs-backend-wasm'))
      await selectTf(
        tf,
        'wasm',
        'tfjs-wasm (in a browser, serve the .wasm files of @tensorflow/tfjs-backend-wasm and call its setWasmPaths first)',
      )
    }
  } else if (isNode()) {
    const { initNodeWebGPU, takeWebGPUErrors } = await import('./node-webgpu.js')
    try {
      await initNodeWebGPU(opts.webgpu)
    } catch (e) {
      if (e instanceof MissingPackageError) throw e
      throw new BackendError(
        `tfjs-webgpu: ${message(e)}\nWithout WebGPU, use initTfjsBackend('wasm') or initTfjsBackend('cpu').`,
        { cause: e },
      )
    }
    return { tf, takeErrors: takeWebGPUErrors }
  } else {
    if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu === undefined) {
      throw new BackendError(
        "tfjs-webgpu: this browser has no WebGPU (navigator.gpu is undefined); use initTfjsBackend('wasm') or initTfjsBackend('cpu')",
      )
    }
    await importOptional(what, packages, () => import('@tensorflow/tfjs-backend-webgpu'))
    await selectTf(tf, 'webgpu', 'tfjs-webgpu: no WebGPU adapter or device')
  }
  return { tf }
}

const started = new Map<TfjsKind, Promise<Backend>>()

/**
 * Initialises a TensorFlow.js backend and registers dualtape's backend on it, named
 * `'tfjs-cpu'`, `'tfjs-wasm'` or `'tfjs-webgpu'`: float32 only, every kernel a TensorFlow.js op.
 * Select it with `useBackend(name)` or per tensor with `{ backend: name }`. In Node, WebGPU
 * comes from Dawn (the `webgpu` package): on a GPU through Vulkan, without one through OpenGL ES
 * on Mesa's software renderer. Calling it again returns the same backend; a failed start
 * rejects with a BackendError that says what to do, and can be retried.
 *
 * Only one TensorFlow.js backend is active at a time: a kernel of another one switches to it
 * first (0.2 ms to several ms), so keep to one tfjs backend in hot loops.
 *
 * @example
 * import { initTfjsBackend } from 'dualtape/tfjs'
 * import { useBackend, tensor, grad, sum, square } from 'dualtape'
 * await initTfjsBackend('wasm')
 * useBackend('tfjs-wasm')
 * const g = grad((x) => sum(square(x)))(tensor([1, 2, 3]))
 * await g.data() // Float32Array [2, 4, 6]
 */
export function initTfjsBackend(kind: TfjsKind, opts: TfjsInitOptions = {}): Promise<Backend> {
  if (!kinds.includes(kind)) {
    return Promise.reject(
      new BackendError(`initTfjsBackend: unknown kind '${String(kind)}'; expected 'cpu', 'wasm' or 'webgpu'`),
    )
  }
  const known = started.get(kind)
  if (known !== undefined) return known
  const config = configs[kind]()
  const p = start(kind, opts).then(
    ({ tf, takeErrors }) => {
      const backend = createTfjsBackend(
        tf,
        takeErrors === undefined ? config : { ...config, takeErrors },
      ) as Backend
      registerBackend(backend)
      return backend
    },
    (e: unknown) => {
      started.delete(kind)
      const err =
        e instanceof BackendError ? e : new BackendError(`${config.name}: ${message(e)}`, { cause: e })
      recordBackendFailure(config.name, err.message)
      throw err
    },
  )
  started.set(kind, p)
  return p
}

/**
 * The dualtape name of the backend on a TensorFlow.js backend kind.
 *
 * @example
 * import { tfjsBackendName } from 'dualtape/tfjs'
 * tfjsBackendName('webgpu') // 'tfjs-webgpu'
 */
export const tfjsBackendName = (kind: TfjsKind): string => `tfjs-${kind}`
