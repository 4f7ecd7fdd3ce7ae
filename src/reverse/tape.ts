import type { Backend } from '../core/backend.js'
import { BackendError, DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js'
import { watchingOps } from '../core/debug.js'
import { describe, type OpDef } from '../core/op.js'
import { shapesEqual } from '../core/shape.js'
import { Tensor, scalarShape, type TapeEntry, type TapeRecord } from '../core/tensor.js'
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
const wantsOf: readonly (readonly boolean[])[] = [
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
/** The bit of an entry's form set when its parameters are undefined (not null). */
const UNDEFINED_PARAMS = 16

/** Entries per chunk of the tape's slots (a power of two), and its bits. */
const CHUNK_BITS = 8
export const CHUNK = 1 << CHUNK_BITS
const CHUNK_MASK = CHUNK - 1

/** An empty array whose elements V8 keeps as unboxed doubles (an array begun with integers is not). */
function doubles(): number[] {
  const a = [0.5]
  a.pop()
  return a
}

/** An array of n zeros kept as unboxed doubles. */
function doubleZeros(n: number): number[] {
  return new Array<number>(n).fill(0.5).fill(0)
}

/**
 * The reverse-mode tape, kept as columns rather than one object per op. Entry `i` is a
 * differentiated input (no op) or a recorded op: its op and parameters, the tape positions of its
 * (first two) inputs, its output and, for a binary op with one input that is a constant at this
 * level, that constant. Everything the entry's pullback needs is in these columns.
 *
 * What a garbage collection must visit is kept small. A scavenge copies every young object that
 * is still alive, so a tape of objects was copied again and again as it grew: 71% of a
 * 10⁵-op gradient went to collecting garbage, and the cost per op grew with depth. Here:
 *
 * - an entry's op is an index into the tape's list of distinct ops, and its integers (the op,
 *   the input positions, the form) and numbers sit in arrays of small integers and of unboxed
 *   doubles, which the collector copies without looking into;
 * - a zero-dimensional float output on the cpu backend (or any backend that holds its data in
 *   typed arrays) is kept as the number, its constant input too, and built again as a tensor
 *   when the sweep reads it (a one-element `Float64Array` costs about 210 bytes in V8, its
 *   `Concrete` and `Tensor` 48 each), or not built at all where the sweep runs on numbers;
 * - parameters, tensor outputs and tensor constants sit in slots made only for the entries
 *   that have one (a scalar chain has none);
 * - every column is cut into chunks of `CHUNK` entries. V8 keeps an array of more than some
 *   16,000 elements in its large-object space, where the collector scans the whole array while
 *   it is young: one array per column made recording an op of a 10⁵-op tape four times as slow
 *   as of a 10³-op one. Arrays rather than typed arrays, because an array buffer costs about a
 *   microsecond to allocate, a fifth of a 10-op gradient.
 */
export class Tape implements TapeRecord {
  length = 0
  /** The distinct ops of the tape; `ops[i]` is entry i's index into it (-1 for an input). */
  private readonly opList: OpDef<unknown>[] = []
  /** The positions in `opList`, once it is too long to search. */
  private opIds: Map<OpDef<unknown>, number> | null = null
  private lastOp: OpDef<unknown> | null = null
  private lastOpIndex = -1
  /**
   * Four integers per entry: the op's index in `opList` (-1 for an input); the tape positions
   * of the two inputs (-1 for a constant, -2 for none: a unary op); the form (bits 0–1: how the
   * output is kept, bits 2–3: how the constant input is kept, bit 4: undefined parameters).
   */
  private readonly meta: number[][] = []
  /** Two numbers per entry: the output and the constant input, where they are kept as numbers. */
  private readonly vals: number[][] = []
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
    const m = this.meta[i >> CHUNK_BITS]!
    const k = (i & CHUNK_MASK) << 2
    m[k] = -1
    m[k + 1] = -1
    m[k + 2] = -2
    m[k + 3] = TENSOR
    const vals = this.vals[i >> CHUNK_BITS]!
    vals[(i & CHUNK_MASK) << 1] = 0
    vals[((i & CHUNK_MASK) << 1) + 1] = 0
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
    const m = this.meta[i >> CHUNK_BITS]!
    const k = (i & CHUNK_MASK) << 2
    const v = (i & CHUNK_MASK) << 1
    m[k] = this.opIndex(def)
    // null and undefined parameters (most ops have none) take no slot: a bit of the form tells them apart
    if (params !== null && params !== undefined) this.setSlot(i, 0, params)
    const fy = this.scalarForm(y)
    // both numbers written, in order: a small tape's arrays grow by appending
    const vals = this.vals[i >> CHUNK_BITS]!
    if (fy === TENSOR) {
      this.setSlot(i, 1, y)
      vals[v] = 0
    } else vals[v] = (y.impl as { handle: Float64Array | Float32Array }).handle[0]!
    let fc = TENSOR
    if (c !== null) {
      fc = this.scalarForm(c)
      if (fc === TENSOR) this.setSlot(i, 2, c)
      else vals[v + 1] = (c.impl as { handle: Float64Array | Float32Array }).handle[0]!
    }
    if (fc === TENSOR) vals[v + 1] = 0
    m[k + 1] = p0
    m[k + 2] = p1
    m[k + 3] = fy | (fc << 2) | (params === undefined ? UNDEFINED_PARAMS : 0)
    if (extra !== null) (this.extras ??= new Map()).set(i, extra)
    return i
  }

  /** Makes room for one more entry and returns its position. */
  private reserve(): number {
    const i = this.length++
    if ((i & CHUNK_MASK) === 0) {
      this.meta.push([])
      this.vals.push(doubles())
    }
    return i
  }

  /** The index of `def` in the tape's list of ops (added if new). */
  private opIndex(def: OpDef<unknown>): number {
    if (def === this.lastOp) return this.lastOpIndex
    let k: number
    if (this.opIds === null) {
      k = this.opList.indexOf(def)
      if (k < 0) k = this.opList.push(def) - 1
      // many distinct ops (a checkpointed or custom op made per call): looked up in a map
      if (this.opList.length > 16) this.opIds = new Map(this.opList.map((d, j) => [d, j]))
    } else {
      k = this.opIds.get(def) ?? -1
      if (k < 0) this.opIds.set(def, (k = this.opList.push(def) - 1))
    }
    this.lastOp = def
    this.lastOpIndex = k
    return k
  }

  private setSlot(i: number, k: number, v: unknown): void {
    const c = i >> CHUNK_BITS
    const j = (i & CHUNK_MASK) * 3 + k
    let chunk = this.slots[c]
    if (chunk === undefined || j >= chunk.length) chunk = this.grownChunk(c, j)
    chunk[j] = v
  }

  /**
   * Chunk `c` of the slots with room for slot `j`: a chunk starts with room for 8 entries and
   * doubles up to `CHUNK`, so that a small tape allocates little.
   */
  private grownChunk(c: number, j: number): unknown[] {
    while (this.slots.length <= c) this.slots.push(undefined)
    const old = this.slots[c]
    let n = old === undefined ? 24 : old.length
    while (n <= j) n *= 2
    const chunk = new Array<unknown>(Math.min(n, CHUNK * 3))
    if (old !== undefined) for (let t = 0; t < old.length; t++) chunk[t] = old[t]
    this.slots[c] = chunk
    return chunk
  }

  private slot(i: number, k: number): unknown {
    const chunk = this.slots[i >> CHUNK_BITS]
    const j = (i & CHUNK_MASK) * 3 + k
    return chunk === undefined || j >= chunk.length ? undefined : chunk[j]
  }

  /** Entry `i`'s parameters. */
  private params(i: number): unknown {
    const p = this.slot(i, 0)
    return p !== undefined ? p : (this.at(i, 3) & UNDEFINED_PARAMS) !== 0 ? undefined : null
  }

  /** Entry `i`'s integer `k`: 0 its op, 1 and 2 its inputs' positions, 3 its form. */
  private at(i: number, k: number): number {
    return this.meta[i >> CHUNK_BITS]![((i & CHUNK_MASK) << 2) + k]!
  }

  /** Entry `i`'s number `k`: 0 its output, 1 its constant input (where kept as numbers). */
  private value(i: number, k: number): number {
    return this.vals[i >> CHUNK_BITS]![((i & CHUNK_MASK) << 1) + k]!
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
    const b = this.scalar(this.at(i, 3) & 3, this.value(i, 0))
    this.builtIndex = i
    this.built = b
    return b
  }

  /** The constant input of entry `i`, a binary op with one. */
  private constant(i: number): Tensor {
    const c = this.slot(i, 2) as Tensor | undefined
    return c !== undefined ? c : this.scalar(this.at(i, 3) >> 2, this.value(i, 1))
  }

  /** The op of entry `i` (null for a differentiated input). */
  private def(i: number): OpDef<unknown> | null {
    const k = this.at(i, 0)
    return k < 0 ? null : this.opList[k]!
  }

  /** Whether entry `i` is a recorded op (not a differentiated input). */
  isOp(i: number): boolean {
    return this.at(i, 0) >= 0
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
    return this.at(i, 2) === -2 ? 1 : 2
  }

  /** The tape position of input `j` of entry `i`, -1 for a constant. */
  parentIndex(i: number, j: number): number {
    const more = this.extras?.get(i)?.parents
    if (more !== null && more !== undefined) return more[j]!
    return this.at(i, 1 + j)
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
      n += t === undefined ? ((this.at(i, 3) & 3) === F64 ? 8 : 4) : t.size * (t.dtype === 'float64' ? 8 : 4)
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
    const p0 = this.at(i, 1)
    const p1 = this.at(i, 2)
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
    const gs: unknown = def.vjp({ ct, x, y, params: this.params(i), wants })
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
    const d = def.derivative
    const number = this.scalarBackend?.derivMulNumber
    if (
      d !== undefined &&
      number !== undefined &&
      this.plainHandles &&
      (this.at(i, 3) & 3) === F64 &&
      this.at(i, 2) === -2 &&
      !watchingOps()
    ) {
      const c = acc.isNumber(i) ? acc.number(i) : this.plainNumber(acc.tensor(i)!)
      const p0 = this.at(i, 1)
      const x = this.numberAt(p0)
      if (c !== undefined && x !== undefined) {
        acc.clear(i)
        this.accumulateNumber(acc, p0, number(d.name, x, this.value(i, 0), c, d.p(this.params(i))))
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
    return (this.at(p, 3) & 3) === F64 ? this.value(p, 0) : undefined
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
  private readonly tensors: ((Tensor | undefined)[] | undefined)[]
  /** Cotangents held as numbers (zero-dimensional float64 values), where `flags` is 1. */
  private readonly nums: (number[] | undefined)[]
  private readonly flags: (number[] | undefined)[]

  constructor(readonly length: number) {
    const chunks = (length + CHUNK - 1) >> CHUNK_BITS
    this.tensors = new Array<(Tensor | undefined)[] | undefined>(chunks)
    this.nums = new Array<number[] | undefined>(chunks)
    this.flags = new Array<number[] | undefined>(chunks)
  }

  /** The length of chunk `c`: the last one only as long as the tape. */
  private chunkLength(c: number): number {
    return Math.min(CHUNK, this.length - c * CHUNK)
  }

  /** Whether slot `i` holds a cotangent. */
  has(i: number): boolean {
    return this.isNumber(i) || this.tensor(i) !== undefined
  }

  /** Whether slot `i` holds its cotangent as a number. */
  isNumber(i: number): boolean {
    const f = this.flags[i >> CHUNK_BITS]
    return f !== undefined && f[i & CHUNK_MASK] === 1
  }

  /** The number slot `i` holds (when `isNumber(i)`). */
  number(i: number): number {
    return this.nums[i >> CHUNK_BITS]![i & CHUNK_MASK]!
  }

  /** The tensor slot `i` holds, if it holds one. */
  tensor(i: number): Tensor | undefined {
    const chunk = this.tensors[i >> CHUNK_BITS]
    return chunk === undefined ? undefined : chunk[i & CHUNK_MASK]
  }

  setNumber(i: number, v: number): void {
    const c = i >> CHUNK_BITS
    let nums = this.nums[c]
    let flags = this.flags[c]
    if (nums === undefined || flags === undefined) {
      this.nums[c] = nums = doubleZeros(this.chunkLength(c))
      this.flags[c] = flags = new Array<number>(this.chunkLength(c)).fill(0)
    }
    nums[i & CHUNK_MASK] = v
    flags[i & CHUNK_MASK] = 1
    const chunk = this.tensors[c]
    if (chunk !== undefined) chunk[i & CHUNK_MASK] = undefined
  }

  setTensor(i: number, t: Tensor): void {
    const c = i >> CHUNK_BITS
    let chunk = this.tensors[c]
    if (chunk === undefined) this.tensors[c] = chunk = new Array<Tensor | undefined>(this.chunkLength(c))
    chunk[i & CHUNK_MASK] = t
    const flags = this.flags[c]
    if (flags !== undefined) flags[i & CHUNK_MASK] = 0
  }

  /** Empties slot `i`. */
  clear(i: number): void {
    const c = i >> CHUNK_BITS
    const chunk = this.tensors[c]
    if (chunk !== undefined) chunk[i & CHUNK_MASK] = undefined
    const flags = this.flags[c]
    if (flags !== undefined) flags[i & CHUNK_MASK] = 0
  }

  /**
   * Drops the chunk of slot `i` and every slot above it: the sweep, which goes down the tape,
   * is done with them (an entry's cotangent flows only to earlier entries).
   */
  release(i: number): void {
    const c = i >> CHUNK_BITS
    this.tensors[c] = undefined
    this.nums[c] = undefined
    this.flags[c] = undefined
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
