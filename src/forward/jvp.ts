import type { Meta } from '../core/backend.js'
import { onesLike, zerosLike } from '../ops/create.js'
import { BackendError, DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js'
import { type Exact, type HasAux, checkOptions } from '../core/options.js'
import { type Level, callAtLevel, nextLevelId } from '../core/levels.js'
import { applyChecked, describe, primalAt, type OpDef } from '../core/op.js'
import { withScope } from '../core/scope.js'
import { type Shape, shapesEqual } from '../core/shape.js'
import { Tensor } from '../core/tensor.js'
import { type Tangent, type Tree, flatten, sameDef, showDef, stripLevel, unflatten } from '../core/tree.js'
import { broadcastTo, reshape } from '../ops/shape.js'

/**
 * Options of `jvp`.
 *
 * @example
 * import { jvp, eye, sin, tensor, type JvpOptions } from 'dualtape'
 * // vector mode: the three rows of the identity as three directions, in one pass
 * const options: JvpOptions = { batched: true }
 * const [y, dy] = jvp(sin, [tensor([0, 0, 0])], [eye(3)], options)
 * dy // → [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
 */
export interface JvpOptions {
  /** `f` returns `[output, aux]`; aux is returned as it is, with its tracers replaced by their values. */
  readonly hasAux?: boolean
  /**
   * Vector mode: every tangent carries a leading batch axis of one common size k, and the
   * output tangents get that axis too; one primal evaluation serves all k directions.
   */
  readonly batched?: boolean
}

/** The output of a tangent's broadcast: `[...batch, ...xShape]` lifted to `[...batch, ...outShape]`. */
function broadcastTangent(dx: Tensor, b: number, xShape: Shape, outShape: Shape): Tensor {
  if (b === 0) return broadcastTo(dx, outShape)
  const pad = new Array<number>(outShape.length - xShape.length).fill(1)
  const lifted = pad.length > 0 ? reshape(dx, [...dx.shape.slice(0, b), ...pad, ...xShape]) : dx
  return broadcastTo(lifted, [...dx.shape.slice(0, b), ...outShape])
}

/** The value of `t` at `level`: its tangent if it is a dual at that level, else null (a constant). */
const tangentAt = (t: Tensor, level: Level): Tensor | null =>
  t.impl.kind === 'dual' && t.impl.level === level ? t.impl.tangent : null

function makeLevel(batch: number | null): Level {
  const b = batch === null ? 0 : 1
  const level: Level = {
    id: nextLevelId(),
    kind: 'jvp',
    batch,
    tape: null,
    process: (def: OpDef<unknown>, inputs: readonly Tensor[], params: unknown, out: Meta): Tensor => {
      const x = inputs.map((t) => primalAt(t, level))
      const y = applyChecked(def, x, params, out)
      if (def.structure === 'constant') return y
      let dx = inputs.map((t) => tangentAt(t, level))
      if (def.broadcasting) {
        dx = dx.map((d, i) =>
          d !== null && !shapesEqual(x[i]!.shape, y.shape) ? broadcastTangent(d, b, x[i]!.shape, y.shape) : d,
        )
      }
      const dy: unknown = def.jvp({ x, dx, y, params, b })
      const want = b === 0 ? y.shape : [batch!, ...y.shape]
      if (!(dy instanceof Tensor)) {
        throw new ValueError(
          `${def.name}: its JVP rule must return the output tangent, a Tensor of shape ${fmtShape(want)}, got ${describe(dy)}`,
        )
      }
      if (!shapesEqual(dy.shape, want)) {
        throw new ShapeError(
          `${def.name}: its JVP rule returned a tangent of shape ${fmtShape(dy.shape)}, expected ${fmtShape(want)}`,
        )
      }
      // a float32 tangent of a float64 output would make every derivative after it float32
      if (dy.dtype !== y.dtype) {
        throw new DTypeError(
          `${def.name}: its JVP rule returned a ${dy.dtype} tangent for a ${y.dtype} output`,
        )
      }
      if (dy.backend !== y.backend) {
        throw new BackendError(
          `${def.name}: its JVP rule returned a tangent on the ${dy.backend.name} backend for an output on ${y.backend.name}`,
        )
      }
      return new Tensor(y.shape, y.dtype, { kind: 'dual', level, primal: y, tangent: dy }, true)
    },
  }
  return level
}

/** What f must return for options `O`: a tree of tensors, or `[tree, aux]` with `hasAux`. */
type JvpOutput<H> = H extends true ? readonly [Tree, unknown] : Tree

/**
 * What `jvp(f, primals, tangents, options)` returns: `[output, outputTangent]`, both shaped like
 * f's output, or `[output, outputTangent, aux]` with `hasAux`.
 *
 * @example
 * import { jvp, sin, tensor, type JvpResult } from 'dualtape'
 * const r: JvpResult<typeof sin> = jvp(sin, [tensor([0])], [tensor([1])])
 * r[1] // → [1]
 */
export type JvpResult<F extends (...args: any[]) => unknown, O = object> =
  HasAux<O> extends infer H
    ? H extends true
      ? ReturnType<F> extends infer R
        ? R extends readonly [infer Y, infer X]
          ? [Tangent<Y>, Tangent<Y>, X]
          : never
        : never
      : [Tangent<ReturnType<F>>, Tangent<ReturnType<F>>]
    : never

/**
 * Forward mode: evaluates `f(...primals)` and its directional derivative along `tangents`,
 * with dual tensors. `primals` and `tangents` are arrays of trees of the same structure and
 * shapes. Returns `[output, outputTangent]` (and `aux` with `hasAux`).
 *
 * With `{ batched: true }` each tangent has a leading axis of size k (the same k for all), and
 * the output tangent has it too: k directions in one pass (vector mode).
 *
 * Types (`JvpResult`): `primals` are f's arguments, `tangents` trees of the same structure; f
 * must return a tree of tensors (`[tree, aux]` with `hasAux: true`), and the output and its
 * tangent have its type. Options are exact: a misspelt key is a type error.
 *
 * @example
 * import { jvp, tensor, sin, mul, sum, type Tensor } from 'dualtape'
 * const f = (x: Tensor) => sum(mul(sin(x), x))
 * const [y, dy] = jvp(f, [tensor([1, 2, 3])], [tensor([1, 0, 0])])
 * dy.item() // sin(1) + cos(1)
 */
export function jvp<F extends (...args: any[]) => Tree, A extends Readonly<Parameters<F>>>(
  f: F,
  primals: A,
  tangents: Tangent<A>,
): JvpResult<F>
export function jvp<
  F extends (...args: any[]) => JvpOutput<HasAux<O>>,
  A extends Readonly<Parameters<F>>,
  const O extends Exact<JvpOptions, O>,
>(f: F, primals: A, tangents: Tangent<A>, options: O): JvpResult<F, O>
export function jvp(
  f: (...args: any[]) => unknown,
  primals: readonly unknown[],
  tangents: readonly unknown[],
  options: JvpOptions = {},
): unknown[] {
  return withScope(() => jvpCore('jvp', f, primals, tangents, options))
}

/**
 * `jvp` without its memory scope, its errors naming `where` (`linearize` runs it at its linear level).
 */
export function jvpCore(
  where: string,
  f: (...args: any[]) => unknown,
  primals: readonly unknown[],
  tangents: readonly unknown[],
  options: JvpOptions,
): unknown[] {
  if (typeof f !== 'function')
    throw new ValueError(`${where}: the first argument must be a function, got ${typeof f}`)
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new ValueError(`${where}: primals and tangents must be arrays (one entry per argument of f)`)
  }
  checkOptions(where, options, ['hasAux', 'batched'])
  if (primals.length !== tangents.length) {
    const shapes = (xs: readonly unknown[]) =>
      xs.length === 0
        ? 'none'
        : xs.map((x) => (x instanceof Tensor ? fmtShape(x.shape) : describe(x))).join(', ')
    throw new ShapeError(
      `${where}: ${primals.length} primals but ${tangents.length} tangents (primals: ${shapes(primals)}; tangents: ${shapes(tangents)})`,
    )
  }
  const [px, pdef] = flatten(where, primals, 'primals')
  const [tx, tdef] = flatten(where, tangents, 'tangents')
  if (!sameDef(pdef, tdef)) {
    throw new ShapeError(
      `${where}: tangents have structure ${showDef(tdef, tx)} but primals have ${showDef(pdef, px)}`,
    )
  }
  const batched = options.batched === true
  let k: number | null = null
  tx.forEach((t, i) => {
    const p = px[i]!
    if (t.dtype !== p.dtype)
      throw new DTypeError(`${where}: tangent ${i} is ${t.dtype} but its primal is ${p.dtype}`)
    if (t.backend !== p.backend) {
      throw new BackendError(
        `${where}: tangent ${i} lives on the ${t.backend.name} backend but its primal on ${p.backend.name}`,
      )
    }
    const inner = batched ? t.shape.slice(1) : t.shape
    if (batched) {
      if (t.rank === 0)
        throw new ShapeError(`${where}: batched tangent ${i} needs a leading batch axis, got shape []`)
      if (k === null) k = t.shape[0]!
      else if (t.shape[0] !== k) {
        throw new ShapeError(
          `${where}: batched tangents disagree on the batch size: tangent 0 has shape ${fmtShape(tx[0]!.shape)}, tangent ${i} has ${fmtShape(t.shape)}`,
        )
      }
    }
    if (!shapesEqual(inner, p.shape)) {
      throw new ShapeError(
        `${where}: tangent ${i} has shape ${fmtShape(t.shape)} but its primal has shape ${fmtShape(p.shape)}` +
          (batched ? ' (batched: expected [k, ...primal shape])' : ''),
      )
    }
  })
  // no tangent leaves at all: a batch of none
  const kb: number = k ?? 0
  const level = makeLevel(batched ? kb : null)
  const duals = px.map(
    (p, i) => new Tensor(p.shape, p.dtype, { kind: 'dual', level, primal: p, tangent: tx[i]! }),
  )
  const args = unflatten<unknown[]>(pdef, duals)
  const raw = callAtLevel(where, level, f, args)
  let out: unknown = raw
  let aux: unknown
  if (options.hasAux === true) {
    if (!Array.isArray(raw) || raw.length !== 2)
      throw new ValueError(`${where}: with hasAux, f must return [output, aux]`)
    out = raw[0]
    aux = raw[1]
  }
  const [ox, odef] = flatten(where, out, 'output')
  const y = ox.map((o) => primalAt(o, level))
  const dy = ox.map((o) => tangentAt(o, level) ?? zerosLike(o, batched ? [kb, ...o.shape] : o.shape))
  const result = [unflatten(odef, y), unflatten(odef, dy)]
  if (options.hasAux === true) return [...result, stripLevel(aux, level)]
  return result
}

/**
 * The derivative of an elementwise function, elementwise: the JVP along the all-ones direction
 * (autograd's elementwise_grad). For a scalar input it is the ordinary derivative f′(x); for a
 * function that mixes elements it is the Jacobian's row sums.
 *
 * @example
 * import { elementwiseGrad, sin, tensor } from 'dualtape'
 * elementwiseGrad(sin)(tensor([0, Math.PI])).toArray() // [1, -1]
 */
export function elementwiseGrad(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  if (typeof f !== 'function') throw new ValueError('elementwiseGrad: the argument must be a function')
  return (x: Tensor) => {
    if (!(x instanceof Tensor)) throw new ValueError('elementwiseGrad: the argument must be a Tensor')
    return withScope(() => {
      const [, dy] = jvp(f, [x], [onesLike(x)])
      return dy
    })
  }
}
