/**
 * `dualtape/nn`: the functions of neural networks, composed of the primitives, so that both
 * modes and every backend differentiate them with no rule of their own: `softmax` and
 * `logSoftmax` along an axis (stable at any magnitude: they go through `logsumexp`), `oneHot`
 * and `crossEntropy` with integer class labels, and the convolutions `conv1d` and `conv2d`
 * with stride, padding and dilation.
 *
 * @example
 * import { tensor, grad, sum } from 'dualtape'
 * import { crossEntropy, softmax } from 'dualtape/nn'
 * const logits = tensor([[2, 0, -1], [0.5, 0.5, 3]])
 * sum(softmax(logits), -1).toArray() // → [1, 1]
 * // ∂ loss / ∂ logits = (softmax - one-hot) / n
 * grad((z) => crossEntropy(z, [0, 2]))(logits).shape // → [2, 3]
 *
 * @module
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { checkOptions } from '../core/options.js'
import { normAxis } from '../core/shape.js'
import { isTensor, type Tensor } from '../core/tensor.js'
import type { DType } from '../core/dtype.js'
import { mul, sub } from '../ops/binary.js'
import { tensor } from '../ops/create.js'
import { logsumexp, mean, sum } from '../ops/reduce.js'
import { neg, exp } from '../ops/unary.js'
import { asTensor } from '../ops/util.js'

export { conv1d, conv2d, type ConvOptions } from './conv.js'

/**
 * log softmax(x) = x - logsumexp(x) along `axis` (the last by default): finite at inputs of any
 * magnitude, and its derivative with it (d = dx - softmax(x) Σ dx).
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { logSoftmax } from 'dualtape/nn'
 * logSoftmax(tensor([1000, 1000])).toArray() // → [-0.693147, -0.693147]
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const t = asTensor('logSoftmax', x)
  if (t.rank === 0) throw new ShapeError('logSoftmax: needs an axis to normalise over, got a scalar')
  const a = normAxis('logSoftmax', axis, t.shape)
  return sub(t, logsumexp(t, a, true))
}

/**
 * softmax(x) = exp(x - logsumexp(x)) along `axis` (the last by default): each slice along the
 * axis sums to 1. Stable at inputs of any magnitude.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { softmax } from 'dualtape/nn'
 * softmax(tensor([0, Math.log(3)])).toArray() // → [0.25, 0.75]
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const t = asTensor('softmax', x)
  if (t.rank === 0) throw new ShapeError('softmax: needs an axis to normalise over, got a scalar')
  return exp(logSoftmax(t, axis))
}

/**
 * Options of `oneHot`.
 *
 * @example
 * import { oneHot, type OneHotOptions } from 'dualtape/nn'
 * const opts: OneHotOptions = { dtype: 'float32' }
 * oneHot([1], 2, opts).dtype // → 'float32'
 */
export interface OneHotOptions {
  /** The dtype of the result (float64 by default). */
  readonly dtype?: DType
  /** The backend to create it on (the current one by default). */
  readonly backend?: string
}

/** The labels as integers in [0, classes), read from an array or a rank-1 tensor. */
function labelsOf(op: string, labels: unknown, classes: number): number[] {
  let values: unknown[]
  if (isTensor(labels)) {
    if (labels.rank !== 1) {
      throw new ShapeError(
        `${op}: labels must be a rank-1 tensor or an array, got shape ${fmtShape(labels.shape)}`,
      )
    }
    values = labels.toArray() as number[]
  } else if (Array.isArray(labels)) values = [...(labels as unknown[])]
  else
    throw new ValueError(
      `${op}: labels must be an array of class indices or a tensor, got ${fmtValue(labels)}`,
    )
  values.forEach((l, i) => {
    if (!Number.isInteger(l) || (l as number) < 0 || (l as number) >= classes) {
      throw new ValueError(
        `${op}: label ${i} is ${fmtValue(l)}; labels must be integers from 0 to ${classes - 1} (${classes} classes)`,
      )
    }
  })
  return values as number[]
}

/**
 * The one-hot matrix of integer class labels: row i is 1 at column labels[i], 0 elsewhere. A
 * constant: it carries no derivative.
 *
 * @example
 * import { oneHot } from 'dualtape/nn'
 * oneHot([2, 0], 3).toArray() // → [[0, 0, 1], [1, 0, 0]]
 */
export function oneHot(labels: readonly number[] | Tensor, classes: number, opts?: OneHotOptions): Tensor {
  checkOptions('oneHot', opts, ['dtype', 'backend'])
  if (!Number.isInteger(classes) || classes < 1) {
    throw new ValueError(`oneHot: classes must be a positive integer, got ${fmtValue(classes)}`)
  }
  const ls = labelsOf('oneHot', labels, classes)
  const data = new Float64Array(ls.length * classes)
  ls.forEach((l, i) => (data[i * classes + l] = 1))
  const shape = [ls.length, classes]
  return tensor(opts?.dtype === 'float32' ? new Float32Array(data) : data, { shape, backend: opts?.backend })
}

/**
 * How `crossEntropy` combines the losses of the rows.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { crossEntropy, type Reduction } from 'dualtape/nn'
 * const reduction: Reduction = 'none'
 * crossEntropy(tensor([[0, 0], [0, 0]]), [0, 1], { reduction }).shape // → [2]
 */
export type Reduction = 'mean' | 'sum' | 'none'

/**
 * Options of `crossEntropy`.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { crossEntropy, type CrossEntropyOptions } from 'dualtape/nn'
 * const opts: CrossEntropyOptions = { reduction: 'sum' }
 * crossEntropy(tensor([[0, 0], [0, 0]]), [0, 1], opts).toArray() // → 1.386294
 */
export interface CrossEntropyOptions {
  /** `'mean'` (the default) or `'sum'` over the rows, or `'none'`: one loss per row. */
  readonly reduction?: Reduction
}

/**
 * The cross-entropy of logits `[n, classes]` against integer labels (n of them): -log
 * softmax(logits)[i, labels[i]], averaged over the rows by default. Its gradient with respect to
 * the logits is (softmax - one-hot) / n.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { crossEntropy } from 'dualtape/nn'
 * crossEntropy(tensor([[0, 0]]), [1]).toArray() // → 0.693147
 * crossEntropy(tensor([[0, 0], [0, 0]]), [1, 0], { reduction: 'none' }).toArray() // → [0.693147, 0.693147]
 */
export function crossEntropy(
  logits: Tensor,
  labels: readonly number[] | Tensor,
  opts?: CrossEntropyOptions,
): Tensor {
  checkOptions('crossEntropy', opts, ['reduction'])
  const z = asTensor('crossEntropy', logits, 'logits')
  if (z.rank !== 2) {
    throw new ShapeError(`crossEntropy: logits must be [n, classes], got shape ${fmtShape(z.shape)}`)
  }
  const [n, classes] = z.shape as [number, number]
  const ls = labelsOf('crossEntropy', labels, classes)
  if (ls.length !== n) {
    throw new ShapeError(
      `crossEntropy: ${ls.length} labels for logits of shape ${fmtShape(z.shape)} (${n} rows)`,
    )
  }
  const reduction = opts?.reduction ?? 'mean'
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new ValueError(
      `crossEntropy: reduction must be 'mean', 'sum' or 'none', got ${fmtValue(reduction)}`,
    )
  }
  const rows = neg(
    sum(mul(oneHot(ls, classes, { dtype: z.dtype, backend: z.backend.name }), logSoftmax(z)), -1),
  )
  return reduction === 'none' ? rows : reduction === 'sum' ? sum(rows) : mean(rows)
}
