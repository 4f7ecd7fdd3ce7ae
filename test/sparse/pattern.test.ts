import { describe, expect, it } from 'vitest'

import {
  SparsityError,
  SparsityPattern,
  bandedPattern,
  blockDiagonalPattern,
  patternFromDense,
  patternFromEntries,
  patternFromRows,
  symmetrize,
} from '../../src/sparse/index.js'

describe('SparsityPattern', () => {
  // [x . x .]
  // [. . . .]
  // [x x . x]
  const p = patternFromRows(4, [[2, 0], [], [3, 1, 0, 1]])

  it('stores sorted, deduplicated CSR rows', () => {
    expect([...p.rowPtr]).toEqual([0, 2, 2, 5])
    expect([...p.colIdx]).toEqual([0, 2, 0, 1, 3])
    expect(p.shape).toEqual([3, 4])
    expect(p.nnz).toBe(5)
  })

  it('reads rows, columns, entries and counts', () => {
    expect([...p.row(2)]).toEqual([0, 1, 3])
    expect([...p.row(1)]).toEqual([])
    expect([...p.column(0)]).toEqual([0, 2])
    expect([...p.column(2)]).toEqual([0])
    expect(p.has(2, 3)).toBe(true)
    expect(p.has(2, 2)).toBe(false)
    expect(p.indexOf(2, 1)).toBe(3)
    expect(p.indexOf(1, 1)).toBe(-1)
    expect(p.rowNnz(2)).toBe(3)
    expect(p.colNnz(0)).toBe(2)
    expect(p.maxRowNnz()).toBe(3)
    expect(p.maxColNnz()).toBe(2)
  })

  it('converts to dense booleans and to text', () => {
    expect(p.toDense()).toEqual([
      [true, false, true, false],
      [false, false, false, false],
      [true, true, false, true],
    ])
    expect(p.toString()).toBe('x.x.\n....\nxx.x')
  })

  it('transposes, and the transpose of the transpose is the pattern', () => {
    const t = p.transpose()
    expect(t.shape).toEqual([4, 3])
    expect(t.toString()).toBe('x.x\n..x\nx..\n..x')
    expect(t.transpose()).toBe(p)
    expect(t.transpose().equals(p)).toBe(true)
  })

  it('compares structurally', () => {
    expect(p.equals(patternFromDense(p.toDense()))).toBe(true)
    expect(p.equals(patternFromRows(4, [[0, 2], [], [0, 1]]))).toBe(false)
    expect(p.equals(patternFromRows(5, [[0, 2], [], [0, 1, 3]]))).toBe(false)
    expect(patternFromRows(2, [[0], [1]]).equals(patternFromRows(2, [[1], [0]]))).toBe(false)
  })

  it('knows whether it is symmetric', () => {
    expect(p.isSymmetric()).toBe(false)
    expect(bandedPattern(5, 1, 1).isSymmetric()).toBe(true)
    expect(bandedPattern(5, 1, 2).isSymmetric()).toBe(false)
    expect(patternFromRows(3, [[0], [1]]).isSymmetric()).toBe(false)
  })

  it('handles empty shapes', () => {
    const empty = patternFromRows(0, [])
    expect(empty.shape).toEqual([0, 0])
    expect(empty.maxRowNnz()).toBe(0)
    expect(empty.maxColNnz()).toBe(0)
    expect(empty.toDense()).toEqual([])
    expect(patternFromRows(3, [[], []]).transpose().shape).toEqual([3, 2])
    expect(patternFromDense([]).shape).toEqual([0, 0])
  })
})

describe('constructor validation', () => {
  const make = (nRows: number, nCols: number, ptr: number[], idx: number[]) => () =>
    new SparsityPattern(nRows, nCols, Int32Array.from(ptr), Int32Array.from(idx))

  it('accepts a well-formed CSR structure', () => {
    expect(make(2, 3, [0, 2, 3], [0, 2, 1])().nnz).toBe(3)
  })

  it.each([
    ['a negative dimension', make(-1, 3, [0], [])],
    ['a fractional dimension', make(1.5, 3, [0, 0], [])],
    ['rowPtr of the wrong length', make(2, 3, [0, 1], [0])],
    ['rowPtr not starting at 0', make(1, 3, [1, 1], [0])],
    ['rowPtr not ending at nnz', make(1, 3, [0, 1], [0, 1])],
    ['decreasing rowPtr', make(2, 3, [0, 2, 1], [0])],
    ['a column out of range', make(1, 3, [0, 1], [3])],
    ['unsorted columns', make(1, 3, [0, 2], [2, 1])],
    ['duplicate columns', make(1, 3, [0, 2], [1, 1])],
  ])('rejects %s', (_, build) => {
    expect(build).toThrow(SparsityError)
  })

  it('names the problem', () => {
    expect(make(1, 3, [0, 1], [3])).toThrow(/column index 3 in row 0 is outside \[0, 3\)/)
    try {
      make(1, 3, [0, 1], [3])()
    } catch (e) {
      expect((e as Error).name).toBe('SparsityError')
      expect(e).toBeInstanceOf(Error)
    }
  })

  it('rejects bad indices in accessors', () => {
    const p = bandedPattern(3, 1, 1)
    expect(() => p.row(3)).toThrow(SparsityError)
    expect(() => p.row(-1)).toThrow(SparsityError)
    expect(() => p.column(3)).toThrow(SparsityError)
    expect(() => p.has(0.5, 0)).toThrow(SparsityError)
  })
})

describe('pattern constructors', () => {
  it('patternFromRows rejects out-of-range indices', () => {
    expect(() => patternFromRows(2, [[0, 2]])).toThrow(/column index 2 in row 0/)
    expect(() => patternFromRows(2, [[-1]])).toThrow(SparsityError)
    expect(() => patternFromRows(2, [[0.5]])).toThrow(SparsityError)
    expect(() => patternFromRows(-2, [])).toThrow(SparsityError)
  })

  it('patternFromDense reads nonzeros and true entries, and rejects ragged rows', () => {
    expect(
      patternFromDense([
        [0, 1e-300, -0],
        [true, false, NaN],
      ]).toString(),
    ).toBe('.x.\nx.x')
    expect(() => patternFromDense([[1, 2], [3]])).toThrow(/row 1 has 1 entries, row 0 has 2/)
  })

  it('patternFromEntries merges repeats and checks rows', () => {
    expect(
      patternFromEntries(2, 3, [
        [0, 2],
        [0, 2],
        [1, 0],
      ]).toString(),
    ).toBe('..x\nx..')
    expect(() => patternFromEntries(2, 3, [[2, 0]])).toThrow(/row index 2/)
    expect(() => patternFromEntries(2, 3, [[0, 3]])).toThrow(SparsityError)
  })

  it('bandedPattern has the band and nothing else', () => {
    expect(bandedPattern(5, 2, 0).toString()).toBe('x....\nxx...\nxxx..\n.xxx.\n..xxx')
    expect(bandedPattern(1, 3, 3).toString()).toBe('x')
    expect(bandedPattern(0, 1, 1).nnz).toBe(0)
    const p = bandedPattern(30, 2, 1)
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < 30; j++) expect(p.has(i, j)).toBe(j - i >= -2 && j - i <= 1)
    }
  })

  it('blockDiagonalPattern places dense blocks on the diagonal', () => {
    expect(blockDiagonalPattern([1, 2, 0, 1]).toString()).toBe('x...\n.xx.\n.xx.\n...x')
    expect(() => blockDiagonalPattern([2, -1])).toThrow(SparsityError)
  })

  it('symmetrize gives P ∪ Pᵀ', () => {
    const p = patternFromRows(3, [[2], [0, 1], []])
    const s = symmetrize(p)
    expect(s.toString()).toBe('.xx\nxx.\nx..')
    expect(s.isSymmetric()).toBe(true)
    expect(symmetrize(s).equals(s)).toBe(true)
    expect(() => symmetrize(patternFromRows(3, [[0]]))).toThrow(/square/)
  })
})
