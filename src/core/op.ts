import type { Backend, DerivKernelName, Meta } from './backend.js'
import { allocArray } from './dtype.js'
import { BackendError, DTypeError, ValueError, fmtShape } from './errors.js'
import { escapedTracer, isActive, type Level } from './levels.js'
import { checkNonFinite } from './debug.js'
import { Tensor, indexRange, isTensor, setIndexRange } from './tensor.js'
import { type Shape, checkSize, shapesEqual, sizeOf } from './shape.js'

/**
 * What a JVP rule receives.
 *
 * @example
 * import { defineOp, mul, square, jvp, tensor, type JvpArgs, type VjpArgs } from 'dualtape'
 * // d x² = 2x dx: the rule reads the primal input x and the tangent dx (null for a constant)
 * const jvpRule = ({ x: [x], dx: [dx] }: JvpArgs<null>) => mul(mul(dx!, x), 2)
 * const vjpRule = ({ ct, x: [x] }: VjpArgs<null>) => [mul(mul(ct, x), 2)]
 * const sq = defineOp({ name: 'sq', impl: ([x]) => square(x), jvp: jvpRule, vjp: vjpRule })
 * const [y, dy] = jvp(sq, [tensor([3])], [tensor([1])])
 * dy // → [6]
 */
export interface JvpArgs<P> {
  /** The primal inputs (at the levels below this one). */
  readonly x: readonly Tensor[]
  /**
   * The input tangents, null for inputs that are constants at this level. Each has shape
   * `[...batch, ...x.shape]`; for broadcasting ops it is already broadcast to `[...batch, ...y.shape]`.
   */
  readonly dx: readonly (Tensor | null)[]
  /** The primal output. */
  readonly y: Tensor
  readonly params: P
  /** The number of leading batch axes of the tangents: 0, or 1 in vector mode. */
  readonly b: number
}

/**
 * What a VJP rule receives.
 *
 * @example
 * import { defineOp, add, mul, grad, sum, tensor, type Tensor, type VjpArgs } from 'dualtape'
 * // y = a · b: ā = ct · b and b̄ = ct · a, each computed only where `wants` asks for it
 * const vjpRule = ({ ct, x: [a, b], wants }: VjpArgs<null>) => [
 *   wants[0] ? mul(ct, b) : null,
 *   wants[1] ? mul(ct, a) : null,
 * ]
 * const myMul = defineOp({
 *   name: 'myMul',
 *   impl: ([a, b]) => mul(a, b),
 *   // d(a·b) = b da + a db; a null tangent is a constant input
 *   jvp: ({ x: [a, b], dx: [da, db] }) => add(da ? mul(da, b) : 0, db ? mul(a, db) : 0),
 *   vjp: vjpRule,
 * })
 * grad((b: Tensor) => sum(myMul(tensor([2, 3]), b)))(tensor([5, 7])) // → [2, 3]
 */
export interface VjpArgs<P> {
  /** The output cotangent, of the output's shape. */
  readonly ct: Tensor
  readonly x: readonly Tensor[]
  readonly y: Tensor
  readonly params: P
  /** Which inputs need a cotangent (the others are constants: return null for them). */
  readonly wants: readonly boolean[]
}

/**
 * What a batching rule (the rule `vmap` runs for an op) receives: the inputs of the whole batch,
 * and the shapes of one example. It returns the output for the whole batch, batch axis first.
 *
 * @example
 * import { registry, tensor, type BatchArgs } from 'dualtape'
 * // sum over axis 0 of each example: over axis 1 of the batch
 * const args: BatchArgs<{ axes: number[]; keepdims: boolean }> = {
 *   x: [tensor([[1, 2], [3, 4], [5, 6]])],
 *   batched: [true],
 *   meta: [{ shape: [2], dtype: 'float64' }],
 *   out: { shape: [], dtype: 'float64' },
 *   params: { axes: [0], keepdims: false },
 *   size: 3,
 * }
 * registry.sum.batch!(args) // → [3, 7, 11]
 */
export interface BatchArgs<P> {
  /**
   * The inputs: a batched one as the whole batch, its batch axis first (`[size, ...meta[i].shape]`);
   * an unbatched one (the same for every example) as it is, of shape `meta[i].shape`.
   */
  readonly x: readonly Tensor[]
  /** Which inputs carry the batch axis. */
  readonly batched: readonly boolean[]
  /** Each input's shape and dtype in one example. */
  readonly meta: readonly Meta[]
  /** The output's shape and dtype in one example, as the op's shape rule gave them. */
  readonly out: Meta
  readonly params: P
  /** The batch size. */
  readonly size: number
}

/**
 * The structure of an op's Jacobian, which code that classifies ops reads instead of their names:
 *
 * - `'elementwise'`: each output element depends only on the input elements at its own position
 *   (after broadcasting): a diagonal Jacobian per input, or a broadcast of one. The unary math ops,
 *   pow, add, sub, mul, div, maximum, minimum and where.
 * - `'layout'`: each output element is a copy of one input element, or 0: a selection of 0s and
 *   1s (reshape, transpose, broadcastTo, concat, slice, pad, cast).
 * - `'reduce'`: each output element combines the input elements along the reduced axes (sum,
 *   max, logsumexp).
 * - `'matmul'`: the batched matrix product, bilinear in its two inputs.
 * - `'matrix'`: a function of each matrix of a stack (the last two axes; batch axes broadcast):
 *   each output matrix depends on the input matrices at its own batch position (cholesky,
 *   triangularSolve, solve, logAbsDet, eigh of `dualtape/matrix`).
 * - `'constant'`: piecewise constant, a zero Jacobian wherever it exists (sign, the comparisons,
 *   stopGradient): the output is a constant at every level, so jvp and vjp record nothing.
 * - `'opaque'`: unknown, so every output element may depend on every input element (custom ops).
 *
 * Linearity is not a structure of its own: neg, add, sub and cast are linear and elementwise or
 * layout, sum is linear and a reduction.
 *
 * @example
 * import { registry, type OpStructure } from 'dualtape'
 * const s: OpStructure = registry.transpose.structure
 * s // → 'layout'
 * registry.tanh.structure // → 'elementwise'
 */
export type OpStructure = 'elementwise' | 'layout' | 'reduce' | 'matmul' | 'matrix' | 'constant' | 'opaque'

/**
 * Where an op is linear, which `linearTranspose` reads to transpose it with its VJP rule:
 *
 * - `'joint'`: linear in all its inputs together (neg, add, sub, concat, the layout ops, cast,
 *   sum): any of them may be traced, and one that is not must be zero, else the op is affine;
 * - `'each'`: linear in each input with the others held fixed (mul, matmul: bilinear), so at
 *   most one input may be traced;
 * - a list of input positions: linear in those together, the others held fixed (div: `[0]`, the
 *   numerator; where: `[1, 2]`, the branches).
 *
 * Absent: not linear in any input. The VJP rule of a linear op reads only the shapes and dtypes
 * of its traced inputs, never their values, so that it is the op's transpose.
 *
 * @example
 * import { registry, type Linearity } from 'dualtape'
 * const l: Linearity | undefined = registry.matmul.linearity
 * l // → 'each'
 * registry.div.linearity // → [0]
 * registry.tanh.linearity // → undefined
 */
export type Linearity = 'joint' | 'each' | readonly number[]

/**
 * The contract of a primitive: its shape rule, its kernel call, its JVP rule and its VJP rule,
 * declared together. Rules call differentiable ops only, never kernels, so that every nesting
 * of transformations works. A cotangent a VJP rule returns may have a broadcast shape; it is
 * summed back to the input's shape in one place (`apply`).
 *
 * @example
 * import { registry, defineOp, mul, exp, type OpDef } from 'dualtape'
 * // every primitive's definition, by name; a custom op carries one too
 * const sinDef: OpDef<null> = registry.sin
 * sinDef.shape([{ shape: [2, 3], dtype: 'float64' }], null) // → { shape: [2, 3], dtype: 'float64' }
 * const myExp = defineOp({
 *   name: 'myExp',
 *   impl: ([x]) => exp(x!),
 *   jvp: ({ dx: [dx], y }) => mul(dx!, y),
 *   vjp: ({ ct, y }) => [mul(ct, y)],
 * })
 * myExp.def.name // → 'myExp'
 * myExp.def.structure // → 'opaque'
 */
export interface OpDef<P> {
  readonly name: string
  /** Validates the inputs and gives the output shape and dtype; throws ShapeError/DTypeError. */
  shape(inputs: readonly Meta[], params: P): Meta
  /** Runs the op on concrete data. */
  kernel(
    backend: Backend,
    handles: readonly unknown[],
    inputs: readonly Meta[],
    params: P,
    out: Meta,
  ): unknown
  /** The output tangent. */
  jvp(a: JvpArgs<P>): Tensor
  /** One cotangent per input (null where not wanted or identically zero). */
  vjp(a: VjpArgs<P>): readonly (Tensor | null)[]
  /** Elementwise with numpy broadcasting: tangents are broadcast to the output first. */
  readonly broadcasting?: boolean
  /** The structure of the op's Jacobian (see `OpStructure`); `'opaque'` for a custom op. */
  readonly structure: OpStructure
  /** Where the op is linear (see `Linearity`); absent for a non-linear op. */
  readonly linearity?: Linearity
  /**
   * The batching rule (`vmap`): the op on a batch of inputs, in one application where it can.
   * When absent, it follows from `structure`: elementwise and constant ops run on the batch as
   * it is, their batched inputs padded with axes of size 1 so that broadcasting aligns each
   * example; any other op (a custom op) runs once per example (src/vmap/rules.ts).
   */
  readonly batch?: (a: BatchArgs<P>) => Tensor
  /**
   * The inputs that may be int32 index tensors (take's indices, cast's input): never
   * differentiated, so their rules form no tangent or cotangent for them. `apply` refuses an
   * int32 tensor anywhere else, except in the layout ops (reshape, transpose, slice, concat, …),
   * which copy its elements.
   */
  readonly indexInputs?: readonly number[]
  /**
   * For an elementwise op of the derivative table (src/ops/derivatives.ts): its entry there and
   * the entry's parameter (pow's exponent). Its VJP rule is then `derivMul` of that entry, which
   * a backend with `derivMulNumber` also computes on plain numbers.
   */
  readonly derivative?: { readonly name: DerivKernelName; readonly p: (params: P) => number }
}

/** The highest transformation level among the inputs, or null when all are plain data. */
export function topLevel(inputs: readonly Tensor[]): Level | null {
  let top: Level | null = null
  for (const x of inputs) {
    const impl = x.impl
    if (impl.kind !== 'concrete' && (top === null || impl.level.id > top.id)) top = impl.level
  }
  return top
}

/** The value of `x` one level below `level` (its primal if it is a tracer at `level`). */
export function primalAt(x: Tensor, level: Level): Tensor {
  const impl = x.impl
  return impl.kind !== 'concrete' && impl.level === level ? impl.primal : x
}

/**
 * Applies an op: validates the inputs, then either runs the kernel (all inputs plain data)
 * or hands the application to the interpreter of the highest level among the inputs.
 * The parameters are taken as a frozen copy (see `keepParams`), so an array the caller
 * changes afterwards never reaches a tape, a rule or a result's shape.
 */
export function apply<P>(def: OpDef<P>, inputs: readonly Tensor[], params: P): Tensor {
  for (let i = 0; i < inputs.length; i++) {
    if (!isTensor(inputs[i])) {
      throw new ValueError(`${def.name}: argument ${i} is not a Tensor (got ${describe(inputs[i])})`)
    }
    // an index tensor may be rearranged (the layout ops copy elements) but not computed with
    if (inputs[i]!.dtype === 'int32' && def.structure !== 'layout' && def.indexInputs?.includes(i) !== true)
      throw intInput(def.name, i, inputs[i]!)
  }
  if (typeof params === 'object' && params !== null) params = keepParams(params)
  const out = def.shape(inputs, params)
  checkSize(def.name, out.shape, sizeOf(out.shape))
  return applyChecked(def, inputs, params, out)
}

/**
 * `apply` after its checks: the inputs are tensors, the parameters kept (`keepParams`) and `out`
 * is what the op's shape rule gave for them. An interpreter calls it on the primals of the
 * inputs it was handed, which have their shapes and dtypes, so the shape rule and the checks
 * run once per op however deeply transformations nest (internal).
 */
export function applyChecked<P>(def: OpDef<P>, inputs: readonly Tensor[], params: P, out: Meta): Tensor {
  const level = topLevel(inputs)
  if (level !== null) {
    if (!isActive(level)) throw escapedTracer(def.name, level)
    return level.process(def, inputs, params, out)
  }
  let backend: Backend | null = null
  const handles = new Array<unknown>(inputs.length)
  for (let i = 0; i < inputs.length; i++) {
    const c = inputs[i]!.impl
    if (c.kind !== 'concrete') throw new Error('unreachable')
    if (backend === null) backend = c.backend
    else if (backend !== c.backend) {
      throw new BackendError(
        `${def.name}: inputs live on different backends (${backend.name} and ${c.backend.name}); move one with toBackend()`,
      )
    }
    handles[i] = c.handle
  }
  if (backend === null) throw new ValueError(`${def.name}: needs at least one tensor argument`)
  // an empty output holds nothing to compute: no kernel runs (TensorFlow.js gets some wrong)
  const handle =
    sizeOf(out.shape) === 0
      ? backend.fromArray(allocArray(out.dtype, 0), out)
      : def.kernel(backend, handles, inputs, params, out)
  if (backend.shapeOf !== undefined) checkKernelShape(def.name, backend, handle, out.shape)
  const y = new Tensor(
    out.shape,
    out.dtype,
    { kind: 'concrete', backend, handle },
    isShapeOf(out.shape, inputs),
  )
  checkNonFinite(def.name, inputs, y)
  if (out.dtype === 'int32' && def.structure === 'layout') keepIndexRange(inputs, y)
  return y
}

/** The error for an int32 index tensor given to an op that computes in floats. */
function intInput(op: string, i: number, x: Tensor): DTypeError {
  return new DTypeError(
    `${op}: argument ${i} is an int32 index tensor of shape ${fmtShape(x.shape)}; ${op} computes in float64 ` +
      `or float32 (convert the indices with cast(t, 'float64') to compute with them)`,
  )
}

/**
 * A layout op's int32 result holds copies of its int32 inputs' values, or zeros: its values lie in
 * the union of their known ranges and 0, which `take` checks without reading the data back.
 */
function keepIndexRange(inputs: readonly Tensor[], y: Tensor): void {
  let lo = 0
  let hi = 0
  for (const x of inputs) {
    if (x.dtype !== 'int32') continue
    const r = indexRange(x)
    if (r === null) return
    lo = Math.min(lo, r[0])
    hi = Math.max(hi, r[1])
  }
  setIndexRange(y, lo, hi)
}

/** Whether `shape` is the shape of one of the tensors (as most shape rules give it): frozen already. */
function isShapeOf(shape: Shape, tensors: readonly Tensor[]): boolean {
  for (let i = 0; i < tensors.length; i++) if (tensors[i]!.shape === shape) return true
  return false
}

/** Throws a BackendError when a kernel's output holds another shape than the op's shape rule gives. */
function checkKernelShape(op: string, backend: Backend, handle: unknown, want: Shape): void {
  const got = backend.shapeOf!(handle)
  if (shapesEqual(got, want)) return
  backend.dispose(handle)
  throw new BackendError(
    `${op}: the ${backend.name} backend's kernel returned a tensor of shape ${fmtShape(got)}, expected ${fmtShape(want)}`,
  )
}

/**
 * The prototypes of the parameter objects that `keepParams` made (empty, frozen, on top of
 * Object.prototype or of null, as the original), by which the inner levels of a nested
 * transformation know them and pass them on without another copy.
 */
const keptProto: object = Object.freeze(Object.create(Object.prototype) as object)
const keptNullProto: object = Object.freeze(Object.create(null) as object)

/** The deepest nesting of arrays and plain objects that `keepParams` copies (deeper values are kept as they are). */
const maxParamsDepth = 64

/**
 * The parameters of an op as the engine keeps them: a frozen copy, taken once where they enter
 * (`apply`), so that a tape, a rule or a result never shares an array with the caller. Arrays
 * and plain objects (their own enumerable string keys) are copied at every depth and frozen,
 * typed arrays are copied; anything else (tensors, functions, class instances) is kept as it
 * is, as is what lies more than 64 levels deep. A value reached twice is copied once, so a
 * cycle stays a cycle. Built-in parameters are a few numbers each, so this is one small copy
 * per op (a fraction of a microsecond); a custom op's parameters are copied whole at each call.
 */
export function keepParams<P>(params: P): P {
  if (typeof params !== 'object' || params === null) return params
  const proto: unknown = Object.getPrototypeOf(params)
  if (proto === keptProto || proto === keptNullProto) return params
  return copyPlain(params, 0, { seen: nestsDeeply(params) ? new Map() : null }) as P
}

/**
 * Whether some value two levels down is an object. Built-in parameters are an object of arrays
 * of numbers: no value in them can be reached twice, so their copy needs no memo.
 */
function nestsDeeply(params: object): boolean {
  const outer: unknown[] = Array.isArray(params) ? params : Object.values(params)
  for (const v of outer) {
    if (typeof v !== 'object' || v === null) continue
    const inner: unknown[] = Array.isArray(v) ? v : ArrayBuffer.isView(v) ? [] : Object.values(v)
    for (const w of inner) if (typeof w === 'object' && w !== null) return true
  }
  return false
}

/** The copies made so far, by original: a memo only when the parameters nest deeper than built-in ones. */
interface Copies {
  readonly seen: Map<object, unknown> | null
}

function copyPlain(v: unknown, depth: number, copies: Copies): unknown {
  if (typeof v !== 'object' || v === null || depth > maxParamsDepth) return v
  if (copies.seen?.has(v) === true) return copies.seen.get(v)
  if (Array.isArray(v)) {
    // a hole becomes undefined, which every shape rule rejects
    const a = new Array<unknown>(v.length)
    copies.seen?.set(v, a)
    for (let i = 0; i < v.length; i++) a[i] = copyPlain(v[i], depth + 1, copies)
    return Object.freeze(a)
  }
  if (ArrayBuffer.isView(v)) return v instanceof DataView ? v : (v as Float64Array).slice()
  const proto: unknown = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null && proto !== keptProto && proto !== keptNullProto) {
    return v
  }
  // the outermost copy carries the mark; inner objects keep a plain prototype
  const base = depth === 0 ? (proto === null || proto === keptNullProto ? keptNullProto : keptProto) : proto
  const out = Object.create(base as object | null) as Record<string, unknown>
  copies.seen?.set(v, out)
  for (const key of Object.keys(v)) {
    const value = copyPlain((v as Record<string, unknown>)[key], depth + 1, copies)
    // a key named __proto__ (as JSON.parse makes) stays a key
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true })
    else out[key] = value
  }
  return Object.freeze(out)
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v)
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object'
  if (typeof v === 'function') return 'a function'
  return `${typeof v} ${String(v)}`
}
