import { zerosLike } from './create.js'
import { type DType, type FloatDType, checkDType } from '../core/dtype.js'
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { apply, type OpDef } from '../core/op.js'
import { type Shape, broadcastShapes, checkShape, normAxis, shapesEqual, sizeOf } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import { linear } from './linear.js'
import { asTensor, batchShape, sameDType } from './util.js'

const zerosPrefix = (b: number): number[] => new Array<number>(b).fill(0)

// ---------------------------------------------------------------------------------------------
// reshape: a permutation-free relabelling; its Jacobian is the identity
// ---------------------------------------------------------------------------------------------

export const reshapeOp: OpDef<{ readonly shape: Shape }> = linear(
  {
    name: 'reshape',
    structure: 'layout',
    shape: ([m], { shape }) => {
      if (sizeOf(shape) !== sizeOf(m!.shape)) {
        throw new ShapeError(
          `reshape: cannot reshape ${fmtShape(m!.shape)} (${sizeOf(m!.shape)} elements) to ${fmtShape(shape)}`,
        )
      }
      return { shape, dtype: m!.dtype }
    },
    kernel: (be, [h], [m], _p, out) => be.kernels.reshape(h, m!, out),
    vjp: ({ ct, x: [x] }) => [reshape(ct, x!.shape)],
  },
  ({ shape }, b, dx) => ({ params: { shape: batchShape(dx, b, shape) } }),
)

/**
 * The same data with another shape; one entry may be -1 (inferred).
 * @example
 * import { reshape, arange } from 'dualtape'
 * reshape(arange(6), [2, -1]).shape // [2, 3]
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const t = asTensor('reshape', x)
  if (
    !Array.isArray(shape) ||
    ![...(shape as unknown[])].every((d) => Number.isInteger(d) && (d as number) >= -1)
  ) {
    throw new ValueError(`reshape: a shape must be an array of integers ≥ -1, got ${fmtValue(shape)}`)
  }
  const unknown = shape.filter((d) => d === -1).length
  if (unknown > 1) throw new ShapeError(`reshape: at most one -1 in ${fmtShape(shape)}`)
  let target: Shape = shape
  if (unknown === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1))
    if (known === 0 || t.size % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape ${fmtShape(t.shape)} to ${fmtShape(shape)}`)
    }
    target = shape.map((d) => (d === -1 ? t.size / known : d))
  }
  if (shapesEqual(target, t.shape)) return t
  return apply(reshapeOp, [t], { shape: target })
}

// ---------------------------------------------------------------------------------------------
// transpose: a permutation of axes; its adjoint is the inverse permutation
// ---------------------------------------------------------------------------------------------

export const transposeOp: OpDef<{ readonly perm: readonly number[] }> = linear(
  {
    name: 'transpose',
    structure: 'layout',
    shape: ([m], { perm }) => {
      const r = m!.shape.length
      const ok = perm.length === r && [...perm].sort((a, b) => a - b).every((p, i) => p === i)
      if (!ok)
        throw new ShapeError(
          `transpose: ${JSON.stringify(perm)} is not a permutation of the axes of ${fmtShape(m!.shape)}`,
        )
      return { shape: perm.map((p) => m!.shape[p]!), dtype: m!.dtype }
    },
    kernel: (be, [h], [m], { perm }, out) => be.kernels.transpose(h, m!, perm, out),
    vjp: ({ ct, params: { perm } }) => {
      const inv = new Array<number>(perm.length)
      perm.forEach((p, i) => (inv[p] = i))
      return [transpose(ct, inv)]
    },
  },
  ({ perm }, b) => ({
    params: { perm: [...Array.from({ length: b }, (_, i) => i), ...perm.map((p) => p + b)] },
  }),
)

/**
 * Permutes the axes (reverses them by default): output axis i is input axis perm[i].
 * @example
 * import { transpose, tensor } from 'dualtape'
 * transpose(tensor([[1, 2, 3]])).toArray() // [[1], [2], [3]]
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const t = asTensor('transpose', x)
  if (perm !== undefined && !Array.isArray(perm)) {
    throw new ValueError(`transpose: perm must be an array of axes, got ${fmtValue(perm)}`)
  }
  const p =
    perm === undefined
      ? Array.from({ length: t.rank }, (_, i) => t.rank - 1 - i)
      : [...perm].map((a) => normAxis('transpose', a, t.shape))
  if (p.every((a, i) => a === i) && p.length === t.rank) return t
  return apply(transposeOp, [t], { perm: p })
}

// ---------------------------------------------------------------------------------------------
// broadcastTo: its adjoint sums over the broadcast axes (done by apply's sumToShape)
// ---------------------------------------------------------------------------------------------

export const broadcastToOp: OpDef<{ readonly shape: Shape }> = linear(
  {
    name: 'broadcastTo',
    structure: 'layout',
    shape: ([m], { shape }) => {
      const s = broadcastShapes('broadcastTo', m!.shape, shape)
      if (!shapesEqual(s, shape)) {
        throw new ShapeError(`broadcastTo: cannot broadcast ${fmtShape(m!.shape)} to ${fmtShape(shape)}`)
      }
      return { shape, dtype: m!.dtype }
    },
    kernel: (be, [h], [m], _p, out) => be.kernels.broadcastTo(h, m!, out),
    vjp: ({ ct }) => [ct],
  },
  ({ shape }, b, dx, x) => ({
    // the batch axes kept apart: x's shape padded with 1s to the rank of the target
    dx: reshape(
      dx,
      batchShape(dx, b, [...new Array<number>(shape.length - x.shape.length).fill(1), ...x.shape]),
    ),
    params: { shape: batchShape(dx, b, shape) },
  }),
)

/**
 * `x` broadcast to `shape` (numpy rules).
 * @example
 * import { broadcastTo, tensor } from 'dualtape'
 * broadcastTo(tensor([1, 2]), [2, 2]).toArray() // [[1, 2], [1, 2]]
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const t = asTensor('broadcastTo', x)
  checkShape('broadcastTo', shape)
  if (shapesEqual(t.shape, shape)) return t
  return apply(broadcastToOp, [t], { shape })
}

// ---------------------------------------------------------------------------------------------
// concat and slice, whose adjoints are slices and zero padding
// ---------------------------------------------------------------------------------------------

export const concatOp: OpDef<{ readonly axis: number }> = {
  name: 'concat',
  structure: 'layout',
  linearity: 'joint',
  shape: (ms, { axis }) => {
    const first = ms[0]!
    const dtype = sameDType('concat', ms)
    let total = 0
    for (const m of ms) {
      const ok =
        m.shape.length === first.shape.length && m.shape.every((d, i) => i === axis || d === first.shape[i])
      if (!ok) {
        throw new ShapeError(
          `concat: shapes ${ms.map((q) => fmtShape(q.shape)).join(', ')} differ outside axis ${axis}`,
        )
      }
      total += m.shape[axis]!
    }
    return { shape: first.shape.map((d, i) => (i === axis ? total : d)), dtype }
  },
  kernel: (be, hs, ms, { axis }, out) => be.kernels.concat(hs, ms, axis, out),
  jvp: ({ x, dx, params: { axis }, b }) => {
    const some = dx.find((t) => t !== null)!
    return concat(
      dx.map((t, i) => t ?? zerosLike(x[i]!, batchShape(some, b, x[i]!.shape))),
      axis + b,
    )
  },
  // a batch of concatenations: the unbatched inputs repeated over the batch, joined one axis later
  batch: ({ x, batched, params: { axis }, size }) =>
    concat(
      x.map((t, i) => (batched[i] ? t : repeatBatch(t, size))),
      axis + 1,
    ),
  vjp: ({ ct, x, params: { axis }, wants }) => {
    let off = 0
    return x.map((xi, i) => {
      const begin = xi.shape.map((_, j) => (j === axis ? off : 0))
      off += xi.shape[axis]!
      return wants[i] ? slice(ct, begin, xi.shape) : null
    })
  },
}

/** `t`, the same for every example of a batch (vmap), repeated over it: `[size, ...t.shape]`. */
export function repeatBatch(t: Tensor, size: number): Tensor {
  return broadcastTo(reshape(t, [1, ...t.shape]), [size, ...t.shape])
}

/**
 * Joins tensors along an existing axis.
 * @example
 * import { concat, tensor } from 'dualtape'
 * concat([tensor([1]), tensor([2, 3])]).toArray() // [1, 2, 3]
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0)
    throw new ValueError('concat: expected a non-empty array of tensors')
  const ts = [...xs].map((x, i) => asTensor('concat', x, `element ${i}`))
  if (ts[0]!.rank === 0) throw new ShapeError('concat: cannot concatenate scalars; reshape them to [1] first')
  const ax = normAxis('concat', axis, ts[0]!.shape)
  if (ts.length === 1) return ts[0]!
  return apply(concatOp, ts, { axis: ax })
}

export interface BoxParams {
  readonly begin: readonly number[]
  readonly size: readonly number[]
}

export const sliceOp: OpDef<BoxParams> = linear(
  {
    name: 'slice',
    structure: 'layout',
    shape: ([m], { begin, size }) => {
      const s = m!.shape
      const ok =
        begin.length === s.length &&
        size.length === s.length &&
        begin.every(
          (bg, i) =>
            Number.isInteger(bg) &&
            bg >= 0 &&
            Number.isInteger(size[i]) &&
            size[i]! >= 0 &&
            bg + size[i]! <= s[i]!,
        )
      if (!ok) {
        throw new ShapeError(
          `slice: begin ${fmtValue(begin)} and size ${fmtValue(size)} do not fit in ${fmtShape(s)}`,
        )
      }
      return { shape: [...size], dtype: m!.dtype }
    },
    kernel: (be, [h], [m], { begin }, out) => be.kernels.slice(h, m!, begin, out),
    vjp: ({ ct, x: [x], params: { begin, size } }) => [
      pad(
        ct,
        begin,
        x!.shape.map((d, i) => d - begin[i]! - size[i]!),
      ),
    ],
  },
  ({ begin, size }, b, dx) => ({
    params: { begin: [...zerosPrefix(b), ...begin], size: batchShape(dx, b, size) },
  }),
)

/**
 * The box of `x` starting at `begin` with extent `size` (-1: to the end of the axis).
 * @example
 * import { slice, tensor } from 'dualtape'
 * slice(tensor([[1, 2, 3], [4, 5, 6]]), [0, 1], [2, -1]).toArray() // [[2, 3], [5, 6]]
 */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  const t = asTensor('slice', x)
  if (!Array.isArray(begin) || begin.length !== t.rank) {
    throw new ShapeError(
      `slice: begin ${fmtValue(begin)} must have one entry per axis of ${fmtShape(t.shape)}`,
    )
  }
  if (size !== undefined && (!Array.isArray(size) || size.length !== t.rank)) {
    throw new ShapeError(`slice: size ${fmtValue(size)} must have one entry per axis of ${fmtShape(t.shape)}`)
  }
  // spreads turn holes into undefined, which the shape rule rejects (map and every skip holes)
  const bg = [...begin]
  const sz = [...(size ?? t.shape.map(() => -1))].map((s, i) => (s === -1 ? t.shape[i]! - bg[i]! : s))
  if (bg.every((b) => b === 0) && shapesEqual(sz, t.shape)) return t
  return apply(sliceOp, [t], { begin: bg, size: sz })
}

export const padOp: OpDef<{ readonly before: readonly number[]; readonly after: readonly number[] }> = linear(
  {
    name: 'pad',
    structure: 'layout',
    shape: ([m], { before, after }) => {
      const s = m!.shape
      const ok =
        before.length === s.length &&
        after.length === s.length &&
        [...before, ...after].every((v) => Number.isInteger(v) && v >= 0)
      if (!ok)
        throw new ShapeError(
          `pad: widths ${fmtValue(before)}, ${fmtValue(after)} do not fit rank of ${fmtShape(s)}`,
        )
      return { shape: s.map((d, i) => d + before[i]! + after[i]!), dtype: m!.dtype }
    },
    kernel: (be, [h], [m], { before }, out) => be.kernels.pad(h, m!, before, out),
    vjp: ({ ct, x: [x], params: { before } }) => [slice(ct, before, x!.shape)],
  },
  ({ before, after }, b) => ({
    params: { before: [...zerosPrefix(b), ...before], after: [...zerosPrefix(b), ...after] },
  }),
)

/**
 * Pads with zeros: `before[i]` and `after[i]` elements on each side of axis i.
 * @example
 * import { pad, tensor } from 'dualtape'
 * pad(tensor([1, 2]), [1], [2]).toArray() // [0, 1, 2, 0, 0]
 */
export function pad(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  const t = asTensor('pad', x)
  if (!Array.isArray(before) || !Array.isArray(after)) {
    throw new ShapeError(
      `pad: widths ${fmtValue(before)}, ${fmtValue(after)} must be arrays with one entry per axis of ${fmtShape(t.shape)}`,
    )
  }
  if (before.length === t.rank && after.length === t.rank && [...before, ...after].every((v) => v === 0))
    return t
  return apply(padOp, [t], { before, after })
}

// ---------------------------------------------------------------------------------------------
// cast and stopGradient
// ---------------------------------------------------------------------------------------------

export const castOp: OpDef<{ readonly dtype: DType }> = linear({
  name: 'cast',
  structure: 'layout',
  // an int32 index tensor may be cast to a float dtype (it is never a tracer, so never differentiated)
  indexInputs: [0],
  shape: ([m], { dtype }) => ({ shape: m!.shape, dtype }),
  kernel: (be, [h], [m], _p, out) => be.kernels.cast(h, m!, out),
  vjp: ({ ct, x: [x] }) => [cast(ct, x!.dtype as FloatDType)],
})

/**
 * Converts to another dtype (float64 or float32); an int32 index tensor converts to either, which
 * is how its values enter arithmetic (there is no conversion to int32: index tensors are made by
 * `tensor(data, { dtype: 'int32' })`, `argmax` and `argmin`).
 * @example
 * import { cast, tensor } from 'dualtape'
 * cast(tensor([1.5]), 'float32').dtype // 'float32'
 * cast(tensor([2, 0], { dtype: 'int32' }), 'float64').toArray() // → [2, 0]
 */
export function cast(x: Tensor, dtype: FloatDType): Tensor {
  const t = asTensor('cast', x)
  const d = checkDType('cast', dtype)
  return t.dtype === d ? t : apply(castOp, [t], { dtype: d })
}

export const stopGradientOp: OpDef<null> = {
  name: 'stopGradient',
  structure: 'constant',
  shape: ([m]) => m!,
  kernel: (_be, [h]) => h,
  jvp: ({ y }) => y,
  vjp: () => [null],
}

/**
 * The value of `x`, treated as a constant by every transformation (zero derivative).
 * @example
 * import { stopGradient, grad, mul, sum } from 'dualtape'
 * grad((x) => sum(mul(x, stopGradient(x))))  // gradient x, not 2x
 */
export const stopGradient = (x: Tensor): Tensor => apply(stopGradientOp, [asTensor('stopGradient', x)], null)
