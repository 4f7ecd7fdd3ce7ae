import type { Backend } from './backend.js'
import { type DType, type FloatArray } from './dtype.js'
import { BackendError, DTypeError, TransformError, ValueError, fmtShape } from './errors.js'
import { type Shape, sizeOf, stridesOf } from './shape.js'
import type { Level } from './levels.js'
import { track } from './scope.js'

/** The one shape of every scalar. */
export const scalarShape: Shape = Object.freeze([])

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
 * A tensor recorded on the tape of a reverse level: its primal value and its position on the
 * level's tape, which keeps what the entry's pullback needs.
 */
export interface TapeNode {
  readonly kind: 'tape'
  readonly level: Level
  readonly primal: Tensor
  readonly index: number
}

/**
 * One entry of a reverse level's tape, as the graph viewer reads it: its op ('input' for a
 * differentiated input), its output, the tape positions of its inputs (null for constants), the
 * map from its output cotangent to its inputs' (null for inputs), and where the op was called
 * (recorded while NaN checking is on).
 */
export interface TapeEntry {
  readonly index: number
  readonly op: string
  readonly primal: Tensor
  readonly parents: readonly (number | null)[]
  readonly pullback: ((ct: Tensor) => readonly (Tensor | null)[]) | null
  readonly site: string | undefined
}

/** A reverse level's tape, in execution order (a topological order). */
export interface TapeRecord {
  /** The number of entries. */
  readonly length: number
  /** The output of entry `i` (the value of a differentiated input). */
  primal(i: number): Tensor
  /** The elements of every entry's output: what the tape holds. */
  heldElements(): number
  /** The bytes of every entry's output data (4 per float32 or int32 element, 8 per float64). */
  heldBytes(): number
  /** Every entry as an object. */
  entries(): TapeEntry[]
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

/**
 * A tensor at a linear level (linearize, linearTranspose): its value at the traced point and its
 * variable in the level's graph of linear ops.
 */
export interface StagedImpl {
  readonly kind: 'staged'
  readonly level: Level
  readonly primal: Tensor
  readonly id: number
}

/**
 * A tensor at a vmap level: the tensor itself is one example (its shape is an example's shape);
 * `primal` holds the whole batch, with the batch axis first (`[size, ...shape]`).
 */
export interface BatchImpl {
  readonly kind: 'batch'
  readonly level: Level
  readonly primal: Tensor
}

export type TensorImpl = Concrete | DualImpl | TapeImpl | IndexImpl | StagedImpl | BatchImpl

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
  readonly #shape: Shape
  readonly #dtype: DType

  /**
   * @internal `ownShape`: the caller passes the shape of a tensor (frozen already), which is
   * then taken without a check; any other shape is taken as it is if frozen, else as a frozen copy.
   */
  constructor(
    shape: Shape,
    dtype: DType,
    /** @internal */
    readonly impl: TensorImpl,
    ownShape = false,
  ) {
    // ops pass shapes that are already frozen (a tensor's, or a parameter kept by apply): no copy
    this.#shape =
      ownShape || Object.isFrozen(shape)
        ? shape
        : shape.length === 0
          ? scalarShape
          : Object.freeze([...shape])
    this.#dtype = dtype
    if (impl.kind === 'concrete') {
      if (impl.backend.ownsMemory === true) track(impl)
    } else if (dtype === 'int32' && impl.kind !== 'batch') {
      // a tracer is a value being differentiated (a vmap batch excepted: it only carries a batch
      // axis), and index tensors are not differentiable
      throw new DTypeError(
        `${impl.level.kind}: cannot differentiate with respect to an int32 index tensor of shape ${fmtShape(shape)}: ` +
          'index tensors are not differentiable; pass it as a constant (close over it, or leave it out of argnums)',
      )
    }
  }

  /**
   * The sizes of the axes, outermost first. Read-only, and frozen: a tensor never shares its
   * shape with an array its caller can still change, and assigning to it throws a TypeError.
   */
  get shape(): Shape {
    return this.#shape
  }

  /** The element type, 'float64' or 'float32' (read-only). */
  get dtype(): DType {
    return this.#dtype
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
    const c = concreteToRead(this, 'data')
    const a = await c.backend.read(c.handle, this)
    return a === c.handle ? a.slice() : a
  }

  /** The data as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    return nest(readConcrete(this, 'toArray'), this.shape)
  }

  /** The value of a tensor with one element. */
  item(): number {
    if (this.size !== 1)
      throw new ValueError(`item: tensor of shape ${fmtShape(this.shape)} has ${this.size} elements, not 1`)
    return readConcrete(this, 'item')[0]!
  }

  /**
   * How `console.log` shows a tensor: as `toString` does on a backend that reads synchronously,
   * else its shape and dtype only.
   */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return concreteOf(this).backend.syncRead && !insideVmap(this)
      ? this.toString()
      : `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype})`
  }

  /**
   * The values, shape and dtype, bounded whatever the size or rank, as numpy prints: up to 1000
   * values are all shown; a larger tensor shows the first and last three entries along each
   * axis (two, or one, when three would still show more than 1000 values), with `...` between;
   * a tensor that would show more than 1000 values even so, or of rank above 32, shows how many
   * values it has instead. A shape of more than 32 axes shows its first and last eight.
   *
   * @example
   * import { arange, tensor } from 'dualtape'
   * String(tensor([[1, 2], [3, 4]])) // → 'Tensor([[1,2],[3,4]], shape=[2, 2], dtype=float64)'
   * String(arange(2000)) // → 'Tensor([0,1,2,...,1997,1998,1999], shape=[2000], dtype=float64)'
   */
  toString(): string {
    return `Tensor(${showValues(readConcrete(this, 'toString'), this.shape)}, shape=${fmtShape(this.shape)}, dtype=${this.dtype})`
  }
}

/** The most values `toString` shows (numpy's print threshold). */
const printThreshold = 1000
/** The rank above which `toString` shows no values. */
const maxPrintRank = 32

/**
 * Values as `[[1,2],[NaN,-Infinity]]` (like JSON, but NaN and ±Infinity stay visible), with
 * the middle of long axes left out as `...`, or a count of the values when too many would show.
 */
function showValues(a: FloatArray, shape: Shape): string {
  const rank = shape.length
  const size = a.length
  const count = `${size} value${size === 1 ? '' : 's'} not shown`
  if (rank > maxPrintRank) return `<${count}: rank ${rank}>`
  let edge = Infinity
  if (size > printThreshold) {
    edge = 0
    for (const e of [3, 2, 1]) {
      let shown = 1
      for (const d of shape) shown *= Math.min(d, 2 * e)
      if (shown <= printThreshold) {
        edge = e
        break
      }
    }
    if (edge === 0) return `<${count}>`
  }
  const strides = stridesOf(shape)
  // rank ≤ 32 here, so the recursion is shallow
  const go = (off: number, axis: number): string => {
    if (axis === rank) return String(a[off])
    const n = shape[axis]!
    const parts: string[] = []
    const item = (i: number) => parts.push(go(off + i * strides[axis]!, axis + 1))
    if (n <= 2 * edge) for (let i = 0; i < n; i++) item(i)
    else {
      for (let i = 0; i < edge; i++) item(i)
      parts.push('...')
      for (let i = n - edge; i < n; i++) item(i)
    }
    return `[${parts.join(',')}]`
  }
  return go(0, 0)
}

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

/**
 * The concrete data under any tracers, refusing a tensor under a vmap level: its data holds the
 * whole batch, not the one example the tensor stands for.
 */
function concreteToRead(t: Tensor, where: string): Concrete {
  let x = t
  while (x.impl.kind !== 'concrete') {
    if (x.impl.kind === 'batch') {
      throw new TransformError(
        `${where}: cannot read the data of a tensor inside vmap (level ${x.impl.level.id}), which stands for every example of the batch; return it from the function instead`,
      )
    }
    x = x.impl.primal
  }
  return x.impl
}

/** Whether a tensor stands for one example of a vmap batch (a vmap tracer, at any depth). */
function insideVmap(t: Tensor): boolean {
  for (let x = t; x.impl.kind !== 'concrete'; x = x.impl.primal) if (x.impl.kind === 'batch') return true
  return false
}

/** Reads the data of a tensor synchronously without copying (internal). */
export function readConcrete(t: Tensor, where = 'dataSync'): FloatArray {
  const c = concreteToRead(t, where)
  if (!c.backend.syncRead) {
    throw new BackendError(
      `dataSync: the ${c.backend.name} backend reads asynchronously; use \`await t.data()\` instead`,
    )
  }
  return c.backend.readSync(c.handle, t)
}

/**
 * The data as nested arrays, built from the innermost axis out without recursion, so that any
 * rank works: level k holds the Π shape[0..k) arrays of axis k.
 */
function nest(a: FloatArray, shape: Shape): NestedArray {
  const rank = shape.length
  if (rank === 0) return a[0]!
  // arrays[k] = Π shape[0..k): how many arrays axis k makes
  const arrays = new Array<number>(rank)
  arrays[0] = 1
  for (let k = 1; k < rank; k++) arrays[k] = arrays[k - 1]! * shape[k - 1]!
  const last = shape[rank - 1]!
  let level: NestedArray[] = new Array<NestedArray>(arrays[rank - 1]!)
  for (let i = 0; i < level.length; i++) {
    const row = new Array<number>(last)
    for (let j = 0; j < last; j++) row[j] = a[i * last + j]!
    level[i] = row
  }
  for (let axis = rank - 2; axis >= 0; axis--) {
    const n = shape[axis]!
    const next = new Array<NestedArray>(arrays[axis]!)
    for (let i = 0; i < next.length; i++) next[i] = level.slice(i * n, (i + 1) * n)
    level = next
  }
  return level[0]!
}

/** Whether a value is a Tensor. */
export const isTensor = (x: unknown): x is Tensor => x instanceof Tensor

/**
 * The least and greatest value of each int32 tensor made from data (by `fromData`), the bounds
 * that argmax and argmin give their results, and those of a layout op's result (the bounds of its
 * int32 inputs, and 0): what `take` checks its indices against without
 * reading them back (a backend such as tfjs-webgpu reads only asynchronously).
 */
const indexRanges = new WeakMap<Tensor, readonly [number, number]>()

/** The known least and greatest value of an int32 tensor, or null (internal). */
export const indexRange = (t: Tensor): readonly [number, number] | null => indexRanges.get(t) ?? null

/** Records the bounds of an int32 tensor's values (internal: argmax, argmin). */
export function setIndexRange(t: Tensor, lo: number, hi: number): Tensor {
  indexRanges.set(t, [lo, hi])
  return t
}
