/**
 * `dualtape/sparse`: sparse Jacobians and Hessians. `jacobianSparsity` and `hessianSparsity`
 * detect patterns by running a function on index sets; `sparseJacobian` and `sparseHessian`
 * compute them from a few compressed JVPs, VJPs or Hessian-vector products. Below those: sparsity
 * patterns, colourings that compress them (column and row
 * colourings for forward and reverse mode, star colourings for symmetric Hessians), seed vectors,
 * recovery from the compressed products, and a pattern check.
 *
 * The combinatorial part takes only patterns, Float64Array data and product callbacks, so any
 * engine that computes J·s, sᵀ·J or H·s can drive it.
 *
 * @module
 */

export { SparsityError } from './errors.js'
export {
  SparsityPattern,
  bandedPattern,
  blockDiagonalPattern,
  patternFromDense,
  patternFromEntries,
  patternFromRows,
  symmetrize,
} from './pattern.js'
export {
  colourColumns,
  colourRows,
  colourStar,
  isColumnColouring,
  isRowColouring,
  isStarColouring,
  type Colouring,
  type ColouringKind,
  type ColouringOptions,
  type ColouringOrder,
} from './colouring.js'
export { SparseMatrix } from './matrix.js'
export { decompressColumns, decompressRows, decompressStar, seedVectors } from './decompress.js'
export {
  checkPattern,
  sparseHessianFromProducts,
  sparseJacobianFromProducts,
  type BatchedProductFn,
  type CheckPatternOptions,
  type ProductFn,
  type SparseHessianOptions,
  type SparseJacobianMode,
  type SparseJacobianOptions,
  type SparseJacobianResult,
  type SparseResult,
} from './products.js'
export {
  jacobianSparsity,
  hessianSparsity,
  type SparsityOptions,
  type IndexSets,
} from '../jacobian/sparsity.js'
export {
  sparseJacobian,
  sparseHessian,
  type SparseJacobianAdOptions,
  type SparseHessianAdOptions,
} from './ad.js'
