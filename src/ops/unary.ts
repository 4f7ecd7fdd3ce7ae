import type { DerivKernelName, UnaryKernelName } from '../backends/backend.js'
import { scalarLike } from '../core/create.js'
import { ValueError } from '../core/errors.js'
import { apply, topLevel, type OpDef } from '../core/op.js'
import { checkNonFinite } from '../core/debug.js'
import { Tensor } from '../core/tensor.js'
import { asTensor } from './util.js'
import { add, div, greater, mul, sub } from './binary.js'

// ---------------------------------------------------------------------------------------------
// Each elementwise op states its derivative once, as d(x, y) with y = f(x); the JVP rule
// (dy = d · dx) and the VJP rule (x̄ = d · ȳ) both come from it through derivMul.
// ---------------------------------------------------------------------------------------------

const one = (x: Tensor): Tensor => scalarLike(x, 1)

/** f′(x) from x and y = f(x), for each differentiable elementwise op, as differentiable ops. */
export const derivatives: { readonly [K in DerivKernelName]: (x: Tensor, y: Tensor, p: number) => Tensor } = {
  // d(-x) = -dx
  neg: (x) => scalarLike(x, -1),
  // d eˣ = y dx
  exp: (_x, y) => y,
  // d log x = dx / x
  log: (x) => div(one(x), x),
  // d sin x = cos x dx
  sin: (x) => cos(x),
  // d cos x = -sin x dx
  cos: (x) => neg(sin(x)),
  // d tan x = (1 + y²) dx
  tan: (_x, y) => add(one(y), square(y)),
  // d tanh x = (1 - y²) dx
  tanh: (_x, y) => sub(one(y), square(y)),
  // d σ(x) = y (1 - y) dx
  sigmoid: (_x, y) => mul(y, sub(one(y), y)),
  // d log(1 + eˣ) = σ(x) dx
  softplus: (x) => sigmoid(x),
  // d log σ(x) = σ(-x) dx
  logSigmoid: (x) => sigmoid(neg(x)),
  // d √x = dx / (2 y)
  sqrt: (_x, y) => div(scalarLike(y, 0.5), y),
  // d x² = 2x dx
  square: (x) => mul(scalarLike(x, 2), x),
  // d |x| = sign(x) dx, with the subgradient 0 at x = 0
  abs: (x) => sign(x),
  // d relu(x) = [x > 0] dx, with the subgradient 0 at x = 0
  relu: (x) => greater(x, scalarLike(x, 0)),
  // d xᵖ = p xᵖ⁻¹ dx
  pow: (x, _y, p) => (p === 0 ? scalarLike(x, 0) : mul(scalarLike(x, p), pow(x, p - 1))),
}

/**
 * ct · f′(x): one fused kernel pass on plain data; the differentiable composition
 * `mul(ct, d(x, y))` under a transformation, so higher derivatives stay exact.
 */
export function derivMul(op: DerivKernelName, x: Tensor, y: Tensor, ct: Tensor, p = 0): Tensor {
  if (topLevel([x, y, ct]) === null && x.backend === ct.backend) {
    const xi = x.impl
    const yi = y.impl
    const ci = ct.impl
    if (xi.kind === 'concrete' && yi.kind === 'concrete' && ci.kind === 'concrete') {
      const h = x.backend.kernels.derivMul(op, xi.handle, yi.handle, ci.handle, x, ct, p)
      const out = new Tensor(ct.shape, ct.dtype, { kind: 'concrete', backend: x.backend, handle: h })
      checkNonFinite(`${op}′`, [x, y, ct], out)
      return out
    }
  }
  return mul(ct, derivatives[op](x, y, p))
}

function elementwise(name: Exclude<UnaryKernelName, 'sign'>): OpDef<null> {
  return {
    name,
    structure: 'elementwise',
    shape: ([m]) => m!,
    kernel: (b, [h], [m]) => b.kernels[name](h, m!),
    jvp: ({ x: [x], dx: [dx], y }) => derivMul(name, x!, y, dx!),
    vjp: ({ ct, x: [x], y }) => [derivMul(name, x!, y, ct)],
  }
}

export const negOp: OpDef<null> = {
  name: 'neg',
  structure: 'elementwise',
  shape: ([m]) => m!,
  kernel: (b, [h], [m]) => b.kernels.neg(h, m!),
  // linear: d(-x) = -dx
  jvp: ({ dx: [dx] }) => neg(dx!),
  vjp: ({ ct }) => [neg(ct)],
}

export const expOp = elementwise('exp')
export const logOp = elementwise('log')
export const sinOp = elementwise('sin')
export const cosOp = elementwise('cos')
export const tanOp = elementwise('tan')
export const tanhOp = elementwise('tanh')
export const sigmoidOp = elementwise('sigmoid')
export const softplusOp = elementwise('softplus')
export const logSigmoidOp = elementwise('logSigmoid')
export const sqrtOp = elementwise('sqrt')
export const squareOp = elementwise('square')
export const absOp = elementwise('abs')
export const reluOp = elementwise('relu')

export const powOp: OpDef<{ readonly p: number }> = {
  name: 'pow',
  structure: 'elementwise',
  shape: ([m]) => m!,
  kernel: (b, [h], [m], { p }) => b.kernels.pow(h, m!, p),
  jvp: ({ x: [x], dx: [dx], y, params: { p } }) => derivMul('pow', x!, y, dx!, p),
  vjp: ({ ct, x: [x], y, params: { p } }) => [derivMul('pow', x!, y, ct, p)],
}

export const signOp: OpDef<null> = {
  name: 'sign',
  structure: 'constant',
  zeroGrad: true,
  shape: ([m]) => m!,
  kernel: (b, [h], [m]) => b.kernels.sign(h, m!),
  jvp: ({ y }) => y,
  vjp: () => [null],
}

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
export const exp = un(expOp)
/**
 * Natural logarithm elementwise.
 * @example
 * import { log, tensor } from 'dualtape'
 * log(tensor([1])).toArray() // [0]
 */
export const log = un(logOp)
/**
 * sin x elementwise.
 * @example
 * import { sin, tensor } from 'dualtape'
 * sin(tensor([0])).toArray() // [0]
 */
export const sin = un(sinOp)
/**
 * cos x elementwise.
 * @example
 * import { cos, tensor } from 'dualtape'
 * cos(tensor([0])).toArray() // [1]
 */
export const cos = un(cosOp)
/**
 * tan x elementwise.
 * @example
 * import { tan, tensor } from 'dualtape'
 * tan(tensor([0])).toArray() // [0]
 */
export const tan = un(tanOp)
/**
 * tanh x elementwise.
 * @example
 * import { tanh, tensor } from 'dualtape'
 * tanh(tensor([0])).toArray() // [0]
 */
export const tanh = un(tanhOp)
/**
 * The logistic function 1 / (1 + e⁻ˣ), stable for large |x|.
 * @example
 * import { sigmoid, tensor } from 'dualtape'
 * sigmoid(tensor([0])).toArray() // [0.5]
 */
export const sigmoid = un(sigmoidOp)
/**
 * log(1 + eˣ), stable for large |x|.
 * @example
 * import { softplus, tensor } from 'dualtape'
 * softplus(tensor([0])).toArray() // [0.6931471805599453]
 */
export const softplus = un(softplusOp)
/**
 * log σ(x) = -softplus(-x), stable for large |x|.
 * @example
 * import { logSigmoid, tensor } from 'dualtape'
 * logSigmoid(tensor([-1000])).toArray() // [-1000]
 */
export const logSigmoid = un(logSigmoidOp)
/**
 * √x elementwise.
 * @example
 * import { sqrt, tensor } from 'dualtape'
 * sqrt(tensor([4])).toArray() // [2]
 */
export const sqrt = un(sqrtOp)
/**
 * x² elementwise.
 * @example
 * import { square, tensor } from 'dualtape'
 * square(tensor([3])).toArray() // [9]
 */
export const square = un(squareOp)
/**
 * |x| elementwise. Its derivative at 0 is taken as 0 (the subgradient sign(0) = 0).
 * @example
 * import { abs, tensor } from 'dualtape'
 * abs(tensor([-2])).toArray() // [2]
 */
export const abs = un(absOp)
/**
 * max(x, 0) elementwise. Its derivative at 0 is taken as 0 (as in JAX and PyTorch).
 * @example
 * import { relu, tensor } from 'dualtape'
 * relu(tensor([1, -2, 3, -1])).toArray() // [1, 0, 3, 0]
 */
export const relu = un(reluOp)
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
