/**
 * dualtape: tensors and their ops, the transformations (`jvp`, `vjp`, `grad`, `vmap`, `jacfwd`,
 * `jacrev`, `jacobian`, `hessian`, `hvp`, `linearize`, `linearTranspose`), checkpointing (`checkpoint`,
 * `checkpointLoop` and its revolve schedule), custom ops, the choice of backend and the errors.
 * The other parts have entry points of their own: `dualtape/scalar` (dual numbers and jets on
 * plain numbers), `dualtape/linalg` (structured Jacobians, Jacobian chains and their plans),
 * `dualtape/matrix` (Cholesky, solves, determinants, eigh: differentiable dense linear algebra),
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
  LinAlgError,
  TransformError,
  LinearityError,
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
export type { OpDef, OpStructure, Linearity, JvpArgs, VjpArgs, BatchArgs } from './core/op.js'

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
export { einsum } from './ops/einsum.js'
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

// linearization and transposition
export { linearize, linearTranspose, linearVjp, type LinearFn } from './linearize/linearize.js'

// checkpointing
export { checkpoint } from './checkpoint/checkpoint.js'
export { checkpointLoop, type CheckpointLoopOptions, type SweepReport } from './checkpoint/loop.js'
export {
  revolveSchedule,
  revolveAdvances,
  type RevolveSchedule,
  type RevolveAction,
} from './checkpoint/revolve.js'

// batching
export { vmap, type VmapOptions, type Axis, type AxisTree } from './vmap/vmap.js'

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
