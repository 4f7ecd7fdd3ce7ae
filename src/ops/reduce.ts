import type { Meta } from '../core/backend.js'
import { scalarLike, setIndexRange } from './create.js'
import { apply, type OpDef } from '../core/op.js'
import { type Shape, normAxes, normAxis, reducedShape, shapesEqual, sizeOf } from '../core/shape.js'
import { ShapeError, fmtShape } from '../core/errors.js'
import type { Tensor } from '../core/tensor.js'
import { div, equal, mul, sub, where } from './binary.js'
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
 * Where x attains its extreme y (the maximum, or the minimum) along the axes, each tie weighted
 * 1/count, so max and min route their cotangent to the selected element and split it evenly at
 * ties (as JAX does).
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

export const minOp: OpDef<ReduceParams> = {
  name: 'min',
  structure: 'reduce',
  batch: reduceBatch(() => minOp),
  shape: reduceShape,
  kernel: (be, [h], [m], { axes }, out) => be.kernels.min(h, m!, axes, out),
  jvp: ({ x: [x], dx: [dx], y, params: p, b }) =>
    sum(mul(dx!, maxShares(x!, y, p)), shiftAxes(p.axes, b), p.keepdims),
  vjp: ({ ct, x: [x], y, params }) => [mul(expandBack(ct, x!.shape, params), maxShares(x!, y, params))],
}

/**
 * ∂/∂xᵢ Π x = Π_{j≠i} xⱼ, formed without dividing by a zero. With r the product of the nonzero
 * factors and Z the sum of the zero ones (0 in value, but its tangent is theirs): with no zero it
 * is r / xᵢ; with one, r at the zero and Z r / xᵢ elsewhere; with two, (Z − xᵢ) r at the zeros and
 * 0 elsewhere; with more, 0. Each case is the product of the others to first order in the zero
 * factors, so the derivative of these partials, prod's second derivative, is exact at zeros too.
 */
function prodPartials(x: Tensor, params: ReduceParams): Tensor {
  const zero = scalarLike(x, 0)
  const one = scalarLike(x, 1)
  const isZero = equal(x, zero)
  const safe = where(isZero, one, x)
  const keep = { axes: params.axes, keepdims: true }
  const back = (t: Tensor) => broadcastTo(t, x.shape)
  const rest = back(apply(prodOp, [safe], keep))
  const zeros = back(sum(isZero, params.axes, true))
  const atZeros = where(isZero, x, zero)
  const Z = back(sum(atZeros, params.axes, true))
  const none = div(rest, safe)
  const lone = where(isZero, rest, mul(Z, none))
  const pair = where(isZero, mul(sub(Z, atZeros), rest), zero)
  return where(
    equal(zeros, zero),
    none,
    where(equal(zeros, one), lone, where(equal(zeros, scalarLike(x, 2)), pair, zero)),
  )
}

export const prodOp: OpDef<ReduceParams> = {
  name: 'prod',
  structure: 'reduce',
  batch: reduceBatch(() => prodOp),
  shape: reduceShape,
  kernel: (be, [h], [m], { axes }, out) => be.kernels.prod(h, m!, axes, out),
  // d Π x = Σᵢ (Π_{j≠i} xⱼ) dxᵢ
  jvp: ({ x: [x], dx: [dx], params: p, b }) =>
    sum(mul(dx!, prodPartials(x!, p)), shiftAxes(p.axes, b), p.keepdims),
  vjp: ({ ct, x: [x], params }) => [mul(expandBack(ct, x!.shape, params), prodPartials(x!, params))],
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
 * The minimum over `axis` (one axis, a list, or all when omitted). Its gradient goes to the
 * minimal element; ties share it evenly (as `max` and JAX do).
 * @example
 * import { min, tensor, grad, type Tensor } from 'dualtape'
 * min(tensor([[1, 5], [7, 2]]), 1).toArray() // → [1, 2]
 * grad((x: Tensor) => min(x))(tensor([3, 1, 1])) // → [0, 0.5, 0.5]
 */
export const min = (x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor =>
  reduce(minOp, x, axis, keepdims)

/**
 * The product over `axis` (one axis, a list, or all when omitted; 1 over no elements). Its
 * gradient, Π_{j≠i} xⱼ for element i, is formed without dividing by xᵢ, so it is exact where
 * factors are zero (with one zero factor only that element's gradient is nonzero, with two or
 * more all are 0), and so is the Hessian.
 * @example
 * import { prod, tensor, grad, type Tensor } from 'dualtape'
 * prod(tensor([[1, 2], [3, 4]]), 1).toArray() // → [2, 12]
 * grad((x: Tensor) => prod(x))(tensor([2, 0, 5])) // → [0, 10, 0]
 */
export const prod = (x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor =>
  reduce(prodOp, x, axis, keepdims)

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

// ---------------------------------------------------------------------------------------------
// cumsum, argmax and argmin: along one axis
// ---------------------------------------------------------------------------------------------

/** Parameters of cumsum: the axis, and whether the sums run from its end. */
export interface CumsumParams {
  readonly axis: number
  readonly reverse: boolean
}

// linear: d cumsum(x) = cumsum(dx); its transpose sums the other way
export const cumsumOp: OpDef<CumsumParams> = linear(
  {
    name: 'cumsum',
    structure: 'reduce',
    shape: ([m]) => m!,
    kernel: (be, [h], [m], { axis, reverse }, out) => be.kernels.cumsum(h, m!, axis, reverse, out),
    vjp: ({ ct, params: { axis, reverse } }) => [apply(cumsumOp, [ct], { axis, reverse: !reverse })],
  },
  ({ axis, reverse }, b) => ({ params: { axis: axis + b, reverse } }),
)

/**
 * The running sums along `axis` (y_k = x_0 + … + x_k), or from its end with `reverse`
 * (y_k = x_k + … + x_(n−1)). Linear; its VJP is the running sum in the other direction.
 * @example
 * import { cumsum, tensor } from 'dualtape'
 * cumsum(tensor([1, 2, 3])).toArray() // → [1, 3, 6]
 * cumsum(tensor([[1, 2], [3, 4]]), 1, { reverse: true }).toArray() // → [[3, 2], [7, 4]]
 */
export function cumsum(x: Tensor, axis = 0, options: { readonly reverse?: boolean } = {}): Tensor {
  const t = asTensor('cumsum', x)
  if (t.rank === 0) throw new ShapeError('cumsum: x is a scalar; it has no axis to sum along')
  return apply(cumsumOp, [t], { axis: normAxis('cumsum', axis, t.shape), reverse: options.reverse === true })
}

/** Parameters of argmax and argmin: the axis reduced. */
export interface ArgParams {
  readonly axis: number
}

function argDef(name: 'argmax' | 'argmin'): OpDef<ArgParams> {
  const def: OpDef<ArgParams> = {
    name,
    // under vmap: the same op, its axis one later (the batch axis is first)
    batch: ({ x: [xb], params: { axis } }) => apply(def, [xb!], { axis: axis + 1 }),
    // an integer result: no derivative, and no tangent or cotangent is ever formed for it
    structure: 'constant',
    shape: ([m], { axis }) => ({ shape: m!.shape.filter((_, i) => i !== axis), dtype: 'int32' }),
    kernel: (be, [h], [m], { axis }, out) => be.kernels[name](h, m!, axis, out),
    jvp: ({ y }) => y,
    vjp: () => [null],
  }
  return def
}

export const argmaxOp = argDef('argmax')
export const argminOp = argDef('argmin')

function argReduce(def: OpDef<ArgParams>, x: Tensor, axis: number | undefined): Tensor {
  const name = def.name
  let t = asTensor(name, x)
  if (axis === undefined) t = reshape(t, [-1])
  else if (t.rank === 0) throw new ShapeError(`${name}: x is a scalar; it has no axis ${axis}`)
  const ax = axis === undefined ? 0 : normAxis(name, axis, t.shape)
  const n = t.shape[ax]!
  if (n === 0) {
    throw new ShapeError(
      `${name}: axis ${ax} of x of shape ${fmtShape(t.shape)} is empty: it has no ${name === 'argmax' ? 'maximum' : 'minimum'}`,
    )
  }
  return setIndexRange(apply(def, [t], { axis: ax }), 0, n - 1)
}

/**
 * The position of the largest element along `axis` (of the flattened tensor when omitted), as an
 * int32 index tensor: the first one at ties, and the first NaN where there is one (as numpy).
 * An integer-valued function of x, piecewise constant: it has no derivative, its result is an
 * index tensor that no transformation differentiates, and it can index with `take`.
 * @example
 * import { argmax, take, tensor } from 'dualtape'
 * const x = tensor([[1, 5, 5], [7, 2, 0]])
 * argmax(x, 1).toArray() // → [1, 0]
 * argmax(x, 1).dtype // → 'int32'
 * argmax(x).toArray() // → 3
 * take(tensor([10, 20, 30]), argmax(tensor([0, 9, 4]))).toArray() // → 20
 */
export const argmax = (x: Tensor, axis?: number): Tensor => argReduce(argmaxOp, x, axis)

/**
 * The position of the smallest element along `axis` (of the flattened tensor when omitted), as an
 * int32 index tensor: the first one at ties, and the first NaN where there is one. No derivative
 * (see `argmax`).
 * @example
 * import { argmin, tensor } from 'dualtape'
 * argmin(tensor([[1, 5, 1], [7, 2, 0]]), 1).toArray() // → [0, 2]
 */
export const argmin = (x: Tensor, axis?: number): Tensor => argReduce(argminOp, x, axis)
