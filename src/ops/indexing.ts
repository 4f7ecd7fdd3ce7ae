import type { Meta } from '../core/backend.js'
import { indexRange, tensor } from './create.js'
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { apply, describe, type OpDef } from '../core/op.js'
import { normAxis } from '../core/shape.js'
import { type NestedArray, type Tensor, isTensor, readConcrete } from '../core/tensor.js'
import { loopBatch } from './batching.js'
import { concat, reshape, slice, transpose } from './shape.js'
import { asTensor } from './util.js'
import { dispose } from '../core/scope.js'

// ---------------------------------------------------------------------------------------------
// Indexing: take (gather along an axis with an int32 index tensor) and its transpose scatterAdd,
// the two primitives; stack, split, squeeze and expandDims, compositions of reshape, concat and
// slice, whose derivatives are those of the layout primitives they are made of.
// ---------------------------------------------------------------------------------------------

/** Parameters of take: the axis of x that the indices select along. */
export interface TakeParams {
  readonly axis: number
}

/** Parameters of scatterAdd: the axis the indices address, and its size in the output. */
export interface ScatterAddParams {
  readonly axis: number
  readonly size: number
}

/** Checks that the index input of `op` is an int32 tensor. */
function checkIndexMeta(op: string, x: Meta, idx: Meta): void {
  if (idx.dtype !== 'int32') {
    throw new DTypeError(
      `${op}: the indices must be an int32 tensor, got ${idx.dtype}${fmtShape(idx.shape)} (with x ${x.dtype}${fmtShape(x.shape)}); ` +
        "make them with tensor(data, { dtype: 'int32' })",
    )
  }
}

// y[o, j, i] = x[o, idx[j], i]: linear in x, each output element a copy of one input element
export const takeOp: OpDef<TakeParams> = {
  name: 'take',
  structure: 'layout',
  indexInputs: [1],
  linearity: [0],
  batch: (a) => {
    const [xBatched, iBatched] = a.batched
    const axis = a.params.axis
    const [x, idx] = a.x as [Tensor, Tensor]
    // a batch of x, the same indices: the same take, one axis later
    if (!iBatched) return apply(takeOp, [x, idx], { axis: axis + 1 })
    if (!xBatched) {
      // one x, a batch of indices: take them all, then bring the batch axis (at `axis`) first
      const y = apply(takeOp, [x, idx], { axis })
      if (axis === 0) return y
      const rest = Array.from({ length: y.rank }, (_, i) => i).filter((i) => i !== axis)
      return transpose(y, [axis, ...rest])
    }
    // a batch of both: each example takes its own indices
    return loopBatch(takeOp)(a)
  },
  shape: ([x, idx], { axis }) => {
    checkIndexMeta('take', x!, idx!)
    const s = x!.shape
    if (!Number.isInteger(axis) || axis < 0 || axis >= s.length) {
      throw new ShapeError(`take: axis ${fmtValue(axis)} is out of range for x of shape ${fmtShape(s)}`)
    }
    return { shape: [...s.slice(0, axis), ...idx!.shape, ...s.slice(axis + 1)], dtype: x!.dtype }
  },
  kernel: (be, [h, hi], [m, mi], { axis }, out) => be.kernels.take(h, hi, m!, mi!, axis, out),
  jvp: ({ dx: [dx], x: [, idx], params: { axis }, b }) => apply(takeOp, [dx!, idx!], { axis: axis + b }),
  // the transpose of a gather is a scatter that adds: a repeated index accumulates its cotangents
  vjp: ({ ct, x: [x, idx], params: { axis }, wants }) => [
    wants[0] ? apply(scatterAddOp, [ct, idx!], { axis, size: x!.shape[axis]! }) : null,
    null,
  ],
}

// y[o, k, i] = Σ_{j : idx[j] = k} u[o, j, i]: linear in u
export const scatterAddOp: OpDef<ScatterAddParams> = {
  name: 'scatterAdd',
  structure: 'reduce',
  indexInputs: [1],
  linearity: [0],
  // a batch of updates at the same indices: the same scatter, one axis later; else one per example
  batch: (a) =>
    a.batched[1]
      ? loopBatch(scatterAddOp)(a)
      : apply(scatterAddOp, [a.x[0]!, a.x[1]!], { axis: a.params.axis + 1, size: a.params.size }),
  shape: ([u, idx], { axis, size }) => {
    checkIndexMeta('scatterAdd', u!, idx!)
    const s = u!.shape
    const r = idx!.shape.length
    const ok =
      Number.isInteger(axis) &&
      axis >= 0 &&
      axis + r <= s.length &&
      idx!.shape.every((d, i) => d === s[axis + i]) &&
      Number.isInteger(size) &&
      size >= 0
    if (!ok) {
      throw new ShapeError(
        `scatterAdd: updates of shape ${fmtShape(s)} do not hold indices of shape ${fmtShape(idx!.shape)} at axis ${fmtValue(axis)} (size ${fmtValue(size)})`,
      )
    }
    return { shape: [...s.slice(0, axis), size, ...s.slice(axis + r)], dtype: u!.dtype }
  },
  kernel: (be, [h, hi], [m, mi], { axis }, out) => be.kernels.scatterAdd(h, hi, m!, mi!, axis, out),
  jvp: ({ dx: [du], x: [, idx], params: { axis, size }, b }) =>
    apply(scatterAddOp, [du!, idx!], { axis: axis + b, size }),
  vjp: ({ ct, x: [, idx], params: { axis }, wants }) => [
    wants[0] ? apply(takeOp, [ct, idx!], { axis }) : null,
    null,
  ],
}

/**
 * The least and greatest of an int32 tensor's values: known for every index tensor made from data
 * or by argmax/argmin; otherwise read back (null where the backend reads only asynchronously).
 */
function valueRange(t: Tensor): readonly [number, number] | null {
  // under vmap the indices stand for a batch of them: every example's must be in range, so the
  // range is that of the whole batch, read from the data under the tracers
  let idx = t
  while (idx.impl.kind !== 'concrete') idx = idx.impl.primal
  const known = indexRange(idx)
  if (known !== null) return known
  if (!idx.backend.syncRead) return null
  const d = readConcrete(idx)
  let lo = 0
  let hi = -1
  for (let i = 0; i < d.length; i++) {
    if (i === 0 || d[i]! < lo) lo = d[i]!
    if (i === 0 || d[i]! > hi) hi = d[i]!
  }
  return [lo, hi]
}

/** The indices as an int32 tensor on x's backend, checked to lie in [0, n) for axis `axis` of x. */
function indexTensor(op: string, x: Tensor, indices: unknown, axis: number): Tensor {
  let idx: Tensor
  if (isTensor(indices)) idx = indices
  else if (typeof indices === 'number' || Array.isArray(indices)) {
    try {
      idx = tensor(indices as NestedArray, { dtype: 'int32', backend: x.backend.name })
    } catch (e) {
      if (e instanceof ValueError) throw new ValueError(`${op}: indices: ${e.message}`)
      throw e
    }
  } else {
    throw new ValueError(
      `${op}: indices must be an int32 tensor or an array of integers, got ${describe(indices)}`,
    )
  }
  // indices made here are freed when they are refused (a tfjs backend holds their memory)
  const made = idx !== indices
  try {
    checkIndices(op, x, idx, axis)
  } catch (e) {
    if (made) dispose(idx)
    throw e
  }
  return idx
}

/** Throws unless idx is an int32 tensor whose values lie in [0, n) for axis `axis` of x. */
function checkIndices(op: string, x: Tensor, idx: Tensor, axis: number): void {
  checkIndexMeta(op, x, idx)
  const n = x.shape[axis]!
  const range = valueRange(idx)
  if (range === null) {
    throw new ValueError(
      `${op}: cannot check the indices of shape ${fmtShape(idx.shape)}: the ${idx.backend.name} backend reads asynchronously ` +
        'and their range is unknown; make them with tensor(data, { dtype: "int32" })',
    )
  }
  if (idx.size > 0 && (range[0] < 0 || range[1] >= n)) {
    const bad = range[0] < 0 ? range[0] : range[1]
    throw new ValueError(
      `${op}: index ${bad} is out of range for axis ${axis} of size ${n} (x of shape ${fmtShape(x.shape)}, ` +
        `indices of shape ${fmtShape(idx.shape)}); indices must lie in [0, ${n})`,
    )
  }
}

/**
 * The elements of `x` at `indices` along `axis` (numpy's `take`, JAX's `jnp.take`): the output
 * has shape `x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:]`. `indices` is an int32 tensor
 * (or nested arrays of integers), every entry in [0, x.shape[axis]); anything else is a typed
 * error naming the op and the shapes. Linear in x; its VJP is a scatter that adds, so an index
 * that appears twice receives the sum of both cotangents. The indices are not differentiated.
 *
 * @example
 * import { take, tensor, grad, sum, type Tensor } from 'dualtape'
 * const x = tensor([[1, 2, 3], [4, 5, 6]])
 * take(x, [2, 0], 1).toArray() // → [[3, 1], [6, 4]]
 * take(x, tensor([1, 1], { dtype: 'int32' })).toArray() // → [[4, 5, 6], [4, 5, 6]]
 * // index 0 taken twice: its gradient is 2
 * grad((v: Tensor) => sum(take(v, [0, 0, 2])))(tensor([1, 2, 3])) // → [2, 0, 1]
 */
export function take(x: Tensor, indices: Tensor | NestedArray, axis = 0): Tensor {
  const t = asTensor('take', x)
  if (t.rank === 0) throw new ShapeError('take: x is a scalar; it has no axis to take along')
  const ax = normAxis('take', axis, t.shape)
  return apply(takeOp, [t, indexTensor('take', t, indices, ax)], { axis: ax })
}

// ---------------------------------------------------------------------------------------------
// stack, split, squeeze, expandDims: compositions of the layout primitives
// ---------------------------------------------------------------------------------------------

/**
 * `x` with a new axis of size 1 at `axis` (negative counts from the end of the result, as in
 * numpy). A reshape, so its derivative is the same reshape.
 *
 * @example
 * import { expandDims, tensor } from 'dualtape'
 * expandDims(tensor([1, 2]), 0).shape // → [1, 2]
 * expandDims(tensor([1, 2]), -1).shape // → [2, 1]
 */
export function expandDims(x: Tensor, axis = 0): Tensor {
  const t = asTensor('expandDims', x)
  const ax = normAxis('expandDims', axis, t.rank + 1)
  return reshape(t, [...t.shape.slice(0, ax), 1, ...t.shape.slice(ax)])
}

/**
 * `x` without axes of size 1: those listed in `axis`, or all of them. Listing an axis whose
 * size is not 1 is a ShapeError. A reshape, so its derivative is the same reshape.
 *
 * @example
 * import { squeeze, zeros } from 'dualtape'
 * squeeze(zeros([1, 3, 1])).shape // → [3]
 * squeeze(zeros([1, 3, 1]), 0).shape // → [3, 1]
 */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  const t = asTensor('squeeze', x)
  const axes =
    axis === undefined
      ? t.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : (typeof axis === 'number' ? [axis] : [...axis]).map((a) => normAxis('squeeze', a, t.shape))
  for (const a of axes) {
    if (t.shape[a] !== 1) {
      throw new ShapeError(`squeeze: axis ${a} of shape ${fmtShape(t.shape)} has size ${t.shape[a]}, not 1`)
    }
  }
  return reshape(
    t,
    t.shape.filter((_, i) => !axes.includes(i)),
  )
}

/**
 * Joins tensors of one shape along a new axis (numpy's `stack`): `n` tensors of shape s give one
 * of shape s with n inserted at `axis`. Its derivative splits the cotangent back.
 *
 * @example
 * import { stack, tensor } from 'dualtape'
 * stack([tensor([1, 2]), tensor([3, 4])]).toArray() // → [[1, 2], [3, 4]]
 * stack([tensor([1, 2]), tensor([3, 4])], 1).toArray() // → [[1, 3], [2, 4]]
 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0)
    throw new ValueError('stack: expected a non-empty array of tensors')
  const ts = [...xs].map((x, i) => asTensor('stack', x, `element ${i}`))
  const s = ts[0]!.shape
  ts.forEach((t, i) => {
    if (t.rank !== s.length || t.shape.some((d, j) => d !== s[j])) {
      throw new ShapeError(`stack: element ${i} has shape ${fmtShape(t.shape)}, element 0 has ${fmtShape(s)}`)
    }
  })
  const ax = normAxis('stack', axis, s.length + 1)
  return concat(
    ts.map((t) => expandDims(t, ax)),
    ax,
  )
}

/**
 * Splits `x` along `axis` into `sections` equal parts (a number that divides the axis), or into
 * parts of the given sizes (an array that sums to the axis). Each part is a slice, so the
 * cotangents of the parts are joined back in order.
 *
 * @example
 * import { split, tensor } from 'dualtape'
 * split(tensor([1, 2, 3, 4]), 2).map((t) => t.toArray()) // → [[1, 2], [3, 4]]
 * split(tensor([1, 2, 3, 4]), [1, 3]).map((t) => t.toArray()) // → [[1], [2, 3, 4]]
 */
export function split(x: Tensor, sections: number | readonly number[], axis = 0): Tensor[] {
  const t = asTensor('split', x)
  if (t.rank === 0) throw new ShapeError('split: x is a scalar; it has no axis to split')
  const ax = normAxis('split', axis, t.shape)
  const n = t.shape[ax]!
  let sizes: number[]
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections < 1 || n % sections !== 0) {
      throw new ShapeError(
        `split: ${fmtValue(sections)} equal parts do not divide axis ${ax} of size ${n} (x of shape ${fmtShape(t.shape)})`,
      )
    }
    sizes = new Array<number>(sections).fill(n / sections)
  } else if (Array.isArray(sections)) {
    sizes = [...sections]
    const total = sizes.reduce((a, b) => a + b, 0)
    if (!sizes.every((d) => Number.isInteger(d) && d >= 0) || total !== n) {
      throw new ShapeError(
        `split: sizes ${fmtValue(sections)} do not add up to axis ${ax} of size ${n} (x of shape ${fmtShape(t.shape)})`,
      )
    }
  } else {
    throw new ValueError(`split: sections must be a number or an array of sizes, got ${describe(sections)}`)
  }
  let off = 0
  return sizes.map((d) => {
    const begin = t.shape.map((_, i) => (i === ax ? off : 0))
    off += d
    return slice(
      t,
      begin,
      t.shape.map((e, i) => (i === ax ? d : e)),
    )
  })
}
