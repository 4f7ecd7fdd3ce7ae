import type { Backend } from '../core/backend.js'
import { currentBackend, getBackend } from '../backends/registry.js'
import {
  type DType,
  type FloatArray,
  allocArray,
  checkAnyDType,
  checkDType,
  defaultDType,
  dtypeOfArray,
} from '../core/dtype.js'
import { BackendError, DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { Rng, checkSeed } from '../core/random.js'
import { type Shape, checkShape, checkSize, shapesEqual, sizeOf } from '../core/shape.js'
import { type NestedArray, Tensor, isTensor } from '../core/tensor.js'
import { describe } from '../core/op.js'
import { checkOptions } from '../core/options.js'

/**
 * Options for creating a tensor.
 *
 * @example
 * import { zeros, type CreateOptions } from 'dualtape'
 * const options: CreateOptions = { dtype: 'float32', backend: 'cpu' }
 * zeros([2], options).dtype // → 'float32'
 */
export interface CreateOptions {
  readonly dtype?: DType
  /** A registered backend name; the current backend by default. */
  readonly backend?: string
}

/**
 * Options for `tensor`, which may also give the shape of flat data.
 *
 * @example
 * import { tensor, type TensorOptions } from 'dualtape'
 * const options: TensorOptions = { shape: [2, 2] }
 * tensor([1, 2, 3, 4], options) // → [[1, 2], [3, 4]]
 */
export interface TensorOptions extends CreateOptions {
  readonly shape?: Shape
}

import { indexRange, setIndexRange } from '../core/tensor.js'
export { indexRange, setIndexRange }

/** Creates a tensor on a backend from a typed array that is not used again (internal). */
export function fromData(data: FloatArray, shape: Shape, backend: Backend = currentBackend()): Tensor {
  const dtype = dtypeOfArray(data)
  if (dtype === 'int32') {
    // every backend holds index tensors
    let lo = 0
    let hi = -1
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!
      if (i === 0 || v < lo) lo = v
      if (i === 0 || v > hi) hi = v
    }
    const t = new Tensor(shape, dtype, {
      kind: 'concrete',
      backend,
      handle: backend.fromArray(data, { shape, dtype }),
    })
    return setIndexRange(t, lo, hi)
  }
  if (!backend.dtypes.includes(dtype)) {
    throw new DTypeError(
      `the ${backend.name} backend has no ${dtype}; it supports ${backend.dtypes.join(', ')}` +
        (dtype === 'float64' ? " (create with { dtype: 'float32' })" : ''),
    )
  }
  const meta = { shape, dtype }
  return new Tensor(shape, dtype, { kind: 'concrete', backend, handle: backend.fromArray(data, meta) })
}

/** The backend named in the options, or null when none is. */
function backendOption(where: string, opts: CreateOptions | undefined): Backend | null {
  if (opts?.backend === undefined) return null
  if (typeof opts.backend !== 'string') {
    throw new ValueError(`${where}: backend must be a backend's name, got ${describe(opts.backend)}`)
  }
  try {
    return getBackend(opts.backend)
  } catch (e) {
    throw e instanceof BackendError ? new BackendError(`${where}: ${e.message}`) : e
  }
}

function resolve(
  where: string,
  opts: CreateOptions | undefined,
  fallback: DType = defaultDType,
  indices = false,
): { dtype: DType; backend: Backend } {
  checkOptions(where, opts)
  const backend = backendOption(where, opts) ?? currentBackend()
  // without a dtype, a backend that has no float64 (tfjs) gets its own: an explicit float64 is an error
  const dtype =
    opts?.dtype !== undefined
      ? indices
        ? checkAnyDType(where, opts.dtype)
        : checkDType(where, opts.dtype)
      : fallback === 'int32' || backend.dtypes.includes(fallback)
        ? fallback
        : (backend.dtypes[0] ?? fallback)
  return { dtype, backend }
}

/**
 * A tensor from nested arrays of numbers, a number, or a typed array with its shape.
 * The data is copied: later changes to the arrays do not reach the tensor.
 *
 * @example
 * import { tensor } from 'dualtape'
 * tensor([[1, 2, 3], [4, 5, 6]]).shape                 // [2, 3]
 * tensor(new Float64Array([1, 2, 3, 4]), [2, 2]).shape // [2, 2]
 * tensor(3.5, { dtype: 'float32' }).dtype              // 'float32'
 */
export function tensor(
  data: NestedArray | readonly NestedArray[] | FloatArray | Tensor,
  shapeOrOptions?: Shape | TensorOptions,
): Tensor {
  const opts: TensorOptions | undefined = Array.isArray(shapeOrOptions)
    ? { shape: shapeOrOptions as Shape }
    : (shapeOrOptions as TensorOptions | undefined)
  checkOptions('tensor', opts)
  if (isTensor(data)) return asIs(data, opts)
  if (data instanceof Float64Array || data instanceof Float32Array || data instanceof Int32Array) {
    const { dtype, backend } = resolve('tensor', opts, dtypeOfArray(data), true)
    const shape = opts?.shape === undefined ? [data.length] : [...checkShape('tensor', opts.shape)]
    if (sizeOf(shape) !== data.length) {
      throw new ShapeError(`tensor: ${data.length} values do not fill shape ${fmtShape(shape)}`)
    }
    if (dtype === 'int32') checkIndexData(data, shape)
    const copy = allocArray(dtype, data.length)
    copy.set(data)
    return fromData(copy, shape, backend)
  }
  const { dtype, backend } = resolve('tensor', opts, defaultDType, true)
  const shape = inferShape(data)
  if (opts?.shape !== undefined && sizeOf(checkShape('tensor', opts.shape)) !== sizeOf(shape)) {
    throw new ShapeError(
      `tensor: data of shape ${fmtShape(shape)} does not fill shape ${fmtShape(opts.shape)}`,
    )
  }
  const flat = allocArray(dtype, sizeOf(shape))
  // int32 values are checked before they are stored (an Int32Array would truncate 1.5 to 1)
  const values = dtype === 'int32' ? new Float64Array(flat.length) : flat
  let k = 0
  const fill = (v: unknown): void => {
    if (typeof v === 'number') values[k++] = v
    else for (const e of v as unknown[]) fill(e)
  }
  fill(data)
  if (dtype === 'int32') {
    checkIndexData(values, shape)
    flat.set(values)
  }
  return fromData(flat, opts?.shape === undefined ? shape : [...opts.shape], backend)
}

/** Throws a ValueError unless every value is an integer that int32 holds. */
function checkIndexData(values: ArrayLike<number>, shape: Shape): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
      throw new ValueError(
        `tensor: int32 data must be integers in [-2³¹, 2³¹), got ${fmtValue(v)} at element ${i} of shape ${fmtShape(shape)}`,
      )
    }
  }
}

/** The deepest nesting of arrays that `tensor` reads (a tensor of higher rank is built with `reshape`). */
const maxNesting = 256

/** A tensor given to `tensor`: returned as it is; options asking for another dtype, backend or shape are errors. */
function asIs(t: Tensor, opts: TensorOptions | undefined): Tensor {
  const backend = backendOption('tensor', opts)
  if (backend !== null && backend !== t.backend) {
    throw new BackendError(
      `tensor: the tensor lives on the ${t.backend.name} backend, not ${backend.name}; move it with toBackend()`,
    )
  }
  if (opts?.dtype !== undefined && checkAnyDType('tensor', opts.dtype) !== t.dtype) {
    throw new DTypeError(`tensor: the tensor is ${t.dtype}, not ${opts.dtype}; convert it with cast()`)
  }
  if (opts?.shape !== undefined && !shapesEqual(checkShape('tensor', opts.shape), t.shape)) {
    throw new ShapeError(
      `tensor: the tensor has shape ${fmtShape(t.shape)}, not ${fmtShape(opts.shape)}; change it with reshape()`,
    )
  }
  return t
}

function inferShape(data: unknown, depth = 0): number[] {
  if (typeof data === 'number') return []
  if (!Array.isArray(data)) {
    throw new ValueError(`tensor: expected numbers or nested arrays of numbers, got ${describe(data)}`)
  }
  if (depth >= maxNesting) {
    throw new ValueError(
      `tensor: arrays nested more than ${maxNesting} deep (an array that contains itself?)`,
    )
  }
  const shape = [data.length]
  if (data.length === 0) return shape
  const inner = inferShape(data[0], depth + 1)
  for (let i = 1; i < data.length; i++) {
    const s = inferShape(data[i], depth + 1)
    if (s.length !== inner.length || s.some((d, j) => d !== inner[j])) {
      throw new ShapeError(
        `tensor: ragged nested array: element 0 has shape ${fmtShape(inner)}, element ${i} has ${fmtShape(s)}`,
      )
    }
  }
  return [...shape, ...inner]
}

/**
 * A tensor filled with one value.
 *
 * @example
 * import { full } from 'dualtape'
 * full([2], 7).toArray() // [7, 7]
 */
export function full(shape: Shape, value: number, opts?: CreateOptions): Tensor {
  if (typeof value !== 'number')
    throw new ValueError(`full: the value must be a number, got ${fmtValue(value)}`)
  const { dtype, backend } = resolve('full', opts)
  const a = allocArray(dtype, sizeOf(checkShape('full', shape)))
  if (value !== 0) a.fill(value)
  return fromData(a, [...shape], backend)
}

/**
 * A tensor of zeros.
 *
 * @example
 * import { zeros } from 'dualtape'
 * zeros([2, 3]).toArray() // [[0, 0, 0], [0, 0, 0]]
 */
export const zeros = (shape: Shape, opts?: CreateOptions): Tensor => full(shape, 0, opts)

/**
 * A tensor of ones.
 *
 * @example
 * import { ones } from 'dualtape'
 * ones([2]).toArray() // [1, 1]
 */
export const ones = (shape: Shape, opts?: CreateOptions): Tensor => full(shape, 1, opts)

/**
 * The n×m identity matrix (m = n by default).
 *
 * @example
 * import { eye } from 'dualtape'
 * eye(2).toArray() // [[1, 0], [0, 1]]
 */
export function eye(n: number, m: number = n, opts?: CreateOptions): Tensor {
  const { dtype, backend } = resolve('eye', opts)
  checkShape('eye', [n, m])
  const a = allocArray(dtype, n * m)
  for (let i = 0; i < Math.min(n, m); i++) a[i * m + i] = 1
  return fromData(a, [n, m], backend)
}

/**
 * Evenly spaced values in [start, stop): `arange(n)` is 0, 1, …, n − 1.
 *
 * @example
 * import { arange } from 'dualtape'
 * arange(4).toArray()       // [0, 1, 2, 3]
 * arange(1, 2, 0.5).toArray() // [1, 1.5]
 */
export function arange(start: number, stop?: number, step = 1, opts?: CreateOptions): Tensor {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop]
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !Number.isFinite(step) || step === 0) {
    throw new ValueError(
      `arange: start, stop and a nonzero step must be finite numbers (got ${[lo, hi, step].map(fmtValue).join(', ')})`,
    )
  }
  const n = Math.max(0, Math.ceil((hi - lo) / step))
  checkSize('arange', [n])
  const { dtype, backend } = resolve('arange', opts)
  const a = allocArray(dtype, n)
  for (let i = 0; i < n; i++) a[i] = lo + i * step
  return fromData(a, [n], backend)
}

/**
 * Options for random tensors.
 *
 * @example
 * import { randn, type RandomOptions } from 'dualtape'
 * const options: RandomOptions = { seed: 7 }
 * // the same seed gives the same numbers
 * JSON.stringify(randn([3], options).toArray()) === JSON.stringify(randn([3], options).toArray()) // → true
 */
export interface RandomOptions extends CreateOptions {
  /**
   * The seed: the same seed gives the same tensor on every machine. Any safe integer, negative
   * ones included (|seed| ≤ 2⁵³ − 1), as JAX's `PRNGKey` takes any integer; all its bits count,
   * so seeds that agree modulo 2³² give different numbers. Others (1.5, 2⁵³, 1e300, NaN) are a
   * `ValueError`. Without a seed, each call takes the next of a fixed sequence.
   */
  readonly seed?: number
}

let autoSeed = 0x5eed

function rngOf(where: string, opts?: RandomOptions): Rng {
  checkOptions(where, opts)
  return new Rng(opts?.seed === undefined ? autoSeed++ : checkSeed(where, opts.seed))
}

/**
 * Standard normal samples.
 *
 * @example
 * import { randn } from 'dualtape'
 * randn([2, 3], { seed: 0 }).shape // [2, 3]
 */
export function randn(shape: Shape, opts?: RandomOptions): Tensor {
  const rng = rngOf('randn', opts)
  const { dtype, backend } = resolve('randn', opts)
  const a = allocArray(dtype, sizeOf(checkShape('randn', shape)))
  for (let i = 0; i < a.length; i++) a[i] = rng.normal()
  return fromData(a, [...shape], backend)
}

/** The largest finite float32. */
const float32Max = 3.4028234663852886e38

/**
 * Uniform samples in [low, high) (low = 0 and high = 1 by default), as low + (high − low)·u.
 * Any finite range works, even one wider than the largest double (−1e308 to 1e308): the
 * samples are then computed without forming the width, and stay finite. As in numpy and JAX,
 * rounding can give `high` itself, and high < low gives samples in (high, low]. With float32,
 * low and high must be finite in float32 (|v| ≤ 3.4028234663852886e38): a `ValueError` names
 * them otherwise.
 *
 * @example
 * import { uniform } from 'dualtape'
 * uniform([3], { seed: 1, low: -1, high: 1 }).shape // [3]
 * uniform([2], { seed: 1, low: -1e308, high: 1e308 }).dataSync().every(Number.isFinite) // → true
 */
export function uniform(shape: Shape, opts?: RandomOptions & { low?: number; high?: number }): Tensor {
  const rng = rngOf('uniform', opts)
  const { dtype, backend } = resolve('uniform', opts)
  const lo = opts?.low ?? 0
  const hi = opts?.high ?? 1
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new ValueError(
      `uniform: low and high must be finite numbers, got ${fmtValue(lo)} and ${fmtValue(hi)}`,
    )
  }
  if (dtype === 'float32' && (Math.abs(lo) > float32Max || Math.abs(hi) > float32Max)) {
    throw new ValueError(
      `uniform: low and high must be finite in float32 (at most ${float32Max} in magnitude), got ${fmtValue(lo)} and ${fmtValue(hi)}`,
    )
  }
  const a = allocArray(dtype, sizeOf(checkShape('uniform', shape)))
  const width = hi - lo
  if (Number.isFinite(width)) {
    for (let i = 0; i < a.length; i++) a[i] = lo + width * rng.uniform()
  } else {
    // the width overflows: lo + 2·h·u with h = (high − low)/2, each partial sum finite; the
    // rounding of a sample near an end may step past it, so it is clamped into the range
    const half = hi / 2 - lo / 2
    const [min, max] = lo < hi ? [lo, hi] : [hi, lo]
    for (let i = 0; i < a.length; i++) {
      const hu = half * rng.uniform()
      a[i] = Math.min(max, Math.max(min, lo + hu + hu))
    }
  }
  return fromData(a, [...shape], backend)
}

/** A scalar of the dtype and backend of `like` (a constant at every level). */
export function scalarLike(like: Tensor, value: number): Tensor {
  const a = allocArray(like.dtype, 1)
  a[0] = value
  return fromData(a, [], like.backend)
}

/**
 * Zeros of the shape, dtype and backend of `like` (a constant at every level).
 *
 * @example
 * import { zerosLike, tensor } from 'dualtape'
 * zerosLike(tensor([1, 2])).toArray() // [0, 0]
 */
export function zerosLike(like: Tensor, shape?: Shape): Tensor {
  const s = likeShape('zerosLike', like, shape)
  return fromData(allocArray(like.dtype, sizeOf(s)), [...s], like.backend)
}

/**
 * Ones of the shape, dtype and backend of `like`.
 *
 * @example
 * import { onesLike, tensor } from 'dualtape'
 * onesLike(tensor([1, 2])).toArray() // [1, 1]
 */
export function onesLike(like: Tensor, shape?: Shape): Tensor {
  const s = likeShape('onesLike', like, shape)
  const a = allocArray(like.dtype, sizeOf(s))
  a.fill(1)
  return fromData(a, [...s], like.backend)
}

/** The shape for `zerosLike`/`onesLike`: that of `like` unless one is given. */
function likeShape(where: string, like: unknown, shape: unknown): Shape {
  if (!isTensor(like))
    throw new ValueError(`${where}: the first argument must be a Tensor, got ${describe(like)}`)
  return shape === undefined ? like.shape : checkShape(where, shape)
}
