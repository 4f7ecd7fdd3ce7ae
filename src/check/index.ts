// The public checking API: the finite-difference oracle, checkGrads, and op contracts.
// `testOp` (which imports vitest) lives in ./vitest.ts so that the library never loads a test runner.

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
export { propsSeed, propsRuns, defaultSeed } from './config.js'
