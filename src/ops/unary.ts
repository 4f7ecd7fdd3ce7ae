import { ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { apply, type OpDef } from '../core/op.js'
import { type Tensor, isTensor } from '../core/tensor.js'
import { clipOp, elementwiseOps as E, negOp, powOp, powTensorOp, signOp } from './elementwise.js'
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
 * sinh x = (eˣ − e⁻ˣ) / 2 elementwise; its derivative is cosh x.
 * @example
 * import { sinh, tensor } from 'dualtape'
 * sinh(tensor([0, 1])).toArray() // → [0, 1.1752011936438014]
 */
export const sinh = un(E.sinh)
/**
 * cosh x = (eˣ + e⁻ˣ) / 2 elementwise; its derivative is sinh x.
 * @example
 * import { cosh, tensor } from 'dualtape'
 * cosh(tensor([0, 1])).toArray() // → [1, 1.5430806348152437]
 */
export const cosh = un(E.cosh)
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
 * xᵖ elementwise, for a number p or a tensor of exponents (broadcasting with x). With a number,
 * d xᵖ = p xᵖ⁻¹ dx (0 for p = 0, also at x = 0). With a tensor y, the exponent is differentiated
 * too: ∂/∂y xʸ = xʸ log x for x > 0; at x ≤ 0, where xʸ is real only for integer y and so not
 * differentiable in y, that partial is taken to be 0; ∂/∂x xʸ = y xʸ⁻¹, and 0 where y = 0. A
 * negative x with a non-integer exponent gives NaN, as Math.pow does.
 * @example
 * import { pow, tensor, grad, sum, type Tensor } from 'dualtape'
 * pow(tensor([2, 3]), 2).toArray() // [4, 9]
 * pow(tensor([2, -2]), tensor([0.5, 3])).toArray() // → [1.4142135623730951, -8]
 * // d/dy 2ʸ = 2ʸ log 2 at y = 3
 * grad((y: Tensor) => sum(pow(tensor([2]), y)))(tensor([3])) // → [5.545177444479562]
 */
export function pow(x: Tensor, p: number | Tensor): Tensor {
  if (isTensor(p)) return apply(powTensorOp, [asTensor('pow', x), p], null)
  if (typeof p !== 'number')
    throw new ValueError(`pow: the exponent must be a number or a Tensor, got ${typeof p}`)
  return apply(powOp, [asTensor('pow', x)], { p })
}

/**
 * x limited to [lo, hi] elementwise: lo below, hi above, x between (NaN stays NaN). Its derivative
 * is 1 on [lo, hi], the bounds included (the subgradient PyTorch's clamp and TensorFlow's
 * clip_by_value take), and 0 outside. Either bound may be infinite; lo > hi is a ValueError.
 * @example
 * import { clip, tensor, grad, sum, type Tensor } from 'dualtape'
 * clip(tensor([-2, 0.5, 3]), 0, 1).toArray() // → [0, 0.5, 1]
 * // at the bound itself the gradient is 1
 * grad((x: Tensor) => sum(clip(x, 0, 1)))(tensor([-2, 0, 0.5, 1, 3])) // → [0, 1, 1, 1, 0]
 */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  const t = asTensor('clip', x)
  if (typeof lo !== 'number' || typeof hi !== 'number' || Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) {
    throw new ValueError(
      `clip: the bounds must be numbers with lo ≤ hi, got lo ${fmtValue(lo)} and hi ${fmtValue(hi)} (x of shape ${fmtShape(t.shape)})`,
    )
  }
  return apply(clipOp, [t], { lo, hi })
}
