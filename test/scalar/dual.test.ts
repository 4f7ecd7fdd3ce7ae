import fc from 'fast-check'
import { negate } from 'fp-ts/lib/Ring.js'
import { describe, expect, it } from 'vitest'
import {
  derivative,
  dualOf,
  jetOf,
  DualNumber,
  gradientScalar,
  NumberField,
  nthDerivative,
  OrderError,
  taylor,
  valueAndDerivative,
  type DualFn,
  type Numeric,
  type NumericFn,
} from '../../src/scalar/index.js'

/** `NumberField` under another identity: `derivative(f, GenericNumbers)` takes the generic dual path. */
const GenericNumbers: Numeric<number> = { ...NumberField }

const EPS = Number.EPSILON
const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k)

/** |actual - expected| ≤ ulps·ε·max(1, |expected|). */
const expectClose = (actual: number, expected: number, ulps: number): void => {
  const bound = ulps * EPS * Math.max(1, Math.abs(expected))
  if (!(Math.abs(actual - expected) <= bound)) {
    throw new Error(`expected ${expected}, got ${actual} (|Δ| = ${Math.abs(actual - expected)} > ${bound})`)
  }
}

/** Equal as float64 values, NaN equal to NaN and -0 equal to 0. */
const sameNumber = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b))

interface OpCase {
  readonly name: string
  readonly f: NumericFn
  /** the derivative in closed form */
  readonly df: (x: number) => number
  readonly domain: { readonly min: number; readonly max: number }
}

// every op of the algebra, with its derivative stated independently
const unaryCases: readonly OpCase[] = [
  { name: 'exp', f: (N) => (x) => N.exp(x), df: Math.exp, domain: { min: -20, max: 20 } },
  { name: 'log', f: (N) => (x) => N.log(x), df: (x) => 1 / x, domain: { min: 1e-3, max: 1e3 } },
  { name: 'sin', f: (N) => (x) => N.sin(x), df: Math.cos, domain: { min: -10, max: 10 } },
  { name: 'cos', f: (N) => (x) => N.cos(x), df: (x) => -Math.sin(x), domain: { min: -10, max: 10 } },
  {
    name: 'tan',
    f: (N) => (x) => N.tan(x),
    df: (x) => 1 / Math.cos(x) ** 2,
    domain: { min: -1.4, max: 1.4 },
  },
  {
    name: 'tanh',
    f: (N) => (x) => N.tanh(x),
    df: (x) => 1 / Math.cosh(x) ** 2,
    domain: { min: -5, max: 5 },
  },
  {
    name: 'sqrt',
    f: (N) => (x) => N.sqrt(x),
    df: (x) => 0.5 / Math.sqrt(x),
    domain: { min: 1e-3, max: 1e3 },
  },
  { name: 'neg', f: (N) => (x) => N.neg(x), df: () => -1, domain: { min: -1e3, max: 1e3 } },
  { name: 'x·x', f: (N) => (x) => N.mul(x, x), df: (x) => 2 * x, domain: { min: -1e3, max: 1e3 } },
  { name: 'x + x', f: (N) => (x) => N.add(x, x), df: () => 2, domain: { min: -1e3, max: 1e3 } },
  {
    name: '3 - x',
    f: (N) => (x) => N.sub(N.fromNumber(3), x),
    df: () => -1,
    domain: { min: -1e3, max: 1e3 },
  },
  {
    name: '1 / x',
    f: (N) => (x) => N.div(N.one, x),
    df: (x) => -1 / (x * x),
    domain: { min: 1e-2, max: 1e2 },
  },
  {
    name: 'x / 4',
    f: (N) => (x) => N.div(x, N.fromNumber(4)),
    df: () => 0.25,
    domain: { min: -10, max: 10 },
  },
  {
    name: 'x^2.5',
    f: (N) => (x) => N.pow(x, 2.5),
    df: (x) => 2.5 * x ** 1.5,
    domain: { min: 1e-2, max: 10 },
  },
  { name: 'x^-3', f: (N) => (x) => N.pow(x, -3), df: (x) => -3 / x ** 4, domain: { min: 0.1, max: 10 } },
  { name: 'x^3', f: (N) => (x) => N.pow(x, 3), df: (x) => 3 * x * x, domain: { min: -10, max: 10 } },
  { name: 'x^0', f: (N) => (x) => N.pow(x, 0), df: () => 0, domain: { min: -10, max: 10 } },
  { name: 'abs', f: (N) => (x) => N.abs(x), df: (x) => Math.sign(x), domain: { min: -10, max: 10 } },
  {
    name: '7.5 mod x',
    f: (N) => (x) => N.mod(N.fromNumber(7.5), x),
    df: (x) => -Math.trunc(7.5 / x),
    domain: { min: 0.3, max: 10 },
  },
  {
    name: 'x mod 2',
    f: (N) => (x) => N.mod(x, N.fromNumber(2)),
    df: () => 1,
    domain: { min: -10, max: 10 },
  },
]

describe('NumberField', () => {
  it('is the field of float64 numbers with the elementary functions', () => {
    const N = NumberField
    expect(N.add(2, 3)).toBe(5)
    expect(N.sub(2, 3)).toBe(-1)
    expect(N.mul(2, 3)).toBe(6)
    expect(N.div(3, 2)).toBe(1.5)
    expect(N.mod(7.5, 2)).toBe(1.5)
    expect(N.degree(5)).toBe(1)
    expect(N.pow(2, 10)).toBe(1024)
    expect(N.abs(-2)).toBe(2)
    expect(N.lt(1, 2) && N.gt(2, 1)).toBe(true)
    expect(N.toNumber(N.fromNumber(0.5))).toBe(0.5)
  })

  it("works with fp-ts's Ring helpers, on numbers and on duals", () => {
    expect(negate(NumberField)(3)).toBe(-3)
    const D = DualNumber
    const y = negate(D)(D.variable(3))
    expect([D.primal(y), D.tangent(y)]).toEqual([-3, -1])
  })
})

describe('derivative of every op against its closed form', () => {
  for (const c of unaryCases) {
    it(`${c.name}: first-order duals over numbers`, () => {
      fc.assert(
        fc.property(fc.double({ ...c.domain, noNaN: true }), (x) => {
          expectClose(derivative(c.f)(x), c.df(x), 64)
        }),
        { seed: 4001 },
      )
    })

    it(`${c.name}: the generic dual path gives the same value and derivative`, () => {
      fc.assert(
        fc.property(fc.double({ ...c.domain, noNaN: true }), (x) => {
          const [y, dy] = valueAndDerivative(c.f)(x)
          const [yg, dyg] = valueAndDerivative(c.f, GenericNumbers)(x)
          expect(sameNumber(y, c.f(NumberField)(x))).toBe(true)
          expect(sameNumber(yg, y)).toBe(true)
          expect(sameNumber(dyg, dy)).toBe(true)
        }),
        { seed: 4002 },
      )
    })
  }

  it('abs has derivative 0 at 0, as sign(0) = 0', () => {
    expect(derivative((D) => (x) => D.abs(x))(0)).toBe(0)
    expect(derivative((D) => (x) => D.abs(x), GenericNumbers)(0)).toBe(0)
  })

  it('x^0 has derivative 0 also at 0, and x^1 has derivative 1 at 0', () => {
    expect(derivative((D) => (x) => D.pow(x, 0))(0)).toBe(0)
    expect(derivative((D) => (x) => D.pow(x, 1))(0)).toBe(1)
  })

  it('the product, quotient and chain rules compose', () => {
    // d/dx [sin x · e^x / (1 + x²)] = e^x (cos x + sin x) / (1 + x²) - 2x e^x sin x / (1 + x²)²
    const f: NumericFn = (N) => (x) => N.div(N.mul(N.sin(x), N.exp(x)), N.add(N.one, N.mul(x, x)))
    const df = (x: number): number => {
      const q = 1 + x * x
      return (Math.exp(x) * (Math.cos(x) + Math.sin(x))) / q - (2 * x * Math.exp(x) * Math.sin(x)) / (q * q)
    }
    fc.assert(
      fc.property(fc.double({ min: -5, max: 5, noNaN: true }), (x) => {
        expectClose(derivative(f)(x), df(x), 256)
      }),
      { seed: 4003 },
    )
  })

  it('a constant function has derivative 0', () => {
    expect(derivative((D) => () => D.fromNumber(7))(3)).toBe(0)
  })

  it('one function written once runs on numbers and on duals', () => {
    const f =
      <A>(N: Numeric<A>) =>
      (x: A): A =>
        N.mul(x, N.sin(x))
    expect(f(NumberField)(2)).toBe(2 * Math.sin(2))
    expectClose(derivative(f)(2), Math.sin(2) + 2 * Math.cos(2), 4)
  })

  it('branches on lt and gt follow the real part', () => {
    const relu: NumericFn = (N) => (x) => (N.gt(x, N.zero) ? x : N.mul(N.fromNumber(0.1), x))
    expect(derivative(relu)(2)).toBe(1)
    expect(derivative(relu)(-2)).toBe(0.1)
    const clamp: NumericFn = (N) => (x) => (N.lt(x, N.one) ? x : N.one)
    expect(derivative(clamp)(0.5)).toBe(1)
    expect(derivative(clamp)(3)).toBe(0)
  })

  it('the algebra can be destructured', () => {
    const f: DualFn<number> = (D) => {
      const { add, mul, sin, lift } = D
      return (x) => add(mul(x, x), sin(mul(lift(2), x)))
    }
    // d/dx [x² + sin 2x] = 2x + 2 cos 2x
    expectClose(derivative(f)(0.3), 0.6 + 2 * Math.cos(0.6), 4)
    const { variable, tangent, mul } = DualNumber
    expect(tangent(mul(variable(3), variable(3)))).toBe(6)
  })
})

describe('dualOf: duals over any instance', () => {
  it('dualOf(NumberField) agrees with DualNumber', () => {
    const D = dualOf(NumberField)
    const y = D.div(D.exp(D.variable(1.5)), D.variable(1.5))
    // d(eˣ/x) = eˣ (x - 1) / x²
    expectClose(D.tangent(y), (Math.exp(1.5) * 0.5) / 2.25, 4)
    expect(D.primal(y)).toBe(Math.exp(1.5) / 1.5)
    expect(D.toNumber(y)).toBe(Math.exp(1.5) / 1.5)
  })

  it('a dual of duals carries two perturbations: the mixed part is the second derivative', () => {
    const D1 = dualOf(NumberField)
    const D2 = dualOf(D1)
    // f(x) = x³ sin x; f'' = 6x sin x + 6x² cos x - x³ sin x
    const x = D2.variable(D1.variable(0.7))
    const y = D2.mul(D2.pow(x, 3), D2.sin(x))
    const v = 0.7
    const expected = 6 * v * Math.sin(v) + 6 * v * v * Math.cos(v) - v ** 3 * Math.sin(v)
    expectClose(D1.tangent(D2.tangent(y)), expected, 16)
    expectClose(D1.primal(D2.tangent(y)), 3 * v * v * Math.sin(v) + v ** 3 * Math.cos(v), 8)
    expect(D2.toNumber(y)).toBe(NumberField.mul(v ** 3, Math.sin(v)))
    expect(D2.lt(D2.fromNumber(1), x)).toBe(false)
  })
})

describe('the dual algebra as a building block', () => {
  it('a custom primitive built with make: softplus, with d softplus = sigmoid dx', () => {
    const softplus: DualFn<number> = (D) => (x) => {
      const v = D.primal(x)
      return D.make(Math.log1p(Math.exp(v)), D.tangent(x) / (1 + Math.exp(-v)))
    }
    const f = derivative((D) => (x) => D.mul(D.fromNumber(3), softplus(D)(D.mul(x, x))))
    // d/dx 3 softplus(x²) = 6x sigmoid(x²)
    expectClose(f(0.7), (6 * 0.7) / (1 + Math.exp(-0.49)), 8)
  })

  it('duals over jets: derivative(f, J) carries the Taylor expansion of f′', () => {
    const f: NumericFn = (N) => (x) => N.mul(N.exp(x), N.sin(x))
    const J = jetOf(5)
    const fPrime = derivative(f, J)(J.variable(0.3))
    // the jet of f′ at 0.3, as derivatives, is [f′, f″, …, f⁽⁶⁾] at 0.3
    const d = taylor(f, 0.3, 6)
    const viaDuals = Array.from(fPrime.coefficients, (c, k) => c * range(k).reduce((p, j) => p * (j + 1), 1))
    viaDuals.forEach((v, k) => expectClose(v, d[k + 1]!, 16 * (k + 1) * (k + 1)))
  })
})

describe('nthDerivative: nested duals', () => {
  it('sin cycles through cos, -sin, -cos', () => {
    const x = 0.9
    const expected = [Math.sin(x), Math.cos(x), -Math.sin(x), -Math.cos(x)]
    for (let n = 0; n <= 8; n++) {
      expectClose(nthDerivative((N) => (t) => N.sin(t), n)(x), expected[n % 4]!, 16)
    }
  })

  it('1/(1 - x) has n-th derivative n! / (1 - x)^(n+1)', () => {
    const x = 0.25
    let factorial = 1
    for (let n = 0; n <= 8; n++) {
      if (n > 0) factorial *= n
      expectClose(
        nthDerivative((N) => (t) => N.div(N.one, N.sub(N.one, t)), n)(x),
        factorial / (1 - x) ** (n + 1),
        64 * (n + 1),
      )
    }
  })

  it('log has n-th derivative (-1)^(n-1) (n-1)! / x^n', () => {
    const x = 1.7
    let factorial = 1
    for (let n = 1; n <= 7; n++) {
      if (n > 1) factorial *= n - 1
      const expected = ((n % 2 === 1 ? 1 : -1) * factorial) / x ** n
      expectClose(nthDerivative((N) => (t) => N.log(t), n)(x), expected, 64 * n)
    }
  })

  it('a polynomial of degree 5 has a constant fifth and a zero sixth derivative', () => {
    const p: NumericFn = (N) => (x) => N.sub(N.mul(N.fromNumber(2), N.pow(x, 5)), N.mul(x, x))
    expect(nthDerivative(p, 5)(-1.3)).toBe(240)
    expect(nthDerivative(p, 6)(-1.3)).toBe(0)
    expect(nthDerivative(p, 2)(1)).toBe(40 - 2)
  })

  it('order 0 is the function itself', () => {
    expect(nthDerivative((N) => (x) => N.exp(x), 0)(1)).toBe(Math.exp(1))
  })

  it('nests inside derivative: d/dx f″(x) = f‴(x)', () => {
    const f: NumericFn = (N) => (x) => N.mul(N.exp(x), N.sin(x))
    const outer = derivative((D) => (x) => nthDerivative(f, 2, D)(x))
    // (eˣ sin x)‴ = 2eˣ (cos x - sin x)
    const x = 0.4
    expectClose(outer(x), 2 * Math.exp(x) * (Math.cos(x) - Math.sin(x)), 32)
    expectClose(outer(x), nthDerivative(f, 3)(x), 8)
  })

  it('throws an OrderError for a negative or fractional order', () => {
    const f: NumericFn = (_N) => (x) => x
    expect(() => nthDerivative(f, -1)).toThrow(OrderError)
    expect(() => nthDerivative(f, 1.5)).toThrow(OrderError)
    expect(() => nthDerivative(f, Number.NaN)).toThrow(OrderError)
    expect(() => nthDerivative(f, Infinity)).toThrow(/non-negative integer/)
  })
})

describe('gradientScalar: one forward pass per input', () => {
  it('matches the closed-form gradient', () => {
    // f(x, y, z) = x y sin z + eˣ; ∇f = [y sin z + eˣ, x sin z, x y cos z]
    const grad = gradientScalar(
      (D) =>
        ([x, y, z]) =>
          D.add(D.mul(D.mul(x!, y!), D.sin(z!)), D.exp(x!)),
    )
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (v) => {
          const [x, y, z] = v as [number, number, number]
          const g = grad(v)
          expect(g).toHaveLength(3)
          expectClose(g[0]!, y * Math.sin(z) + Math.exp(x), 16)
          expectClose(g[1]!, x * Math.sin(z), 16)
          expectClose(g[2]!, x * y * Math.cos(z), 16)
        },
      ),
      { seed: 4004 },
    )
  })

  it('the gradient of a function of no inputs is empty', () => {
    expect(gradientScalar((D) => () => D.one)([])).toEqual([])
  })
})
