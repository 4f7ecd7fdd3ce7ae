/**
 * The derivative table: the derivative f′ of each differentiable elementwise op, stated once, as
 * a function of x, y = f(x) and the op's number parameter p (pow's exponent), against a small
 * numeric algebra. Every place that needs one of these derivatives instantiates the table with
 * its own algebra (as DiffRules.jl serves ForwardDiff and ReverseDiff, and ChainRules'
 * `@scalar_rule` gives both rules from one partial):
 *
 * - tensors: the JVP and VJP rules, dy = f′ dx and x̄ = f′ ȳ, as differentiable ops
 *   (src/ops/elementwise.ts), so that higher derivatives stay exact;
 * - the cpu backend's fused kernel ct · f′ (src/backends/cpu/derivative.ts), compiled into one
 *   loop per op;
 * - the tfjs backends' fused kernel (src/backends/tfjs/backend.ts), on tf tensors;
 * - the scalar dual numbers, over any `Numeric` (src/scalar/dual.ts) and over float64
 *   (src/scalar/dual-number.ts, compiled from `sourceAlgebra` below).
 *
 * Adding an elementwise op: its derivative here, its function in src/ops/unary.ts, its scalar
 * function in the cpu backend (src/backends/cpu/scalar.ts), its sampler in props/samplers.ts.
 * The op's definition, its registry entry, the kernels' names and the tfjs kernels follow from
 * the table (see docs/design-notes.md, "One derivative table").
 *
 * @module
 */

// -------------------------------------------------------------------------------------
// the algebra
// -------------------------------------------------------------------------------------

/**
 * What a derivative formula may use: the field operations, the constants, and the few functions
 * that the derivatives of the table need. An instance works on tensors, arrays, tf tensors,
 * numbers or dual numbers; every operation is elementwise.
 */
export interface DerivAlgebra<T> {
  readonly add: (a: T, b: T) => T
  readonly sub: (a: T, b: T) => T
  readonly mul: (a: T, b: T) => T
  readonly div: (a: T, b: T) => T
  readonly neg: (a: T) => T
  /** The constant c, like `like` (of its dtype; instances broadcast it). */
  readonly scalar: (like: T, c: number) => T
  readonly sin: (a: T) => T
  readonly cos: (a: T) => T
  /** The logistic function 1 / (1 + e⁻ˣ). */
  readonly sigmoid: (a: T) => T
  /** -1, 0 or 1 (0 at ±0). */
  readonly sign: (a: T) => T
  /** 1 where x > 0, else 0. */
  readonly step: (a: T) => T
  /** xᵖ for a number p. */
  readonly pow: (a: T, p: number) => T
  readonly exp: (a: T) => T
  readonly sinh: (a: T) => T
  readonly cosh: (a: T) => T
}

/**
 * The derivative f′ of an elementwise op f at x, from x, y = f(x) and the op's parameter p.
 */
export type DerivRule = <T>(A: DerivAlgebra<T>, x: T, y: T, p: number) => T

/** The table's type: one rule per name, each generic in the algebra. */
const table = <K extends string>(rules: { readonly [N in K]: DerivRule }): { readonly [N in K]: DerivRule } =>
  rules

// -------------------------------------------------------------------------------------
// the table
// -------------------------------------------------------------------------------------

const one = <T>(A: DerivAlgebra<T>, like: T): T => A.scalar(like, 1)

/**
 * f′(x) from x and y = f(x) for each differentiable elementwise op: the only place where these
 * derivatives are written.
 */
export const derivatives = table({
  // d eˣ = y dx
  exp: (_A, _x, y) => y,
  // d log x = dx / x
  log: (A, x) => A.div(one(A, x), x),
  // d log(1 + x) = dx / (1 + x)
  log1p: (A, x) => A.div(one(A, x), A.add(one(A, x), x)),
  // d (eˣ - 1) = eˣ dx = (y + 1) dx
  expm1: (A, _x, y) => A.add(y, one(A, y)),
  // d sin x = cos x dx
  sin: (A, x) => A.cos(x),
  // d cos x = -sin x dx
  cos: (A, x) => A.neg(A.sin(x)),
  // d tan x = (1 + y²) dx
  tan: (A, _x, y) => A.add(one(A, y), A.mul(y, y)),
  // d sinh x = cosh x dx
  sinh: (A, x) => A.cosh(x),
  // d cosh x = sinh x dx
  cosh: (A, x) => A.sinh(x),
  // d tanh x = (1 - y²) dx
  tanh: (A, _x, y) => A.sub(one(A, y), A.mul(y, y)),
  // d atan x = dx / (1 + x²)
  atan: (A, x) => A.div(one(A, x), A.add(one(A, x), A.mul(x, x))),
  // d asin x = dx / √(1 - x²)
  asin: (A, x) => A.pow(A.sub(one(A, x), A.mul(x, x)), -0.5),
  // d acos x = -dx / √(1 - x²)
  acos: (A, x) => A.neg(A.pow(A.sub(one(A, x), A.mul(x, x)), -0.5)),
  // d erf x = (2 / √π) e^(-x²) dx
  erf: (A, x) => A.mul(A.scalar(x, 2 / Math.sqrt(Math.PI)), A.exp(A.neg(A.mul(x, x)))),
  // d σ(x) = y (1 - y) dx
  sigmoid: (A, _x, y) => A.mul(y, A.sub(one(A, y), y)),
  // d log(1 + eˣ) = σ(x) dx
  softplus: (A, x) => A.sigmoid(x),
  // d log σ(x) = σ(-x) dx
  logSigmoid: (A, x) => A.sigmoid(A.neg(x)),
  // d √x = dx / (2 y)
  sqrt: (A, _x, y) => A.div(A.scalar(y, 0.5), y),
  // d x² = 2x dx
  square: (A, x) => A.mul(A.scalar(x, 2), x),
  // d |x| = sign(x) dx, with the subgradient 0 at x = 0
  abs: (A, x) => A.sign(x),
  // d relu(x) = [x > 0] dx, with the subgradient 0 at x = 0
  relu: (A, x) => A.step(x),
  // d xᵖ = p xᵖ⁻¹ dx (and d x⁰ = 0, also at x = 0)
  pow: (A, x, _y, p) => (p === 0 ? A.scalar(x, 0) : A.mul(A.scalar(x, p), A.pow(x, p - 1))),
})

/**
 * The name of an op of the derivative table.
 */
export type DerivName = keyof typeof derivatives

/**
 * The names of the table, in its order.
 */
export const derivNames: readonly DerivName[] = Object.keys(derivatives) as DerivName[]

// -------------------------------------------------------------------------------------
// the instance on numbers
// -------------------------------------------------------------------------------------

/**
 * 1 / (1 + e⁻ˣ), evaluated on the side where the exponential cannot overflow.
 */
export const sigmoidNumber = (x: number): number => {
  if (x >= 0) return 1 / (1 + Math.exp(-x))
  const e = Math.exp(x)
  return e / (1 + e)
}

/**
 * -1, 0 or 1, with 0 at ±0 and NaN at NaN (unlike Math.sign, never -0).
 */
export const signNumber = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN)

/**
 * The algebra of plain numbers (float64): the reference instance. The cpu backend's kernels and
 * the float64 dual numbers evaluate the table with it, so their derivatives agree to the bit.
 */
export const numberAlgebra: DerivAlgebra<number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  neg: (a) => -a,
  scalar: (_like, c) => c,
  sin: (a) => Math.sin(a),
  cos: (a) => Math.cos(a),
  sigmoid: sigmoidNumber,
  sign: signNumber,
  step: (a) => (a > 0 ? 1 : 0),
  pow: (a, p) => Math.pow(a, p),
  exp: (a) => Math.exp(a),
  sinh: (a) => Math.sinh(a),
  cosh: (a) => Math.cosh(a),
}

// -------------------------------------------------------------------------------------
// the instance on source text: the table compiled
// -------------------------------------------------------------------------------------

/** A number as JavaScript source (keeping the sign of -0); nothing but a number becomes source. */
const literal = (c: number): string => {
  if (typeof c !== 'number') throw new TypeError(`a derivative's constant must be a number, got ${typeof c}`)
  return Object.is(c, -0) ? '(-0)' : `(${String(c)})`
}

/**
 * The source of f′ for op `op` at parameter p, at x = `x` and y = `y` (names of variables).
 */
export function derivSource(op: DerivName, p: number, x: string, y: string): string {
  if (!Object.hasOwn(derivatives, op)) throw new TypeError(`no derivative of '${String(op)}' in the table`)
  return derivatives[op](sourceAlgebra, x, y, p)
}

/**
 * The derivative table on JavaScript expressions over numbers: evaluating a rule on it writes f′
 * out as source, with Math's functions and those of `numberAlgebra` (in scope as `N`). Compiled,
 * that source gives the numbers of `numberAlgebra` to the bit, without a call through an algebra
 * object.
 */
export const sourceAlgebra: DerivAlgebra<string> = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  neg: (a) => `(-${a})`,
  scalar: (_like, c) => literal(c),
  sin: (a) => `Math.sin(${a})`,
  cos: (a) => `Math.cos(${a})`,
  sigmoid: (a) => `N.sigmoid(${a})`,
  sign: (a) => `N.sign(${a})`,
  step: (a) => `N.step(${a})`,
  pow: (a, p) => `Math.pow(${a}, ${literal(p)})`,
  exp: (a) => `Math.exp(${a})`,
  sinh: (a) => `Math.sinh(${a})`,
  cosh: (a) => `Math.cosh(${a})`,
}

/**
 * Compiles `body`, source written with `sourceAlgebra`, into the function it returns, with
 * `numberAlgebra` in scope as `N` and the values of `scope` under their names; null where code
 * cannot be generated (a Content-Security-Policy without 'unsafe-eval').
 */
export function compileSource<F>(body: string, scope: Readonly<Record<string, unknown>> = {}): F | null {
  try {
    const names = Object.keys(scope)
    return new Function('N', ...names, `'use strict'\n${body}`)(
      numberAlgebra,
      ...names.map((k) => scope[k]),
    ) as F
  } catch (e) {
    if (e instanceof EvalError) return null
    throw e
  }
}
