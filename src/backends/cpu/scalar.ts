import type { BinaryKernelName, DerivKernelName, UnaryKernelName } from '../backend.js'

/** log(1 + e^x), without overflow for large x and without losing digits for very negative x. */
export const softplus = (x: number): number =>
  x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))

/** 1 / (1 + e^-x), evaluated on the side where the exponential cannot overflow. */
export const sigmoid = (x: number): number => {
  if (x >= 0) return 1 / (1 + Math.exp(-x))
  const e = Math.exp(x)
  return e / (1 + e)
}

/** The scalar function of each unary kernel. */
export const unaryFns: { readonly [K in UnaryKernelName]: (x: number) => number } = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  tanh: Math.tanh,
  sigmoid,
  softplus,
  // log σ(x) = -softplus(-x)
  logSigmoid: (x) => -softplus(-x),
  sqrt: Math.sqrt,
  square: (x) => x * x,
  abs: Math.abs,
  // max(x, 0), NaN staying NaN (as max propagates it)
  relu: (x) => (x > 0 || x !== x ? x : 0),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
}

/** The scalar function of each binary kernel. */
export const binaryFns: { readonly [K in BinaryKernelName]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  minimum: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
  greater: (a, b) => (a > b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
  less: (a, b) => (a < b ? 1 : 0),
  lessEqual: (a, b) => (a <= b ? 1 : 0),
  equal: (a, b) => (a === b ? 1 : 0),
}

/**
 * f′ of each differentiable unary kernel, from x and y = f(x) (and the exponent p of pow).
 * These are the fused forms of the derivative rules stated in src/ops/unary.ts; a test
 * checks each against the composed rule.
 */
export const derivFns: { readonly [K in DerivKernelName]: (x: number, y: number, p: number) => number } = {
  neg: () => -1,
  exp: (_x, y) => y,
  log: (x) => 1 / x,
  sin: (x) => Math.cos(x),
  cos: (x) => -Math.sin(x),
  tan: (_x, y) => 1 + y * y,
  tanh: (_x, y) => 1 - y * y,
  sigmoid: (_x, y) => y * (1 - y),
  softplus: (x) => sigmoid(x),
  logSigmoid: (x) => sigmoid(-x),
  sqrt: (_x, y) => 0.5 / y,
  square: (x) => 2 * x,
  // sign(x), as the composed rule has it: NaN at NaN
  abs: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN),
  relu: (x) => (x > 0 ? 1 : 0),
  pow: (x, _y, p) => (p === 0 ? 0 : p * Math.pow(x, p - 1)),
}
