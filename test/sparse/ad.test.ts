import { describe, expect, it } from 'vitest'

import {
  DualtapeError,
  ShapeError,
  ValueError,
  add,
  concat,
  exp,
  hessian,
  jacfwd,
  mul,
  pad,
  relu,
  reshape,
  sin,
  slice,
  square,
  sub,
  sum,
  tanh,
  tensor,
  uniform,
  type Tensor,
} from '../../src/index.js'
import {
  SparsityError,
  bandedPattern,
  colourColumns,
  colourRows,
  colourStar,
  hessianSparsity,
  jacobianSparsity,
  patternFromRows,
  sparseHessian,
  sparseJacobian,
} from '../../src/sparse/index.js'
import { initTfjsBackend } from '../../src/backends/tfjs/index.js'

// ---------------------------------------------------------------------------------------------
// sparseJacobian and sparseHessian on the engine, against the dense jacfwd and hessian.
// ---------------------------------------------------------------------------------------------

/** A dense [m, n] tensor as rows. */
function rows(t: Tensor, m: number, n: number): number[][] {
  const v = t.dataSync()
  return Array.from({ length: m }, (_, i) => Array.from(v.subarray(i * n, (i + 1) * n)))
}

/** |a - b| ≤ tol · max(1, max |B|) entry by entry. */
function expectClose(a: readonly (readonly number[])[], b: readonly (readonly number[])[], tol = 1e-12) {
  expect(a.length).toBe(b.length)
  const scale = Math.max(1, ...b.flat().map(Math.abs))
  a.forEach((row, i) =>
    row.forEach((v, j) => expect(Math.abs(v - b[i]![j]!)).toBeLessThanOrEqual(tol * scale)),
  )
}

/** y_i = tanh(x_{i-1} - 2 x_i + x_{i+1}) with x_{-1} = x_n = 0: a tridiagonal Jacobian. */
const stencil = (x: Tensor) => {
  const n = x.size
  const p = pad(x, [1], [1])
  return tanh(add(sub(slice(p, [0], [n]), mul(slice(p, [1], [n]), 2)), slice(p, [2], [n])))
}

/** The chained Rosenbrock function Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)². */
const rosenbrock = (x: Tensor) => {
  const n = x.size
  const a = slice(x, [0], [n - 1])
  const b = slice(x, [1], [n - 1])
  return add(sum(mul(square(sub(b, square(a))), 100)), sum(square(sub(1, a))))
}

describe('sparseJacobian', () => {
  const x = uniform([9], { seed: 1, low: -1, high: 1 })
  const J = rows(jacfwd(stencil)(x), 9, 9)

  it('fwd, rev and auto equal jacfwd on a banded map with 3 colours, the lower bound', () => {
    for (const mode of ['fwd', 'rev', 'auto'] as const) {
      const r = sparseJacobian(stencil, { mode })(x)
      expectClose(r.matrix.toDense(), J)
      expect(r.colours).toBe(3)
      expect(r.lowerBound).toBe(3)
      expect(r.products).toBe(3)
      expect(r.mode).toBe(mode === 'rev' ? 'rev' : 'fwd')
      expect(r.matrix.pattern.equals(bandedPattern(9, 1, 1))).toBe(true)
    }
  })

  it('auto takes reverse mode for a dense row, forward mode for a dense column', () => {
    // (x, Σx): the last row is dense, so columns need n colours and rows 2
    const withTotal = (t: Tensor) => concat([tanh(t), reshape(sum(square(t)), [1])])
    const r = sparseJacobian(withTotal)(x)
    expect(r.mode).toBe('rev')
    expect(r.colours).toBe(2)
    expectClose(r.matrix.toDense(), rows(jacfwd(withTotal)(x), 10, 9))
    // x + x₀: the first column is dense, so rows need n colours and columns 2
    const withFirst = (t: Tensor) => add(tanh(t), slice(t, [0], [1]))
    const c = sparseJacobian(withFirst)(x)
    expect(c.mode).toBe('fwd')
    expect(c.colours).toBe(2)
    expectClose(c.matrix.toDense(), rows(jacfwd(withFirst)(x), 9, 9))
  })

  it('inputs and outputs of any shape are flattened row-major', () => {
    const f = (t: Tensor) => reshape(mul(tanh(t), slice(pad(t, [0, 1], [0, 0]), [0, 0], [2, 3])), [3, 2])
    const t = uniform([2, 3], { seed: 2 })
    const r = sparseJacobian(f)(t)
    expect(r.matrix.shape).toEqual([6, 6])
    expectClose(r.matrix.toDense(), rows(jacfwd(f)(t), 6, 6))
  })

  it('float32 inputs', () => {
    const t = uniform([6], { seed: 3, dtype: 'float32' })
    const r = sparseJacobian(stencil)(t)
    expectClose(r.matrix.toDense(), rows(jacfwd(stencil)(t), 6, 6), 1e-6)
  })

  it('a local pattern drops the entries where relu is off, with the same values', () => {
    const f = (t: Tensor) => relu(stencil(t))
    const t = tensor([1, -1, 1, -1, 1, -1, 1, -1])
    const global = sparseJacobian(f, { mode: 'fwd' })(t)
    const local = sparseJacobian(f, { mode: 'fwd', local: true })(t)
    expect(local.matrix.pattern.nnz).toBeLessThan(global.matrix.pattern.nnz)
    expectClose(local.matrix.toDense(), rows(jacfwd(f)(t), 8, 8))
    expectClose(global.matrix.toDense(), rows(jacfwd(f)(t), 8, 8))
  })

  it('a given pattern and colouring are reused; a pattern with extra entries is fine', () => {
    const pattern = bandedPattern(9, 1, 1)
    for (const [mode, colouring] of [
      ['fwd', colourColumns(pattern)],
      ['rev', colourRows(pattern)],
    ] as const) {
      const r = sparseJacobian(stencil, { mode, pattern, colouring })(x)
      expect(r.colouring).toBe(colouring)
      expectClose(r.matrix.toDense(), J)
    }
    const wider = sparseJacobian(stencil, { pattern: bandedPattern(9, 2, 2) })(x)
    expectClose(wider.matrix.toDense(), J)
    expect(wider.colours).toBe(5)
  })

  describe('errors', () => {
    it('a mode that does not exist: a SparsityError when the function is made', () => {
      expect(() => sparseJacobian(stencil, { mode: 'forward' as 'fwd' })).toThrow(SparsityError)
      expect(() => sparseJacobian(stencil, { mode: 'forward' as 'fwd' })).toThrow(/unknown mode 'forward'/)
    })

    it('a given pattern that misses nonzeros: a SparsityError naming the rows', () => {
      // upper bidiagonal: the subdiagonal J_{i,i-1} is missing in rows 1 … 8
      const wrong = bandedPattern(9, 0, 1)
      const run = () => sparseJacobian(stencil, { mode: 'fwd', pattern: wrong })(x)
      expect(run).toThrow(SparsityError)
      expect(run).toThrow(/8 of 9 rows disagree: 1 \(J·s = .*\), 2 \(/)
      expect(() => sparseJacobian(stencil, { mode: 'rev', pattern: wrong })(x)).toThrow(SparsityError)
      // without the check a wrong pattern goes unnoticed
      const unchecked = sparseJacobian(stencil, { mode: 'fwd', pattern: wrong, check: false })(x)
      expect(unchecked.matrix.pattern).toBe(wrong)
    })

    it('a pattern of the wrong size: a ShapeError or a SparsityError', () => {
      expect(() => sparseJacobian(stencil, { pattern: bandedPattern(8, 1, 1) })(x)).toThrow(ShapeError)
      // 9 columns but 10 rows: the products have 9 entries
      const tall = patternFromRows(9, [...Array.from({ length: 9 }, (_, i) => [i]), [0]])
      expect(() => sparseJacobian(stencil, { pattern: tall })(x)).toThrow(SparsityError)
    })

    it('not a function, not a tensor: ValueError; every error is a DualtapeError', () => {
      expect(() => sparseJacobian(3 as never)).toThrow(ValueError)
      expect(() => sparseJacobian(stencil)([1, 2] as never)).toThrow(ValueError)
      expect(() => sparseHessian('f' as never)).toThrow(ValueError)
      expect(new SparsityError('m')).toBeInstanceOf(DualtapeError)
      try {
        sparseJacobian(stencil, { mode: 'x' as 'fwd' })
      } catch (e) {
        expect(e).toBeInstanceOf(DualtapeError)
        expect((e as Error).name).toBe('SparsityError')
      }
    })
  })
})

describe('sparseHessian', () => {
  it('chained Rosenbrock, n = 8: equals hessian with 3 star colours, 3 HVPs', () => {
    const x = uniform([8], { seed: 4, low: -1.5, high: 1.5 })
    const r = sparseHessian(rosenbrock)(x)
    expectClose(r.matrix.toDense(), rows(hessian(rosenbrock)(x), 8, 8))
    expect(r.colouring.kind).toBe('star')
    expect(r.colours).toBe(3)
    expect(r.lowerBound).toBe(3)
    expect(r.products).toBe(3)
  })

  it('chained Rosenbrock, n = 10,000: 3 HVPs give the closed form', () => {
    const n = 10_000
    const x = uniform([n], { seed: 5, low: -1.5, high: 1.5 })
    const v = x.dataSync()
    const r = sparseHessian(rosenbrock)(x)
    expect(r.colours).toBe(3)
    expect(r.matrix.pattern.equals(bandedPattern(n, 1, 1))).toBe(true)
    // H_ii = 1200 x_i² - 400 x_{i+1} + 2 (i < n-1) + 200 (i > 0); H_{i,i+1} = -400 x_i
    for (const i of [0, 1, 4999, n - 2, n - 1]) {
      const diag = (i < n - 1 ? 1200 * v[i]! ** 2 - 400 * v[i + 1]! + 2 : 0) + (i > 0 ? 200 : 0)
      expect(Math.abs(r.matrix.get(i, i) - diag)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(diag)))
      if (i < n - 1) {
        expect(Math.abs(r.matrix.get(i, i + 1) + 400 * v[i]!)).toBeLessThanOrEqual(
          1e-12 * 400 * Math.abs(v[i]!),
        )
        expect(r.matrix.get(i + 1, i)).toBe(r.matrix.get(i, i + 1))
      }
    }
  })

  it('a given pattern and star colouring are reused', () => {
    const x = uniform([7], { seed: 6 })
    const pattern = bandedPattern(7, 1, 1)
    const colouring = colourStar(pattern)
    const r = sparseHessian(rosenbrock, { pattern, colouring })(x)
    expect(r.colouring).toBe(colouring)
    expectClose(r.matrix.toDense(), rows(hessian(rosenbrock)(x), 7, 7))
  })

  it('a given pattern that misses nonzeros, or is not symmetric, or has the wrong size', () => {
    const x = uniform([7], { seed: 7 })
    const diagonal = bandedPattern(7, 0, 0)
    expect(() => sparseHessian(rosenbrock, { pattern: diagonal })(x)).toThrow(/rows disagree/)
    expect(() => sparseHessian(rosenbrock, { pattern: bandedPattern(7, 0, 1) })(x)).toThrow(/symmetric/)
    expect(() => sparseHessian(rosenbrock, { pattern: bandedPattern(6, 1, 1) })(x)).toThrow(ShapeError)
  })
})

// ---------------------------------------------------------------------------------------------
// The check of a given pattern: at the rounding of the dtype the products are computed in.
// ---------------------------------------------------------------------------------------------

/** y = tanh(x ⊙ Σ x²): a dense Jacobian. */
const denseMap = (x: Tensor) => tanh(mul(x, sum(square(x))))
/** Σ exp(sin x) · Σ x²: a dense Hessian. */
const denseScalar = (x: Tensor) => sum(mul(exp(sin(x)), sum(square(x))))

/** The detected patterns are right: checking them must pass, in every mode. */
function expectRightPatternsPass(x: Tensor): void {
  const pattern = jacobianSparsity(denseMap, x)
  for (const mode of ['fwd', 'rev', 'auto'] as const) {
    const r = sparseJacobian(denseMap, { mode, pattern })(x)
    expectClose(r.matrix.toDense(), rows(jacfwd(denseMap)(x), x.size, x.size), 1e-5)
  }
  const h = sparseHessian(denseScalar, { pattern: hessianSparsity(denseScalar, x) })(x)
  expect(h.matrix.nnz).toBe(x.size * x.size)
  sparseJacobian(stencil, { pattern: bandedPattern(x.size, 1, 1) })(x)
  // and a missing nonzero is still found
  expect(() => sparseJacobian(stencil, { pattern: bandedPattern(x.size, 1, 0) })(x)).toThrow(/rows disagree/)
}

describe('the check of a given pattern', () => {
  it('float32 on the cpu backend: the right patterns pass', () => {
    expectRightPatternsPass(
      tensor(
        Array.from({ length: 40 }, (_, i) => 1.3 * Math.sin(i)),
        { dtype: 'float32' },
      ),
    )
  })

  it('float64: a nonzero of 1e-8 beside 2, left out of the pattern, is found rather than folded in', () => {
    // f = x₀² + 10⁻⁸ x₀ x₁: H = [[2, 1e-8], [1e-8, 0]]; a diagonal pattern would read H₀₀ = 2.00000001
    const f = (x: Tensor) => {
      const [x0, x1] = [slice(x, [0], [1]), slice(x, [1], [1])]
      return sum(add(square(x0), mul(mul(x0, x1), 1e-8)))
    }
    const x = tensor([0.5, -0.25])
    expect(() => sparseHessian(f, { pattern: bandedPattern(2, 0, 0) })(x)).toThrow(
      /2 of 2 rows disagree: 0 \(/,
    )
    expect(sparseHessian(f, { pattern: bandedPattern(2, 1, 1) })(x).matrix.toDense()).toEqual([
      [2, 1e-8],
      [1e-8, 0],
    ])
  })
})

describe('the check of a given pattern on tfjs backends (float32)', () => {
  for (const kind of ['cpu', 'wasm'] as const) {
    it(`tfjs-${kind}: the right patterns pass`, async () => {
      await initTfjsBackend(kind)
      const data = Array.from({ length: 40 }, (_, i) => 1.3 * Math.sin(i))
      expectRightPatternsPass(tensor(data, { backend: `tfjs-${kind}`, dtype: 'float32' }))
    })
  }
})
