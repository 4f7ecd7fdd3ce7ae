import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { propsRuns, propsSeed } from '../src/check/config.js'
import type { Tensor } from '../src/core/tensor.js'
import {
  SparsityError,
  hessianSparsity,
  jacobianSparsity,
  patternFromRows,
  sparseHessian,
  sparseJacobian,
  type SparsityPattern,
} from '../src/sparse/index.js'
import {
  add,
  concat,
  exp,
  hessian,
  jacfwd,
  matmul,
  maximum,
  mul,
  pad,
  reshape,
  sigmoid,
  sin,
  slice,
  square,
  sum,
  tanh,
  tensor,
  uniform,
  type DType,
} from '../src/index.js'

// ---------------------------------------------------------------------------------------------
// Compressed evaluation on random sparse programs: compositions of elementwise maps, shifts
// (slice + pad), sums over small windows, block sums, products by sparse constant matrices and
// maxima. sparseJacobian in every mode and sparseHessian must reproduce the dense jacfwd and
// hessian, never use fewer colours than the lower bound, and reach it on banded and
// block-diagonal programs; a pattern that misses a nonzero must be caught by the cheap check.
// ---------------------------------------------------------------------------------------------

const SEED = propsSeed(20_251_128)
const MODES = ['fwd', 'rev', 'auto'] as const

type Step =
  | { readonly kind: 'unary'; readonly fn: number }
  | { readonly kind: 'shift'; readonly by: number; readonly product: boolean }
  | { readonly kind: 'window'; readonly width: number }
  | { readonly kind: 'blocks'; readonly size: number }
  | { readonly kind: 'matmul'; readonly entries: readonly number[] }
  | { readonly kind: 'maximum'; readonly by: number }

/** Smooth elementwise maps, bounded on the values the programs reach. */
const UNARY: readonly ((x: Tensor) => Tensor)[] = [
  tanh,
  sin,
  sigmoid,
  (x) => mul(square(tanh(x)), 0.5),
  (x) => exp(mul(tanh(x), 0.5)),
]

/** x shifted by `by` places (positive: towards higher indices), zero filled: (Sx)_i = x_{i-by}. */
function shift(x: Tensor, by: number): Tensor {
  const n = x.shape[0]!
  if (by === 0 || Math.abs(by) >= n) return mul(x, by === 0 ? 1 : 0)
  return by > 0 ? pad(slice(x, [0], [n - by]), [by], [0]) : pad(slice(x, [-by], [n + by]), [0], [-by])
}

/** One step on a state vector of length n. */
function run(step: Step, x: Tensor): Tensor {
  const n = x.shape[0]!
  switch (step.kind) {
    case 'unary':
      return UNARY[step.fn % UNARY.length]!(x)
    case 'shift':
      // x + ½ S x, or x ⊙ S x
      return step.product ? mul(x, add(shift(x, step.by), 1)) : add(x, mul(shift(x, step.by), 0.5))
    case 'window': {
      // y_i = Σ_{j < w} x_{i+j}: a stack of shifted copies, summed over the stack
      const copies = Array.from({ length: step.width }, (_, j) => reshape(shift(x, -j), [1, n]))
      return tanh(sum(concat(copies, 0), 0))
    }
    case 'blocks': {
      if (n % step.size !== 0) return x
      // y = x + tanh(block sums), broadcast back over each block
      const m = reshape(x, [n / step.size, step.size])
      return reshape(add(m, tanh(sum(m, 1, true))), [n])
    }
    case 'matmul': {
      // A: a sparse constant matrix with a unit diagonal
      const A = Array.from({ length: n * n }, (_, k) => {
        const i = Math.floor(k / n)
        const j = k % n
        const e = step.entries[k % step.entries.length]!
        return i === j ? 1 : e
      })
      return reshape(matmul(tensor(A, { shape: [n, n], dtype: x.dtype }), reshape(x, [n, 1])), [n])
    }
    case 'maximum':
      return maximum(x, shift(x, step.by))
  }
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('unary' as const), fn: fc.nat(UNARY.length - 1) }),
  fc.record({
    kind: fc.constant('shift' as const),
    by: fc.integer({ min: -3, max: 3 }),
    product: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('window' as const), width: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('blocks' as const), size: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant('matmul' as const),
    // mostly zeros: about one entry in six is nonzero
    entries: fc.array(
      fc.tuple(fc.nat(5), fc.double({ min: -1, max: 1, noNaN: true })).map(([k, v]) => (k === 0 ? v : 0)),
      { minLength: 1, maxLength: 40 },
    ),
  }),
  fc.record({ kind: fc.constant('maximum' as const), by: fc.integer({ min: -2, max: 2 }) }),
)

/**
 * A random program R^n → R^m: a few steps, then optionally a window of the state (m < n) or the
 * state followed by its sum (a dense row).
 */
const programArb = fc.record({
  n: fc.integer({ min: 2, max: 12 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 5 }),
  tail: fc.constantFrom('all', 'window', 'total'),
  seed: fc.nat(1000),
})

type Program = typeof programArb extends fc.Arbitrary<infer T> ? T : never

function build(p: Program, dtype: DType = 'float64'): { f: (x: Tensor) => Tensor; x: Tensor } {
  const f = (x0: Tensor) => {
    let x = x0
    for (const s of p.steps) x = run(s, x)
    const n = p.n
    if (p.tail === 'window' && n > 2) return slice(x, [1], [n - 2])
    if (p.tail === 'total') return concat([x, reshape(sum(x), [1])])
    return x
  }
  return { f, x: uniform([p.n], { seed: p.seed, low: -1.5, high: 1.5, dtype }) }
}

/** A dense [m, n] tensor as rows. */
function rows(t: Tensor, m: number, n: number): number[][] {
  const v = t.dataSync()
  return Array.from({ length: m }, (_, i) => Array.from(v.subarray(i * n, (i + 1) * n)))
}

/**
 * A missing nonzero this large relative to the largest entry is far above the rounding of the
 * products (some 2⁸ ε of their scale in float64), so the check must find it.
 */
const VISIBLE = 1e-9

/** Entries agree to rounding: |a - b| ≤ 1e-12 · max(1, max |B|). */
function expectClose(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): void {
  expect(a.length).toBe(b.length)
  const scale = Math.max(1, ...b.flat().map(Math.abs))
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      const d = Math.abs(v - b[i]![j]!)
      if (!(d <= 1e-12 * scale)) expect.fail(`entry (${i}, ${j}): ${v} vs ${b[i]![j]}`)
    }),
  )
}

/** The pattern without entry (i, k) (and (k, i) when `symmetric`). */
function without(p: SparsityPattern, i: number, k: number, symmetric = false): SparsityPattern {
  const out = Array.from({ length: p.nRows }, (_, r) =>
    [...p.row(r)].filter((c) => !((r === i && c === k) || (symmetric && r === k && c === i))),
  )
  return patternFromRows(p.nCols, out)
}

/** The entry of largest magnitude (ties: the first), off the diagonal when `offDiagonal` and possible. */
function largest(M: readonly (readonly number[])[], offDiagonal = false): [number, number, number] {
  let best: [number, number, number] = [-1, -1, 0]
  const visit = (skipDiagonal: boolean) =>
    M.forEach((row, i) =>
      row.forEach((v, j) => {
        if (!(skipDiagonal && i === j) && Math.abs(v) > Math.abs(best[2])) best = [i, j, v]
      }),
    )
  visit(offDiagonal)
  if (best[0] < 0 && offDiagonal) visit(false)
  return best
}

const runs = (n: number) => ({ seed: SEED, numRuns: propsRuns(n) })

describe('sparse Jacobians of random sparse programs', () => {
  it('fwd, rev and auto equal jacfwd; colours ≥ the lower bound; one product per colour', () => {
    fc.assert(
      fc.property(programArb, (p) => {
        const { f, x } = build(p)
        const y = f(x)
        const J = rows(jacfwd(f)(x), y.size, x.size)
        for (const mode of MODES) {
          const r = sparseJacobian(f, { mode })(x)
          expectClose(r.matrix.toDense(), J)
          expect(r.colours).toBeGreaterThanOrEqual(r.lowerBound)
          expect(r.products).toBe(r.colours)
          if (mode !== 'auto') expect(r.mode).toBe(mode)
        }
        // auto takes the mode with fewer colours
        const fwd = sparseJacobian(f, { mode: 'fwd' })(x)
        const rev = sparseJacobian(f, { mode: 'rev' })(x)
        expect(sparseJacobian(f)(x).colours).toBe(Math.min(fwd.colours, rev.colours))
      }),
      runs(40),
    )
  })

  it('the local pattern also gives jacfwd, with no more colours than the global one', () => {
    fc.assert(
      fc.property(programArb, (p) => {
        const { f, x } = build(p)
        const J = rows(jacfwd(f)(x), f(x).size, x.size)
        const local = sparseJacobian(f, { mode: 'fwd', local: true })(x)
        expectClose(local.matrix.toDense(), J)
        const global = jacobianSparsity(f, x)
        const pattern = jacobianSparsity(f, x, { local: true })
        for (let i = 0; i < pattern.nRows; i++)
          for (const j of pattern.row(i)) expect(global.has(i, j)).toBe(true)
      }),
      runs(25),
    )
  })

  it('a given pattern that misses a nonzero is caught by the check, which names its row', () => {
    fc.assert(
      fc.property(programArb, (p) => {
        const { f, x } = build(p)
        const J = rows(jacfwd(f)(x), f(x).size, x.size)
        const [i, k, v] = largest(J)
        fc.pre(v !== 0)
        const wrong = without(jacobianSparsity(f, x), i, k)
        expect(() => sparseJacobian(f, { mode: 'fwd', pattern: wrong })(x)).toThrow(
          new RegExp(`disagree: (.*, )?${i} \\(`),
        )
        expect(() => sparseJacobian(f, { mode: 'rev', pattern: wrong })(x)).toThrow(SparsityError)
        // the right pattern passes the same check
        expectClose(sparseJacobian(f, { pattern: jacobianSparsity(f, x) })(x).matrix.toDense(), J)
      }),
      runs(25),
    )
  })

  it('a mode that does not exist is a SparsityError at once', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !(MODES as readonly string[]).includes(s)),
        (mode) => {
          expect(() => sparseJacobian(tanh, { mode: mode as 'fwd' })).toThrow(SparsityError)
        },
      ),
      runs(20),
    )
  })
})

describe('colour counts reach the lower bound on banded and block-diagonal programs', () => {
  it('a stencil of bandwidths (l, u) composed with elementwise maps: l + u + 1 colours', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 8, max: 16 }),
        fc.nat(UNARY.length - 1),
        (l, u, n, fn) => {
          // y_i = g(Σ_{-l ≤ d ≤ u} c_d x_{i+d})
          const f = (x: Tensor) => {
            let acc = x
            for (let d = -l; d <= u; d++) if (d !== 0) acc = add(acc, mul(shift(x, -d), 0.5 + 0.1 * d))
            return UNARY[fn]!(acc)
          }
          const x = uniform([n], { seed: n, low: -1, high: 1 })
          const J = rows(jacfwd(f)(x), n, n)
          for (const mode of MODES) {
            const r = sparseJacobian(f, { mode })(x)
            expect(r.lowerBound).toBe(l + u + 1)
            expect(r.colours).toBe(r.lowerBound)
            expectClose(r.matrix.toDense(), J)
          }
        },
      ),
      runs(20),
    )
  })

  it('independent blocks of size b: b colours, for Jacobians and star-coloured Hessians', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), (b, blocks) => {
        const n = b * blocks
        // each block: y = tanh(x + Σ_block x)
        const f = (x: Tensor) => {
          const m = reshape(x, [blocks, b])
          return reshape(tanh(add(m, sum(m, 1, true))), [n])
        }
        const x = uniform([n], { seed: n, low: -1, high: 1 })
        const r = sparseJacobian(f, { mode: 'fwd' })(x)
        expect(r.lowerBound).toBe(b)
        expect(r.colours).toBe(b)
        expectClose(r.matrix.toDense(), rows(jacfwd(f)(x), n, n))
        const s = (t: Tensor) => sum(square(f(t)))
        const h = sparseHessian(s)(x)
        expect(h.colours).toBe(h.lowerBound)
        expect(h.colours).toBe(b)
        expectClose(h.matrix.toDense(), rows(hessian(s)(x), n, n))
      }),
      runs(20),
    )
  })
})

/** A scalar from a program: Σ w ⊙ program(x) + ½ Σ program(x)². */
const scalar = (p: Program, dtype: DType = 'float64') => {
  const { f, x } = build(p, dtype)
  const w = uniform([f(x).size], { seed: p.seed + 1, low: -1, high: 1, dtype })
  return { s: (t: Tensor) => add(sum(mul(w, f(t))), mul(sum(square(f(t))), 0.5)), x }
}

describe('sparse Hessians of random sparse programs', () => {
  it('sparseHessian equals hessian; the star colouring uses ≥ lower-bound colours, one HVP each', () => {
    fc.assert(
      fc.property(programArb, (p) => {
        const { s, x } = scalar(p)
        const H = rows(hessian(s)(x), x.size, x.size)
        const r = sparseHessian(s)(x)
        expectClose(r.matrix.toDense(), H)
        expect(r.colouring.kind).toBe('star')
        expect(r.colours).toBeGreaterThanOrEqual(r.lowerBound)
        expect(r.products).toBe(r.colours)
        // the detected pattern holds every nonzero of H
        const P = hessianSparsity(s, x)
        H.forEach((row, i) => row.forEach((v, j) => v !== 0 && expect(P.has(i, j)).toBe(true)))
      }),
      runs(30),
    )
  })

  it('a given Hessian pattern that misses a symmetric pair of nonzeros is caught', () => {
    fc.assert(
      fc.property(programArb, (p) => {
        const { s, x } = scalar(p)
        const H = rows(hessian(s)(x), x.size, x.size)
        const [i, k, v] = largest(H, true)
        // a pair far below the rounding of every product (an entry of 5e-324 beside entries of
        // order 1, from a constant of 5e-324) is a zero to any product: no check can see it
        fc.pre(v !== 0 && Math.abs(v) >= VISIBLE * Math.abs(largest(H)[2]))
        const detected = sparseHessian(s)(x).matrix.pattern
        expect(() => sparseHessian(s, { pattern: without(detected, i, k, true) })(x)).toThrow(SparsityError)
        expectClose(sparseHessian(s, { pattern: detected })(x).matrix.toDense(), H)
      }),
      runs(20),
    )
  })
})

describe('the check in float32', () => {
  // rounding in float32 is some 2²⁹ times that of float64: the right pattern passes, and a missing
  // nonzero is caught when it stands out of float32 rounding
  it('passes on the detected patterns and catches the largest entry left out', () => {
    fc.assert(
      fc.property(programArb, (p) => {
        const { f, x } = build(p, 'float32')
        const pattern = jacobianSparsity(f, x)
        for (const mode of MODES) sparseJacobian(f, { mode, pattern })(x)
        const { s, x: xs } = scalar(p, 'float32')
        const H = sparseHessian(s)(xs).matrix
        sparseHessian(s, { pattern: H.pattern })(xs)

        const [i, k, v] = largest(rows(jacfwd(f)(x), f(x).size, x.size))
        fc.pre(v !== 0)
        expect(() => sparseJacobian(f, { mode: 'fwd', pattern: without(pattern, i, k) })(x)).toThrow(
          new RegExp(`disagree: (.*, )?${i} \\(`),
        )
      }),
      runs(15),
    )
  })
})
