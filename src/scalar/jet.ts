import { OrderError } from './errors.js'
import type { Numeric } from './numeric.js'
import { coefficient, coefficientCount, truncQuotient } from './numeric.js'
import { CONSTANT, freshTag, joinTags, wrongTag } from './tags.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A jet: the Taylor polynomial `x(t) = Σₖ cₖ tᵏ`, `k = 0..K`, truncated after order `K`.
 * `coefficients` holds `c₀ … c_K` (Taylor coefficients, `cₖ = x⁽ᵏ⁾ / k!`); treat it as
 * read-only. Made by the jet algebra of order `K` and tag `tag`.
 *
 * @example
 * import { jetOf } from 'dualtape/scalar'
 * const J = jetOf(3)
 * console.log(Array.from(J.exp(J.variable(0)).coefficients)) // [1, 1, 1/2, 1/6]
 */
export class Jet {
  declare readonly coefficients: Float64Array
  declare readonly tag: number
  constructor(coefficients: Float64Array, tag: number) {
    this.coefficients = coefficients
    this.tag = tag
  }

  /** The truncation order `K` (one less than the number of coefficients). */
  get order(): number {
    return this.coefficients.length - 1
  }
}

/**
 * The algebra of jets of order `K`. Every operation propagates all `K + 1` coefficients:
 * products by Cauchy convolution, quotients and the elementary functions by the recurrences
 * that follow from their differential equations (Griewank & Walther, *Evaluating
 * Derivatives*, ch. 13). `variable(x)` is `x + t` and carries the tag; `constant(x)` is `x`,
 * a constant (tag 0). Tags join as for duals (see `derivative`).
 *
 * @example
 * import { jetOf } from 'dualtape/scalar'
 * const J = jetOf(2)
 * const y = J.div(J.one, J.sub(J.one, J.variable(0))) // 1/(1 - t) = 1 + t + t²
 * console.log(Array.from(y.coefficients)) // [1, 1, 1]
 */
export interface JetNumeric extends Numeric<Jet> {
  readonly order: number
  readonly tag: number
  readonly variable: (x: number) => Jet
  readonly constant: (x: number) => Jet
  readonly make: (coefficients: ArrayLike<number>) => Jet
  /** The coefficients of a jet of this call (or a constant); a jet of another call throws a `TagError`. */
  readonly read: (x: Jet) => Float64Array
}

// -------------------------------------------------------------------------------------
// instance
// -------------------------------------------------------------------------------------

/**
 * The jet algebra of order `K` with the given tag (`jetOf` takes a fresh one).
 */
export const jetAt = (K: number, tag: number): JetNumeric => {
  if (!Number.isInteger(K) || K < 0) {
    throw new OrderError(`jetOf: the order K must be a non-negative integer, got ${K}`)
  }
  const n = K + 1
  const coeffs = (op: string, x: Jet): Float64Array => {
    if (x.coefficients.length !== n) {
      throw new OrderError(
        `${op}: expected a jet of order ${K}, got one of order ${x.coefficients.length - 1}`,
      )
    }
    return x.coefficients
  }
  const constant = (x: number): Jet => {
    const c = new Float64Array(n)
    c[0] = x
    return new Jet(c, CONSTANT)
  }
  const at = (c: Float64Array, k: number): number => c[k] as number

  // (x y)ₖ = Σⱼ xⱼ yₖ₋ⱼ
  const mul = (a: Float64Array, b: Float64Array): Float64Array => {
    const c = new Float64Array(n)
    for (let k = 0; k < n; k++) {
      let s = 0
      for (let j = 0; j <= k; j++) s += at(a, j) * at(b, k - j)
      c[k] = s
    }
    return c
  }

  // y = x / z:  yₖ = (xₖ - Σ_{j<k} yⱼ zₖ₋ⱼ) / z₀
  const div = (a: Float64Array, b: Float64Array): Float64Array => {
    const c = new Float64Array(n)
    const b0 = at(b, 0)
    for (let k = 0; k < n; k++) {
      let s = at(a, k)
      for (let j = 0; j < k; j++) s -= at(c, j) * at(b, k - j)
      c[k] = s / b0
    }
    return c
  }

  // y′ = g x′:  yₖ = (1/k) Σ_{j=1..k} j xⱼ gₖ₋ⱼ, the step shared by exp, sin, cos, tan, tanh
  const odeStep = (a: Float64Array, g: Float64Array, k: number): number => {
    let s = 0
    for (let j = 1; j <= k; j++) s += j * at(a, j) * at(g, k - j)
    return s / k
  }

  // sin′ = cos x′, cos′ = -sin x′
  const sinCos = (a: Float64Array): [Float64Array, Float64Array] => {
    const s = new Float64Array(n)
    const c = new Float64Array(n)
    s[0] = Math.sin(at(a, 0))
    c[0] = Math.cos(at(a, 0))
    for (let k = 1; k < n; k++) {
      s[k] = odeStep(a, c, k)
      c[k] = -odeStep(a, s, k)
    }
    return [s, c]
  }

  // y′ = (1 + σ y²) x′: tan (σ = 1) and tanh (σ = -1), with z = 1 + σ y² built alongside
  const tanLike = (a: Float64Array, y0: number, sigma: number): Float64Array => {
    const y = new Float64Array(n)
    const z = new Float64Array(n)
    y[0] = y0
    z[0] = 1 + sigma * y0 * y0
    for (let k = 1; k < n; k++) {
      y[k] = odeStep(a, z, k)
      let s = 0
      for (let j = 0; j <= k; j++) s += at(y, j) * at(y, k - j)
      z[k] = sigma * s
    }
    return y
  }

  // y = xᵖ, integer p ≥ 0, by repeated squaring of Cauchy products
  const powInt = (a: Float64Array, p: number): Float64Array => {
    let result: Float64Array = new Float64Array(n)
    result[0] = 1
    let base = a
    for (let e = p; e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) result = mul(result, base)
      if (e > 1) base = mul(base, base)
    }
    return result
  }

  // y = xᵖ:  x y′ = p y x′  ⇒  yₖ = Σ_{j<k} (p(k - j) - j) xₖ₋ⱼ yⱼ / (k x₀)
  const powSeries = (a: Float64Array, p: number, a0: number): Float64Array => {
    const y = new Float64Array(n)
    y[0] = Math.pow(a0, p)
    for (let k = 1; k < n; k++) {
      let s = 0
      for (let j = 0; j < k; j++) s += (p * (k - j) - j) * at(a, k - j) * at(y, j)
      y[k] = s / (k * a0)
    }
    return y
  }

  // xᵖ where x₀ = 0 and p is not a non-negative integer. With xₘ the first nonzero coefficient,
  // x(t) = xₘ tᵐ (1 + u(t)), u = Σⱼ (xₘ₊ⱼ / xₘ) tʲ, so xᵖ = xₘᵖ t^q (1 + u)ᵖ with q = m p. For a
  // whole q ≥ 0 that is a power series, shifted by q. Otherwise the coefficient of order k is
  // the k-th derivative at 0⁺ over k!: 0 below q, and beyond q infinite, with the sign of
  // xₘᵖ q(q - 1)⋯(q - k + 1) (NaN for xₘ < 0, as xₘᵖ is). A jet that is 0 to its order
  // determines only the orders k < (K + 1) p: 0 there, NaN beyond.
  const powAtZero = (a: Float64Array, p: number): Float64Array => {
    let m = 1
    while (m < n && at(a, m) === 0) m++
    const y = new Float64Array(n)
    if (m >= n) {
      y[0] = Math.pow(0, p)
      for (let k = 1; k < n; k++) y[k] = p > 0 && k < n * p ? 0 : NaN
      return y
    }
    const am = at(a, m)
    const scale = Math.pow(am, p)
    const q = m * p
    if (Number.isInteger(q) && q >= 0) {
      const b = new Float64Array(n)
      for (let j = 0; m + j < n; j++) b[j] = at(a, m + j) / am
      const c = powSeries(b, p, 1)
      for (let k = q; k < n; k++) y[k] = scale * at(c, k - q)
      return y
    }
    for (let k = 0; k < n; k++) {
      if (k < q) continue
      let f = scale
      for (let i = 0; i < k; i++) f *= q - i
      y[k] = f * Infinity
    }
    return y
  }

  const pow = (a: Float64Array, p: number): Float64Array => {
    const a0 = at(a, 0)
    if (a0 !== 0) return powSeries(a, p, a0)
    return Number.isInteger(p) && p >= 0 ? powInt(a, p) : powAtZero(a, p)
  }

  const map2 = (op: string, x: Jet, y: Jet, f: (u: number, v: number) => number): Jet => {
    const a = coeffs(op, x)
    const b = coeffs(op, y)
    const c = new Float64Array(n)
    for (let k = 0; k < n; k++) c[k] = f(at(a, k), at(b, k))
    return new Jet(c, joinTags(x.tag, y.tag))
  }
  const unary = (op: string, x: Jet, f: (a: Float64Array) => Float64Array): Jet =>
    new Jet(f(coeffs(op, x)), x.tag)
  const binary = (op: string, x: Jet, y: Jet, f: (a: Float64Array, b: Float64Array) => Float64Array): Jet =>
    new Jet(f(coeffs(op, x), coeffs(op, y)), joinTags(x.tag, y.tag))
  const scale = (a: Float64Array, s: number): Float64Array => a.map((v) => s * v)

  return {
    order: K,
    tag,
    variable: (x) => {
      const c = new Float64Array(n)
      c[0] = x
      if (n > 1) c[1] = 1
      return new Jet(c, tag)
    },
    constant,
    make: (coefficients) => {
      if (coefficients.length !== n) {
        throw new OrderError(`jetOf(${K}).make: expected ${n} coefficients, got ${coefficients.length}`)
      }
      return new Jet(Float64Array.from(coefficients), tag)
    },
    read: (x) => {
      if (x.tag !== tag && x.tag !== CONSTANT) throw wrongTag('read', tag, x)
      return coeffs('read', x)
    },
    zero: constant(0),
    one: constant(1),
    fromNumber: constant,
    toNumber: (x) => at(x.coefficients, 0),
    lt: (x, y) => at(x.coefficients, 0) < at(y.coefficients, 0),
    gt: (x, y) => at(x.coefficients, 0) > at(y.coefficients, 0),
    degree: () => 1,
    add: (x, y) => map2('add', x, y, (u, v) => u + v),
    sub: (x, y) => map2('sub', x, y, (u, v) => u - v),
    neg: (x) => unary('neg', x, (a) => scale(a, -1)),
    mul: (x, y) => binary('mul', x, y, mul),
    div: (x, y) => binary('div', x, y, div),
    // x mod y = x - k y with k = trunc(x₀ / y₀), locally constant
    mod: (x, y) =>
      binary('mod', x, y, (a, b) => {
        const k = truncQuotient(at(a, 0), at(b, 0))
        const c = new Float64Array(n)
        for (let i = 0; i < n; i++) c[i] = at(a, i) - k * at(b, i)
        c[0] = at(a, 0) % at(b, 0)
        return c
      }),
    // exp′ = exp x′
    exp: (x) =>
      unary('exp', x, (a) => {
        const y = new Float64Array(n)
        y[0] = Math.exp(at(a, 0))
        for (let k = 1; k < n; k++) y[k] = odeStep(a, y, k)
        return y
      }),
    // x log′ = x′:  yₖ = (xₖ - (1/k) Σ_{j=1..k-1} j yⱼ xₖ₋ⱼ) / x₀
    log: (x) =>
      unary('log', x, (a) => {
        const a0 = at(a, 0)
        const y = new Float64Array(n)
        y[0] = Math.log(a0)
        for (let k = 1; k < n; k++) {
          let s = 0
          for (let j = 1; j < k; j++) s += j * at(y, j) * at(a, k - j)
          y[k] = (at(a, k) - s / k) / a0
        }
        return y
      }),
    sin: (x) => unary('sin', x, (a) => sinCos(a)[0]),
    cos: (x) => unary('cos', x, (a) => sinCos(a)[1]),
    // tan′ = (1 + tan²) x′
    tan: (x) => unary('tan', x, (a) => tanLike(a, Math.tan(at(a, 0)), 1)),
    // tanh′ = (1 - tanh²) x′
    tanh: (x) => unary('tanh', x, (a) => tanLike(a, Math.tanh(at(a, 0)), -1)),
    // y² = x:  yₖ = (xₖ - Σ_{j=1..k-1} yⱼ yₖ₋ⱼ) / (2 y₀)
    sqrt: (x) =>
      unary('sqrt', x, (a) => {
        const y = new Float64Array(n)
        y[0] = Math.sqrt(at(a, 0))
        for (let k = 1; k < n; k++) {
          let s = at(a, k)
          for (let j = 1; j < k; j++) s -= at(y, j) * at(y, k - j)
          y[k] = s / (2 * at(y, 0))
        }
        return y
      }),
    pow: (x, p) => unary('pow', x, (a) => pow(a, p)),
    // |x| = sign(x₀) x near x₀, with sign(0) = 0
    abs: (x) =>
      unary('abs', x, (a) => {
        const y = scale(a, Math.sign(at(a, 0)))
        y[0] = Math.abs(at(a, 0))
        return y
      }),
    // Horner's rule on the coefficients: acc ← acc·x + cᵢ, the constant cᵢ added to acc₀
    polyval: (cs, x) =>
      unary('polyval', x, (a) => {
        const m = coefficientCount(cs)
        let acc: Float64Array = new Float64Array(n)
        for (let i = 0; i < m; i++) {
          acc = mul(acc, a)
          acc[0] = at(acc, 0) + coefficient(cs, i)
        }
        return acc
      }),
  }
}

/**
 * The jet algebra of order `K`, with a fresh tag. Throws an `OrderError` unless `K` is a
 * non-negative integer.
 *
 * @example
 * import { jetOf } from 'dualtape/scalar'
 * const J = jetOf(4)
 * console.log(Array.from(J.cos(J.variable(0)).coefficients)) // [1, 0, -1/2, 0, 1/24]
 */
export const jetOf = (K: number): JetNumeric => jetAt(K, freshTag())
