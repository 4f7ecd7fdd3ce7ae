import type { Meta } from '../core/backend.js'
import { apply, type OpDef } from '../core/op.js'
import type { Tensor } from '../core/tensor.js'

/**
 * How a linear op takes tangents with `b` leading batch axes (vector mode): the parameters for
 * the batched tangent, and the tangent itself where the op cannot take the batch axes as they are
 * (broadcastTo aligns shapes from the right, so the batch axis must be kept apart first).
 */
export type Lift<P> = (
  params: P,
  b: number,
  dx: Tensor,
  x: Meta,
) => { readonly params: P; readonly dx?: Tensor }

const unbatched = <P>(params: P): { readonly params: P; readonly dx?: Tensor } => ({ params })

/**
 * A linear op of one input, L, from its definition without a JVP rule (JAX's `deflinear`): the
 * tangent of L(x) is L(dx), the op itself applied to the tangent, its parameters lifted over the
 * tangent's batch axes by `lift`. Its VJP rule is L's transpose, given with the definition.
 * The same lift gives its batching rule (`vmap`): L applied to the batch of inputs, which is a
 * tangent with one batch axis.
 */
export function linear<P>(def: Omit<OpDef<P>, 'jvp' | 'linearity'>, lift: Lift<P> = unbatched): OpDef<P> {
  const op: OpDef<P> = {
    ...def,
    linearity: 'joint',
    jvp: ({ dx: [dx], x: [x], params, b }) => {
      const l = b === 0 ? unbatched(params) : lift(params, b, dx!, x!)
      return apply(op, [l.dx ?? dx!], l.params)
    },
    batch:
      def.batch ??
      (({ x: [xb], meta: [m], params }) => {
        const l = lift(params, 1, xb!, m!)
        return apply(op, [l.dx ?? xb!], l.params)
      }),
  }
  return op
}
