/**
 * `dualtape/check`: checking derivatives. The finite-difference oracle (Richardson-extrapolated
 * central differences with an error bar), `checkGrads` (forward and reverse mode against finite
 * differences and against each other, to both orders), op contracts (`checkContract` on a
 * built-in or custom op: derivatives, shapes, no mutation, linearity, vector mode) and the
 * fast-check arbitraries they draw from. `testOp`, which needs vitest, is in `dualtape/vitest`.
 *
 * @example
 * import { tensor, sin } from 'dualtape'
 * import { checkGrads } from 'dualtape/check'
 * import * as E from 'fp-ts/lib/Either.js'
 * E.isRight(checkGrads((x) => sin(x), [tensor([0.5, 1.5])])) // → true
 *
 * @module
 */

export {
  richardson,
  fdJvp,
  fdJacobian,
  fdDefaults,
  type FdOptions,
  type FdEstimate,
  type FdJacobian,
  type Extrapolated,
} from './fd.js'
export { checkGrads, assertGrads, defaultTolerances, type CheckGradsOptions } from './grads.js'
export {
  formatReport,
  GradCheckError,
  type Mode,
  type CheckKind,
  type CheckEntry,
  type CheckSummary,
  type CheckReport,
} from './report.js'
export {
  materialize,
  specValues,
  shapes,
  arrays,
  seeds,
  broadcastingShapes,
  opCase,
  type Domain,
  type ArraySpec,
  type OpCase,
  type ShapeOptions,
} from './arbitraries.js'
export {
  opContract,
  checkContract,
  contractChecks,
  type ContractCheck,
  type ContractOptions,
  type ContractFailure,
  type OpLike,
} from './contract.js'
