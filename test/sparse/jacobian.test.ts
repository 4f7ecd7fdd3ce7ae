import { describe, expect, it } from 'vitest'

import {
  SparsityError,
  bandedPattern,
  checkPattern,
  colourColumns,
  colourRows,
  colourStar,
  decompressColumns,
  decompressRows,
  decompressStar,
  patternFromDense,
  patternFromRows,
  seedVectors,
  sparseHessianFromProducts,
  sparseJacobianFromProducts,
  type Colouring,
} from '../../src/sparse/index.js'

/** J·s for a dense J. */
const times = (J: readonly (readonly number[])[], s: ArrayLike<number>) =>
  Float64Array.from(J, (row) => row.reduce((acc, v, j) => acc + v * s[j]!, 0))

/** sᵀ·J for a dense J with n columns. */
const timesT = (J: readonly (readonly number[])[], n: number, s: ArrayLike<number>) =>
  Float64Array.from({ length: n }, (_, j) => J.reduce((acc, row, i) => acc + s[i]! * row[j]!, 0))

// a 5×6 Jacobian with a dense-ish first column and a band
const J = [
  [1, 2, 0, 0, 0, 0],
  [3, 0, 4, 0, 0, 5],
  [6, 0, 0, 7, 0, 0],
  [8, 0, 0, 0, 9, 0],
  [0, 0, 0, 0, 10, 11],
]
const pattern = patternFromDense(J)

describe('sparseJacobianFromProducts', () => {
  it('forward mode: one JVP per colour, exact recovery', () => {
    let calls = 0
    const r = sparseJacobianFromProducts(pattern, {
      mode: 'fwd',
      jvp: (s) => {
        calls++
        expect(s.length).toBe(6)
        return times(J, s)
      },
    })
    expect(r.mode).toBe('fwd')
    expect(r.matrix.toDense()).toEqual(J)
    expect(r.products).toBe(r.colours)
    expect(calls).toBe(r.colours)
    expect(r.colours).toBeGreaterThanOrEqual(r.lowerBound)
    expect(r.lowerBound).toBe(3)
    expect(r.colouring.kind).toBe('column')
  })

  it('reverse mode: one VJP per colour, exact recovery', () => {
    let calls = 0
    const r = sparseJacobianFromProducts(pattern, {
      mode: 'rev',
      vjp: (s) => {
        calls++
        expect(s.length).toBe(5)
        return timesT(J, 6, s)
      },
    })
    expect(r.mode).toBe('rev')
    expect(r.matrix.toDense()).toEqual(J)
    expect(calls).toBe(r.colours)
    expect(r.lowerBound).toBe(4) // column 0 has 4 nonzeros
    expect(r.colours).toBe(4)
  })

  it('auto mode takes the mode with fewer colours, forward on a tie', () => {
    const jvp = (s: Float64Array) => times(J, s)
    const vjp = (s: Float64Array) => timesT(J, 6, s)
    expect(sparseJacobianFromProducts(pattern, { jvp, vjp }).mode).toBe('fwd')
    expect(sparseJacobianFromProducts(pattern, { vjp }).mode).toBe('rev')
    // a dense row: reverse mode wins
    const A = [
      [1, 2, 3, 4],
      [0, 5, 0, 0],
      [0, 0, 6, 0],
    ]
    const r = sparseJacobianFromProducts(patternFromDense(A), {
      mode: 'auto',
      jvp: (s) => times(A, s),
      vjp: (s) => timesT(A, 4, s),
    })
    expect(r.mode).toBe('rev')
    expect(r.colours).toBe(2)
    expect(r.matrix.toDense()).toEqual(A)
    // a tie
    const tri = bandedPattern(6, 1, 1)
    expect(sparseJacobianFromProducts(tri, { jvp: (s) => s, vjp: (s) => s }).mode).toBe('fwd')
  })

  it('batched products receive all seeds in one call', () => {
    let calls = 0
    const r = sparseJacobianFromProducts(pattern, {
      mode: 'fwd',
      jvp: () => {
        throw new Error('the batched product is preferred')
      },
      batchedJvp: (seeds) => {
        calls++
        return seeds.map((s) => times(J, s))
      },
    })
    expect(calls).toBe(1)
    expect(r.matrix.toDense()).toEqual(J)
    const rev = sparseJacobianFromProducts(pattern, {
      mode: 'rev',
      batchedVjp: (seeds) => seeds.map((s) => timesT(J, 6, s)),
    })
    expect(rev.matrix.toDense()).toEqual(J)
  })

  it('accepts products as plain arrays', () => {
    const r = sparseJacobianFromProducts(pattern, { mode: 'fwd', jvp: (s) => [...times(J, s)] })
    expect(r.matrix.toDense()).toEqual(J)
  })

  it('reuses a colouring, whose kind decides the mode', () => {
    const rows = colourRows(pattern)
    const r = sparseJacobianFromProducts(pattern, {
      colouring: rows,
      jvp: (s) => times(J, s),
      vjp: (s) => timesT(J, 6, s),
    })
    expect(r.mode).toBe('rev')
    expect(r.colouring).toBe(rows)
    expect(r.matrix.toDense()).toEqual(J)
  })

  it('a nonlinear function: f_i = x_i² x_{i+1} + sin x_{i-1}, tridiagonal J', () => {
    const n = 9
    const x = Float64Array.from({ length: n }, (_, i) => 0.3 + 0.1 * i)
    // df_i = 2 x_i x_{i+1} dx_i + x_i² dx_{i+1} + cos x_{i-1} dx_{i-1}
    const jvp = (dx: Float64Array) =>
      x.map(
        (xi, i) =>
          2 * xi * (x[i + 1] ?? 0) * dx[i]! +
          (i + 1 < n ? xi * xi * dx[i + 1]! : 0) +
          (i > 0 ? Math.cos(x[i - 1]!) * dx[i - 1]! : 0),
      )
    const r = sparseJacobianFromProducts(bandedPattern(n, 1, 1), { mode: 'fwd', jvp })
    expect(r.colours).toBe(3)
    for (let i = 0; i < n; i++) {
      expect(r.matrix.get(i, i)).toBe(2 * x[i]! * (x[i + 1] ?? 0))
      if (i + 1 < n) expect(r.matrix.get(i, i + 1)).toBe(x[i]! * x[i]!)
      if (i > 0) expect(r.matrix.get(i, i - 1)).toBe(Math.cos(x[i - 1]!))
    }
  })

  it('empty shapes need no products; a pattern without nonzeros one', () => {
    const none = sparseJacobianFromProducts(patternFromRows(0, []), { jvp: () => new Float64Array(0) })
    expect(none.products).toBe(0)
    expect(none.matrix.shape).toEqual([0, 0])
    const zero = sparseJacobianFromProducts(patternFromRows(3, [[], []]), { jvp: () => new Float64Array(2) })
    expect(zero.products).toBe(1)
    expect(zero.matrix.toDense()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ])
    expect(sparseHessianFromProducts(patternFromRows(0, []), (s) => s).products).toBe(0)
  })

  describe('errors', () => {
    const jvp = (s: Float64Array) => times(J, s)
    const vjp = (s: Float64Array) => timesT(J, 6, s)

    it('an unknown mode', () => {
      const options = { mode: 'sideways', jvp } as unknown as Parameters<typeof sparseJacobianFromProducts>[1]
      expect(() => sparseJacobianFromProducts(pattern, options)).toThrow(SparsityError)
      expect(() => sparseJacobianFromProducts(pattern, options)).toThrow(/unknown mode 'sideways'/)
    })

    it('a missing product', () => {
      expect(() => sparseJacobianFromProducts(pattern, {})).toThrow(/give jvp, batchedJvp, vjp or batchedVjp/)
      expect(() => sparseJacobianFromProducts(pattern, { mode: 'fwd', vjp })).toThrow(/'fwd' needs jvp/)
      expect(() => sparseJacobianFromProducts(pattern, { mode: 'rev', jvp })).toThrow(/'rev' needs vjp/)
    })

    it('products whose length does not match the pattern', () => {
      const wide = patternFromRows(6, [[0], [1], [2], [3]]) // 4×6, but J·s has length 5
      expect(() => sparseJacobianFromProducts(wide, { mode: 'fwd', jvp })).toThrow(SparsityError)
      expect(() => sparseJacobianFromProducts(wide, { mode: 'fwd', jvp })).toThrow(
        /jvp returned a vector of length 5 for a seed of length 6, but J·s for a 4×6 pattern has length 4/,
      )
      expect(() =>
        sparseJacobianFromProducts(patternFromRows(4, [[0], [1], [2], [3], [0]]), { mode: 'rev', vjp }),
      ).toThrow(/vjp returned a vector of length 6 .* has length 4/)
      expect(() =>
        sparseJacobianFromProducts(pattern, { mode: 'fwd', jvp: () => undefined as unknown as Float64Array }),
      ).toThrow(/jvp returned undefined/)
      expect(() => sparseJacobianFromProducts(pattern, { mode: 'fwd', batchedJvp: () => [] })).toThrow(
        /batched jvp returned 0 vectors for 3 seeds/,
      )
    })

    it('a colouring that does not fit', () => {
      const columns = colourColumns(pattern)
      expect(() => sparseJacobianFromProducts(pattern, { mode: 'rev', vjp, colouring: columns })).toThrow(
        /mode 'rev' does not match a colouring of kind 'column'/,
      )
      const star = colourStar(bandedPattern(6, 1, 1))
      expect(() => sparseJacobianFromProducts(pattern, { jvp, colouring: star })).toThrow(
        /star colouring is for Hessians/,
      )
      const short = colourColumns(bandedPattern(4, 1, 1))
      expect(() => sparseJacobianFromProducts(pattern, { jvp, colouring: short })).toThrow(
        /colours 4 columns, the pattern is 5×6/,
      )
      const invalid: Colouring = { ...columns, colour: new Int32Array(6), count: 1 }
      expect(() => sparseJacobianFromProducts(pattern, { jvp, colouring: invalid })).toThrow(
        /row 0 has two nonzeros coloured 0/,
      )
    })
  })
})

describe('seeds and decompression', () => {
  it('a seed is the sum of the unit vectors of its colour', () => {
    const c = colourColumns(pattern)
    const seeds = seedVectors(c)
    expect(seeds).toHaveLength(c.count)
    const sum = new Float64Array(6)
    seeds.forEach((s, k) =>
      s.forEach((v, j) => {
        expect(v).toBe(c.colour[j] === k ? 1 : 0)
        sum[j]! += v
      }),
    )
    expect([...sum]).toEqual([1, 1, 1, 1, 1, 1])
  })

  it('checks the number and length of the products and the colours', () => {
    const c = colourColumns(pattern)
    const products = seedVectors(c).map((s) => times(J, s))
    expect(decompressColumns(pattern, c, products).toDense()).toEqual(J)
    expect(() => decompressColumns(pattern, c, products.slice(1))).toThrow(/need 3 products, got 2/)
    expect(() => decompressColumns(pattern, c, [...products.slice(1), new Float64Array(4)])).toThrow(
      /product 2 has length 4, expected 5/,
    )
    const outOfRange: Colouring = { ...c, colour: Int32Array.of(0, 1, 2, 0, 1, 3) }
    expect(() => decompressColumns(pattern, outOfRange, products)).toThrow(/colour 3 of column 5/)
    expect(() => seedVectors(outOfRange)).toThrow(/colour 3 of vertex 5/)
    const r = colourRows(pattern)
    const rowProducts = seedVectors(r).map((s) => timesT(J, 6, s))
    expect(decompressRows(pattern, r, rowProducts).toDense()).toEqual(J)
    expect(() => decompressRows(pattern, c, rowProducts)).toThrow(
      /colours 6 vertices, the pattern has 5 rows/,
    )
    const clash: Colouring = { ...r, colour: new Int32Array(5) }
    expect(() => decompressRows(pattern, clash, rowProducts)).toThrow(SparsityError)
  })
})

describe('sparseHessianFromProducts', () => {
  const H = [
    [4, 1, 0, 0, 2],
    [1, 5, 1, 0, 0],
    [0, 1, 6, 1, 0],
    [0, 0, 1, 7, 0],
    [2, 0, 0, 0, 8],
  ]
  const hp = patternFromDense(H)

  it('recovers a symmetric Hessian from star-coloured HVPs', () => {
    let calls = 0
    const r = sparseHessianFromProducts(hp, (s) => {
      calls++
      return times(H, s)
    })
    expect(r.matrix.toDense()).toEqual(H)
    expect(calls).toBe(r.colours)
    expect(r.colours).toBe(3)
    expect(r.colouring.kind).toBe('star')
  })

  it('takes options: batched HVP, a reused colouring, an ordering', () => {
    const colouring = colourStar(hp, { ordering: 'natural' })
    const r = sparseHessianFromProducts(hp, {
      batchedHvp: (seeds) => seeds.map((s) => times(H, s)),
      colouring,
    })
    expect(r.colouring).toBe(colouring)
    expect(r.matrix.toDense()).toEqual(H)
    const l = sparseHessianFromProducts(hp, { hvp: (s) => times(H, s), ordering: 'largest-first' })
    expect(l.colouring.ordering).toBe('largest-first')
    expect(l.matrix.toDense()).toEqual(H)
  })

  it('symmetric recovery also accepts a column colouring', () => {
    const colouring = colourColumns(hp)
    const r = sparseHessianFromProducts(hp, { hvp: (s) => times(H, s), colouring })
    expect(r.matrix.toDense()).toEqual(H)
  })

  it('rejects a colouring that is not a star colouring', () => {
    const path = bandedPattern(4, 1, 1)
    const T = [
      [1, 2, 0, 0],
      [2, 1, 3, 0],
      [0, 3, 1, 4],
      [0, 0, 4, 1],
    ]
    const base = colourStar(path)
    const bicoloured: Colouring = { ...base, colour: Int32Array.of(0, 1, 0, 1), count: 2 }
    expect(() => sparseHessianFromProducts(path, { hvp: (s) => times(T, s), colouring: bicoloured })).toThrow(
      /H_1,2 cannot be recovered: row 1 has another nonzero in a column coloured 0 and row 2 another nonzero in a column coloured 1/,
    )
    const clash: Colouring = { ...base, colour: Int32Array.of(0, 0, 1, 2), count: 3 }
    expect(() =>
      decompressStar(path, clash, [new Float64Array(4), new Float64Array(4), new Float64Array(4)]),
    ).toThrow(/H_0,0 cannot be recovered/)
  })

  it('rejects bad patterns and products', () => {
    expect(() => sparseHessianFromProducts(bandedPattern(4, 1, 0), (s) => s)).toThrow(/square and symmetric/)
    expect(() => sparseHessianFromProducts(hp, {})).toThrow(/give hvp or batchedHvp/)
    expect(() => sparseHessianFromProducts(hp, (s) => s.subarray(1))).toThrow(
      /hvp returned a vector of length 4 for a seed of length 5, but H·s for a 5×5 pattern has length 5/,
    )
    expect(() =>
      sparseHessianFromProducts(hp, { hvp: (s) => s, colouring: colourStar(bandedPattern(3, 1, 1)) }),
    ).toThrow(/colours 3 columns/)
    expect(() =>
      decompressStar(patternFromRows(2, [[1], []]), colourStar(bandedPattern(2, 0, 0)), []),
    ).toThrow(/must be square and symmetric/)
  })

  it('chained Rosenbrock, n = 10,000: 3 HVPs give the exact Hessian', () => {
    const n = 10_000
    const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i))
    // f = Σ_{i<n-1} 100 (x_{i+1} - x_i²)² + (1 - x_i)²; the term of index i contributes
    //   ∂²/∂x_i² = 1200 x_i² - 400 x_{i+1} + 2, ∂²/∂x_i∂x_{i+1} = -400 x_i, ∂²/∂x_{i+1}² = 200
    const diag = new Float64Array(n)
    const off = new Float64Array(n - 1)
    for (let i = 0; i + 1 < n; i++) {
      diag[i]! += 1200 * x[i]! * x[i]! - 400 * x[i + 1]! + 2
      diag[i + 1]! += 200
      off[i] = -400 * x[i]!
    }
    const hvp = (v: Float64Array) =>
      v.map(
        (vi, i) =>
          diag[i]! * vi + (i > 0 ? off[i - 1]! * v[i - 1]! : 0) + (i + 1 < n ? off[i]! * v[i + 1]! : 0),
      )
    const r = sparseHessianFromProducts(bandedPattern(n, 1, 1), hvp)
    expect(r.products).toBe(3)
    let worst = 0
    let asymmetric = 0
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(r.matrix.get(i, i) - diag[i]!))
      if (i + 1 < n) {
        worst = Math.max(worst, Math.abs(r.matrix.get(i, i + 1) - off[i]!))
        if (r.matrix.get(i + 1, i) !== r.matrix.get(i, i + 1)) asymmetric++
      }
    }
    expect(worst).toBe(0)
    expect(asymmetric).toBe(0)
    checkPattern(bandedPattern(n, 1, 1), hvp, { matrix: r.matrix })
  })
})

describe('checkPattern', () => {
  const jvp = (s: Float64Array) => times(J, s)
  const vjp = (s: Float64Array) => timesT(J, 6, s)

  it('passes for the right pattern and returns the matrix', () => {
    expect(checkPattern(pattern, jvp).toDense()).toEqual(J)
    expect(checkPattern(pattern, vjp, { mode: 'rev' }).toDense()).toEqual(J)
  })

  it('passes for a pattern with extra structural nonzeros', () => {
    const wider = patternFromRows(6, [
      [0, 1, 2],
      [0, 2, 5],
      [0, 3],
      [0, 4],
      [4, 5],
    ])
    const m = checkPattern(wider, jvp)
    expect(m.toDense()).toEqual(J)
    expect(m.get(0, 2)).toBe(0)
  })

  it('names the rows that disagree when the pattern misses nonzeros', () => {
    // J_21 = 7 is at (2, 3) and J_44 = 10 is at (4, 4): drop both
    const missing = patternFromRows(6, [[0, 1], [0, 2, 5], [0], [0, 4], [5]])
    expect(() => checkPattern(missing, jvp)).toThrow(SparsityError)
    expect(() => checkPattern(missing, jvp)).toThrow(
      /checkPattern: 2 of 5 rows disagree: 2 \(J·s = .*\), 4 \(/,
    )
    expect(() => checkPattern(missing, vjp, { mode: 'rev' })).toThrow(/2 of 6 columns disagree: 3 .*, 4 /)
  })

  it('detects a nonzero folded into another entry of the same colour', () => {
    // true J = [[1, 1]]; the pattern claims [[x, .]]: one colour, J·e = 2 is read as J_00
    const folded = patternFromRows(2, [[0], [1]])
    const f = (s: Float64Array) => Float64Array.of(s[0]! + s[1]!, s[1]!)
    const m = sparseJacobianFromProducts(folded, { mode: 'fwd', jvp: f }).matrix
    expect(m.get(0, 0)).toBe(2)
    expect(() => checkPattern(folded, f, { matrix: m })).toThrow(/1 of 2 rows disagree: 0 /)
  })

  it('honours the tolerances and the seed', () => {
    const noisy = (s: Float64Array) => times(J, s).map((v) => v * (1 + 1e-6))
    expect(() => checkPattern(pattern, noisy, { matrix: checkPattern(pattern, jvp) })).toThrow(SparsityError)
    expect(() =>
      checkPattern(pattern, noisy, { matrix: checkPattern(pattern, jvp), rtol: 1e-5 }),
    ).not.toThrow()
    expect(() => checkPattern(pattern, jvp, { seed: 42 })).not.toThrow()
  })

  it('finds a nonzero of relative size 1e-8 that compression folds into another entry', () => {
    // H = [[2, 1e-8], [1e-8, 0]] with a diagonal pattern: one colour, H·(1, 1) reads H_00 = 2.00000001
    const hvp = (s: Float64Array) => Float64Array.of(2 * s[0]! + 1e-8 * s[1]!, 1e-8 * s[0]!)
    const diagonal = bandedPattern(2, 0, 0)
    const m = sparseHessianFromProducts(diagonal, hvp).matrix
    expect(m.get(0, 0)).toBe(2.00000001)
    expect(() => checkPattern(diagonal, hvp, { matrix: m })).toThrow(/2 of 2 rows disagree: 0 \(J·s = /)
    expect(() => checkPattern(diagonal, hvp)).toThrow(SparsityError)
    expect(checkPattern(bandedPattern(2, 1, 1), hvp).get(0, 1)).toBe(1e-8)
  })

  it('checks a matrix of any scale at its own scale', () => {
    for (const scale of [1e-200, 1e-30, 1e30, 1e200]) {
      const scaled = J.map((row) => row.map((v) => v * scale))
      const jvp = (s: Float64Array) => times(scaled, s)
      expect(checkPattern(pattern, jvp).get(4, 5)).toBe(11 * scale)
      const missing = patternFromRows(6, [[0, 1], [0, 2, 5], [0], [0, 4], [5]])
      expect(() => checkPattern(missing, jvp)).toThrow(/2 of 5 rows disagree: 2 \(.*\), 4 \(/)
    }
  })

  it('passes float32 products of the right pattern, and still finds a missing nonzero', () => {
    // a 40×40 Jacobian with two bands, its JVP computed in float32
    const n = 40
    const dense = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) =>
        j === i || j === (i * 7) % n ? Math.fround(Math.sin(i + 2 * j) + 1.5) : 0,
      ),
    )
    const jvp32 = (s: Float64Array) =>
      Float64Array.from(dense, (row) =>
        row.reduce((acc, v, j) => Math.fround(acc + Math.fround(v * Math.fround(s[j]!))), 0),
      )
    const right = patternFromDense(dense)
    expect(checkPattern(right, jvp32, { dtype: 'float32' }).toDense()).toEqual(dense)
    expect(
      checkPattern(right, (s) => timesT(dense, n, s).map(Math.fround), { mode: 'rev', dtype: 'float32' }).nnz,
    ).toBe(right.nnz)
    const holed = patternFromRows(
      n,
      Array.from({ length: n }, (_, i) => [...right.row(i)].filter((j) => i !== 3 || j !== 21)),
    )
    expect(right.has(3, 21)).toBe(true)
    expect(() => checkPattern(holed, jvp32, { dtype: 'float32' })).toThrow(/1 of 40 rows disagree: 3 \(/)
  })

  it('allows the rounding of terms that cancel inside the product, measured at ¾s', () => {
    // J = diag(0.3) computed as (1e8 + 0.3) s - 1e8 s: rounding of order 1e-8, far above ε·0.3
    const jvp = (s: Float64Array) => s.map((v) => (1e8 + 0.3) * v - 1e8 * v)
    const m = checkPattern(bandedPattern(30, 0, 0), jvp)
    expect(Math.abs(m.get(0, 0) - 0.3)).toBeLessThan(1e-7)
    // a missing nonzero well above that rounding is still found
    const withOff = (s: Float64Array) => jvp(s).map((v, i) => v + (i === 4 ? 1e-3 * s[5]! : 0))
    expect(() => checkPattern(bandedPattern(30, 0, 0), withOff)).toThrow(/1 of 30 rows disagree: 4 \(/)
  })

  it('compares the compressed products given with the matrix: a nonzero where none is predicted', () => {
    const jvp = (s: Float64Array) => times(J, s)
    const r = sparseJacobianFromProducts(pattern, { mode: 'fwd', jvp })
    const products = seedVectors(r.colouring).map(jvp)
    const { matrix, colouring } = r
    expect(checkPattern(pattern, jvp, { matrix, colouring, products })).toBe(matrix)
    // row 0 of a colour that holds none of its columns: J·s_c must be 0 there
    const c = [...Array(colouring.count).keys()].find((k) => ![0, 1].some((j) => colouring.colour[j] === k))!
    const tampered = products.map((b, k) => (k === c ? b.map((v, i) => (i === 0 ? 1e-6 : v)) : b))
    expect(() => checkPattern(pattern, jvp, { matrix, colouring, products: tampered })).toThrow(
      new RegExp(`1 of 5 rows disagree: 0 \\(J·s of colour ${c} = 0.000001, decompressed = 0\\)`),
    )
    expect(() => checkPattern(pattern, jvp, { matrix, colouring })).toThrow(
      /give colouring and products together/,
    )
    expect(() => checkPattern(pattern, jvp, { matrix, colouring, products: products.slice(1) })).toThrow(
      /colours need .* products/,
    )
  })

  it('rejects an unknown mode, a matrix of the wrong shape, a product of the wrong length', () => {
    expect(() => checkPattern(pattern, jvp, { mode: 'both' as 'fwd' })).toThrow(/unknown mode 'both'/)
    const other = checkPattern(bandedPattern(3, 1, 1), (s) => s)
    expect(() => checkPattern(pattern, jvp, { matrix: other })).toThrow(/the matrix is 3×3, the pattern 5×6/)
    expect(() => checkPattern(bandedPattern(6, 1, 1), jvp)).toThrow(/has length 6/)
  })
})
