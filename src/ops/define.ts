import type { Meta } from '../core/backend.js'
import { fromData } from './create.js'
import { dtypeOfArray, type FloatArray } from '../core/dtype.js'
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { apply, describe, type JvpArgs, type Linearity, type OpDef, type VjpArgs } from '../core/op.js'
import { sizeOf } from '../core/shape.js'
import { Tensor, concreteOf } from '../core/tensor.js'
import { reshape, slice } from './shape.js'
import { asTensor } from './util.js'

/** Checks what a custom op's shape rule returned: `{ shape, dtype }` with a valid shape and a known dtype. */
function checkMeta(name: string, m: unknown): Meta {
  const meta = m as Partial<Meta> | null
  const shapeOk =
    typeof meta === 'object' &&
    meta !== null &&
    Array.isArray(meta.shape) &&
    [...meta.shape].every((d) => Number.isInteger(d) && d >= 0)
  if (!shapeOk || (meta.dtype !== 'float64' && meta.dtype !== 'float32')) {
    throw new ValueError(
      `${name}: its shape rule must return { shape, dtype } (a shape of non-negative integers, dtype 'float64' or 'float32'), got ${fmtValue(m)}`,
    )
  }
  return meta as Meta
}

/**
 * A user-defined op: its kernel (a composition of ops, or a raw function on arrays) and its two rules.
 *
 * @example
 * import { defineOp, mul, grad, sum, tensor, type CustomOpSpec, type Tensor } from 'dualtape'
 * // a raw kernel on the data (cpu) with its shape rule, instead of a composition of ops
 * const spec: CustomOpSpec<null> = {
 *   name: 'rawSquare',
 *   raw: ([x]) => Float64Array.from(x!, (v) => v * v),
 *   shape: ([m]) => m!,
 *   jvp: ({ x: [x], dx: [dx] }) => mul(mul(dx!, x!), 2), // d x² = 2x dx
 *   vjp: ({ ct, x: [x] }) => [mul(mul(ct, x!), 2)],
 * }
 * const rawSquare = defineOp(spec)
 * grad((x: Tensor) => sum(rawSquare(x)))(tensor([1, 2])) // → [2, 4]
 */
export interface CustomOpSpec<P> {
  readonly name: string
  /** The kernel as a composition of existing ops, run on plain tensors. */
  readonly impl?: (inputs: readonly Tensor[], params: P) => Tensor
  /** Or the kernel as a raw function on the inputs' data (cpu); it must not change its inputs. */
  readonly raw?: (data: readonly FloatArray[], inputs: readonly Meta[], params: P) => FloatArray
  /** The shape rule: validates inputs, returns the output's shape and dtype (required with `raw`). */
  readonly shape?: (inputs: readonly Meta[], params: P) => Meta
  /** The output tangent from the input tangents (null: a constant input); see JvpArgs. */
  readonly jvp: (a: JvpArgs<P>) => Tensor
  /** One cotangent per input (null where `wants` is false); see VjpArgs. */
  readonly vjp: (a: VjpArgs<P>) => readonly (Tensor | null)[]
  /**
   * Where the op is linear (see `Linearity`), so that `linearTranspose` can transpose it with its
   * VJP rule; absent: not linear.
   */
  readonly linearity?: Linearity
}

/**
 * A callable custom op.
 *
 * @example
 * import { defineOp, mul, tensor, type CustomOp } from 'dualtape'
 * // an op with a parameter k: y = k x
 * const scale: CustomOp<{ readonly k: number }> = defineOp<{ readonly k: number }>({
 *   name: 'scale',
 *   impl: ([x], { k }) => mul(x!, k),
 *   jvp: ({ dx: [dx], params: { k } }) => mul(dx!, k),
 *   vjp: ({ ct, params: { k } }) => [mul(ct, k)],
 * })
 * scale.withParams({ k: 3 })(tensor([1, 2])) // → [3, 6]
 * scale.def.name // → 'scale'
 */
export interface CustomOp<P> {
  (...inputs: Tensor[]): Tensor
  /** Applies the op with parameters. */
  readonly withParams: (params: P) => (...inputs: Tensor[]) => Tensor
  /** The op's definition, for checking its rules (opContract, checkGrads). */
  readonly def: OpDef<P>
}

/**
 * Defines an op of your own with its JVP and VJP rules. It works in both modes, under every
 * nesting, and its rules can be property-tested with `opContract` / `testOp`. Rules must call
 * differentiable ops (so higher derivatives work); `b` in the JVP arguments is the number of
 * leading batch axes of the tangents in vector mode (0 otherwise).
 *
 * @example
 * import { defineOp, add, exp, log, sigmoid, sum, mul, tensor, grad } from 'dualtape'
 * // softplus with its own rules: d log(1 + eˣ) = eˣ / (1 + eˣ) dx
 * const mySoftplus = defineOp({
 *   name: 'mySoftplus',
 *   impl: ([x]) => log(add(1, exp(x))),
 *   jvp: ({ x: [x], dx: [dx] }) => mul(dx!, sigmoid(x)), // one input: its tangent is never null
 *   vjp: ({ ct, x: [x] }) => [mul(ct, sigmoid(x))],
 * })
 * grad((x) => sum(mySoftplus(x)))(tensor([0])).toArray() // [0.5]
 */
export function defineOp<P = null>(spec: CustomOpSpec<P>): CustomOp<P> {
  if (typeof spec?.name !== 'string' || typeof spec.jvp !== 'function' || typeof spec.vjp !== 'function') {
    throw new ValueError('defineOp: a spec needs a name, a jvp rule and a vjp rule')
  }
  if ((spec.impl === undefined) === (spec.raw === undefined)) {
    throw new ValueError(
      `defineOp(${spec.name}): give exactly one kernel, impl (a composition of ops) or raw`,
    )
  }
  if (spec.raw !== undefined && spec.shape === undefined) {
    throw new ValueError(`defineOp(${spec.name}): a raw kernel needs a shape rule`)
  }
  const { name } = spec
  // The output of the composition on the last concrete inputs seen (shape rule, then kernel).
  let cache: { handles: unknown[]; out: Tensor; key: P } | null = null
  const plain = (inputs: readonly Meta[]): Tensor[] =>
    inputs.map((m) => {
      let inner = m as Tensor
      while (inner.impl.kind !== 'concrete') inner = inner.impl.primal
      // under vmap the data holds the whole batch, batch axes first: its first example stands in
      const lead = inner.rank - m.shape.length
      if (lead > 0) {
        const size = [...new Array<number>(lead).fill(1), ...m.shape]
        return reshape(slice(inner, new Array<number>(inner.rank).fill(0), size), m.shape)
      }
      return new Tensor(m.shape, m.dtype, inner.impl)
    })
  const runImpl = (inputs: readonly Tensor[], params: P): Tensor => {
    const handles = inputs.map((t) => concreteOf(t).handle)
    if (
      cache !== null &&
      cache.key === params &&
      cache.handles.length === handles.length &&
      cache.handles.every((h, i) => h === handles[i])
    ) {
      return cache.out
    }
    const out = spec.impl!(inputs, params)
    if (!(out instanceof Tensor)) throw new ValueError(`${name}: its impl must return a Tensor`)
    cache = { handles, out, key: params }
    return out
  }
  const { linearity } = spec
  if (
    linearity !== undefined &&
    linearity !== 'joint' &&
    linearity !== 'each' &&
    !(Array.isArray(linearity) && linearity.every((i) => Number.isInteger(i) && i >= 0))
  ) {
    throw new ValueError(
      `defineOp(${spec.name}): linearity must be 'joint', 'each' or a list of input positions, got ${fmtValue(linearity)}`,
    )
  }
  const def: OpDef<P> = {
    name,
    structure: 'opaque',
    ...(linearity === undefined
      ? {}
      : { linearity: typeof linearity === 'string' ? linearity : Object.freeze([...linearity]) }),
    shape: (inputs, params) => {
      if (spec.shape !== undefined) return checkMeta(name, spec.shape(inputs, params))
      const out = runImpl(plain(inputs), params)
      return { shape: out.shape, dtype: out.dtype }
    },
    kernel: (backend, handles, inputs, params, out) => {
      if (spec.raw !== undefined) {
        const data = handles.map((h, i) => backend.readSync(h, inputs[i]!))
        const y: unknown = spec.raw(data, inputs, params)
        if (!(y instanceof Float64Array) && !(y instanceof Float32Array)) {
          throw new ValueError(
            `${name}: its raw kernel must return a Float64Array or Float32Array of the output's dtype (${out.dtype}), got ${describe(y)}`,
          )
        }
        if (dtypeOfArray(y) !== out.dtype) {
          throw new DTypeError(
            `${name}: its raw kernel returned ${dtypeOfArray(y)} data for a ${out.dtype} output (as its shape rule says)`,
          )
        }
        if (y.length !== sizeOf(out.shape)) {
          throw new ShapeError(
            `${name}: its raw kernel returned ${y.length} values for an output of shape ${fmtShape(out.shape)}`,
          )
        }
        return concreteOf(fromData(y, out.shape, backend)).handle
      }
      const ts = handles.map(
        (h, i) => new Tensor(inputs[i]!.shape, inputs[i]!.dtype, { kind: 'concrete', backend, handle: h }),
      )
      const y = runImpl(ts, params)
      cache = null
      return concreteOf(y).handle
    },
    jvp: spec.jvp,
    vjp: spec.vjp,
  }
  const withParams =
    (params: P) =>
    (...inputs: Tensor[]): Tensor =>
      apply(
        def,
        inputs.map((x, i) => asTensor(name, x, `argument ${i}`)),
        params,
      )
  const op = withParams(null as P) as CustomOp<P>
  Object.defineProperty(op, 'withParams', { value: withParams })
  Object.defineProperty(op, 'def', { value: def })
  Object.defineProperty(op, 'name', { value: name })
  return op
}
