import type { OpDef } from '../core/op.js'
import type { DType } from '../core/dtype.js'
import type { Shape } from '../core/shape.js'
import * as B from './binary.js'
import * as E from './elementwise.js'
import * as M from './matmul.js'
import * as R from './reduce.js'
import * as S from './shape.js'

/**
 * The parameters of every primitive, by name. The unary elementwise ops of the derivative table
 * (src/ops/derivatives.ts) take none and are not listed again here. The registry below is a
 * mapped type over these names, so a primitive declared here without a definition (or a
 * definition without one of its rules) fails the type check; props/ generates its checks from
 * the registry.
 *
 * @example
 * import { checkContract } from 'dualtape/check'
 * import { type OpParams } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * // x³ elementwise: `pow` takes its exponent as a parameter
 * const params: OpParams['pow'] = { p: 3 }
 * const inputs = [{ shape: [2], domain: 'positive' as const, seed: 1 }]
 * E.isRight(checkContract('pow', { inputs, params }, 0)) // → true
 */
export interface OpParams extends ElementwiseParams {
  neg: null
  sign: null
  pow: { readonly p: number }
  add: null
  sub: null
  mul: null
  div: null
  maximum: null
  minimum: null
  greater: null
  greaterEqual: null
  less: null
  lessEqual: null
  equal: null
  where: null
  matmul: M.MatmulParams
  reshape: { readonly shape: Shape }
  transpose: { readonly perm: readonly number[] }
  broadcastTo: { readonly shape: Shape }
  concat: { readonly axis: number }
  slice: { readonly begin: readonly number[]; readonly size: readonly number[] }
  pad: { readonly before: readonly number[]; readonly after: readonly number[] }
  cast: { readonly dtype: DType }
  stopGradient: null
  sum: R.ReduceParams
  max: R.ReduceParams
  logsumexp: R.ReduceParams
}

/**
 * The name of a primitive.
 *
 * @example
 * import { registry, type OpName } from 'dualtape'
 * const names: OpName[] = ['sin', 'matmul']
 * names.map((n) => registry[n].name) // → ['sin', 'matmul']
 */
export type OpName = keyof OpParams

/** The parameters of the ops whose definition follows from the derivative table: none. */
type ElementwiseParams = { readonly [K in E.ElementwiseName]: null }

/**
 * Every primitive's definition, by name.
 *
 * @example
 * import { registry } from 'dualtape'
 * 'tanh' in registry // → true
 * registry.matmul.name // → 'matmul'
 */
export const registry: { readonly [K in OpName]: OpDef<OpParams[K]> } = {
  neg: E.negOp,
  ...E.elementwiseOps,
  sign: E.signOp,
  pow: E.powOp,
  add: B.addOp,
  sub: B.subOp,
  mul: B.mulOp,
  div: B.divOp,
  maximum: B.maximumOp,
  minimum: B.minimumOp,
  greater: B.greaterOp,
  greaterEqual: B.greaterEqualOp,
  less: B.lessOp,
  lessEqual: B.lessEqualOp,
  equal: B.equalOp,
  where: B.whereOp,
  matmul: M.matmulOp,
  reshape: S.reshapeOp,
  transpose: S.transposeOp,
  broadcastTo: S.broadcastToOp,
  concat: S.concatOp,
  slice: S.sliceOp,
  pad: S.padOp,
  cast: S.castOp,
  stopGradient: S.stopGradientOp,
  sum: R.sumOp,
  max: R.maxOp,
  logsumexp: R.logsumexpOp,
}
