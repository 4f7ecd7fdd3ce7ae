import type { Meta } from '../core/backend.js'
import { scalarLike } from './create.js'
import { DTypeError, ValueError, fmtShape } from '../core/errors.js'
import { describe } from '../core/op.js'
import type { Shape } from '../core/shape.js'
import { Tensor, isTensor } from '../core/tensor.js'

/**
 * A tensor or a plain number (taken as a scalar of the other operand's dtype).
 *
 * @example
 * import { mul, tensor, type TensorLike } from 'dualtape'
 * const half: TensorLike = 0.5
 * mul(tensor([2, 4]), half) // → [1, 2]
 */
export type TensorLike = Tensor | number

/** Checks that all inputs share one dtype and returns it. */
export function sameDType(op: string, ms: readonly Meta[]): Meta['dtype'] {
  const d = ms[0]!.dtype
  for (let i = 1; i < ms.length; i++) {
    if (ms[i]!.dtype !== d) {
      throw new DTypeError(
        `${op}: dtypes differ: ${ms.map((m) => `${m.dtype}${fmtShape(m.shape)}`).join(' and ')}; cast one with cast()`,
      )
    }
  }
  return d
}

/** Turns numbers into scalars matching the tensor among the arguments. */
export function asTensors(op: string, args: readonly TensorLike[]): Tensor[] {
  const like = args.find(isTensor)
  return args.map((a, i) => {
    if (isTensor(a)) return a
    if (typeof a === 'number') {
      if (like === undefined) throw new ValueError(`${op}: at least one argument must be a Tensor`)
      return scalarLike(like, a)
    }
    throw new ValueError(`${op}: argument ${i} must be a Tensor or a number, got ${describe(a)}`)
  })
}

/** Checks that a value is a tensor, naming the op otherwise. */
export function asTensor(op: string, x: unknown, what = 'argument'): Tensor {
  if (!isTensor(x)) throw new ValueError(`${op}: ${what} must be a Tensor, got ${describe(x)}`)
  return x
}

/** `[...batchAxes, ...shape]`: the shape of a tangent with `b` leading batch axes taken from `t`. */
export function batchShape(t: Tensor, b: number, shape: Shape): Shape {
  return b === 0 ? shape : [...t.shape.slice(0, b), ...shape]
}

/** Shifts axes of a primal by the tangent's `b` leading batch axes. */
export const shiftAxes = (axes: readonly number[], b: number): number[] => axes.map((a) => a + b)
