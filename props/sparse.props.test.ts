import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import {
  SparsityError,
  bandedPattern,
  blockDiagonalPattern,
  checkPattern,
  colourColumns,
  colourRows,
  colourStar,
  isColumnColouring,
  isRowColouring,
  isStarColouring,
  patternFromDense,
  patternFromRows,
  seedVectors,
  sparseHessianFromProducts,
  sparseJacobianFromProducts,
  symmetrize,
  type ColouringOrder,
  type SparsityPattern,
} from '../src/sparse/index.js'

const SEED = 20_240_611
const ORDERS: readonly ColouringOrder[] = ['natural', 'largest-first', 'smallest-last', 'incidence-degree']
const ORDERINGS = [...ORDERS, 'best'] as const

// ---------------------------------------------------------------------------------------------
// generators and dense references
// ---------------------------------------------------------------------------------------------

type Dense = number[][]

const valueArb = fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true })

/** A dense m×n matrix with a random density, and a mask of extra structural nonzeros. */
const sparseLinearMapArb = (maxRows: number, maxCols: number, values = valueArb) =>
  fc
    .record({
      m: fc.integer({ min: 0, max: maxRows }),
      n: fc.integer({ min: 0, max: maxCols }),
      density: fc.integer({ min: 1, max: 9 }),
    })
    .chain(({ m, n, density }) =>
      fc.record({
        n: fc.constant(n),
        J: fc.array(
          fc.array(
            fc.tuple(fc.nat(9), values).map(([k, v]) => (k < density ? v : 0)),
            { minLength: n, maxLength: n },
          ),
          { minLength: m, maxLength: m },
        ),
        extra: fc.array(
          fc.array(
            fc.nat(19).map((k) => k === 0),
            { minLength: n, maxLength: n },
          ),
          {
            minLength: m,
            maxLength: m,
          },
        ),
      }),
    )
    .map(({ n, J, extra }) => ({
      J,
      n,
      pattern: patternFromRows(
        n,
        J.map((row, i) => row.flatMap((v, j) => (v !== 0 || extra[i]![j] ? [j] : []))),
      ),
    }))

/** A symmetric n×n matrix with a random density, and its pattern with extra symmetric nonzeros. */
/**
 * A symmetric n×n matrix with a random density and up to two hubs (dense rows and columns), and
 * its pattern with extra symmetric structural nonzeros.
 */
const symmetricArb = (maxN: number) =>
  fc
    .record({ n: fc.integer({ min: 0, max: maxN }), density: fc.integer({ min: 1, max: 9 }) })
    .chain(({ n, density }) =>
      fc.record({
        n: fc.constant(n),
        upper: fc.array(fc.tuple(fc.nat(9), valueArb, fc.nat(19)), { minLength: n * n, maxLength: n * n }),
        density: fc.constant(density),
        hubs: fc.array(fc.nat(), { maxLength: 2 }),
      }),
    )
    .map(({ n, upper, density, hubs }) => {
      const H: Dense = Array.from({ length: n }, () => new Array<number>(n).fill(0))
      for (let i = 0; i < n; i++) {
        for (let j = i; j < n; j++) {
          const [k, v] = upper[i * n + j]!
          H[i]![j] = H[j]![i] = k < density ? v : 0
        }
      }
      for (const h of hubs) {
        if (n > 0) for (let j = 0; j < n; j++) H[h % n]![j] = H[j]![h % n] = 1 + j
      }
      const rows = H.map((row, i) =>
        row.flatMap((v, j) => (v !== 0 || upper[Math.min(i, j) * n + Math.max(i, j)]![2] === 0 ? [j] : [])),
      )
      return { H, n, pattern: patternFromRows(n, rows) }
    })

const times = (J: Dense, s: ArrayLike<number>) =>
  Float64Array.from(J, (row) => row.reduce((acc, v, j) => acc + v * s[j]!, 0))
const timesT = (J: Dense, n: number, s: ArrayLike<number>) =>
  Float64Array.from({ length: n }, (_, j) => J.reduce((acc, row, i) => acc + s[i]! * row[j]!, 0))

/** Entry-by-entry ===, so that 0 and -0 agree. */
const sameMatrix = (a: Dense, b: Dense) =>
  a.length === b.length &&
  a.every((row, i) => row.length === b[i]!.length && row.every((v, j) => v === b[i]![j]))

/** The off-diagonal adjacency lists of a symmetric pattern. */
const neighbourLists = (p: SparsityPattern) =>
  Array.from({ length: p.nRows }, (_, i) => [...p.row(i)].filter((j) => j !== i))

/** Every path a - b - c - d on four distinct vertices uses at least three colours (brute force). */
function starByBruteForce(p: SparsityPattern, colour: ArrayLike<number>): boolean {
  const adj = neighbourLists(p)
  for (let a = 0; a < adj.length; a++) {
    for (const b of adj[a]!) {
      if (colour[a] === colour[b]) return false
      for (const c of adj[b]!) {
        if (c === a) continue
        for (const d of adj[c]!) {
          if (d === a || d === b) continue
          if (new Set([colour[a], colour[b], colour[c], colour[d]]).size < 3) return false
        }
      }
    }
  }
  return true
}

/**
 * The greedy star colouring in natural order, transcribed directly: v avoids the colours of its
 * coloured neighbours w, of coloured x ~ w when w is uncoloured, and of coloured x ~ w when x has
 * another coloured neighbour y ≠ w with colour(y) = colour(w).
 */
function referenceStarColouring(p: SparsityPattern): number[] {
  const adj = neighbourLists(p)
  const colour = new Array<number>(adj.length).fill(-1)
  for (let v = 0; v < adj.length; v++) {
    const forbidden = new Set<number>()
    for (const w of adj[v]!) {
      if (colour[w]! >= 0) forbidden.add(colour[w]!)
      for (const x of adj[w]!) {
        if (x === v || colour[x]! < 0) continue
        if (colour[w]! < 0) forbidden.add(colour[x]!)
        else if (adj[x]!.some((y) => y !== w && colour[y] === colour[w])) forbidden.add(colour[x]!)
      }
    }
    let c = 0
    while (forbidden.has(c)) c++
    colour[v] = c
  }
  return colour
}

/** The least k admitting a colouring that `valid` accepts, by exhaustive search (small n only). */
function exactColourCount(
  n: number,
  valid: (colour: number[]) => boolean,
  partialOk: (colour: number[], v: number) => boolean,
) {
  for (let k = n === 0 ? 0 : 1; ; k++) {
    const colour = new Array<number>(n).fill(-1)
    let found = false
    const search = (v: number, used: number): void => {
      if (found) return
      if (v === n) {
        found = valid(colour)
        return
      }
      // colours are interchangeable: vertex v uses at most one new colour
      for (let c = 0; c < Math.min(k, used + 1) && !found; c++) {
        colour[v] = c
        if (partialOk(colour, v)) search(v + 1, Math.max(used, c + 1))
      }
      colour[v] = -1
    }
    search(0, 0)
    if (found) return k
  }
}

// ---------------------------------------------------------------------------------------------
// Jacobians
// ---------------------------------------------------------------------------------------------

describe('sparse Jacobians of random sparse linear maps', () => {
  it('forward mode recovers J exactly, for every ordering', () => {
    fc.assert(
      fc.property(sparseLinearMapArb(12, 12), fc.constantFrom(...ORDERINGS), ({ J, pattern }, ordering) => {
        const r = sparseJacobianFromProducts(pattern, { mode: 'fwd', ordering, jvp: (s) => times(J, s) })
        expect(sameMatrix(r.matrix.toDense(), J)).toBe(true)
        expect(r.products).toBe(r.colours)
        expect(r.colours).toBeGreaterThanOrEqual(r.lowerBound)
        expect(r.lowerBound).toBe(pattern.nCols === 0 ? 0 : Math.max(1, pattern.maxRowNnz()))
      }),
      { seed: SEED, numRuns: 150 },
    )
  })

  it('reverse mode recovers J exactly, for every ordering', () => {
    fc.assert(
      fc.property(
        sparseLinearMapArb(12, 12),
        fc.constantFrom(...ORDERINGS),
        ({ J, n, pattern }, ordering) => {
          const r = sparseJacobianFromProducts(pattern, {
            mode: 'rev',
            ordering,
            vjp: (s) => timesT(J, n, s),
          })
          expect(sameMatrix(r.matrix.toDense(), J)).toBe(true)
          expect(r.colours).toBeGreaterThanOrEqual(r.lowerBound)
          expect(r.lowerBound).toBe(pattern.nRows === 0 ? 0 : Math.max(1, pattern.maxColNnz()))
        },
      ),
      { seed: SEED + 1, numRuns: 150 },
    )
  })

  it('batched and auto modes agree with the single-product forward mode', () => {
    fc.assert(
      fc.property(sparseLinearMapArb(10, 10), ({ J, n, pattern }) => {
        const auto = sparseJacobianFromProducts(pattern, {
          batchedJvp: (seeds) => seeds.map((s) => times(J, s)),
          batchedVjp: (seeds) => seeds.map((s) => timesT(J, n, s)),
        })
        expect(sameMatrix(auto.matrix.toDense(), J)).toBe(true)
        const fwd = colourColumns(pattern).count
        const rev = colourRows(pattern).count
        expect(auto.colours).toBe(Math.min(fwd, rev))
        expect(auto.mode).toBe(fwd <= rev ? 'fwd' : 'rev')
      }),
      { seed: SEED + 2, numRuns: 100 },
    )
  })

  it('every ordering gives a valid colouring, never below the bound; best is the least of them', () => {
    fc.assert(
      fc.property(sparseLinearMapArb(14, 14), ({ pattern }) => {
        for (const [colour, isValid, kind] of [
          [colourColumns, isColumnColouring, 'columns'],
          [colourRows, isRowColouring, 'rows'],
        ] as const) {
          const counts = ORDERS.map((ordering) => {
            const c = colour(pattern, { ordering })
            expect(isValid(pattern, c.colour), `${kind}, ${ordering}`).toBe(true)
            expect(c.count).toBeGreaterThanOrEqual(c.lowerBound)
            expect(c.ordering).toBe(ordering)
            return c.count
          })
          const best = colour(pattern)
          expect(isValid(pattern, best.colour)).toBe(true)
          expect(best.count).toBeLessThanOrEqual(Math.min(...counts))
        }
      }),
      { seed: SEED + 3, numRuns: 150 },
    )
  })

  it('lower bound ≤ the exact chromatic number of the column-intersection graph ≤ colours', () => {
    fc.assert(
      fc.property(sparseLinearMapArb(7, 7), ({ pattern }) => {
        const n = pattern.nCols
        const t = pattern.transpose()
        const conflict = (a: number, b: number) => [...t.row(a)].some((i) => t.row(b).includes(i))
        const exact = exactColourCount(
          n,
          () => true,
          (colour, v) => colour.slice(0, v).every((c, u) => c !== colour[v] || !conflict(u, v)),
        )
        const c = colourColumns(pattern)
        expect(c.lowerBound).toBeLessThanOrEqual(exact)
        expect(c.count).toBeGreaterThanOrEqual(exact)
      }),
      { seed: SEED + 4, numRuns: 150 },
    )
  })

  it('seeds are 0/1 vectors whose sum is the all-ones vector', () => {
    fc.assert(
      fc.property(sparseLinearMapArb(10, 10), ({ pattern }) => {
        const c = colourColumns(pattern)
        const seeds = seedVectors(c)
        expect(seeds).toHaveLength(c.count)
        const sum = new Float64Array(pattern.nCols)
        for (const s of seeds) s.forEach((v, j) => (sum[j]! += v))
        expect([...sum].every((v) => v === 1)).toBe(true)
      }),
      { seed: SEED + 5, numRuns: 60 },
    )
  })
})

describe('colourings of banded and block-diagonal patterns equal the lower bound', () => {
  it('banded with any bandwidths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(...ORDERINGS),
        (n, lower, upper, ordering) => {
          const p = bandedPattern(n, lower, upper)
          const bound = Math.min(n, lower + upper + 1, Math.max(1, p.maxRowNnz()))
          for (const c of [colourColumns(p, { ordering }), colourRows(p, { ordering })]) {
            expect(c.lowerBound).toBe(bound)
            expect(c.count).toBe(bound)
          }
        },
      ),
      { seed: SEED + 6, numRuns: 150 },
    )
  })

  it('block-diagonal, also for star colourings', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }), (sizes) => {
        const p = blockDiagonalPattern(sizes)
        const largest = Math.max(...sizes)
        for (const c of [colourColumns(p), colourRows(p), colourStar(p)]) {
          expect(c.lowerBound).toBe(largest)
          expect(c.count).toBe(largest)
        }
      }),
      { seed: SEED + 7, numRuns: 100 },
    )
  })

  it('tridiagonal star colourings use 3 colours from n = 4 on', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 200 }), (n) => {
        const c = colourStar(bandedPattern(n, 1, 1))
        expect(c.count).toBe(3)
        expect(c.lowerBound).toBe(3)
      }),
      { seed: SEED + 8, numRuns: 50 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Hessians
// ---------------------------------------------------------------------------------------------

describe('sparse Hessians of random symmetric matrices', () => {
  it('star colouring + symmetric recovery gives H exactly, for every ordering', () => {
    fc.assert(
      fc.property(symmetricArb(12), fc.constantFrom(...ORDERINGS), ({ H, pattern }, ordering) => {
        const r = sparseHessianFromProducts(pattern, { hvp: (s) => times(H, s), ordering })
        expect(sameMatrix(r.matrix.toDense(), H)).toBe(true)
        expect(r.products).toBe(r.colours)
        expect(r.colours).toBeGreaterThanOrEqual(r.lowerBound)
      }),
      { seed: SEED + 9, numRuns: 200 },
    )
  })

  it('the colouring is a star colouring, checked on every path of four vertices', () => {
    fc.assert(
      fc.property(symmetricArb(12), fc.constantFrom(...ORDERINGS), ({ pattern }, ordering) => {
        expect(pattern.isSymmetric()).toBe(true)
        const c = colourStar(pattern, { ordering })
        expect(starByBruteForce(pattern, c.colour)).toBe(true)
        expect(isStarColouring(pattern, c.colour)).toBe(true)
      }),
      { seed: SEED + 10, numRuns: 200 },
    )
  })

  it('the incremental star colouring makes the same choices as the direct transcription', () => {
    fc.assert(
      fc.property(symmetricArb(16), ({ pattern }) => {
        expect([...colourStar(pattern, { ordering: 'natural' }).colour]).toEqual(
          referenceStarColouring(pattern),
        )
      }),
      { seed: SEED + 16, numRuns: 200 },
    )
  })

  it('isStarColouring agrees with the brute force on arbitrary colourings', () => {
    fc.assert(
      fc.property(
        symmetricArb(9).chain(({ pattern, n }) =>
          fc.record({
            pattern: fc.constant(pattern),
            colour: fc.array(fc.nat(Math.max(0, Math.min(n - 1, 3))), { minLength: n, maxLength: n }),
          }),
        ),
        ({ pattern, colour }) => {
          expect(isStarColouring(pattern, colour)).toBe(starByBruteForce(pattern, colour))
        },
      ),
      { seed: SEED + 11, numRuns: 300 },
    )
  })

  it('lower bound ≤ the exact star chromatic number ≤ colours', () => {
    fc.assert(
      fc.property(symmetricArb(7), ({ pattern, n }) => {
        const adj = neighbourLists(pattern)
        const exact = exactColourCount(
          n,
          (colour) => starByBruteForce(pattern, colour),
          (colour, v) => adj[v]!.every((u) => u > v || colour[u] !== colour[v]),
        )
        const c = colourStar(pattern)
        expect(c.lowerBound).toBeLessThanOrEqual(exact)
        expect(c.count).toBeGreaterThanOrEqual(exact)
      }),
      { seed: SEED + 12, numRuns: 120 },
    )
  })

  it('symmetric recovery also accepts a column colouring', () => {
    fc.assert(
      fc.property(symmetricArb(10), ({ H, pattern }) => {
        const columns = colourColumns(pattern)
        const r = sparseHessianFromProducts(pattern, { hvp: (s) => times(H, s), colouring: columns })
        expect(sameMatrix(r.matrix.toDense(), H)).toBe(true)
      }),
      { seed: SEED + 13, numRuns: 100 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// patterns and the pattern check
// ---------------------------------------------------------------------------------------------

describe('patterns', () => {
  it('dense round trip, transpose involution, symmetrize', () => {
    fc.assert(
      fc.property(sparseLinearMapArb(10, 10), ({ pattern }) => {
        const dense = pattern.toDense()
        if (pattern.nRows > 0) expect(patternFromDense(dense).equals(pattern)).toBe(true)
        const t = pattern.transpose()
        expect(t.toDense()).toEqual(
          Array.from({ length: pattern.nCols }, (_, j) => dense.map((row) => row[j])),
        )
        expect(t.transpose().equals(pattern)).toBe(true)
        expect(t.nnz).toBe(pattern.nnz)
        expect(pattern.isSymmetric()).toBe(pattern.nRows === pattern.nCols && pattern.equals(t))
        if (pattern.nRows === pattern.nCols) {
          const s = symmetrize(pattern)
          expect(s.isSymmetric()).toBe(true)
          for (let i = 0; i < pattern.nRows; i++) {
            for (let j = 0; j < pattern.nCols; j++) expect(s.has(i, j)).toBe(dense[i]![j]! || dense[j]![i]!)
          }
        }
      }),
      { seed: SEED + 14, numRuns: 100 },
    )
  })
})

describe('checkPattern', () => {
  // a nonzero below atol would pass unnoticed, as it should
  const awayFromZero = fc
    .tuple(fc.boolean(), fc.double({ min: 0.01, max: 10, noNaN: true }))
    .map(([negative, v]) => (negative ? -v : v))

  it('passes on the true pattern and finds a missing nonzero', () => {
    fc.assert(
      fc.property(
        sparseLinearMapArb(10, 10, awayFromZero),
        fc.nat(),
        fc.nat(),
        ({ J, pattern }, pick, seed) => {
          const jvp = (s: Float64Array) => times(J, s)
          checkPattern(pattern, jvp, { seed })
          const nonzeros = J.flatMap((row, i) => row.flatMap((v, j) => (v !== 0 ? [[i, j] as const] : [])))
          fc.pre(nonzeros.length > 0)
          const [i0, j0] = nonzeros[pick % nonzeros.length]!
          const holed = patternFromRows(
            pattern.nCols,
            Array.from({ length: pattern.nRows }, (_, i) =>
              [...pattern.row(i)].filter((j) => i !== i0 || j !== j0),
            ),
          )
          expect(() => checkPattern(holed, jvp, { seed })).toThrow(SparsityError)
          expect(() => checkPattern(holed, jvp, { seed })).toThrow(new RegExp(`rows disagree: ${i0} \\(`))
        },
      ),
      { seed: SEED + 15, numRuns: 100 },
    )
  })
})
