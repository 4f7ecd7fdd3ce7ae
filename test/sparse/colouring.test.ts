import { describe, expect, it } from 'vitest'

import {
  SparsityError,
  bandedPattern,
  blockDiagonalPattern,
  colourColumns,
  colourRows,
  colourStar,
  isColumnColouring,
  isRowColouring,
  isStarColouring,
  patternFromRows,
  type ColouringOrder,
} from '../../src/sparse/index.js'

const ORDERS: readonly ColouringOrder[] = ['natural', 'largest-first', 'smallest-last', 'incidence-degree']
const ALL = [...ORDERS, 'best'] as const

/** One dense row (row 0) over a diagonal: rows 1..n-1 have a single nonzero on the diagonal. */
const arrowRow = (n: number) =>
  patternFromRows(n, [
    Array.from({ length: n }, (_, j) => j),
    ...Array.from({ length: n - 1 }, (_, i) => [i + 1]),
  ])

/** The symmetric arrow: dense row 0 and column 0, and the diagonal. */
const arrowSymmetric = (n: number) =>
  patternFromRows(n, [
    Array.from({ length: n }, (_, j) => j),
    ...Array.from({ length: n - 1 }, (_, i) => [0, i + 1]),
  ])

/** The Hessian pattern of the chained Rosenbrock function Σ_i 100 (x_{i+1} - x_i²)² + (1 - x_i)². */
function chainedRosenbrockPattern(n: number) {
  const rows: number[][] = Array.from({ length: n }, (_, i) => [i])
  for (let i = 0; i + 1 < n; i++) {
    // the term of index i couples x_i and x_{i+1}
    rows[i]!.push(i + 1)
    rows[i + 1]!.push(i)
  }
  return patternFromRows(n, rows)
}

describe('column and row colourings reach the lower bound on structured patterns', () => {
  it.each(ALL)('tridiagonal and pentadiagonal, ordering %s', (ordering) => {
    for (const [l, u, bound] of [
      [1, 1, 3],
      [2, 2, 5],
      [0, 3, 4],
      [2, 0, 3],
    ] as const) {
      const p = bandedPattern(40, l, u)
      for (const c of [colourColumns(p, { ordering }), colourRows(p, { ordering })]) {
        expect(c.lowerBound).toBe(bound)
        expect(c.count).toBe(bound)
      }
      expect(isColumnColouring(p, colourColumns(p, { ordering }).colour)).toBe(true)
      expect(isRowColouring(p, colourRows(p, { ordering }).colour)).toBe(true)
    }
  })

  it.each(ALL)('block-diagonal, ordering %s', (ordering) => {
    const p = blockDiagonalPattern([3, 1, 5, 2, 5, 4])
    const c = colourColumns(p, { ordering })
    expect(c.lowerBound).toBe(5)
    expect(c.count).toBe(5)
    expect(colourRows(p, { ordering }).count).toBe(5)
  })

  it('reports the kind, the order used and ρ_max', () => {
    const p = bandedPattern(10, 1, 2)
    const c = colourColumns(p, { ordering: 'largest-first' })
    expect(c.kind).toBe('column')
    expect(c.ordering).toBe('largest-first')
    expect(c.maxRowNnz).toBe(4)
    expect(colourRows(p).kind).toBe('row')
    expect(colourColumns(p).ordering).toBe('natural')
  })
})

describe('the vertex order matters', () => {
  // rows {a_i, b_j} for i ≠ j: the column-intersection graph is the crown graph on a_0..a_7
  // (even columns) and b_0..b_7 (odd columns), bipartite, but natural order interleaves a_i, b_i
  // and gives each pair a new colour
  const k = 8
  const rows: number[][] = []
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) if (i !== j) rows.push([2 * i, 2 * j + 1])
  const crown = patternFromRows(2 * k, rows)

  it('natural and largest-first use 8 colours, smallest-last and incidence-degree 2', () => {
    expect(colourColumns(crown, { ordering: 'natural' }).count).toBe(8)
    expect(colourColumns(crown, { ordering: 'largest-first' }).count).toBe(8)
    expect(colourColumns(crown, { ordering: 'smallest-last' }).count).toBe(2)
    expect(colourColumns(crown, { ordering: 'incidence-degree' }).count).toBe(2)
  })

  it("'best' keeps the fewest colours and says which order gave them", () => {
    const c = colourColumns(crown)
    expect(c.count).toBe(2)
    expect(c.lowerBound).toBe(2)
    expect(c.ordering).toBe('smallest-last')
    expect(isColumnColouring(crown, c.colour)).toBe(true)
  })
})

describe('arrow-shaped patterns: one dense row', () => {
  it('forward mode needs a colour per column, reverse mode two', () => {
    const p = arrowRow(50)
    const byColumns = colourColumns(p)
    const byRows = colourRows(p)
    expect(byColumns.count).toBe(50)
    expect(byColumns.lowerBound).toBe(50)
    expect(byRows.count).toBe(2)
    expect(byRows.lowerBound).toBe(2)
    expect(isColumnColouring(p, byColumns.colour)).toBe(true)
    expect(isRowColouring(p, byRows.colour)).toBe(true)
  })

  it('the transpose (one dense column) swaps the roles', () => {
    const p = arrowRow(50).transpose()
    expect(colourColumns(p).count).toBe(2)
    expect(colourRows(p).count).toBe(50)
  })

  it('every order gives a valid colouring', () => {
    const p = arrowRow(30)
    for (const ordering of ORDERS) {
      expect(isColumnColouring(p, colourColumns(p, { ordering }).colour)).toBe(true)
      expect(colourRows(p, { ordering }).count).toBe(2)
    }
  })

  it('a symmetric arrow Hessian needs 2 star colours but n column colours', () => {
    const p = arrowSymmetric(40)
    const star = colourStar(p)
    expect(star.count).toBe(2)
    expect(star.lowerBound).toBe(2)
    expect(star.maxRowNnz).toBe(40)
    expect(isStarColouring(p, star.colour)).toBe(true)
    expect(colourColumns(p).count).toBe(40)
  })
})

describe('star colouring', () => {
  it.each(ALL)('is a valid star colouring on varied patterns, ordering %s', (ordering) => {
    for (const p of [
      bandedPattern(30, 1, 1),
      bandedPattern(30, 2, 2),
      bandedPattern(30, 3, 3),
      blockDiagonalPattern([4, 1, 3]),
      arrowSymmetric(12),
      chainedRosenbrockPattern(25),
    ]) {
      const c = colourStar(p, { ordering })
      expect(isStarColouring(p, c.colour)).toBe(true)
      expect(c.count).toBeGreaterThanOrEqual(c.lowerBound)
    }
  })

  it('a hub reached last forces its neighbours apart, so best leaves natural order out', () => {
    // the arrow with its dense row and column last
    const n = 30
    const reversed = patternFromRows(n, [
      ...Array.from({ length: n - 1 }, (_, i) => [i, n - 1]),
      Array.from({ length: n }, (_, j) => j),
    ])
    expect(colourStar(reversed, { ordering: 'natural' }).count).toBe(n)
    for (const ordering of ['largest-first', 'smallest-last', 'incidence-degree', 'best'] as const) {
      expect(colourStar(reversed, { ordering }).count).toBe(2)
    }
  })

  it('an arrow Hessian with n = 10,000 takes 2 colours', () => {
    const p = arrowSymmetric(10_000)
    const c = colourStar(p)
    expect(c.count).toBe(2)
    expect(isStarColouring(p, c.colour)).toBe(true)
  })

  it('tridiagonal: 3 colours, equal to the lower bound', () => {
    const c = colourStar(bandedPattern(100, 1, 1))
    expect(c.count).toBe(3)
    expect(c.lowerBound).toBe(3)
  })

  it('pentadiagonal: 5 colours = ρ_max, which is optimal (see the exhaustive search below)', () => {
    const c = colourStar(bandedPattern(100, 2, 2))
    expect(c.count).toBe(5)
    expect(c.maxRowNnz).toBe(5)
    // the clique {i, i+1, i+2} and the paths on four vertices give 3
    expect(c.lowerBound).toBe(3)
  })

  it('no star colouring of the 8×8 pentadiagonal pattern has 4 colours', () => {
    const n = 8
    const p = bandedPattern(n, 2, 2)
    const colour = new Array<number>(n).fill(0)
    let found = false
    const search = (v: number): void => {
      if (found) return
      if (v === n) {
        found = isStarColouring(p, colour)
        return
      }
      for (let c = 0; c < 4 && !found; c++) {
        if (colour.slice(Math.max(0, v - 2), v).includes(c)) continue
        colour[v] = c
        search(v + 1)
      }
    }
    search(0)
    expect(found).toBe(false)
  })

  it('block-diagonal: the largest block, equal to the lower bound', () => {
    const c = colourStar(blockDiagonalPattern([2, 6, 1, 3]))
    expect(c.count).toBe(6)
    expect(c.lowerBound).toBe(6)
  })

  it('a pattern without off-diagonal nonzeros needs one colour', () => {
    const c = colourStar(bandedPattern(7, 0, 0))
    expect(c.count).toBe(1)
    expect(c.lowerBound).toBe(1)
    expect(colourStar(patternFromRows(3, [[], [], []])).count).toBe(1)
  })

  it('a star graph, a triangle and a path get the bounds 2, 3, 3', () => {
    expect(colourStar(arrowSymmetric(2)).lowerBound).toBe(2)
    const triangle = patternFromRows(3, [
      [1, 2],
      [0, 2],
      [0, 1],
    ])
    expect(colourStar(triangle).lowerBound).toBe(3)
    expect(colourStar(triangle).count).toBe(3)
    const path4 = patternFromRows(4, [[1], [0, 2], [1, 3], [2]])
    expect(colourStar(path4).lowerBound).toBe(3)
    expect(colourStar(path4).count).toBe(3)
  })

  it('rejects a pattern that is not symmetric', () => {
    expect(() => colourStar(bandedPattern(4, 1, 0))).toThrow(SparsityError)
    expect(() => colourStar(patternFromRows(3, [[0], [1]]))).toThrow(/square and symmetric/)
  })
})

describe('validity checks', () => {
  const path = bandedPattern(5, 1, 1)

  it('isColumnColouring and isRowColouring', () => {
    const p = patternFromRows(3, [
      [0, 1],
      [1, 2],
    ])
    expect(isColumnColouring(p, [0, 1, 0])).toBe(true)
    expect(isColumnColouring(p, [0, 1, 1])).toBe(false)
    expect(isColumnColouring(p, [0, 1])).toBe(false)
    expect(isColumnColouring(p, [0, 1, 3])).toBe(false)
    expect(isColumnColouring(p, [0, 1, -1])).toBe(false)
    expect(isColumnColouring(p, [0, 1, 0.5])).toBe(false)
    expect(isRowColouring(p, [0, 1])).toBe(true)
    expect(isRowColouring(p, [0, 0])).toBe(false)
    expect(isRowColouring(patternFromRows(3, [[0], [2]]), [0, 0])).toBe(true)
    expect(isRowColouring(patternFromRows(2, [[0], [0]]), [1, 1])).toBe(false)
  })

  it('isStarColouring finds distance-1 conflicts and bicoloured paths', () => {
    expect(isStarColouring(path, [0, 1, 2, 0, 1])).toBe(true)
    expect(isStarColouring(path, [0, 0, 1, 2, 0])).toBe(false)
    expect(isStarColouring(path, [0, 1, 0, 1, 2])).toBe(false)
    expect(isStarColouring(path, [2, 0, 1, 0, 1])).toBe(false)
    // a star centred at 1 may use two colours; the path 0 - 1 - 2 - 3 may not
    expect(isStarColouring(path, [0, 1, 0, 2, 0])).toBe(true)
    expect(isStarColouring(path, [0, 1, 2])).toBe(false)
    expect(isStarColouring(bandedPattern(3, 1, 0), [0, 1, 2])).toBe(false)
  })
})

describe('options and edge cases', () => {
  it('rejects an unknown ordering', () => {
    const p = bandedPattern(3, 1, 1)
    const bad = { ordering: 'random' } as unknown as { ordering: ColouringOrder }
    expect(() => colourColumns(p, bad)).toThrow(/colourColumns: unknown ordering 'random'/)
    expect(() => colourRows(p, bad)).toThrow(/colourRows: unknown ordering/)
    expect(() => colourStar(p, bad)).toThrow(/colourStar: unknown ordering/)
  })

  it('empty patterns need no colours, patterns without nonzeros one', () => {
    const empty = patternFromRows(0, [])
    expect(colourColumns(empty).count).toBe(0)
    expect(colourRows(empty).count).toBe(0)
    expect(colourStar(empty).count).toBe(0)
    const zero = patternFromRows(4, [[], []])
    expect(colourColumns(zero)).toMatchObject({ count: 1, lowerBound: 1 })
    expect(colourRows(zero)).toMatchObject({ count: 1, lowerBound: 1 })
    expect(colourColumns(patternFromRows(0, [[], []]))).toMatchObject({ count: 0, lowerBound: 0 })
  })
})

describe('10,000-variable patterns', () => {
  it('tridiagonal Jacobian: 3 colours in both modes', () => {
    const p = bandedPattern(10_000, 1, 1)
    const c = colourColumns(p)
    expect(c.count).toBe(3)
    expect(isColumnColouring(p, c.colour)).toBe(true)
    expect(colourRows(p).count).toBe(3)
  })

  it('chained Rosenbrock Hessian: 3 star colours', () => {
    const p = chainedRosenbrockPattern(10_000)
    expect(p.equals(bandedPattern(10_000, 1, 1))).toBe(true)
    const c = colourStar(p)
    expect(c.count).toBe(3)
    expect(c.lowerBound).toBe(3)
    expect(isStarColouring(p, c.colour)).toBe(true)
  })
})
