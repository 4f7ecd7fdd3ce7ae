/**
 * The tensors of a tree as one tensor, and back: a checkpointed function is recorded as one op,
 * and an op has one output.
 *
 * @module
 */
import type { Meta } from '../core/backend.js'
import { DTypeError, TransformError, ValueError } from '../core/errors.js'
import { Tensor } from '../core/tensor.js'
import { sizeOf } from '../core/shape.js'
import { type TreeDef, flatten, showDef } from '../core/tree.js'
import { zerosLike } from '../ops/create.js'
import { jvp } from '../forward/jvp.js'
import { concat, reshape, slice } from '../ops/shape.js'

/** The meta of the packed form of tensors of these metas: the one tensor, or all of them flattened and joined. */
export function packedMeta(where: string, what: string, metas: readonly Meta[]): Meta {
  if (metas.length === 0) throw new ValueError(`${where}: ${what} holds no tensor`)
  if (metas.length === 1) return { shape: metas[0]!.shape, dtype: metas[0]!.dtype }
  const dtype = metas[0]!.dtype
  metas.forEach((m, i) => {
    if (m.dtype !== dtype) {
      throw new DTypeError(
        `${where}: the tensors of ${what} must share one dtype, got ${dtype} (tensor 0) and ${m.dtype} (tensor ${i})`,
      )
    }
  })
  return { shape: [metas.reduce((n, m) => n + sizeOf(m.shape), 0)], dtype }
}

/** The tensors as one: the tensor itself, or all of them flattened and joined. */
export function pack(leaves: readonly Tensor[]): Tensor {
  if (leaves.length === 1) return leaves[0]!
  return concat(
    leaves.map((t) => reshape(t, [t.size])),
    0,
  )
}

/** The tensors of these metas from their packed form. */
export function unpack(packed: Tensor, metas: readonly Meta[]): Tensor[] {
  if (metas.length === 1) return [packed]
  let offset = 0
  return metas.map((m) => {
    const n = sizeOf(m.shape)
    const part = reshape(slice(packed, [offset], [n]), m.shape)
    offset += n
    return part
  })
}

/**
 * Throws a TransformError when run on plain data, a checkpointed function returned a tracer: it
 * reached a tensor of a transformation in progress through a closure, which recomputation
 * would not see (its cotangent would be lost).
 */
export function refuseTracers(where: string, leaves: readonly Tensor[], hint: string): void {
  const t = leaves.find((l) => l.impl.kind !== 'concrete')
  if (t === undefined || t.impl.kind === 'concrete') return
  throw new TransformError(
    `${where}: the function uses a ${t.impl.level.kind} tracer (level ${t.impl.level.id}) that it was not given ` +
      `as an argument (a closure over a tensor being differentiated), whose gradient recomputation would lose; ${hint}`,
  )
}

/** A tree of tensors' leaves and structure, with the structure shown in errors. */
export function leavesOf(where: string, tree: unknown, path: string): [Tensor[], TreeDef, string] {
  const [leaves, def] = flatten(where, tree, path)
  return [leaves, def, showDef(def, leaves)]
}

/**
 * The output tangent of `g` (a function of the op's inputs to its packed output) as a JVP rule
 * gives it: tangents of constant inputs (null) are zeros, and with `b` = 1 every tangent has the
 * batch axis of vector mode.
 */
export function jvpThrough(
  g: (...leaves: Tensor[]) => Tensor,
  x: readonly Tensor[],
  dx: readonly (Tensor | null)[],
  b: number,
): Tensor {
  const k = b === 1 ? dx.find((d) => d !== null)!.shape[0]! : 0
  const tangents = dx.map((d, i) => d ?? zerosLike(x[i]!, b === 1 ? [k, ...x[i]!.shape] : x[i]!.shape))
  const [, dy] = jvp(g, x, tangents, { batched: b === 1 }) as [Tensor, Tensor]
  return dy
}
