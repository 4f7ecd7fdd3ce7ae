/**
 * dualtape: tensors and their ops, the transformations (`jvp`, `vjp`, `grad`, `jacfwd`,
 * `jacrev`, `jacobian`, `hessian`, `hvp`), custom ops, the choice of backend and the errors.
 * The other parts have entry points of their own: `dualtape/scalar` (dual numbers and jets on
 * plain numbers), `dualtape/linalg` (structured Jacobians, Jacobian chains and their plans),
 * `dualtape/sparse` (sparsity detection, colourings, sparse Jacobians and Hessians),
 * `dualtape/check` (finite differences, checkGrads, op contracts), `dualtape/vitest`
 * (`testOp`), `dualtape/tfjs` (the TensorFlow.js backends), `dualtape/backends` (writing a
 * backend) and `dualtape/viz` (pictures of the recorded graph). The guides are in docs/.
 *
 * @module dualtape
 */

// core
export { Tensor, type NestedArray } from './core/tensor.js'
export type { DType, FloatDType } from './core/dtype.js'
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
} from './ops/create.js'
export type { Tree, Tangent, MapTree } from './core/tree.js'
export type { OpDef, OpStructure, JvpArgs, VjpArgs } from './core/op.js'

// backends
export { useBackend, getBackend, backendNames } from './backends/registry.js'

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
  atan2,
  where,
} from './ops/binary.js'
export { matmul, dot } from './ops/matmul.js'
export { reshape, transpose, broadcastTo, concat, slice, pad, cast, stopGradient } from './ops/shape.js'
export { sum, max, min, prod, mean, logsumexp, cumsum, argmax, argmin } from './ops/reduce.js'
export { take, stack, split, squeeze, expandDims } from './ops/indexing.js'
export { registry, type OpName, type OpParams } from './ops/registry.js'
export { defineOp, type CustomOp, type CustomOpSpec } from './ops/define.js'
export type { TensorLike } from './ops/util.js'

// forward mode
export { jvp, elementwiseGrad, type JvpOptions, type JvpResult } from './forward/jvp.js'

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

// debugging and memory
export { debugNans, withNanCheck, observeOps, type OpObserver } from './core/debug.js'
export { tidy, dispose, keep } from './core/scope.js'
