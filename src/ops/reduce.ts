import type { Meta } from '../core/backend.js'
import { scalarLike } from './create.js'
import { apply, type OpDef } from '../core/op.js'
import { type Shape, normAxes, reducedShape, shapesEqual, sizeOf } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import { div, equal, mul, sub } from './binary.js'
import { broadcastTo, reshape } from './shape.js'
import { exp } from './unary.js'
import { linear } from './linear.js'
import { asTensor, shiftAxes } from './util.js'

/** Parameters of a reduction: sorted distinct axes, and whether they are kept as size 1. */
export interface ReduceParams {
  readonly axes: readonly number[]
  readonly keepdims: boolean
}

const reduceShape = ([m]: readonly Meta[], { axes, keepdims }: ReduceParams): Meta => ({
  shape: reducedShape(m!.shape, axes, keepdims),
  dtype: m!.dtype,
})

/** `t` (of the reduced shape) broadcast back over the reduced axes to `shape`. */
function expandBack(t: Tensor, shape: Shape, { axes }: ReduceParams): Tensor {
  return broadcastTo(reshape(t, reducedShape(shape, axes, true)), shape)
}

// linear: d Σx = Σ dx
export const sumOp: OpDef<ReduceParams> = linear(
  {
    name: 'sum',
    structure: 'reduce',
    shape: reduceShape,
    kernel: (be, [h], [m], { axes }, out) => be.kernels.sum(h, m!, axes, out),
    // the sum's cotangent is copied to every summed element
    vjp: ({ ct, x: [x], params }) => [expandBack(ct, x!.shape, params)],
  },
  ({ axes, keepdims }, b) => ({ params: { axes: shiftAxes(axes, b), keepdims } }),
)

/**
 * Where x attains its maximum along the axes, each tie weighted 1/count, so a max routes its
 * cotangent to the selected element and splits it evenly at ties (as JAX does).
 */
function maxShares(x: Tensor, y: Tensor, params: ReduceParams): Tensor {
  const hits = equal(x, expandBack(y, x.shape, params))
  const counts = sum(hits, params.axes, true)
  return div(hits, broadcastTo(counts, x.shape))
}

/** The batching rule of a reduction: the same reduction, its axes one later (the batch axis is first). */
const reduceBatch =
  (def: () => OpDef<ReduceParams>): OpDef<ReduceParams>['batch'] =>
  ({ x: [xb], params: { axes, keepdims } }) =>
    apply(def(), [xb!], { axes: shiftAxes(axes, 1), keepdims })

export const maxOp: OpDef<ReduceParams> = {
  name: 'max',
  structure: 'reduce',
  shape: reduceShape,
  batch: reduceBatch(() => maxOp),
  kernel: (be, [h], [m], { axes }, out) => be.kernels.max(h, m!, axes, out),
  jvp: ({ x: [x], dx: [dx], y, params: p, b }) =>
    sum(mul(dx!, maxShares(x!, y, p)), shiftAxes(p.axes, b), p.keepdims),
  vjp: ({ ct, x: [x], y, params }) => [mul(expandBack(ct, x!.shape, params), maxShares(x!, y, params))],
}

/** softmax(x) along the axes, from x and y = logsumexp(x). */
const softmaxFrom = (x: Tensor, y: Tensor, params: ReduceParams): Tensor =>
  exp(sub(x, expandBack(y, x.shape, params)))

export const logsumexpOp: OpDef<ReduceParams> = {
  name: 'logsumexp',
  structure: 'reduce',
  shape: reduceShape,
  batch: reduceBatch(() => logsumexpOp),
  kernel: (be, [h], [m], { axes }, out) => be.kernels.logsumexp(h, m!, axes, out),
  // d logsumexp(x) = Σ softmax(x) dx
  jvp: ({ x: [x], dx: [dx], y, params: p, b }) =>
    sum(mul(dx!, softmaxFrom(x!, y, p)), shiftAxes(p.axes, b), p.keepdims),
  vjp: ({ ct, x: [x], y, params }) => [mul(expandBack(ct, x!.shape, params), softmaxFrom(x!, y, params))],
}

function reduce(
  def: OpDef<ReduceParams>,
  x: Tensor,
  axis: number | readonly number[] | undefined,
  keepdims: boolean,
) {
  const t = asTensor(def.name, x)
  return apply(def, [t], { axes: normAxes(def.name, axis, t.shape), keepdims: keepdims === true })
}

/**
 * The sum over `axis` (one axis, a list, or all when omitted; negative axes count from the end).
 * @example
 * import { sum, tensor } from 'dualtape'
 * sum(tensor([[1, 2], [3, 4]])).toArray()         // 10
 * sum(tensor([[1, 2], [3, 4]]), -1).toArray()     // [3, 7]
 * sum(tensor([[1, 2], [3, 4]]), 0, true).shape    // [1, 2]
 */
export const sum = (x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor =>
  reduce(sumOp, x, axis, keepdims)

/**
 * The maximum over `axis`. Its gradient goes to the maximal element; ties share it evenly.
 * @example
 * import { max, tensor } from 'dualtape'
 * max(tensor([[1, 5], [7, 2]]), 1).toArray() // [5, 7]
 */
export const max = (x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor =>
  reduce(maxOp, x, axis, keepdims)

/**
 * log Σ exp(x) over `axis`, computed stably (the maximum is subtracted first).
 * @example
 * import { logsumexp, tensor } from 'dualtape'
 * logsumexp(tensor([1000, 1000])).toArray() // 1000.6931471805599
 */
export const logsumexp = (x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor =>
  reduce(logsumexpOp, x, axis, keepdims)

/**
 * The mean over `axis` (all axes when omitted).
 * @example
 * import { mean, tensor } from 'dualtape'
 * mean(tensor([1, 2, 3, 4])).toArray() // 2.5
 */
export function mean(x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor {
  const t = asTensor('mean', x)
  const axes = normAxes('mean', axis, t.shape)
  const n = sizeOf(axes.map((a) => t.shape[a]!))
  return div(sum(t, axes, keepdims), scalarLike(t, n))
}

/**
 * Sums `g` down to `shape`: the adjoint of broadcasting `shape` to `g.shape`. This is the one
 * place where broadcasting is undone in reverse mode.
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g
  const lead = g.rank - shape.length
  const axes: number[] = []
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i)
  }
  const s = axes.length > 0 ? sum(g, axes) : g
  return shapesEqual(s.shape, shape) ? s : reshape(s, shape)
}
