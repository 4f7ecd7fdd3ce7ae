import { fromData } from '../../ops/create.js'
import { type DType, type FloatArray, allocArray, checkDType } from '../../core/dtype.js'
import { BackendError, DTypeError, TransformError, ValueError } from '../../core/errors.js'
import { describe } from '../../core/op.js'
import { type Tensor, isTensor } from '../../core/tensor.js'
import type { Backend } from '../../core/backend.js'
import { getBackend } from '../registry.js'

// ---------------------------------------------------------------------------------------------
// Moving a tensor to another backend: its data is read and written to a new tensor there. An op
// never moves data silently (mixing backends in one op is a BackendError); this is the explicit
// way. Works between any two registered backends, the cpu one included.
// ---------------------------------------------------------------------------------------------

/**
 * Options of `toBackend`.
 *
 * @example
 * import { initTfjsBackend, toBackend, type MoveOptions } from 'dualtape/tfjs'
 * import { tensor } from 'dualtape'
 * await initTfjsBackend('cpu')
 * // tfjs holds float32 only: float64 data moves there with an explicit dtype
 * const options: MoveOptions = { dtype: 'float32' }
 * const x = toBackend(tensor([1, 2]), 'tfjs-cpu', options)
 * x.dtype // → 'float32'
 * toBackend(x, 'cpu', { dtype: 'float64' }).dtype // → 'float64'
 */
export interface MoveOptions {
  /**
   * The dtype on the target (the tensor's own by default). Moving float64 data to a float32-only
   * backend (tfjs) needs `{ dtype: 'float32' }`.
   */
  readonly dtype?: DType
}

function plan(where: string, t: unknown, name: string, opts: MoveOptions) {
  if (!isTensor(t)) throw new ValueError(`${where}: expected a Tensor, got ${describe(t)}`)
  if (t.impl.kind !== 'concrete') {
    throw new TransformError(
      `${where}: cannot move a tensor that is being differentiated (a ${t.impl.kind} tracer); ` +
        'move the inputs before calling the transformation',
    )
  }
  const target = getBackend(name)
  const dtype = opts.dtype === undefined ? t.dtype : checkDType(where, opts.dtype)
  // every backend holds int32 index tensors
  if (dtype !== 'int32' && !target.dtypes.includes(dtype)) {
    throw new DTypeError(
      `${where}: the ${target.name} backend has no ${dtype}; it supports ${target.dtypes.join(', ')}` +
        (target.dtypes.includes('float32') ? " (pass { dtype: 'float32' })" : ''),
    )
  }
  return { t, source: t.impl.backend, handle: t.impl.handle, target, dtype }
}

function write(t: Tensor, data: FloatArray, target: Backend, dtype: DType): Tensor {
  const copy = allocArray(dtype, data.length)
  copy.set(data)
  return fromData(copy, [...t.shape], target)
}

/**
 * The tensor's data on another registered backend, as a new tensor (the same tensor if it is
 * already there in that dtype). The source must read synchronously (cpu, tfjs-cpu, tfjs-wasm);
 * from WebGPU in Node use `toBackendAsync`. Throws a DTypeError when the target has no such
 * dtype, and a TransformError for a tensor inside a transformation.
 *
 * @example
 * import { initTfjsBackend, toBackend } from 'dualtape/tfjs'
 * import { tensor } from 'dualtape'
 * await initTfjsBackend('wasm')
 * const x = toBackend(tensor([1, 2, 3]), 'tfjs-wasm', { dtype: 'float32' })
 * x.backend.name // 'tfjs-wasm'
 * toBackend(x, 'cpu').dtype // 'float32'
 */
export function toBackend(t: Tensor, name: string, opts: MoveOptions = {}): Tensor {
  const p = plan('toBackend', t, name, opts)
  if (p.source === p.target && p.dtype === t.dtype) return t
  if (!p.source.syncRead) {
    throw new BackendError(
      `toBackend: the ${p.source.name} backend reads asynchronously; use \`await toBackendAsync(t, '${name}')\``,
    )
  }
  return write(t, p.source.readSync(p.handle, t), p.target, p.dtype)
}

/**
 * `toBackend` for any source backend, WebGPU included: reads the data asynchronously.
 *
 * @example
 * import { initTfjsBackend, toBackendAsync } from 'dualtape/tfjs'
 * import { tensor } from 'dualtape'
 * await initTfjsBackend('webgpu')
 * const x = await toBackendAsync(tensor([1, 2]), 'tfjs-webgpu', { dtype: 'float32' })
 * const back = await toBackendAsync(x, 'cpu', { dtype: 'float64' })
 * back.toArray() // [1, 2]
 */
export async function toBackendAsync(t: Tensor, name: string, opts: MoveOptions = {}): Promise<Tensor> {
  const p = plan('toBackendAsync', t, name, opts)
  if (p.source === p.target && p.dtype === t.dtype) return t
  return write(t, await p.source.read(p.handle, t), p.target, p.dtype)
}
