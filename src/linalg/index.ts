/**
 * `dualtape/linalg`: the Jacobian algebra on Float64Array data. One linear-map type
 * (`LinearMap`: rows, cols, matvec, vecmat and their costs) implemented by the structured local
 * Jacobians (zero, identity, scaled identity, diagonal, permutation, monomial, block-row, dense)
 * and by operators of unknown structure; the products of the forms, from one product table that
 * gives both their cost and their value; local Jacobians of traced layers; Jacobian chains
 * J = J_L ⋯ J_1 and one `Plan` type for accumulating them, by bracketing for structured factors
 * or by tangent and adjoint sweeps for matrix-free ones; the cost models those plans minimise.
 *
 * @example
 * import { chainFromFactors, denseJacobian, diagonalJacobian, matrix, plan } from 'dualtape/linalg'
 * const chain = chainFromFactors([denseJacobian(matrix(2, 3)), diagonalJacobian([1, 2])])
 * plan(chain).flops > 0 // → true
 *
 * @module
 */
export {
  type FormKind,
  type FormSignature,
  type JacobianForm,
  ZeroJacobian,
  IdentityJacobian,
  ScaledIdentityJacobian,
  DiagonalJacobian,
  PermutationJacobian,
  MonomialJacobian,
  BlockRowJacobian,
  DenseJacobian,
  zeroJacobian,
  identityJacobian,
  scaledIdentityJacobian,
  diagonalJacobian,
  permutationJacobian,
  monomialJacobian,
  denseJacobian,
  kronRowJacobian,
  blockRowJacobian,
  reluJacobian,
  fcJacobians,
  transposeJacobian,
  signatureToString,
  type LinearMap,
} from './structured.js'
export { multiplyJacobians, productSignature } from './product.js'
export {
  type Matrix,
  JacobianShapeError,
  matrix,
  matrixFromRows,
  matrixToRows,
  identityMatrix,
  matmulMatrix,
  transposeMatrix,
  maxAbsDiff,
} from './matrix.js'
export * from './chain.js'
export { calibrateChainCostModel, type CalibrationOptions } from './chain/calibrate.js'
export {
  localJacobian,
  traceChain,
  operatorChain,
  countFlops,
  type Layer,
  type TracedChain,
} from './local.js'
