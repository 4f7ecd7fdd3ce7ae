import { ShapeError, ValueError, fmtShape, fmtValue } from './errors.js'

/**
 * A tensor shape: sizes of the axes, outermost first. `[]` is a scalar.
 *
 * @example
 * import { zeros, type Shape } from 'dualtape'
 * const shape: Shape = [2, 3]
 * zeros(shape).size // → 6
 */
export type Shape = readonly number[]

/** The number of elements of a shape. */
export function sizeOf(shape: Shape): number {
  let n = 1
  for (let i = 0; i < shape.length; i++) n *= shape[i]!
  return n
}

/** Row-major strides of a shape, in elements. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length)
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc
    acc *= shape[i]!
  }
  return s
}

/** Whether two shapes are equal. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The most elements a tensor may have: the longest typed array (2³² − 1 elements). */
export const maxSize = 2 ** 32 - 1

/** Checks that a number of elements fits in one typed array. */
export function checkSize(where: string, shape: Shape, size = sizeOf(shape)): void {
  if (size > maxSize) {
    throw new ValueError(
      `${where}: shape ${fmtShape(shape)} has ${size} elements, more than the ${maxSize} a tensor can hold`,
    )
  }
}

/** Checks that a value is a valid shape (non-negative integers) of at most `maxSize` elements. */
export function checkShape(where: string, shape: unknown): Shape {
  // a spread visits holes (every() skips them)
  if (
    !Array.isArray(shape) ||
    ![...(shape as unknown[])].every((d) => Number.isInteger(d) && (d as number) >= 0)
  ) {
    throw new ValueError(
      `${where}: a shape must be an array of non-negative integers, got ${fmtValue(shape)}`,
    )
  }
  checkSize(where, shape as Shape)
  return shape as Shape
}

/**
 * The numpy broadcast of two shapes: axes aligned from the right, a size 1 stretches.
 * Throws a `ShapeError` naming the op when the shapes do not broadcast.
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): Shape {
  // the result is one of the two (a tensor's frozen shape) when the shapes agree or one is a scalar's
  if (b.length === 0 || shapesEqual(a, b)) return a
  if (a.length === 0) return b
  const n = Math.max(a.length, b.length)
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1
    const db = b[b.length - n + i] ?? 1
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (axis ${i - n})`)
    }
    out[i] = da === 1 ? db : da
  }
  return out
}

/** `the tensor of shape [2, 3] (rank 2)`, or of rank `n` when only the rank is known. */
const ofShape = (s: number | Shape): string =>
  typeof s === 'number' ? `a tensor of rank ${s}` : `a tensor of shape ${fmtShape(s)} (rank ${s.length})`

/** Normalises an axis (negative counts from the end) for a tensor of the shape (or rank) given. */
export function normAxis(op: string, axis: number, shape: number | Shape): number {
  const rank = typeof shape === 'number' ? shape : shape.length
  if (typeof axis !== 'number') throw new ValueError(`${op}: an axis must be a number, got ${fmtValue(axis)}`)
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 0) || (rank === 0 && axis !== 0)) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for ${ofShape(shape)}`)
  }
  return axis < 0 ? axis + rank : axis
}

/** Normalises an optional axis or list of axes into a sorted list of distinct axes (all when undefined). */
export function normAxes(
  op: string,
  axis: number | readonly number[] | undefined,
  shape: number | Shape,
): number[] {
  const rank = typeof shape === 'number' ? shape : shape.length
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i)
  if (typeof axis !== 'number' && !Array.isArray(axis)) {
    throw new ValueError(
      `${op}: axis must be a number, an array of numbers or undefined (all axes), got ${fmtValue(axis)}`,
    )
  }
  const list = typeof axis === 'number' ? [axis] : [...axis]
  const out = list.map((a) => {
    if (rank === 0) throw new ShapeError(`${op}: axis ${fmtValue(a)} is out of range for a scalar (shape [])`)
    return normAxis(op, a, shape)
  })
  const sorted = [...new Set(out)].sort((x, y) => x - y)
  if (sorted.length !== out.length) throw new ShapeError(`${op}: repeated axis in ${fmtValue(list)}`)
  return sorted
}

/** The shape after reducing `axes` (kept as size 1 when `keepdims`). */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): Shape {
  const out: number[] = []
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdims) out.push(1)
    } else out.push(shape[i]!)
  }
  return out
}
