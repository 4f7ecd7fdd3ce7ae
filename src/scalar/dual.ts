import { derivatives, numberAlgebra, type DerivAlgebra, type DerivName } from '../ops/derivatives.js'
import type { Numeric } from './numeric.js'
import { coefficient, coefficientCount, truncQuotient } from './numeric.js'
import { CONSTANT, freshTag, joinTags, wrongTag } from './tags.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A dual number `re + du·ε` with `ε² = 0`, over any algebra `A`. Immutable. `tag` names the
 * derivative call whose perturbation `ε` is, or is 0 for a constant. `Dual<Dual<number>>`
 * carries two perturbations, so nesting gives higher derivatives.
 *
 * @example
 * import { DualNumber } from 'dualtape/scalar'
 * const x = DualNumber.variable(3)
 * const y = DualNumber.mul(x, x)
 * console.log(y.re, y.du) // 9 6
 */
export interface Dual<A> {
  readonly re: A
  readonly du: A
  readonly tag: number
}

/**
 * The algebra of dual numbers over `A` for one derivative call (tag `tag`). Besides the
 * `Numeric` operations it builds duals and reads them: `make(re, du)` and `variable(x)`
 * (tangent 1) carry the tag; `lift(x)`, `fromNumber`, `zero` and `one` are constants (tag 0,
 * valid in every call); `primal` and `tangent` read a dual of this call or a constant.
 * Binary operations join the tags of their operands, so a dual of another call that meets one
 * of this call, or that is read by `primal`/`tangent`, throws a `TagError`.
 *
 * @example
 * import { dualOf, NumberField } from 'dualtape/scalar'
 * const D = dualOf(NumberField)
 * const y = D.exp(D.mul(D.fromNumber(2), D.variable(0.5)))
 * console.log(D.primal(y), D.tangent(y)) // e, 2e
 */
export interface DualNumeric<A> extends Numeric<Dual<A>> {
  readonly tag: number
  readonly base: Numeric<A>
  readonly make: (re: A, du: A) => Dual<A>
  readonly variable: (x: A) => Dual<A>
  readonly lift: (x: A) => Dual<A>
  readonly primal: (x: Dual<A>) => A
  readonly tangent: (x: Dual<A>) => A
}

// -------------------------------------------------------------------------------------
// generic instance
// -------------------------------------------------------------------------------------

class GenericDual<A> implements Dual<A> {
  declare readonly re: A
  declare readonly du: A
  declare readonly tag: number
  constructor(re: A, du: A, tag: number) {
    this.re = re
    this.du = du
    this.tag = tag
  }
}

/**
 * The derivative table's algebra on an instance `N`. `sign` and `step` are piecewise constant:
 * they read the real part through every level, and their result is a constant.
 */
const algebraOf = <A>(N: Numeric<A>): DerivAlgebra<A> => ({
  add: (a, b) => N.add(a, b),
  sub: (a, b) => N.sub(a, b),
  mul: (a, b) => N.mul(a, b),
  div: (a, b) => N.div(a, b),
  neg: (a) => N.neg(a),
  scalar: (_like, c) => N.fromNumber(c),
  sin: (a) => N.sin(a),
  cos: (a) => N.cos(a),
  // 1 / (1 + e⁻ˣ)
  sigmoid: (a) => N.div(N.one, N.add(N.one, N.exp(N.neg(a)))),
  sign: (a) => N.fromNumber(numberAlgebra.sign(N.toNumber(a))),
  step: (a) => N.fromNumber(numberAlgebra.step(N.toNumber(a))),
  pow: (a, p) => N.pow(a, p),
  exp: (a) => N.exp(a),
  // (eˣ ∓ e⁻ˣ) / 2: the algebra has no sinh or cosh of its own
  sinh: (a) => N.div(N.sub(N.exp(a), N.exp(N.neg(a))), N.fromNumber(2)),
  cosh: (a) => N.div(N.add(N.exp(a), N.exp(N.neg(a))), N.fromNumber(2)),
})

/**
 * The dual algebra over `N` with the given tag (`dualOf` takes a fresh one). The operations
 * depend only on `N`; `make`, `variable`, `primal` and `tangent` use the tag.
 */
export const dualAt = <A>(N: Numeric<A>, tag: number): DualNumeric<A> => {
  const one = N.one
  const zero = N.zero
  const dual = (re: A, du: A, t: number): Dual<A> => new GenericDual(re, du, t)
  const A = algebraOf(N)
  // f(x + dx ε) = y + f′(x) dx ε, with y = f(x) and f′ from the derivative table
  const chain = (op: DerivName, x: Dual<A>, y: A, p = 0): Dual<A> =>
    dual(y, N.mul(derivatives[op](A, x.re, y, p), x.du), x.tag)
  return {
    tag,
    base: N,
    make: (re, du) => dual(re, du, tag),
    variable: (x) => dual(x, one, tag),
    lift: (x) => dual(x, zero, CONSTANT),
    primal: (x) => {
      if (x.tag !== tag && x.tag !== CONSTANT) throw wrongTag('primal', tag, x)
      return x.re
    },
    tangent: (x) => {
      if (x.tag !== tag && x.tag !== CONSTANT) throw wrongTag('tangent', tag, x)
      return x.du
    },
    zero: dual(zero, zero, CONSTANT),
    one: dual(one, zero, CONSTANT),
    fromNumber: (x) => dual(N.fromNumber(x), zero, CONSTANT),
    toNumber: (x) => N.toNumber(x.re),
    lt: (x, y) => N.lt(x.re, y.re),
    gt: (x, y) => N.gt(x.re, y.re),
    degree: () => 1,
    // d(x + y) = dx + dy
    add: (x, y) => dual(N.add(x.re, y.re), N.add(x.du, y.du), joinTags(x.tag, y.tag)),
    // d(x - y) = dx - dy
    sub: (x, y) => dual(N.sub(x.re, y.re), N.sub(x.du, y.du), joinTags(x.tag, y.tag)),
    // d(-x) = -dx
    neg: (x) => dual(N.neg(x.re), N.neg(x.du), x.tag),
    // d(x y) = dx y + x dy
    mul: (x, y) => {
      const t = joinTags(x.tag, y.tag)
      return dual(N.mul(x.re, y.re), N.add(N.mul(x.du, y.re), N.mul(x.re, y.du)), t)
    },
    // d(x / y) = (dx - q dy) / y with q = x / y
    div: (x, y) => {
      const t = joinTags(x.tag, y.tag)
      const q = N.div(x.re, y.re)
      return dual(q, N.div(N.sub(x.du, N.mul(q, y.du)), y.re), t)
    },
    // d(x mod y) = dx - k dy with k = trunc(x / y), locally constant
    mod: (x, y) => {
      const t = joinTags(x.tag, y.tag)
      const k = truncQuotient(N.toNumber(x.re), N.toNumber(y.re))
      return dual(N.mod(x.re, y.re), N.sub(x.du, N.mul(N.fromNumber(k), y.du)), t)
    },
    // d f(x) = f′(x) dx, f′ from the derivative table
    exp: (x) => chain('exp', x, N.exp(x.re)),
    log: (x) => chain('log', x, N.log(x.re)),
    sin: (x) => chain('sin', x, N.sin(x.re)),
    cos: (x) => chain('cos', x, N.cos(x.re)),
    tan: (x) => chain('tan', x, N.tan(x.re)),
    tanh: (x) => chain('tanh', x, N.tanh(x.re)),
    sqrt: (x) => chain('sqrt', x, N.sqrt(x.re)),
    pow: (x, p) => chain('pow', x, N.pow(x.re, p), p),
    abs: (x) => chain('abs', x, N.abs(x.re)),
    // p(a + b ε) = p(a) + p′(a) b ε, with p and p′ by one Horner loop over the inner algebra
    polyval: (cs, x) => {
      const n = coefficientCount(cs)
      const a = x.re
      let p = zero
      let dp = zero
      for (let i = 0; i < n; i++) {
        dp = N.add(N.mul(dp, a), p)
        p = N.add(N.mul(p, a), N.fromNumber(coefficient(cs, i)))
      }
      return dual(p, N.mul(dp, x.du), x.tag)
    },
  }
}

/**
 * The dual algebra over any instance `N`, with a fresh tag. `dualOf(dualOf(N))` carries two
 * perturbations; `derivative(f, N)` builds these for you and keeps nested calls apart.
 *
 * @example
 * import { dualOf, NumberField } from 'dualtape/scalar'
 * const D1 = dualOf(NumberField)
 * const D2 = dualOf(D1)
 * const x = D2.variable(D1.variable(2))
 * const y = D2.mul(D2.mul(x, x), x)
 * console.log(D1.tangent(D2.tangent(y))) // (x³)'' = 6x = 12
 */
export const dualOf = <A>(N: Numeric<A>): DualNumeric<A> => dualAt(N, freshTag())
