/**
 * `dualtape/scalar`: forward mode on plain numbers, without tensors: a numeric algebra written once (`Numeric`), dual numbers over any
 * instance with tags against perturbation confusion, derivatives of any order, and Taylor
 * mode on jets.
 *
 * @example
 * import { derivative, nthDerivative, taylor } from 'dualtape/scalar'
 * console.log(derivative((D) => (x) => D.exp(x))(0)) // 1
 * console.log(nthDerivative((N) => (x) => N.pow(x, 4), 2)(1)) // 12
 * console.log(taylor((N) => (x) => N.exp(x), 0, 3)) // [1, 1, 1, 1]
 *
 * @module
 */
export type { Numeric, NumericFn } from './numeric.js'
export { NumberField } from './numeric.js'
export type { Dual, DualNumeric } from './dual.js'
export { dualOf } from './dual.js'
export { DualNumber } from './dual-number.js'
export type { DualFn, DualFnN } from './derivative.js'
export { derivative, gradientScalar, nthDerivative, valueAndDerivative } from './derivative.js'
export type { JetNumeric } from './jet.js'
export { Jet, jetOf } from './jet.js'
export { taylor, taylorCoefficients } from './taylor.js'
export { OrderError, TagError } from './errors.js'
