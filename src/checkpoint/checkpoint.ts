/**
 * `checkpoint(f)`: f recorded as one op whose pullback runs f again, instead of its intermediates.
 *
 * @module
 */
import type { Meta } from '../core/backend.js'
import { ShapeError, ValueError } from '../core/errors.js'
import { refusePromise } from '../core/levels.js'
import { type OpDef, apply, describe as describeValue, topLevel } from '../core/op.js'
import { Tensor, concreteOf } from '../core/tensor.js'
import { type Tree, type TreeDef, flatten, sameDef, showDef, unflatten } from '../core/tree.js'
import { traceVjp } from '../reverse/vjp.js'
import { jvpThrough, pack, packedMeta, refuseTracers, unpack } from './pack.js'

const hint = 'pass every tensor f differentiates as an argument of the checkpointed function'

/** One application of a checkpointed function: f, the structure of its arguments and of its output. */
class CheckpointCall {
  /** The output's structure and metas, known once f has run. */
  outDef: TreeDef | null = null
  outMetas: readonly Meta[] = []
  /** f's packed output on the last plain inputs it ran on, for the kernel to reuse. */
  cache: { readonly handles: readonly unknown[]; readonly out: Tensor } | null = null

  constructor(
    readonly f: (...args: any[]) => Tree,
    readonly argsDef: TreeDef,
  ) {}

  /** f on the arguments' leaves, its output packed into one tensor (its structure checked against the first run). */
  run(leaves: readonly Tensor[]): Tensor {
    const out = this.f(...unflatten<unknown[]>(this.argsDef, leaves))
    refusePromise('checkpoint', out)
    const [ys, def] = flatten('checkpoint', out, 'output')
    if (this.outDef === null) {
      this.outDef = def
      this.outMetas = ys.map((y) => ({ shape: y.shape, dtype: y.dtype }))
      packedMeta('checkpoint', "f's output", this.outMetas)
    } else if (!sameDef(def, this.outDef) || ys.some((y, i) => !sameMeta(y, this.outMetas[i]!))) {
      throw new ShapeError(
        `checkpoint: f returned ${showDef(def, ys)} when run again, but ${showDef(this.outDef)} ` +
          'the first time; a checkpointed function must compute the same thing each time',
      )
    }
    return pack(ys)
  }

  /** f on plain data: its packed output, refusing tracers it reached through a closure. */
  runPlain(leaves: readonly Tensor[]): Tensor {
    const y = this.run(leaves)
    refuseTracers('checkpoint', [y], hint)
    return y
  }
}

const sameMeta = (t: Tensor, m: Meta): boolean =>
  t.dtype === m.dtype && t.shape.length === m.shape.length && t.shape.every((d, i) => d === m.shape[i])

/** The tensors of the same data as `metas` (tracers, possibly), as plain tensors. */
const plain = (inputs: readonly Meta[]): Tensor[] =>
  inputs.map((m) => new Tensor(m.shape, m.dtype, concreteOf(m as Tensor)))

/** The op that one application of a checkpointed function records. */
const checkpointOp: OpDef<CheckpointCall> = {
  name: 'checkpoint',
  structure: 'opaque',
  shape: (inputs, call) => {
    if (call.outDef === null) {
      const xs = plain(inputs)
      const out = call.runPlain(xs)
      call.cache = { handles: xs.map((x) => concreteOf(x).handle), out }
    }
    return packedMeta('checkpoint', "f's output", call.outMetas)
  },
  kernel: (backend, handles, inputs, call) => {
    const c = call.cache
    call.cache = null
    if (c !== null && c.handles.length === handles.length && c.handles.every((h, i) => h === handles[i])) {
      return concreteOf(c.out).handle
    }
    const xs = handles.map(
      (h, i) => new Tensor(inputs[i]!.shape, inputs[i]!.dtype, { kind: 'concrete', backend, handle: h }),
    )
    return concreteOf(call.runPlain(xs)).handle
  },
  // forward mode stores nothing to recompute: the tangent of f, by forward mode
  jvp: ({ x, dx, b, params: call }) => jvpThrough((...xs) => call.run(xs), x, dx, b),
  // f again, on a tape of its own, from the saved inputs; its pullback gives their cotangents
  vjp: ({ ct, x, wants, params: call }) => {
    const argnums = wants.flatMap((w, i) => (w ? [i] : []))
    const traced = traceVjp('checkpoint', (...xs: Tensor[]) => call.run(xs), x, argnums, false)
    const gs = traced.pullback(ct) as Tensor[]
    const out = new Array<Tensor | null>(x.length).fill(null)
    argnums.forEach((j, i) => (out[j] = gs[i]!))
    return out
  },
}

/**
 * Gradient checkpointing (rematerialization) of a function: `checkpoint(f)` computes what f
 * computes, but under reverse mode it records one node instead of f's intermediates, and its
 * pullback runs f again on the saved inputs, on a tape of its own, to pull the cotangent through.
 * The tape keeps f's inputs and output only; the price is one more evaluation of f per pullback.
 *
 * f takes trees of tensors and returns a tree of tensors (of one dtype). Every tensor f
 * differentiates must be an argument: a tensor being differentiated that f reaches through a
 * closure would get no gradient from the recomputation, and is refused with a TransformError.
 * f must compute the same thing each time it runs (no randomness without a fixed seed). Under
 * forward mode (`jvp`, `jacfwd`) and on plain data, f just runs; under a `jvp` nested inside a
 * `vjp`, the checkpointed op's tangent comes from forward mode through f, so Hessians by
 * forward over reverse keep the checkpoint. Reverse over reverse works too: the inner gradient's
 * pullback, run inside the outer one, records f's recomputation on the outer tape.
 *
 * @example
 * import { checkpoint, grad, sum, tanh, mul, tensor, type Tensor } from 'dualtape'
 * const f = (x: Tensor, w: Tensor) => tanh(mul(x, w))
 * const layer = checkpoint(f)
 * const loss = (g: typeof f) => (w: Tensor) => sum(g(g(tensor([0.5, -1]), w), w))
 * grad(loss(layer))(tensor([2, 3])) // → [0.2047202042082168, -0.010412163697576558]
 * grad(loss(f))(tensor([2, 3])) // → [0.2047202042082168, -0.010412163697576558]
 */
export function checkpoint<F extends (...args: any[]) => Tree>(f: F): F {
  if (typeof f !== 'function') {
    throw new ValueError(`checkpoint: f must be a function, got ${describeValue(f)}`)
  }
  const wrapped = (...args: unknown[]): Tree => {
    const [leaves, argsDef] = flatten('checkpoint', args, 'args')
    const top = topLevel(leaves)
    if (top === null || top.kind !== 'vjp') {
      const out = f(...args)
      refusePromise('checkpoint', out)
      if (top === null) {
        const [ys] = flatten('checkpoint', out, 'output')
        refuseTracers(
          'checkpoint',
          ys.filter((y) => y.impl.kind === 'tape'),
          hint,
        )
      }
      return out
    }
    const call = new CheckpointCall(f, argsDef)
    const y = apply(checkpointOp, leaves, call)
    return unflatten(call.outDef!, unpack(y, call.outMetas))
  }
  return wrapped as F
}
