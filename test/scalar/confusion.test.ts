import { describe, expect, it } from 'vitest'
import {
  derivative,
  DualNumber,
  gradientScalar,
  jetOf,
  NumberField,
  OrderError,
  TagError,
  taylor,
  type Dual,
  type DualNumeric,
  type Numeric,
  type NumericFn,
} from '../../src/scalar/index.js'

// Perturbation confusion: nested derivatives whose closures capture the outer variable.
// The cases follow ForwardDiff.jl's test/ConfusionTest.jl and Siskind & Pearlmutter,
// "Nesting forward-mode AD in a functional framework" (2008).

/** -0 and 0 compare equal; the cases below are exact. */
const plusZero = (xs: readonly number[]): number[] => xs.map((x) => x + 0)

const sumOf = <A>(N: Numeric<A>, xs: readonly A[]): A => xs.reduce((s, x) => N.add(s, x), N.zero)
const dot = <A>(N: Numeric<A>, xs: readonly A[], ys: readonly A[]): A =>
  sumOf(
    N,
    xs.map((x, i) => N.mul(x, ys[i]!)),
  )
const norm = <A>(N: Numeric<A>, xs: readonly A[]): A => N.sqrt(dot(N, xs, xs))

/** The Hessian of `f` at `xs` over `N`, by a gradient of a gradient; `f` receives its lift. */
const hessianIn = <A>(
  N: Numeric<A>,
  f: <B>(M: Numeric<B>, lift: (a: A) => B) => (xs: readonly B[]) => B,
  xs: readonly A[],
): A[][] =>
  xs.map((_, i) =>
    gradientScalar(
      (D1) => (ys) => gradientScalar((D2) => (zs) => f(D2, (a: A) => D2.lift(D1.lift(a)))(zs), D1)(ys)[i]!,
      N,
    )(xs),
  )

/** The gradient of `f` at `xs` over `N`; `f` receives its lift. */
const gradientIn = <A>(
  N: Numeric<A>,
  f: <B>(M: Numeric<B>, lift: (a: A) => B) => (xs: readonly B[]) => B,
  xs: readonly A[],
): A[] => gradientScalar((D) => (ys) => f(D, (a: A) => D.lift(a))(ys), N)(xs)

describe('nested derivatives capturing the outer variable', () => {
  it('d/dx [x · d/dy (x + y) at y = 1] at x = 1 is 1, not 2', () => {
    const f = derivative((N) => (x) => N.mul(x, derivative((D) => (y) => D.add(D.lift(x), y), N)(N.one)))
    expect(f(1)).toBe(1)
  })

  it('the same function, written once, also runs on plain numbers', () => {
    const g =
      <A>(N: Numeric<A>) =>
      (x: A): A =>
        N.mul(x, derivative((D: DualNumeric<A>) => (y: Dual<A>) => D.add(D.lift(x), y), N)(N.one))
    expect(g(NumberField)(1)).toBe(1)
    expect(derivative(g)(1)).toBe(1)
  })

  it('d/dx [x · d/dy (x · y) at y = 2] at x = 1 is 2 (Siskind & Pearlmutter)', () => {
    const f = derivative(
      (N) => (x) => N.mul(x, derivative((D) => (y) => D.mul(D.lift(x), y), N)(N.fromNumber(2))),
    )
    expect(f(1)).toBe(2)
  })

  it('d/dx d/dy [x] at y = x is 0 (ForwardDiff.jl)', () => {
    const f = derivative((N) => (x) => derivative((D) => () => D.lift(x), N)(x))
    expect(f(1)).toBe(0)
  })

  it('three levels: d/dx d/dy [x y · d/dz (x y z) at z = 1] at y = 1 is 4x', () => {
    const f = derivative(
      (N) => (x) =>
        derivative(
          (D) => (y) => {
            const xy = D.mul(D.lift(x), y)
            const inner = derivative((E) => (z) => E.mul(E.lift(xy), z), D)(D.one)
            return D.mul(xy, inner)
          },
          N,
        )(N.one),
    )
    expect(f(2)).toBe(8)
    expect(f(-0.5)).toBe(-2)
  })

  it('the inner derivative at the outer variable: d/dx [d/dy sin(x y) at y = x]', () => {
    // d/dy sin(x y) = x cos(x y); at y = x: x cos x²; d/dx = cos x² - 2x² sin x²
    const f = derivative((N) => (x) => derivative((D) => (y) => D.sin(D.mul(D.lift(x), y)), N)(x))
    const x = 0.8
    const expected = Math.cos(x * x) - 2 * x * x * Math.sin(x * x)
    expect(Math.abs(f(x) - expected)).toBeLessThanOrEqual(8 * Number.EPSILON)
  })

  it('∇[sum(v) · d/dy (y · norm v) at y = 1] = ∇[sum(v) · norm v] (ForwardDiff.jl issue #83)', () => {
    const nested = gradientScalar(
      (D) => (v) => D.mul(sumOf(D, v), derivative((E) => (y) => E.mul(y, E.lift(norm(D, v))), D)(D.one)),
    )
    const direct = gradientScalar((D) => (v) => D.mul(sumOf(D, v), norm(D, v)))
    expect(nested([1])).toEqual([2])
    expect(direct([1])).toEqual([2])
    const v = [1, 2, 3]
    expect(nested(v)).toEqual(direct(v))
    // ∇(sum · norm) = norm + sum · v / norm
    const n = Math.sqrt(14)
    for (const [i, g] of direct(v).entries()) {
      expect(Math.abs(g - (n + (6 * v[i]!) / n))).toBeLessThanOrEqual(8 * Number.EPSILON * n)
    }
  })

  it('the Jacobian over x of the gradient over y of yᵀ A x is A (ForwardDiff.jl)', () => {
    let s = 12345
    const rand = (): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0
      return s / 2 ** 32
    }
    const rows = 5
    const cols = 4
    const A = Array.from({ length: rows }, () => Array.from({ length: cols }, rand))
    const x0 = Array.from({ length: cols }, rand)
    const y0 = Array.from({ length: rows }, rand)
    const jacobian = A.map((_, i) =>
      gradientScalar((D) => (xs) => {
        const Ax = A.map((row) => dot(D, row.map(D.fromNumber), xs))
        const grad = gradientScalar((E) => (ys) => dot(E, ys, Ax.map(E.lift)), D)(y0.map(D.fromNumber))
        return grad[i]!
      })(x0),
    )
    expect(jacobian).toEqual(A)
  })

  describe('Lagrangian mechanics (ForwardDiff.jl issue #238)', () => {
    const m = 1
    const g = 9.8
    // L(q, q̇) = m/2 q̇·q̇ - m g q₂
    const L = <B>(M: Numeric<B>, q: readonly B[], qd: readonly B[]): B =>
      M.sub(M.mul(M.fromNumber(m / 2), dot(M, qd, qd)), M.mul(M.fromNumber(m * g), q[1]!))

    it('∂/∂q of ∂L/∂q̇ is the zero matrix', () => {
      const q = [1, 2]
      const qd = [3, 4]
      const mixed = qd.map((_, i) =>
        gradientScalar(
          (D) => (qs) => gradientScalar((E) => (a) => L(E, qs.map(E.lift), a), D)(qd.map(D.fromNumber))[i]!,
        )(q),
      )
      expect(mixed.map(plusZero)).toEqual([
        [0, 0],
        [0, 0],
      ])
    })

    it('the gradient of the Hamiltonian from a Legendre transform of L is [0, m g]', () => {
      const p = [5, 6]
      // H(q) = w·v - F(v) with F = L(q, ·), v = M⁻¹ (w - b), M = ∇²F(0), b = ∇F(0)
      const hamiltonian =
        <A>(N: Numeric<A>) =>
        (q: readonly A[]): A => {
          const F =
            <B>(M: Numeric<B>, lift: (a: A) => B) =>
            (qd: readonly B[]): B =>
              L(M, q.map(lift), qd)
          const z = [N.zero, N.zero]
          const H = hessianIn(N, F, z)
          const b = gradientIn(N, F, z)
          const w = p.map(N.fromNumber)
          const r = w.map((wi, i) => N.sub(wi, b[i]!))
          // v = H⁻¹ r for the 2×2 H, by Cramer's rule
          const [[a, bb], [c, d]] = H as [[A, A], [A, A]]
          const det = N.sub(N.mul(a, d), N.mul(bb, c))
          const v = [
            N.div(N.sub(N.mul(d, r[0]!), N.mul(bb, r[1]!)), det),
            N.div(N.sub(N.mul(a, r[1]!), N.mul(c, r[0]!)), det),
          ]
          return N.sub(dot(N, w, v), F(N, (x: A) => x)(v))
        }
      const grad = gradientScalar((D) => (q) => hamiltonian(D)(q))([1, 2])
      expect(plusZero(grad)).toEqual([0, m * g])
      // and H itself is p²/2m + m g q₂
      expect(hamiltonian(NumberField)([1, 2])).toBe((25 + 36) / (2 * m) + m * g * 2)
    })
  })

  it('the Hessian of x ↦ x₁ is zero (ForwardDiff.jl #267)', () => {
    const first =
      <B>(M: Numeric<B>) =>
      (xs: readonly B[]): B =>
        M.add(xs[0] as B, M.zero)
    const H = hessianIn(NumberField, first, [1])
    expect(H.map(plusZero)).toEqual([[0]])
  })
})

describe('duals of different calls are never mixed', () => {
  it('a dual that escaped its call and is used in another throws a TagError', () => {
    let leaked: Dual<number> | undefined
    derivative((_D) => (x) => {
      leaked = x
      return x
    })(1)
    const use = derivative((D) => (x) => D.add(x, leaked!))
    expect(() => use(2)).toThrow(TagError)
    expect(() => use(2)).toThrow(/not running/)
  })

  it('an escaped dual returned on its own is caught when the result is read', () => {
    let leaked: Dual<number> | undefined
    derivative((D) => (x) => {
      leaked = D.sin(x)
      return x
    })(1)
    expect(() => derivative((D) => () => D.exp(leaked!))(2)).toThrow(TagError)
  })

  it('an outer variable captured by a non-nested inner call throws a TagError naming the fix', () => {
    // derivative(f) without N starts a fresh first-order call over numbers: the captured x
    // belongs to the outer call and must not meet the inner perturbation
    const confused = derivative(
      (N) => (x) => N.mul(x, N.fromNumber(derivative((D) => (y) => D.add(x, y))(1))),
    )
    expect(() => confused(1)).toThrow(TagError)
    expect(() => confused(1)).toThrow(/D\.lift/)
  })

  it('a dual of the inner call used by the outer algebra throws a TagError', () => {
    const f = derivative((N) => (x) => {
      let inner: Dual<number> | undefined
      derivative(
        (_D) => (y) => {
          inner = y as unknown as Dual<number>
          return y
        },
        N,
      )(x)
      return N.add(x, inner!)
    })
    expect(() => f(1)).toThrow(TagError)
  })

  it('duals of the standalone DualNumber algebra do not enter a derivative call', () => {
    const y = DualNumber.variable(3)
    expect(() => derivative((D) => (x) => D.mul(x, y))(1)).toThrow(TagError)
  })

  it('a gradient pass does not accept a dual of another pass', () => {
    let first: Dual<number> | undefined
    const grad = gradientScalar((D) => ([x, y]) => {
      first ??= x!
      return D.mul(first, y!)
    })
    expect(() => grad([1, 2])).toThrow(TagError)
  })

  it('a value without a tag is refused', () => {
    const f = derivative((D) => (x) => D.add(x, 3 as unknown as Dual<number>))
    expect(() => f(1)).toThrow(TagError)
  })

  it('jets of another Taylor call, or of another order, are refused', () => {
    let leaked: unknown
    taylor(
      (_N) => (x) => {
        leaked = x
        return x
      },
      0,
      3,
    )
    const useLeaked: NumericFn = (N) => (x) => N.add(x, leaked as typeof x)
    expect(() => taylor(useLeaked, 0, 3)).toThrow(TagError)
    const J2 = jetOf(2)
    const J3 = jetOf(3)
    expect(() => J3.mul(J3.variable(1), J2.constant(1))).toThrow(OrderError)
  })

  it('tags of nested calls increase inward', () => {
    const tags: number[] = []
    derivative((N: DualNumeric<number>) => (x) => {
      tags.push(N.tag)
      return derivative(
        (D) => (y) => {
          tags.push(D.tag)
          return D.mul(D.lift(x), y)
        },
        N,
      )(x)
    })(1)
    expect(tags).toHaveLength(2)
    expect(tags[1]!).toBeGreaterThan(tags[0]!)
  })
})
