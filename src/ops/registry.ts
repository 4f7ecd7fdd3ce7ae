import type { OpDef } from '../core/op.js'
import * as B from './binary.js'
import * as E from './elementwise.js'
import * as I from './indexing.js'
import * as M from './matmul.js'
import * as R from './reduce.js'
import * as S from './shape.js'
import * as X from '../matrix/ops.js'

/** Every primitive's definition by name: the one list of the primitives. */
const definitions = {
  neg: E.negOp,
  ...E.elementwiseOps,
  sign: E.signOp,
  pow: E.powOp,
  powTensor: E.powTensorOp,
  clip: E.clipOp,
  add: B.addOp,
  sub: B.subOp,
  mul: B.mulOp,
  div: B.divOp,
  atan2: B.atan2Op,
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
  take: I.takeOp,
  scatterAdd: I.scatterAddOp,
  sum: R.sumOp,
  max: R.maxOp,
  min: R.minOp,
  prod: R.prodOp,
  cumsum: R.cumsumOp,
  argmax: R.argmaxOp,
  argmin: R.argminOp,
  logsumexp: R.logsumexpOp,
  cholesky: X.choleskyOp,
  triangularSolve: X.triangularSolveOp,
  solve: X.solveOp,
  logAbsDet: X.logAbsDetOp,
  detSign: X.detSignOp,
  eigh: X.eighOp,
}

/** The parameters an op definition takes. */
type ParamsOf<D> = D extends OpDef<infer P> ? P : never

/**
 * The parameters of every primitive, by name, read from the definitions (the unary elementwise
 * ops of the derivative table, src/ops/derivatives.ts, take none). props/ generates its checks
 * from the registry.
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
export type OpParams = { readonly [K in keyof typeof definitions]: ParamsOf<(typeof definitions)[K]> }

/**
 * The name of a primitive.
 *
 * @example
 * import { registry, type OpName } from 'dualtape'
 * const names: OpName[] = ['sin', 'matmul']
 * names.map((n) => registry[n].name) // → ['sin', 'matmul']
 */
export type OpName = keyof OpParams

/**
 * Every primitive's definition, by name.
 *
 * @example
 * import { registry } from 'dualtape'
 * 'tanh' in registry // → true
 * registry.matmul.name // → 'matmul'
 */
export const registry: { readonly [K in OpName]: OpDef<OpParams[K]> } = definitions
