import { tensor } from '../ops/create.js'
import type { DType } from '../core/dtype.js'
import { ValueError } from '../core/errors.js'
import { describe } from '../core/op.js'
import { Rng } from '../core/random.js'
import { type Shape, stridesOf } from '../core/shape.js'
import { type Tensor, isTensor } from '../core/tensor.js'

// ---------------------------------------------------------------------------------------------
// Plain data in and out of tensors. The checker works on float64 copies of the data; tensors
// it builds keep the dtype and backend of the tensor they stand in for.
// ---------------------------------------------------------------------------------------------

/** A function of tensors returning one tensor: what the checker differentiates. */
export type TensorFn = (...args: Tensor[]) => Tensor

/** The data of a tensor as a float64 copy (cpu backend). */
export function read(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync())
}

/** A tensor with the shape, dtype and backend of `like` holding `data` (rounded to its dtype). */
export function fromLike(like: Tensor, data: Float64Array): Tensor {
  return tensor(data, { shape: like.shape, dtype: like.dtype, backend: like.backend.name })
}

/** A tensor of `shape` with the dtype and backend of `like`. */
export function fromShape(like: Tensor, data: Float64Array, shape: Shape): Tensor {
  return tensor(data, { shape, dtype: like.dtype, backend: like.backend.name })
}

/** Σᵢ aᵢ bᵢ */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

/** Σᵢ |aᵢ bᵢ|: the scale against which a dot product's rounding is measured. */
export function absDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! * b[i]!)
  return s
}

/** max |aᵢ| (0 for an empty array). */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!))
  return m
}

/** Standard normal samples from a seeded generator. */
export function normals(rng: Rng, n: number): Float64Array {
  const a = new Float64Array(n)
  for (let i = 0; i < n; i++) a[i] = rng.normal()
  return a
}

/** The multi-index of flat (row-major) position `k` in `shape`. */
export function unravel(k: number, shape: Shape): number[] {
  const strides = stridesOf(shape)
  return strides.map((s, i) => Math.floor(k / s) % shape[i]!)
}

/** Unit roundoff of a dtype (half the distance from 1 to the next number). */
export const unitRoundoff = (dtype: DType): number => (dtype === 'float32' ? 2 ** -24 : 2 ** -53)

/** Whether any of the tensors is float32 (so results carry float32 rounding). */
export const anyFloat32 = (ts: readonly Tensor[]): boolean => ts.some((t) => t.dtype === 'float32')

/** Checks that `args` is an array of tensors, naming the first offender. */
export function checkArgs(where: string, args: unknown): readonly Tensor[] {
  if (!Array.isArray(args))
    throw new ValueError(`${where}: args must be an array of tensors, got ${describe(args)}`)
  args.forEach((a, i) => {
    if (!isTensor(a)) throw new ValueError(`${where}: args[${i}] is ${describe(a)}, not a Tensor`)
  })
  return args as Tensor[]
}

/** Calls `f` and checks that it returned a tensor. */
export function callChecked(where: string, f: TensorFn, args: readonly Tensor[]): Tensor {
  const y: unknown = f(...args)
  if (!isTensor(y)) throw new ValueError(`${where}: f must return a Tensor, got ${describe(y)}`)
  return y
}

/** Checks an optional non-negative finite number option. */
export function checkNonNegative(where: string, name: string, v: unknown): void {
  if (v === undefined) return
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ValueError(`${where}: ${name} must be a finite number ≥ 0, got ${String(v)}`)
  }
}

/** Checks an optional positive finite number option. */
export function checkPositive(where: string, name: string, v: unknown): void {
  if (v === undefined) return
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ValueError(`${where}: ${name} must be a finite number > 0, got ${String(v)}`)
  }
}

/** A short form of a number for reports: 4 significant digits. */
export const fmtNum = (v: number): string =>
  Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v)

/** A tensor's data in a compact form for failure messages (at most `max` numbers). */
export function fmtTensor(t: Tensor, max = 24): string {
  const d = read(t)
  const shown = Array.from(d.slice(0, max), (v) => fmtNum(v)).join(', ')
  return `${t.dtype}[${t.shape.join(', ')}] (${shown}${d.length > max ? ', …' : ''})`
}
