import { DTypeError, ValueError } from './errors.js'

/**
 * The element types: float64 (the default, the reference for checking) and float32.
 *
 * @example
 * import { tensor, type DType } from 'dualtape'
 * const dtype: DType = 'float32'
 * tensor([1, 2], { dtype }).dtype // → 'float32'
 */
export type DType = 'float64' | 'float32'

/**
 * The typed array that holds data of each dtype on the CPU.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { type FloatArray } from 'dualtape/backends'
 * const data: FloatArray = tensor([1, 2]).dataSync()
 * data instanceof Float64Array // → true
 */
export type FloatArray = Float64Array | Float32Array

/** The default dtype of created tensors. */
export const defaultDType: DType = 'float64'

/** Checks a dtype name given by a user. */
export function checkDType(where: string, dtype: unknown): DType {
  if (dtype === 'float64' || dtype === 'float32') return dtype
  throw new DTypeError(`${where}: unknown dtype ${String(dtype)}; expected 'float64' or 'float32'`)
}

/** A new zeroed typed array of a dtype. */
export function allocArray(dtype: DType, n: number): FloatArray {
  try {
    return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n)
  } catch (e) {
    // the engine's own limit is checked before (checkShape, apply); this is the memory running out
    throw new ValueError(`cannot allocate ${n} ${dtype} values: ${(e as Error).message}`)
  }
}

/** The dtype of a typed array. */
export function dtypeOfArray(a: FloatArray): DType {
  return a instanceof Float32Array ? 'float32' : 'float64'
}
