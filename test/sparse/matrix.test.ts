import { describe, expect, it } from 'vitest'

import { SparseMatrix, SparsityError, patternFromRows } from '../../src/sparse/index.js'

describe('SparseMatrix', () => {
  // [1 0 2]
  // [0 0 0]
  // [0 3 4]
  const m = new SparseMatrix(patternFromRows(3, [[0, 2], [], [1, 2]]), Float64Array.of(1, 2, 3, 4))

  it('reads entries inside and outside the pattern', () => {
    expect(m.get(0, 0)).toBe(1)
    expect(m.get(0, 2)).toBe(2)
    expect(m.get(2, 1)).toBe(3)
    expect(m.get(1, 1)).toBe(0)
    expect(m.get(2, 0)).toBe(0)
    expect(m.shape).toEqual([3, 3])
    expect(m.nnz).toBe(4)
  })

  it('rejects out-of-range indices', () => {
    expect(() => m.get(3, 0)).toThrow(SparsityError)
    expect(() => m.get(0, 3)).toThrow(SparsityError)
    expect(() => m.get(0, -1)).toThrow(SparsityError)
  })

  it('converts to dense', () => {
    expect(m.toDense()).toEqual([
      [1, 0, 2],
      [0, 0, 0],
      [0, 3, 4],
    ])
    expect([...m.toDenseData()]).toEqual([1, 0, 2, 0, 0, 0, 0, 3, 4])
  })

  it('multiplies by vectors on either side', () => {
    expect([...m.matvec([1, 10, 100])]).toEqual([201, 0, 430])
    expect([...m.rmatvec([1, 10, 100])]).toEqual([1, 300, 402])
    expect(() => m.matvec([1, 2])).toThrow(/length 2, expected nCols = 3/)
    expect(() => m.rmatvec([1])).toThrow(/expected nRows = 3/)
  })

  it('needs one value per structural nonzero', () => {
    expect(() => new SparseMatrix(patternFromRows(2, [[0]]), Float64Array.of(1, 2))).toThrow(
      /1 nonzeros but 2 values/,
    )
  })

  it('works for rectangular and empty shapes', () => {
    const r = new SparseMatrix(patternFromRows(4, [[3]]), Float64Array.of(7))
    expect(r.toDense()).toEqual([[0, 0, 0, 7]])
    expect([...r.rmatvec([2])]).toEqual([0, 0, 0, 14])
    const e = new SparseMatrix(patternFromRows(0, []), new Float64Array(0))
    expect(e.toDense()).toEqual([])
    expect(e.toDenseData().length).toBe(0)
  })
})
