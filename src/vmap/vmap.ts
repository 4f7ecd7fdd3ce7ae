import type { Meta } from '../core/backend.js'
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { type Level, callAtLevel, nextLevelId } from '../core/levels.js'
import { describe, type OpDef } from '../core/op.js'
import { checkOptions } from '../core/options.js'
import { withScope } from '../core/scope.js'
import { type Shape, shapesEqual } from '../core/shape.js'
import { Tensor, isTensor } from '../core/tensor.js'
import { type Tree, flatten, unflatten } from '../core/tree.js'
import { batchRuleOf } from '../ops/batching.js'
import { repeatBatch, transpose } from '../ops/shape.js'

/**
 * A batch axis: an axis of a tensor (negative ones count from the end), or null for a tensor that
 * has none (the same for every example).
 *
 * @example
 * import { type Axis } from 'dualtape'
 * const examplesAlongRows: Axis = 0
 * const shared: Axis = null
 * ;[examplesAlongRows, shared] // → [0, null]
 */
export type Axis = number | null

/**
 * The batch axes of a tree: one axis for every tensor in it, or a tree of the same structure
 * (arrays by index, objects by key) that gives them part by part, down to one axis per tensor.
 *
 * @example
 * import { vmap, add, tensor, type AxisTree } from 'dualtape'
 * // the weights batched along axis 0, the bias shared by every example
 * const axes: AxisTree = { w: 0, b: null }
 * const f = (p: { w: ReturnType<typeof tensor>; b: ReturnType<typeof tensor> }) => add(p.w, p.b)
 * vmap(f, { inAxes: [axes] })({ w: tensor([[1, 2], [3, 4]]), b: tensor([10, 20]) }) // → [[11, 22], [13, 24]]
 */
export type AxisTree = Axis | readonly AxisTree[] | { readonly [key: string]: AxisTree }

/**
 * Options of `vmap`.
 *
 * @example
 * import { vmap, mul, tensor, type VmapOptions } from 'dualtape'
 * // the examples along axis 1 of x, one scale for all of them; outputs stacked along axis 1
 * const options: VmapOptions = { inAxes: [1, null], outAxes: 1 }
 * vmap(mul, options)(tensor([[1, 2], [3, 4]]), tensor(10)) // → [[10, 20], [30, 40]]
 */
export interface VmapOptions {
  /**
   * Where each argument's batch axis is: one axis for every argument (default 0), or an array with
   * one entry per argument, each an axis or a tree of axes of the argument's structure. An
   * argument whose entry is null is passed to f as it is, and may be any value.
   */
  readonly inAxes?: Axis | readonly AxisTree[]
  /** Where the batch axis goes in each output: an axis (default 0), or a tree of axes of the output's structure. */
  readonly outAxes?: AxisTree
  /** The batch size, needed only when no argument has a batch axis. */
  readonly axisSize?: number
}

/** The batch of `t` (a tracer of `level`), or null: `t` is the same for every example. */
const batchOf = (t: Tensor, level: Level): Tensor | null =>
  t.impl.kind === 'batch' && t.impl.level === level ? t.impl.primal : null

/**
 * A vmap level: every op whose inputs include tracers of this level runs once on the whole
 * batch, by its batching rule. A tracer stands for one example (its shape is an example's); the
 * batch it stands for has the batch axis first.
 */
class VmapLevel implements Level {
  readonly id = nextLevelId()
  readonly kind = 'vmap' as const
  readonly tape = null

  constructor(readonly batch: number) {}

  process(def: OpDef<unknown>, inputs: readonly Tensor[], params: unknown, out: Meta): Tensor {
    const size = this.batch
    const n = inputs.length
    const x = new Array<Tensor>(n)
    const batched = new Array<boolean>(n)
    for (let i = 0; i < n; i++) {
      const b = batchOf(inputs[i]!, this)
      batched[i] = b !== null
      x[i] = b ?? inputs[i]!
    }
    const y: unknown = batchRuleOf(def)({ x, batched, meta: inputs, out, params, size })
    const want = [size, ...out.shape]
    if (!(y instanceof Tensor)) {
      throw new ValueError(
        `${def.name}: its batching rule must return the batch of outputs, a Tensor of shape ${fmtShape(want)}, got ${describe(y)}`,
      )
    }
    if (!shapesEqual(y.shape, want)) {
      throw new ShapeError(
        `${def.name}: its batching rule returned shape ${fmtShape(y.shape)}, expected ${fmtShape(want)} (the batch of ${size} outputs of shape ${fmtShape(out.shape)})`,
      )
    }
    if (y.dtype !== out.dtype) {
      throw new DTypeError(`${def.name}: its batching rule returned ${y.dtype} for a ${out.dtype} output`)
    }
    return new Tensor(out.shape, out.dtype, { kind: 'batch', level: this, primal: y }, true)
  }
}

/** `t` with axis `from` moved to position `to`, the others in order. */
function moveAxis(t: Tensor, from: number, to: number): Tensor {
  if (from === to) return t
  const perm = Array.from({ length: t.rank }, (_, i) => i).filter((i) => i !== from)
  perm.splice(to, 0, from)
  return transpose(t, perm)
}

/** One tensor of a tree and the axis given for it, with where it is (`args[0].w`). */
interface Placed {
  readonly t: Tensor
  readonly axis: Axis
  readonly path: string
}

/**
 * The tensors of `tree`, in `flatten`'s order, each with its axis from `spec`, a tree of axes of
 * the same structure as `tree` or a prefix of it (one axis for a whole subtree).
 */
function placeAxes(what: string, spec: unknown, tree: unknown, path: string): Placed[] {
  const out: Placed[] = []
  const all = (t: unknown, p: string, axis: Axis): void => {
    if (isTensor(t)) out.push({ t, axis, path: p })
    else if (Array.isArray(t)) t.forEach((c, i) => all(c, `${p}[${i}]`, axis))
    else if (t !== null && typeof t === 'object') {
      for (const k of Object.keys(t).sort()) all((t as Record<string, unknown>)[k], `${p}.${k}`, axis)
    }
  }
  const go = (s: unknown, t: unknown, p: string): void => {
    if (s === null || typeof s === 'number') {
      if (s !== null && !Number.isInteger(s)) {
        throw new ValueError(
          `vmap: ${what} gives ${p} the axis ${fmtValue(s)}; an axis is an integer or null`,
        )
      }
      all(t, p, s)
      return
    }
    if (Array.isArray(s)) {
      if (!Array.isArray(t) || t.length !== s.length) {
        throw new ValueError(
          `vmap: ${what} gives ${p} an array of ${s.length} axes, but ${p} is ${Array.isArray(t) ? `an array of ${t.length}` : describe(t)}`,
        )
      }
      s.forEach((c, i) => go(c, t[i], `${p}[${i}]`))
      return
    }
    if (typeof s === 'object' && s !== undefined && Object.getPrototypeOf(s) === Object.prototype) {
      const keys = Object.keys(s).sort()
      const tkeys =
        t !== null && typeof t === 'object' && !isTensor(t) && !Array.isArray(t)
          ? Object.keys(t).sort()
          : null
      if (tkeys === null || tkeys.length !== keys.length || tkeys.some((k, i) => k !== keys[i])) {
        throw new ValueError(
          `vmap: ${what} gives ${p} axes for the keys ${fmtValue(keys)}, but ${p} is ${tkeys === null ? describe(t) : `an object with the keys ${fmtValue(tkeys)}`}`,
        )
      }
      for (const k of keys)
        go((s as Record<string, unknown>)[k], (t as Record<string, unknown>)[k], `${p}.${k}`)
      return
    }
    throw new ValueError(
      `vmap: ${what} gives ${p} ${describe(s)}; an axis is an integer or null (or a tree of them)`,
    )
  }
  go(spec, tree, path)
  return out
}

/** Normalises an axis of a tensor of rank `rank`, naming the tensor if it is out of range. */
function checkAxis(what: string, path: string, axis: number, shape: Shape, rank: number): number {
  if (axis < -rank || axis >= rank) {
    throw new ShapeError(
      `vmap: ${what} puts the batch axis of ${path} at ${axis}, out of range for ${what === 'inAxes' ? 'its' : 'an example'} shape ${fmtShape(shape)} (axes ${-rank} to ${rank - 1})`,
    )
  }
  return axis < 0 ? axis + rank : axis
}

/**
 * Vectorizing map: `vmap(f, options)` is the function that applies `f` to every example of a
 * batch at once, as a loop over the examples would, stacking the outputs. Inside, f sees one
 * example (a tensor of an example's shape); each op it calls runs once on the whole batch, by the
 * op's batching rule: elementwise ops on the batch as it is, reductions and layout ops with their
 * axes moved past the batch axis, matmul as one product (a batch of matrix–vector products is a
 * matrix–matrix product). A custom op from `defineOp` runs once per example. vmap is a
 * transformation level like jvp and vjp, so it nests with all of them in any order: per-example
 * gradients are `vmap(grad(loss), { inAxes: [null, 0] })`.
 *
 * `inAxes` gives each argument's batch axis (default 0 for every argument; null: no batch axis, the
 * same for every example); arguments may be trees of tensors, with one axis per argument or a tree
 * of axes. `outAxes` says where the batch axis goes in the outputs (default 0). Every batched
 * tensor must have the same size along its batch axis. See docs/vmap.md.
 *
 * @example
 * import { vmap, grad, matmul, sum, square, tensor, type Tensor } from 'dualtape'
 * const loss = (w: Tensor, x: Tensor) => sum(square(matmul(x, w)))
 * const w = tensor([[1], [2]])
 * const xs = tensor([[1, 0], [0, 1], [1, 1]])
 * // one gradient per example (each row of xs), in one pass
 * vmap(grad(loss), { inAxes: [null, 0] })(w, xs) // → [[[2], [0]], [[0], [4]], [[6], [6]]]
 */
export function vmap<F extends (...args: any[]) => Tree>(
  f: F,
  options: VmapOptions = {},
): (...args: Parameters<F>) => ReturnType<F> {
  if (typeof f !== 'function') {
    throw new ValueError(`vmap: the first argument must be a function, got ${describe(f)}`)
  }
  checkOptions('vmap', options, ['inAxes', 'outAxes', 'axisSize'])
  const { axisSize } = options
  if (axisSize !== undefined && (!Number.isInteger(axisSize) || axisSize < 0)) {
    throw new ValueError(`vmap: axisSize must be a non-negative integer, got ${fmtValue(axisSize)}`)
  }
  return (...args: unknown[]) => withScope(() => vmapCore(f, options, args)) as ReturnType<F>
}

function vmapCore(f: (...args: any[]) => unknown, options: VmapOptions, args: unknown[]): unknown {
  const inAxes = options.inAxes === undefined ? 0 : options.inAxes
  let perArg: readonly unknown[]
  if (inAxes === null || typeof inAxes === 'number') perArg = args.map(() => inAxes)
  else if (Array.isArray(inAxes)) {
    if (inAxes.length !== args.length) {
      throw new ValueError(
        `vmap: inAxes has ${inAxes.length} entr${inAxes.length === 1 ? 'y' : 'ies'} but the function was called with ${args.length} argument${args.length === 1 ? '' : 's'}; give one axis (or tree of axes) per argument`,
      )
    }
    perArg = inAxes
  } else {
    throw new ValueError(
      `vmap: inAxes must be an axis, null, or an array with one entry per argument, got ${fmtValue(inAxes)}`,
    )
  }
  // where each argument's tensors are batched, and the batch size they agree on
  let size: number | null = options.axisSize ?? null
  let sizeFrom: string | null = options.axisSize === undefined ? null : 'axisSize'
  const placed = args.map((arg, i) => {
    const spec = perArg[i]
    if (spec === null) return null
    const path = `args[${i}]`
    flatten('vmap', arg, path)
    const ps = placeAxes('inAxes', spec, arg, path)
    return ps.map((p) => {
      if (p.axis === null) return p
      const axis = checkAxis('inAxes', p.path, p.axis, p.t.shape, p.t.rank)
      const n = p.t.shape[axis]!
      if (size === null) {
        size = n
        sizeFrom = `${p.path} (shape ${fmtShape(p.t.shape)}, axis ${axis})`
      } else if (n !== size) {
        throw new ShapeError(
          `vmap: ${p.path} has ${n} examples along its batch axis ${axis} (shape ${fmtShape(p.t.shape)}) but ${sizeFrom} has ${size}; every batched argument needs the same batch size`,
        )
      }
      return { ...p, axis }
    })
  })
  if (size === null) {
    throw new ValueError(
      'vmap: no argument has a batch axis (inAxes is null for all of them), so the batch size is unknown; give axisSize',
    )
  }
  const level = new VmapLevel(size)
  const traced = args.map((arg, i) => {
    const ps = placed[i]
    if (ps === null || ps === undefined) return arg
    const [, def] = flatten('vmap', arg, `args[${i}]`)
    const leaves = ps.map(({ t, axis }) => {
      if (axis === null) return t
      const shape = t.shape.filter((_, j) => j !== axis)
      return new Tensor(shape, t.dtype, { kind: 'batch', level, primal: moveAxis(t, axis, 0) })
    })
    return unflatten(def, leaves)
  })
  const raw = callAtLevel('vmap', level, f, traced)
  const [, odef] = flatten('vmap', raw, 'output')
  const outAxes = options.outAxes === undefined ? 0 : options.outAxes
  const outs = placeAxes('outAxes', outAxes, raw, 'output').map(({ t, axis, path }) => {
    const b = batchOf(t, level)
    if (axis === null) {
      if (b !== null) {
        throw new ValueError(
          `vmap: outAxes is null for ${path}, but ${path} differs from example to example; give it an axis`,
        )
      }
      return t
    }
    const to = checkAxis('outAxes', path, axis, t.shape, t.rank + 1)
    return moveAxis(b ?? repeatBatch(t, size!), 0, to)
  })
  return unflatten(odef, outs)
}
