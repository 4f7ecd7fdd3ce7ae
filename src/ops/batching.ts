import { apply, type BatchArgs, type OpDef } from '../core/op.js'
import type { Shape } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import { tensor, zerosLike } from './create.js'
import { cast, concat, reshape, slice } from './shape.js'

// ---------------------------------------------------------------------------------------------
// Batching rules: how `vmap` runs an op on a whole batch. An op declares its own (`OpDef.batch`)
// where its parameters name axes (the layout ops, the reductions, matmul); the elementwise and
// constant ops take the generic rule below; a custom op, whose structure is unknown, runs once
// per example.
// ---------------------------------------------------------------------------------------------

/** A batching rule: the op on the whole batch, batch axis first. */
export type BatchRule<P> = (a: BatchArgs<P>) => Tensor

const ones = (n: number): number[] => new Array<number>(n).fill(1)

/**
 * The inputs with each batched one of example rank r padded to `[size, 1 × (rank - r), ...shape]`:
 * numpy broadcasting aligns shapes from the right, so an example of lower rank would otherwise
 * broadcast against the batch axis. Unbatched inputs stay as they are (the same for every example).
 */
export function alignBatched<P>(a: BatchArgs<P>, rank: number): Tensor[] {
  return a.x.map((t, i) => {
    if (!a.batched[i]) return t
    const s = a.meta[i]!.shape
    return s.length === rank ? t : reshape(t, [a.size, ...ones(rank - s.length), ...s])
  })
}

/** The batching rule of an elementwise (or constant) op: the op itself, on the aligned batch. */
export function elementwiseBatch<P>(def: OpDef<P>): BatchRule<P> {
  return (a) => apply(def, alignBatched(a, a.out.shape.length), a.params)
}

/**
 * The batching rule of an op on stacks of matrices whose leading axes broadcast (the matrix
 * functions, `[..., n, n]`): the op itself on the batch, each batched input padded with axes of
 * size 1 to the largest example rank among the inputs, so that the batch axis lines up with the
 * others' leading axes (an unbatched input broadcasts over it).
 */
export function stackBatch<P>(def: () => OpDef<P>): BatchRule<P> {
  return (a) => apply(def(), alignBatched(a, Math.max(...a.meta.map((m) => m.shape.length))), a.params)
}

/** Example `i` of a batch `t` whose examples have shape `shape`. */
function example(t: Tensor, i: number, shape: Shape): Tensor {
  return reshape(slice(t, [i, ...shape.map(() => 0)], [1, ...shape]), shape)
}

/**
 * The batching rule of an op whose structure is unknown (a custom op from `defineOp`): the op
 * applied to each example in turn, the outputs stacked. Correct for any op, at the cost of one
 * application (and, under a tape, one recorded op) per example, plus a slice per batched input
 * and example, and one concatenation.
 */
export function loopBatch<P>(def: OpDef<P>): BatchRule<P> {
  return ({ x, batched, meta, out, params, size }) => {
    if (size === 0) {
      if (out.dtype === 'int32') {
        return tensor(new Int32Array(0), {
          shape: [0, ...out.shape],
          dtype: 'int32',
          backend: x[0]!.backend.name,
        })
      }
      return cast(zerosLike(x[0]!, [0, ...out.shape]), out.dtype)
    }
    const rows = new Array<Tensor>(size)
    for (let i = 0; i < size; i++) {
      const xi = x.map((t, j) => (batched[j] ? example(t, i, meta[j]!.shape) : t))
      rows[i] = reshape(apply(def, xi, params), [1, ...out.shape])
    }
    return concat(rows, 0)
  }
}

/** The batching rule of an op: its own, else the one its structure gives. */
export function batchRuleOf<P>(def: OpDef<P>): BatchRule<P> {
  if (def.batch !== undefined) return def.batch
  return def.structure === 'elementwise' || def.structure === 'constant'
    ? elementwiseBatch(def)
    : loopBatch(def)
}
