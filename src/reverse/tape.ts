import type { Backend } from '../core/backend.js'
import { BackendError, DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js'
import { watchingOps } from '../core/debug.js'
import { describe, type OpDef } from '../core/op.js'
import { shapesEqual } from '../core/shape.js'
import { Tensor, type TapeEntry, type TapeRecord } from '../core/tensor.js'
import { add } from '../ops/binary.js'
import { sumToShape } from '../ops/reduce.js'

/** What an entry keeps only when it needs it. */
export interface EntryExtra {
  /** The tape positions of all inputs (-1 for constants), for ops of more than two inputs. */
  readonly parents: readonly number[] | null
  /** The inputs' values, for ops of more than two inputs when some input is a constant. */
  readonly inputs: readonly Tensor[] | null
  /** Where the op was called, recorded while NaN checking is on. */
  readonly site: string | undefined
}

/** Which inputs want a cotangent, for ops of one or two inputs: shared, so no op allocates its own. */
export const wantsOf: readonly (readonly boolean[])[] = [
  Object.freeze([false]),
  Object.freeze([true]),
  Object.freeze([false, false]),
  Object.freeze([true, false]),
  Object.freeze([false, true]),
  Object.freeze([true, true]),
]

/** How an entry keeps its output (and its constant input): as a Tensor, or as one stored number. */
const TENSOR = 0
const F64 = 1
const F32 = 2

/**
 * The entries a tape has room for at first: few, so that its two typed arrays are small enough
 * for V8 to keep them in its heap (at most 64 bytes each) instead of allocating array buffers:
 * the many small tapes of Jacobians and checkpointed steps then allocate none.
 */
const START = 4

/** Entries per chunk of the tape's slots (a power of two), and its bits. */
const CHUNK_BITS = 8
export const CHUNK = 1 << CHUNK_BITS
const CHUNK_MASK = CHUNK - 1

/** The one shape of every scalar. */
const scalarShape = Object.freeze([]) as readonly number[]

/**
 * A typed array holding `a`'s values with room for more: 32 times the length when `a` is the
 * first, small one (going from the heap to an array buffer costs more than the copy), else twice.
 */
function grown<A extends Int32Array | Float64Array>(a: A): A {
  const b = new (a.constructor as new (n: number) => A)(a.length * (a.length <= 4 * START ? 32 : 2))
  b.set(a)
  return b
}

/**
 * The reverse-mode tape, kept as columns rather than one object per op. Entry `i` is a
 * differentiated input (no op) or a recorded op: its op and parameters, the tape positions of its
 * (first two) inputs, its output and, for a binary op with one input that is a constant at this
 * level, that constant. Everything the entry's pullback needs is in these columns.
 *
 * What a garbage collection must visit is kept small. A scavenge copies every young object that
 * is still alive, so a tape of objects was copied again and again as it grew: 71% of a
 * 10⁵-op gradient went to collecting garbage, and the cost per op grew with depth. Here the op,
 * the input positions and small values live in typed arrays, outside the collected heap:
 *
 * - an entry's op is an index into the tape's list of distinct ops;
 * - a zero-dimensional float output on the cpu backend (or any backend that holds its data in
 *   typed arrays) is kept as the number (`vals`), its constant input too, and built
 *   again as a tensor when the sweep reads it: a one-element `Float64Array` costs about 210
 *   bytes in V8, its `Concrete` and `Tensor` 48 each;
 * - parameters, tensor outputs and tensor constants sit in chunks of `CHUNK` entries, made only
 *   for the entries that have one (a scalar chain has none). Chunks, because V8 keeps an array
 *   of more than some 16,000 elements in its large-object space, where the collector scans the
 *   whole array while it is young: one array per column made recording an op of a 10⁵-op tape
 *   four times as slow as of a 10³-op one.
 */
export class Tape implements TapeRecord {
  length = 0
  /** The distinct ops of the tape; `ops[i]` is entry i's index into it (-1 for an input). */
  private readonly opList: OpDef<unknown>[] = []
  private lastOp: OpDef<unknown> | null = null
  private lastOpIndex = -1
  /**
   * Four integers per entry: the op's index in `opList` (-1 for an input); the tape positions
   * of the two inputs (-1 for a constant, -2 for none: a unary op); the form (bits 0–1: how the
   * output is kept, bits 2–3: how the constant input is kept).
   */
  private meta = new Int32Array(4 * START)
  /** Two numbers per entry: the output and the constant input, where they are kept as numbers. */
  private vals = new Float64Array(2 * START)
  /**
   * Three slots per entry, in chunks of `CHUNK` entries, each made when an entry of its range
   * first has something to keep: the parameters, the output where it is not kept as a number,
   * the constant input where it is not kept as a number.
   */
  private readonly slots: (unknown[] | undefined)[] = []
  private extras: Map<number, EntryExtra> | null = null
  /** The backend whose zero-dimensional values are kept as numbers (the first seen that allows it). */
  private scalarBackend: Backend | null = null
  /** Whether the scalar backend's handle of a typed array is the array itself (the cpu backend's is). */
  private plainHandles = false
  /** The last output built from a number, and its entry: a chain reads each one twice in a row. */
  private builtIndex = -1
  private built: Tensor | null = null

  /** Records a differentiated input; returns its position. */
  pushInput(x: Tensor): number {
    const i = this.reserve()
    const m = this.meta
    m[4 * i] = -1
    m[4 * i + 1] = -1
    m[4 * i + 2] = -2
    m[4 * i + 3] = TENSOR
    this.setSlot(i, 1, x)
    return i
  }

  /**
   * Records an op: its output `y`, the positions `p0`, `p1` of its inputs (-1 for a constant,
   * `p1` -2 for a unary op), the constant input `c` of a binary op with one (null otherwise) and,
   * for anything else, `extra`. Returns the entry's position.
   */
  pushOp(
    def: OpDef<unknown>,
    params: unknown,
    y: Tensor,
    p0: number,
    p1: number,
    c: Tensor | null,
    extra: EntryExtra | null,
  ): number {
    const i = this.reserve()
    const m = this.meta
    m[4 * i] = this.opIndex(def)
    if (params !== undefined) this.setSlot(i, 0, params)
    const fy = this.scalarForm(y)
    if (fy === TENSOR) this.setSlot(i, 1, y)
    else this.vals[2 * i] = (y.impl as { handle: Float64Array | Float32Array }).handle[0]!
    let fc = TENSOR
    if (c !== null) {
      fc = this.scalarForm(c)
      if (fc === TENSOR) this.setSlot(i, 2, c)
      else this.vals[2 * i + 1] = (c.impl as { handle: Float64Array | Float32Array }).handle[0]!
    }
    m[4 * i + 1] = p0
    m[4 * i + 2] = p1
    m[4 * i + 3] = fy | (fc << 2)
    if (extra !== null) (this.extras ??= new Map()).set(i, extra)
    return i
  }

  /** Makes room for one more entry and returns its position. */
  private reserve(): number {
    const i = this.length++
    if (4 * i >= this.meta.length) {
      this.meta = grown(this.meta)
      this.vals = grown(this.vals)
    }
    return i
  }

  /** The index of `def` in the tape's list of ops (added if new). */
  private opIndex(def: OpDef<unknown>): number {
    if (def === this.lastOp) return this.lastOpIndex
    let k = this.opList.indexOf(def)
    if (k < 0) k = this.opList.push(def) - 1
    this.lastOp = def
    this.lastOpIndex = k
    return k
  }

  private setSlot(i: number, k: number, v: unknown): void {
    let chunk = this.slots[i >> CHUNK_BITS]
    if (chunk === undefined) {
      while (this.slots.length <= i >> CHUNK_BITS) this.slots.push(undefined)
      this.slots[i >> CHUNK_BITS] = chunk = new Array<unknown>(CHUNK * 3)
    }
    chunk[(i & CHUNK_MASK) * 3 + k] = v
  }

  private slot(i: number, k: number): unknown {
    const chunk = this.slots[i >> CHUNK_BITS]
    return chunk === undefined ? undefined : chunk[(i & CHUNK_MASK) * 3 + k]
  }

  /** How `t` can be kept: as a number when it is a zero-dimensional float on the scalar backend. */
  private scalarForm(t: Tensor): number {
    const impl = t.impl
    if (impl.kind !== 'concrete' || t.rank !== 0) return TENSOR
    const backend = impl.backend
    if (backend !== this.scalarBackend) {
      if (this.scalarBackend !== null || backend.syncRead !== true || backend.ownsMemory === true)
        return TENSOR
      this.scalarBackend = backend
      const probe = new Float64Array(1)
      this.plainHandles = backend.fromArray(probe, { shape: scalarShape, dtype: 'float64' }) === probe
    }
    const h = impl.handle
    return h instanceof Float64Array ? F64 : h instanceof Float32Array ? F32 : TENSOR
  }

  /** A zero-dimensional tensor of `form` holding `v`, on the scalar backend. */
  private scalar(form: number, v: number): Tensor {
    const backend = this.scalarBackend!
    const dtype = form === F64 ? 'float64' : 'float32'
    const data = form === F64 ? new Float64Array(1) : new Float32Array(1)
    data[0] = v
    const handle = this.plainHandles ? data : backend.fromArray(data, { shape: scalarShape, dtype })
    return new Tensor(scalarShape, dtype, { kind: 'concrete', backend, handle }, true)
  }

  /** The output of entry `i` (the value of a differentiated input). */
  primal(i: number): Tensor {
    const t = this.slot(i, 1) as Tensor | undefined
    if (t !== undefined) return t
    if (i === this.builtIndex) return this.built!
    const b = this.scalar(this.meta[4 * i + 3]! & 3, this.vals[2 * i]!)
    this.builtIndex = i
    this.built = b
    return b
  }

  /** The constant input of entry `i`, a binary op with one. */
  private constant(i: number): Tensor {
    const c = this.slot(i, 2) as Tensor | undefined
    return c !== undefined ? c : this.scalar(this.meta[4 * i + 3]! >> 2, this.vals[2 * i + 1]!)
  }

  /** The op of entry `i` (null for a differentiated input). */
  private def(i: number): OpDef<unknown> | null {
    const k = this.meta[4 * i]!
    return k < 0 ? null : this.opList[k]!
  }

  /** Whether entry `i` is a recorded op (not a differentiated input). */
  isOp(i: number): boolean {
    return this.meta[4 * i]! >= 0
  }

  /** The op of entry `i` ('input' for a differentiated input). */
  opName(i: number): string {
    return this.def(i)?.name ?? 'input'
  }

  /** Where the op of entry `i` was called, when NaN checking was on. */
  site(i: number): string | undefined {
    return this.extras?.get(i)?.site
  }

  /** The number of inputs of entry `i`. */
  arity(i: number): number {
    if (!this.isOp(i)) return 0
    const more = this.extras?.get(i)?.parents
    if (more !== null && more !== undefined) return more.length
    return this.meta[4 * i + 2] === -2 ? 1 : 2
  }

  /** The tape position of input `j` of entry `i`, -1 for a constant. */
  parentIndex(i: number, j: number): number {
    const more = this.extras?.get(i)?.parents
    if (more !== null && more !== undefined) return more[j]!
    return this.meta[4 * i + 1 + j]!
  }

  /** The elements of every entry's output: what the tape holds. */
  heldElements(): number {
    let n = 0
    for (let i = 0; i < this.length; i++) {
      const t = this.slot(i, 1) as Tensor | undefined
      n += t === undefined ? 1 : t.size
    }
    return n
  }

  /** The bytes of every entry's output data (4 per float32 or int32 element, 8 per float64). */
  heldBytes(): number {
    let n = 0
    for (let i = 0; i < this.length; i++) {
      const t = this.slot(i, 1) as Tensor | undefined
      n +=
        t === undefined
          ? (this.meta[4 * i + 3]! & 3) === F64
            ? 8
            : 4
          : t.size * (t.dtype === 'float64' ? 8 : 4)
    }
    return n
  }

  /**
   * Runs entry `i`'s VJP rule on ȳ = `ct` and sums each wanted, nonzero input cotangent (summed
   * back over broadcast axes to the input's shape) into `acc` at its input's tape position, or,
   * with `acc` null, stores it in `out` at the input's place.
   */
  backward(i: number, ct: Tensor, acc: Cotangents | null, out: (Tensor | null)[] | null): void {
    const def = this.def(i)!
    const ex = this.extras === null ? undefined : this.extras.get(i)
    const more = ex === undefined ? null : ex.parents
    // the output first: in a chain it was built as the input of the entry swept before
    const y = this.primal(i)
    let x: readonly Tensor[]
    let wants: readonly boolean[]
    const p0 = this.meta[4 * i + 1]!
    const p1 = this.meta[4 * i + 2]!
    if (more !== null) {
      x = ex!.inputs ?? more.map((p) => this.primal(p))
      wants = more.map((p) => p >= 0)
    } else if (p1 === -2) {
      x = [this.primal(p0)]
      wants = wantsOf[1]!
    } else {
      x = [p0 >= 0 ? this.primal(p0) : this.constant(i), p1 >= 0 ? this.primal(p1) : this.constant(i)]
      wants = wantsOf[2 + (p0 >= 0 ? 1 : 0) + (p1 >= 0 ? 2 : 0)]!
    }
    const gs: unknown = def.vjp({ ct, x, y, params: this.slot(i, 0), wants })
    checkCotangents(def.name, gs, x, wants)
    for (let j = 0; j < gs.length; j++) {
      const g = gs[j]
      if (g === null || g === undefined || !wants[j]) continue
      const shape = x[j]!.shape
      let s = g
      if (!shapesEqual(g.shape, shape)) {
        s = sumToShape(g, shape)
        if (!shapesEqual(s.shape, shape)) {
          throw new ShapeError(
            `${def.name}: its VJP rule returned a cotangent of shape ${fmtShape(g.shape)} for input ${j} of shape ${fmtShape(shape)}`,
          )
        }
      }
      if (acc === null) out![j] = s
      else this.accumulate(acc, more === null ? (j === 0 ? p0 : p1) : more[j]!, s)
    }
  }

  /**
   * Entry `i`'s step of the reverse sweep: takes its cotangent out of `acc` and sums its inputs'
   * cotangents into `acc`.
   *
   * On numbers where it can be: a unary op of the derivative table whose output, input and
   * cotangent are zero-dimensional float64 values on a backend that computes `derivMul` on
   * numbers. The result is that of the tensor path to the bit (the backend's number function is
   * its kernel's expression, and a sum is the add kernel's), and no tensor is built. Not while
   * NaN checking or an op observer watches: they see every op of the sweep.
   */
  sweepEntry(i: number, acc: Cotangents): void {
    const def = this.def(i)!
    const m = this.meta
    const d = def.derivative
    const number = this.scalarBackend?.derivMulNumber
    if (
      d !== undefined &&
      number !== undefined &&
      this.plainHandles &&
      (m[4 * i + 3]! & 3) === F64 &&
      m[4 * i + 2] === -2 &&
      !watchingOps()
    ) {
      const c = acc.isNumber(i) ? acc.number(i) : this.plainNumber(acc.tensor(i)!)
      const p0 = m[4 * i + 1]!
      const x = this.numberAt(p0)
      if (c !== undefined && x !== undefined) {
        acc.clear(i)
        this.accumulateNumber(acc, p0, number(d.name, x, this.vals[2 * i]!, c, d.p(this.slot(i, 0))))
        return
      }
    }
    const ct = this.cotangent(acc, i)!
    acc.clear(i)
    this.backward(i, ct, acc, null)
  }

  /** The cotangent in slot `i` of `acc` as a tensor (undefined where there is none). */
  cotangent(acc: Cotangents, i: number): Tensor | undefined {
    return acc.isNumber(i) ? this.scalar(F64, acc.number(i)) : acc.tensor(i)
  }

  /** Sums `s` into slot `p` of `acc`: as `add` does, on numbers where both are. */
  private accumulate(acc: Cotangents, p: number, s: Tensor): void {
    if (acc.isNumber(p)) {
      const v = this.plainNumber(s)
      if (v !== undefined) acc.setNumber(p, acc.number(p) + v)
      else acc.setTensor(p, add(this.scalar(F64, acc.number(p)), s))
      return
    }
    const prev = acc.tensor(p)
    acc.setTensor(p, prev === undefined ? s : add(prev, s))
  }

  /** Sums the float64 number `g` into slot `p` of `acc`: as `add` does, on numbers where both are. */
  private accumulateNumber(acc: Cotangents, p: number, g: number): void {
    if (acc.isNumber(p)) {
      acc.setNumber(p, acc.number(p) + g)
      return
    }
    const prev = acc.tensor(p)
    if (prev === undefined) acc.setNumber(p, g)
    else {
      const v = this.plainNumber(prev)
      if (v !== undefined) acc.setNumber(p, v + g)
      else acc.setTensor(p, add(prev, this.scalar(F64, g)))
    }
  }

  /** The value of `t` when it is a zero-dimensional float64 value on the scalar backend. */
  private plainNumber(t: Tensor): number | undefined {
    const impl = t.impl
    if (impl.kind !== 'concrete' || impl.backend !== this.scalarBackend || t.rank !== 0) return undefined
    const h = impl.handle
    return h instanceof Float64Array ? h[0] : undefined
  }

  /** The output of entry `p` as a number, when it is a zero-dimensional float64 value on the scalar backend. */
  private numberAt(p: number): number | undefined {
    const t = this.slot(p, 1) as Tensor | undefined
    if (t !== undefined) return this.plainNumber(t)
    return (this.meta[4 * p + 3]! & 3) === F64 ? this.vals[2 * p] : undefined
  }

  /** Entry `i`'s map from its output cotangent to its inputs' (null where not wanted or zero). */
  pullback(i: number, ct: Tensor): readonly (Tensor | null)[] {
    const out = new Array<Tensor | null>(this.arity(i)).fill(null)
    this.backward(i, ct, null, out)
    return out
  }

  /** Every entry as an object, for the graph viewer. */
  entries(): TapeEntry[] {
    const out: TapeEntry[] = []
    for (let i = 0; i < this.length; i++) {
      const n = this.arity(i)
      const parents: (number | null)[] = []
      for (let j = 0; j < n; j++) {
        const p = this.parentIndex(i, j)
        parents.push(p < 0 ? null : p)
      }
      out.push({
        index: i,
        op: this.opName(i),
        primal: this.primal(i),
        parents,
        pullback: this.isOp(i) ? (ct: Tensor) => this.pullback(i, ct) : null,
        site: this.site(i),
      })
    }
    return out
  }
}

/**
 * The cotangents of the sweep, one slot per tape entry, in chunks (as the tape's slots, and for
 * the same reason); a chunk is made when a slot of it is first set, and dropped once the sweep
 * has gone below it.
 */
export class Cotangents {
  private readonly chunks: ((Tensor | undefined)[] | undefined)[]
  /** Cotangents held as numbers (zero-dimensional float64 values), where `isNum` is 1. */
  private nums: Float64Array | null = null
  private isNum: Uint8Array | null = null

  constructor(readonly length: number) {
    this.chunks = new Array<(Tensor | undefined)[] | undefined>((length + CHUNK - 1) >> CHUNK_BITS)
  }

  /** Whether slot `i` holds a cotangent. */
  has(i: number): boolean {
    return this.isNumber(i) || this.tensor(i) !== undefined
  }

  /** Whether slot `i` holds its cotangent as a number. */
  isNumber(i: number): boolean {
    return this.isNum !== null && this.isNum[i] === 1
  }

  /** The number slot `i` holds (when `isNumber(i)`). */
  number(i: number): number {
    return this.nums![i]!
  }

  /** The tensor slot `i` holds, if it holds one. */
  tensor(i: number): Tensor | undefined {
    const chunk = this.chunks[i >> CHUNK_BITS]
    return chunk === undefined ? undefined : chunk[i & CHUNK_MASK]
  }

  setNumber(i: number, v: number): void {
    if (this.nums === null) {
      this.nums = new Float64Array(this.length)
      this.isNum = new Uint8Array(this.length)
    }
    this.nums[i] = v
    this.isNum![i] = 1
    const chunk = this.chunks[i >> CHUNK_BITS]
    if (chunk !== undefined) chunk[i & CHUNK_MASK] = undefined
  }

  setTensor(i: number, t: Tensor): void {
    let chunk = this.chunks[i >> CHUNK_BITS]
    if (chunk === undefined) this.chunks[i >> CHUNK_BITS] = chunk = new Array<Tensor | undefined>(CHUNK)
    chunk[i & CHUNK_MASK] = t
    if (this.isNum !== null) this.isNum[i] = 0
  }

  /** Empties slot `i`. */
  clear(i: number): void {
    const chunk = this.chunks[i >> CHUNK_BITS]
    if (chunk !== undefined) chunk[i & CHUNK_MASK] = undefined
    if (this.isNum !== null) this.isNum[i] = 0
  }

  /**
   * Drops the chunk of slot `i` and every slot above it: the sweep, which goes down the tape,
   * is done with them (an entry's cotangent flows only to earlier entries).
   */
  release(i: number): void {
    this.chunks[i >> CHUNK_BITS] = undefined
  }
}

/**
 * Checks what a VJP rule returned: an array with one entry per input, each a Tensor of the
 * input's dtype and backend, or null (a zero, or an input that is not wanted). An empty array
 * or a missing entry would silently be a zero gradient; a float32 cotangent would make a float64
 * gradient float32.
 */
export function checkCotangents(
  op: string,
  gs: unknown,
  x: readonly Tensor[],
  wants: readonly boolean[],
): asserts gs is readonly (Tensor | null)[] {
  const n = x.length
  if (!Array.isArray(gs) || gs.length !== n) {
    const got = Array.isArray(gs) ? `an array of ${gs.length}` : describe(gs)
    throw new ValueError(
      `${op}: its VJP rule must return an array of ${n} cotangent${n === 1 ? '' : 's'} (one per input, null where not wanted), got ${got}`,
    )
  }
  for (let i = 0; i < n; i++) {
    const g: unknown = gs[i]
    if (g === null || (g === undefined && !wants[i])) continue
    if (!(g instanceof Tensor)) {
      throw new ValueError(
        `${op}: its VJP rule returned ${describe(g)} for input ${i}; expected a Tensor or null`,
      )
    }
    if (!wants[i]) continue
    const xi = x[i]!
    if (g.dtype !== xi.dtype) {
      throw new DTypeError(
        `${op}: its VJP rule returned a ${g.dtype} cotangent for input ${i}, which is ${xi.dtype}`,
      )
    }
    if (g.backend !== xi.backend) {
      throw new BackendError(
        `${op}: its VJP rule returned a cotangent on the ${g.backend.name} backend for input ${i}, which lives on ${xi.backend.name}`,
      )
    }
  }
}
