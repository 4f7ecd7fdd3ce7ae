import { DTypeError, ValueError } from './errors.js'

/**
 * The element types: float64 (the default, the reference for checking) and float32, the dtypes
 * that ops compute in and that can be differentiated; and int32, the dtype of index tensors
 * (the indices of `take`, the result of `argmax`), which are never differentiated: a float op
 * given an int32 tensor, or a transformation asked to differentiate one, throws a `DTypeError`.
 *
 * @example
 * import { tensor, type DType } from 'dualtape'
 * const dtype: DType = 'float32'
 * tensor([1, 2], { dtype }).dtype // → 'float32'
 * tensor([0, 2], { dtype: 'int32' }).dtype // → 'int32'
 */
export type DType = FloatDType | 'int32'

/**
 * The dtypes that ops compute in and that can be differentiated.
 *
 * @example
 * import { zeros, type FloatDType } from 'dualtape'
 * const dtype: FloatDType = 'float64'
 * zeros([2], { dtype }).dtype // → 'float64'
 */
export type FloatDType = 'float64' | 'float32'

/**
 * The typed array that holds data of each dtype on the CPU (an Int32Array for int32 index tensors).
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { type FloatArray } from 'dualtape/backends'
 * const data: FloatArray = tensor([1, 2]).dataSync()
 * data instanceof Float64Array // → true
 */
export type FloatArray = Float64Array | Float32Array | Int32Array

/** The default dtype of created tensors. */
export const defaultDType: DType = 'float64'

/** Checks a float dtype name given by a user (int32 only where index tensors are made: `checkAnyDType`). */
export function checkDType(where: string, dtype: unknown): FloatDType {
  if (dtype === 'float64' || dtype === 'float32') return dtype
  if (dtype === 'int32') {
    throw new DTypeError(
      `${where}: int32 is the dtype of index tensors, made with tensor(data, { dtype: 'int32' }) or by argmax; ` +
        "expected 'float64' or 'float32' here",
    )
  }
  throw new DTypeError(`${where}: unknown dtype ${String(dtype)}; expected 'float64' or 'float32'`)
}

/** Checks a dtype name given by a user, int32 included. */
export function checkAnyDType(where: string, dtype: unknown): DType {
  if (dtype === 'int32') return dtype
  if (dtype === 'float64' || dtype === 'float32') return dtype
  throw new DTypeError(`${where}: unknown dtype ${String(dtype)}; expected 'float64', 'float32' or 'int32'`)
}

/** A new zeroed typed array of a dtype. */
export function allocArray(dtype: DType, n: number): FloatArray {
  try {
    return dtype === 'float64'
      ? new Float64Array(n)
      : dtype === 'float32'
        ? new Float32Array(n)
        : new Int32Array(n)
  } catch (e) {
    // the engine's own limit is checked before (checkShape, apply); this is the memory running out
    throw new ValueError(`cannot allocate ${n} ${dtype} values: ${(e as Error).message}`)
  }
}

/** Node's `Buffer`, where there is one: it hands out memory that it has not zeroed. */
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array<ArrayBuffer> } })
  .Buffer

/** From this many bytes on, `allocUnfilled` skips the zeroing (below, it costs little and a Buffer more). */
const UNFILLED_BYTES = 1 << 16

/**
 * A new typed array of a dtype whose contents are unspecified (not zeroed), for a kernel that
 * writes every element of its output before anything reads it (the matrix product). Zeroing is a
 * pass over the memory as long as a memory-bound kernel's own: per-example weight gradients by
 * vmap (bench/vmap.ts, five outputs of 128 MiB) took about 17% less time without it. In Node, from
 * 64 KiB, the memory comes from `Buffer.allocUnsafeSlow` (the allocator's own, not zeroed, aligned
 * for any element type); elsewhere, and below, this is `allocArray`.
 */
export function allocUnfilled(dtype: DType, n: number): FloatArray {
  const bytes = dtype === 'float64' ? 8 * n : 4 * n
  if (nodeBuffer === undefined || bytes < UNFILLED_BYTES) return allocArray(dtype, n)
  let buf: Uint8Array<ArrayBuffer>
  try {
    buf = nodeBuffer.allocUnsafeSlow(bytes)
  } catch (e) {
    throw new ValueError(`cannot allocate ${n} ${dtype} values: ${(e as Error).message}`)
  }
  // Node's own is never pooled (offset 0); a Buffer polyfilled elsewhere might be
  if (buf.byteOffset % 8 !== 0) return allocArray(dtype, n)
  const Ctor = dtype === 'float64' ? Float64Array : dtype === 'float32' ? Float32Array : Int32Array
  return new Ctor(buf.buffer, buf.byteOffset, n)
}

/** The dtype of a typed array. */
export function dtypeOfArray(a: FloatArray): DType {
  return a instanceof Float32Array ? 'float32' : a instanceof Int32Array ? 'int32' : 'float64'
}
