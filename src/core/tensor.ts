import type { Backend } from '../backends/backend.js'
import { type DType, type FloatArray } from './dtype.js'
import { BackendError, ValueError } from './errors.js'
import { type Shape, sizeOf } from './shape.js'
import type { Level } from './levels.js'
import { track } from './scope.js'

/** Data held by a backend. */
export interface Concrete {
  readonly kind: 'concrete'
  readonly backend: Backend
  readonly handle: unknown
}

/** A dual tensor at a forward level: primal plus tangent (with leading batch axes when batched). */
export interface DualImpl {
  readonly kind: 'dual'
  readonly level: Level
  readonly primal: Tensor
  readonly tangent: Tensor
}

/**
 * A tensor recorded on the tape of a reverse level: its primal value, its position on the tape,
 * the nodes of its inputs, and the closure mapping its cotangent to theirs (null for inputs).
 */
export interface TapeNode {
  readonly kind: 'tape'
  readonly level: Level
  readonly primal: Tensor
  readonly index: number
  readonly parents: readonly (TapeNode | null)[]
  readonly pullback: ((ct: Tensor) => readonly (Tensor | null)[]) | null
  /** The op that produced it ('input' for the differentiated arguments). */
  readonly op: string
  /** Where the op was called, recorded while NaN checking is on. */
  readonly site?: string
}

/** A tape tensor's implementation is its node. */
export type TapeImpl = TapeNode

/**
 * A tensor at a sparsity level: its primal plus, for each element, the sorted indices of the
 * level's inputs that it depends on (the nonzeros of its row of the Jacobian).
 */
export interface IndexImpl {
  readonly kind: 'index'
  readonly level: Level
  readonly primal: Tensor
  readonly sets: readonly (readonly number[])[]
}

export type TensorImpl = Concrete | DualImpl | TapeImpl | IndexImpl

/**
 * The one value type of dualtape: an immutable n-dimensional array of float64 or float32.
 * Inside `jvp`/`vjp` a tensor may be a tracer (a dual or a tape tensor); the same
 * functions run on all of them, and reading data from a tracer reads its primal.
 *
 * @example
 * import { tensor } from 'dualtape'
 * const x = tensor([[1, 2], [3, 4]])
 * x.shape      // [2, 2]
 * x.toArray()  // [[1, 2], [3, 4]]
 */
export class Tensor {
  /** @internal */
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    /** @internal */
    readonly impl: TensorImpl,
  ) {
    if (impl.kind === 'concrete' && impl.backend.ownsMemory === true) track(impl)
  }

  /** The number of elements. */
  get size(): number {
    return sizeOf(this.shape)
  }

  /** The number of axes. */
  get rank(): number {
    return this.shape.length
  }

  /** The backend holding the innermost data. */
  get backend(): Backend {
    return concreteOf(this).backend
  }

  /** A copy of the data, row-major (cpu backend; use `await data()` on any backend). */
  dataSync(): FloatArray {
    return readConcrete(this).slice()
  }

  /** A copy of the data, row-major, from any backend. */
  async data(): Promise<FloatArray> {
    const c = concreteOf(this)
    const a = await c.backend.read(c.handle, this)
    return a === c.handle ? a.slice() : a
  }

  /** The data as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    return nest(readConcrete(this), this.shape)
  }

  /** The value of a tensor with one element. */
  item(): number {
    if (this.size !== 1)
      throw new ValueError(
        `item: tensor of shape [${this.shape.join(', ')}] has ${this.size} elements, not 1`,
      )
    return readConcrete(this)[0]!
  }

  /** How `console.log` shows a tensor: its values, shape and dtype, not its internals. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return concreteOf(this).backend.syncRead
      ? this.toString()
      : `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype})`
  }

  toString(): string {
    return `Tensor(${showNested(this.toArray())}, shape=[${this.shape.join(', ')}], dtype=${this.dtype})`
  }
}

/** Nested arrays as `[[1,2],[NaN,-Infinity]]`: like JSON, but NaN and ±Infinity stay visible. */
const showNested = (v: NestedArray): string =>
  Array.isArray(v) ? `[${v.map(showNested).join(',')}]` : String(v)

/**
 * Nested arrays of numbers, as `toArray` returns.
 *
 * @example
 * import { tensor, type NestedArray } from 'dualtape'
 * const rows: NestedArray = tensor([[1, 2], [3, 4]]).toArray()
 * rows // → [[1, 2], [3, 4]]
 */
export type NestedArray = number | NestedArray[]

/** The concrete data under any tracers. */
export function concreteOf(t: Tensor): Concrete {
  let x = t
  while (x.impl.kind !== 'concrete') x = x.impl.primal
  return x.impl
}

/** Reads the data of a tensor synchronously without copying (internal). */
export function readConcrete(t: Tensor): FloatArray {
  const c = concreteOf(t)
  if (!c.backend.syncRead) {
    throw new BackendError(
      `dataSync: the ${c.backend.name} backend reads asynchronously; use \`await t.data()\` instead`,
    )
  }
  return c.backend.readSync(c.handle, t)
}

function nest(a: FloatArray, shape: Shape): NestedArray {
  if (shape.length === 0) return a[0]!
  const go = (off: number, axis: number): NestedArray[] => {
    const n = shape[axis]!
    const out: NestedArray[] = new Array(n)
    if (axis === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = a[off + i]!
      return out
    }
    const stride = sizeOf(shape.slice(axis + 1))
    for (let i = 0; i < n; i++) out[i] = go(off + i * stride, axis + 1)
    return out
  }
  return go(0, 0)
}

/** Whether a value is a Tensor. */
export const isTensor = (x: unknown): x is Tensor => x instanceof Tensor
