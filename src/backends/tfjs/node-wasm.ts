/**
 * TensorFlow.js on its WebAssembly backend (`@tensorflow/tfjs-backend-wasm`) in Node.
 *
 * In Node the backend loads its `.wasm` binary from its own `dist` folder as a file; no fetch
 * is involved. It picks the SIMD binary when WebAssembly SIMD is available (Node 20 has it) and
 * runs single-threaded: the package disables its threaded binary under Node. The binary's
 * folder is set explicitly, as a file path, so that the backend also finds it when this module
 * is bundled into one file (its own default is relative to its own script).
 *
 * @module
 */
import { createRequire } from 'node:module'
import { importOptional } from '../../core/errors.js'
import { dirname } from 'node:path'
import type * as TfCore from '@tensorflow/tfjs-core'

type Tf = typeof TfCore
interface TfWasm {
  setWasmPaths(prefixOrFileMap: string | Record<string, string>, usePlatformFetch?: boolean): void
}

let ready: Promise<Tf> | undefined
let selecting: Promise<void> = Promise.resolve()

/** The folder holding the package's `.wasm` binaries, with a trailing slash, if resolvable. */
function wasmFolder(): string | undefined {
  try {
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')
    return `${dirname(main)}/`
  } catch {
    return undefined
  }
}

async function setUp(): Promise<Tf> {
  const packages = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm']
  const tf = (await importOptional('tfjs-wasm', packages, () => import('@tensorflow/tfjs-core'))) as Tf
  const wasm = (await importOptional(
    'tfjs-wasm',
    packages,
    () => import('@tensorflow/tfjs-backend-wasm'),
  )) as unknown as TfWasm
  // The paths can only be set before the backend is first initialized.
  const folder = wasmFolder()
  if (folder !== undefined && (tf.findBackend('wasm') ?? null) === null) wasm.setWasmPaths(folder)
  return tf
}

/**
 * Makes TensorFlow.js compute on its WebAssembly backend in Node (float32, SIMD,
 * single-threaded). Idempotent: later calls only select the `wasm` backend again if another was
 * selected in between. Rejects with an `Error` when the backend cannot be initialized; a failed
 * call leaves nothing cached, so it can be retried.
 */
export async function initTfjsWasm(): Promise<void> {
  if (ready === undefined) {
    const current = setUp()
    ready = current
    current.catch(() => {
      if (ready === current) ready = undefined
    })
  }
  const tf = await ready
  // tfjs answers false to the earlier of two overlapping setBackend calls: run them one at a time.
  const run = selecting.then(() => select(tf))
  selecting = run.catch(() => undefined)
  return run
}

async function select(tf: Tf): Promise<void> {
  if (tf.getBackend() === 'wasm' && (tf.findBackend('wasm') ?? null) !== null) return
  if (!(await tf.setBackend('wasm'))) {
    throw new Error(
      'initTfjsWasm: the tfjs wasm backend failed to initialize (tfjs printed the reason as a warning); ' +
        `its binaries are expected in ${wasmFolder() ?? 'the dist folder of @tensorflow/tfjs-backend-wasm'}`,
    )
  }
}
