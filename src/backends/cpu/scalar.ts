import { sigmoidNumber, signNumber } from '../../ops/derivatives.js'
import type { BinaryKernelName, UnaryKernelName } from '../../core/backend.js'

/** log(1 + e^x), without overflow for large x and without losing digits for very negative x. */
export const softplus = (x: number): number =>
  x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))

/**
 * The error function, to a few units in the last place. Below |x| = 2 its series of positive
 * terms, (2/√π) e^(-x²) Σₙ 2ⁿ x²ⁿ⁺¹ / (2n+1)!!; from there 1 - erfc x, with erfc x =
 * e^(-x²) / (√π K) and K = x + (1/2)/(x + 1/(x + (3/2)/(x + …))) the continued fraction of
 * Laplace, evaluated by Lentz's method; ±1 from |x| = 6 on, where erfc x < 2.2e-17.
 */
export const erf = (x: number): number => {
  const a = Math.abs(x)
  if (!(a < 6)) return x !== x ? x : Math.sign(x)
  const x2 = x * x
  if (a < 2) {
    let term = x
    let sum = x
    for (let n = 0; Math.abs(term) > Math.abs(sum) * 1e-17; n++) {
      term *= (2 * x2) / (2 * n + 3)
      sum += term
    }
    return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum
  }
  let f = a
  let c = a
  let d = 0
  for (let n = 1; n < 200; n++) {
    d = 1 / (a + (n / 2) * d)
    c = a + n / 2 / c
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  const erfc = Math.exp(-x2) / (Math.sqrt(Math.PI) * f)
  return x > 0 ? 1 - erfc : erfc - 1
}

/** The scalar function of each unary kernel. */
export const unaryFns: { readonly [K in UnaryKernelName]: (x: number) => number } = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sin: Math.sin,
  cos: Math.cos,
  atan: Math.atan,
  asin: Math.asin,
  acos: Math.acos,
  erf,
  sinh: Math.sinh,
  cosh: Math.cosh,
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
  atan2: Math.atan2,
  powTensor: Math.pow,
}
