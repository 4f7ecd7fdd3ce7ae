/**
 * The public surface of dualtape: tensors and their ops, forward mode (`jvp`, dual numbers, jets),
 * reverse mode (`vjp`, `grad`), Jacobian builders, structured and sparse Jacobians, Jacobian
 * chains, backends, pictures, and the checking API. The guides are in docs/.
 *
 * @module dualtape
 */

// core
export { Tensor, type NestedArray } from './core/tensor.js'
export type { DType, FloatArray } from './core/dtype.js'
export type { Shape } from './core/shape.js'
export {
  DualtapeError,
  ShapeError,
  DTypeError,
  BackendError,
  MissingPackageError,
  ValueError,
  TransformError,
  NanError,
} from './core/errors.js'
export {
  tensor,
  full,
  zeros,
  ones,
  eye,
  arange,
  randn,
  uniform,
  zerosLike,
  onesLike,
  type CreateOptions,
  type TensorOptions,
  type RandomOptions,
} from './core/create.js'
export type { Tree, Tangent, MapTree } from './core/tree.js'
export type { OpDef, OpStructure, JvpArgs, VjpArgs } from './core/op.js'

// backends
export type { Backend, Kernels, Meta } from './backends/backend.js'
export { cpuBackend } from './backends/cpu/index.js'
export { registerBackend, useBackend, getBackend, backendNames } from './backends/registry.js'

// ops (every export of ops/unary.ts is a public unary op)
export * from './ops/unary.js'
export {
  add,
  sub,
  mul,
  div,
  maximum,
  minimum,
  greater,
  greaterEqual,
  less,
  lessEqual,
  equal,
  where,
} from './ops/binary.js'
export { matmul, dot } from './ops/matmul.js'
export { reshape, transpose, broadcastTo, concat, slice, pad, cast, stopGradient } from './ops/shape.js'
export { sum, max, mean, logsumexp } from './ops/reduce.js'
export { registry, type OpName, type OpParams } from './ops/registry.js'
export { defineOp, type CustomOp, type CustomOpSpec } from './ops/define.js'
export type { TensorLike } from './ops/util.js'

// forward mode
export { jvp, elementwiseGrad, type JvpOptions, type JvpResult } from './forward/jvp.js'
export * from './forward/scalar/index.js'

// reverse mode
export {
  vjp,
  vjpWithAux,
  grad,
  valueAndGrad,
  type Pullback,
  type GradOptions,
  type GradFn,
  type ValueAndGradFn,
} from './reverse/vjp.js'

// Jacobians
export {
  jacfwd,
  jacrev,
  jacobian,
  hessian,
  hvp,
  chooseMode,
  type JacobianOptions,
  type JacfwdOptions,
  type JacobianFn,
  type HessianFn,
} from './jacobian/builders.js'

// debugging
export { debugNans, withNanCheck } from './core/debug.js'

// sparse Jacobians
export {
  jacobianSparsity,
  hessianSparsity,
  type SparsityOptions,
  type IndexSets,
} from './jacobian/sparsity.js'
export {
  sparseJacobian,
  sparseHessian,
  type SparseJacobianAdOptions,
  type SparseHessianAdOptions,
} from './jacobian/sparse-ad.js'
export * from './jacobian/sparse/index.js'

// structured local Jacobians and Jacobian chains
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
  zero as zeroJacobian,
  identity as identityJacobian,
  scaledIdentity as scaledIdentityJacobian,
  diagonal as diagonalJacobian,
  permutation as permutationJacobian,
  monomial as monomialJacobian,
  dense as denseJacobian,
  kronRow as kronRowJacobian,
  blockRow as blockRowJacobian,
  reluJacobian,
  fcJacobians,
  transposeJacobian,
  multiply as multiplyJacobians,
  productSignature,
  signatureToString,
} from './jacobian/structured.js'
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
} from './jacobian/matrix.js'
export * from './jacobian/chain.js'

// pictures
export * from './reverse/graph.js'
export * from './viz/plot.js'
export * from './viz/dot.js'
export {
  localJacobian,
  traceChain,
  operatorChain,
  countFlops,
  type Layer,
  type TracedChain,
} from './jacobian/local.js'
export { observeOps, type OpObserver } from './core/debug.js'

// checking derivatives
export * from './check/index.js'

// the tfjs backends (float32 on TensorFlow.js: cpu, wasm, WebGPU) and memory scopes
export {
  initTfjsBackend,
  tfjsBackendName,
  toBackend,
  toBackendAsync,
  type TfjsKind,
  type TfjsInitOptions,
  type MoveOptions,
} from './backends/tfjs/index.js'
export { tidy, dispose, keep } from './core/scope.js'
export { recordBackendFailure } from './backends/registry.js'
