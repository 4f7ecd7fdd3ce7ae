import { sigmoidNumber, signNumber } from '../../ops/derivatives.js'
import type { BinaryKernelName, UnaryKernelName } from '../backend.js'

/** log(1 + e^x), without overflow for large x and without losing digits for very negative x. */
export const softplus = (x: number): number =>
  x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))

/** The scalar function of each unary kernel. */
export const unaryFns: { readonly [K in UnaryKernelName]: (x: number) => number } = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  tanh: Math.tanh,
  sigmoid: sigmoidNumber,
  softplus,
  // log σ(x) = -softplus(-x)
  logSigmoid: (x) => -softplus(-x),
  sqrt: Math.sqrt,
  square: (x) => x * x,
  abs: Math.abs,
  // max(x, 0), NaN staying NaN (as max propagates it)
  relu: (x) => (x > 0 || x !== x ? x : 0),
  sign: signNumber,
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
