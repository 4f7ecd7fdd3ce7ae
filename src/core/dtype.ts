import { DTypeError } from './errors.js'

/** The element types: float64 (the default, the reference for checking) and float32. */
export type DType = 'float64' | 'float32'

/** The typed array that holds data of each dtype on the CPU. */
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
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n)
}

/** The dtype of a typed array. */
export function dtypeOfArray(a: FloatArray): DType {
  return a instanceof Float32Array ? 'float32' : 'float64'
}
