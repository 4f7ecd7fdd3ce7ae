import { ValueError } from '../core/errors.js'
import { apply, type OpDef } from '../core/op.js'
import type { Tensor } from '../core/tensor.js'
import { elementwiseOps as E, negOp, powOp, signOp } from './elementwise.js'
import { asTensor } from './util.js'

// ---------------------------------------------------------------------------------------------
// The unary elementwise ops. Every export of this file is a public op (src/index.ts re-exports
// them all); their definitions are in src/ops/elementwise.ts, their derivatives in the table,
// src/ops/derivatives.ts.
// ---------------------------------------------------------------------------------------------

const un =
  (def: OpDef<null>) =>
  (x: Tensor): Tensor =>
    apply(def, [asTensor(def.name, x)], null)

/**
 * -x.
 * @example
 * import { neg, tensor } from 'dualtape'
 * neg(tensor([1, -2])).toArray() // [-1, 2]
 */
export const neg = un(negOp)
/**
 * eˣ elementwise.
 * @example
 * import { exp, tensor } from 'dualtape'
 * exp(tensor([0])).toArray() // [1]
 */
export const exp = un(E.exp)
/**
 * Natural logarithm elementwise.
 * @example
 * import { log, tensor } from 'dualtape'
 * log(tensor([1])).toArray() // [0]
 */
export const log = un(E.log)
/**
 * log(1 + x) elementwise, accurate for x near 0 (where 1 + x would round).
 * @example
 * import { log1p, tensor } from 'dualtape'
 * log1p(tensor([0, 1e-20])).toArray() // [0, 1e-20]
 */
export const log1p = un(E.log1p)
/**
 * eˣ - 1 elementwise, accurate for x near 0 (where eˣ would round to 1).
 * @example
 * import { expm1, tensor } from 'dualtape'
 * expm1(tensor([0, 1e-20])).toArray() // [0, 1e-20]
 */
export const expm1 = un(E.expm1)
/**
 * sin x elementwise.
 * @example
 * import { sin, tensor } from 'dualtape'
 * sin(tensor([0])).toArray() // [0]
 */
export const sin = un(E.sin)
/**
 * cos x elementwise.
 * @example
 * import { cos, tensor } from 'dualtape'
 * cos(tensor([0])).toArray() // [1]
 */
export const cos = un(E.cos)
/**
 * The arctangent elementwise, in (-π/2, π/2).
 * @example
 * import { atan, tensor } from 'dualtape'
 * atan(tensor([0, 1])).toArray() // [0, 0.7853981633974483]
 */
export const atan = un(E.atan)
/**
 * The arcsine elementwise, for x in [-1, 1] (NaN outside); its derivative is infinite at ±1.
 * @example
 * import { asin, tensor } from 'dualtape'
 * asin(tensor([0, 1])).toArray() // [0, 1.5707963267948966]
 */
export const asin = un(E.asin)
/**
 * The arccosine elementwise, for x in [-1, 1] (NaN outside); its derivative is infinite at ±1.
 * @example
 * import { acos, tensor } from 'dualtape'
 * acos(tensor([1, 0])).toArray() // [0, 1.5707963267948966]
 */
export const acos = un(E.acos)
/**
 * The error function erf x = (2/√π) ∫₀ˣ e^(-t²) dt elementwise.
 * @example
 * import { erf, tensor } from 'dualtape'
 * erf(tensor([0, 10])).toArray() // [0, 1]
 */
export const erf = un(E.erf)
/**
 * tan x elementwise.
 * @example
 * import { tan, tensor } from 'dualtape'
 * tan(tensor([0])).toArray() // [0]
 */
export const tan = un(E.tan)
/**
 * tanh x elementwise.
 * @example
 * import { tanh, tensor } from 'dualtape'
 * tanh(tensor([0])).toArray() // [0]
 */
export const tanh = un(E.tanh)
/**
 * The logistic function 1 / (1 + e⁻ˣ), stable for large |x|.
 * @example
 * import { sigmoid, tensor } from 'dualtape'
 * sigmoid(tensor([0])).toArray() // [0.5]
 */
export const sigmoid = un(E.sigmoid)
/**
 * log(1 + eˣ), stable for large |x|.
 * @example
 * import { softplus, tensor } from 'dualtape'
 * softplus(tensor([0])).toArray() // [0.6931471805599453]
 */
export const softplus = un(E.softplus)
/**
 * log σ(x) = -softplus(-x), stable for large |x|.
 * @example
 * import { logSigmoid, tensor } from 'dualtape'
 * logSigmoid(tensor([-1000])).toArray() // [-1000]
 */
export const logSigmoid = un(E.logSigmoid)
/**
 * √x elementwise.
 * @example
 * import { sqrt, tensor } from 'dualtape'
 * sqrt(tensor([4])).toArray() // [2]
 */
export const sqrt = un(E.sqrt)
/**
 * x² elementwise.
 * @example
 * import { square, tensor } from 'dualtape'
 * square(tensor([3])).toArray() // [9]
 */
export const square = un(E.square)
/**
 * |x| elementwise. Its derivative at 0 is taken as 0 (the subgradient sign(0) = 0).
 * @example
 * import { abs, tensor } from 'dualtape'
 * abs(tensor([-2])).toArray() // [2]
 */
export const abs = un(E.abs)
/**
 * max(x, 0) elementwise. Its derivative at 0 is taken as 0 (as in JAX and PyTorch).
 * @example
 * import { relu, tensor } from 'dualtape'
 * relu(tensor([1, -2, 3, -1])).toArray() // [1, 0, 3, 0]
 */
export const relu = un(E.relu)
/**
 * The sign (-1, 0 or 1) elementwise; piecewise constant, so its derivative is 0.
 * @example
 * import { sign, tensor } from 'dualtape'
 * sign(tensor([-3, 0, 2])).toArray() // [-1, 0, 1]
 */
export const sign = un(signOp)

/**
 * xᵖ elementwise for a number p.
 * @example
 * import { pow, tensor } from 'dualtape'
 * pow(tensor([2, 3]), 2).toArray() // [4, 9]
 */
export function pow(x: Tensor, p: number): Tensor {
  if (typeof p !== 'number') throw new ValueError(`pow: the exponent must be a number, got ${typeof p}`)
  return apply(powOp, [asTensor('pow', x)], { p })
}
