/**
 * Sparse matrices with values: a sparsity pattern and one float64 value per structural nonzero.
 *
 * @module
 */

import { SparsityError } from './errors.js'
import type { SparsityPattern } from './pattern.js'

/**
 * An immutable nRows×nCols CSR matrix: `values[p]` is the entry at row i, column `colIdx[p]` of
 * the pattern, for `rowPtr[i] ≤ p < rowPtr[i+1]`. Entries outside the pattern are zero. The
 * values array is shared, not copied: do not write to it afterwards.
 *
 * @example
 * import { SparseMatrix, patternFromRows } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const m = new SparseMatrix(patternFromRows(3, [[0, 2], [1]]), Float64Array.of(1, 2, 3))
 * assert.strictEqual(m.get(0, 2), 2)
 * assert.strictEqual(m.get(1, 0), 0)
 * assert.deepStrictEqual(m.toDense(), [
 *   [1, 0, 2],
 *   [0, 3, 0],
 * ])
 * assert.deepStrictEqual([...m.matvec(Float64Array.of(1, 1, 1))], [3, 3])
 */
export class SparseMatrix {
  readonly pattern: SparsityPattern
  readonly values: Float64Array

  constructor(pattern: SparsityPattern, values: Float64Array) {
    if (values.length !== pattern.nnz) {
      throw new SparsityError(
        `SparseMatrix: the pattern has ${pattern.nnz} nonzeros but ${values.length} values were given`,
      )
    }
    this.pattern = pattern
    this.values = values
  }

  /** The number of rows. */
  get nRows(): number {
    return this.pattern.nRows
  }

  /** The number of columns. */
  get nCols(): number {
    return this.pattern.nCols
  }

  /** The shape `[nRows, nCols]`. */
  get shape(): readonly [number, number] {
    return this.pattern.shape
  }

  /** The number of structural nonzeros (some may hold the value 0). */
  get nnz(): number {
    return this.pattern.nnz
  }

  /** The entry M_ij: its stored value, or 0 outside the pattern. Throws when (i, j) is out of range. */
  get(i: number, j: number): number {
    if (!Number.isInteger(j) || j < 0 || j >= this.nCols) {
      throw new SparsityError(`SparseMatrix.get: column ${j} is outside [0, ${this.nCols})`)
    }
    const p = this.pattern.indexOf(i, j)
    return p < 0 ? 0 : this.values[p]!
  }

  /** The dense matrix, row by row. */
  toDense(): number[][] {
    return Array.from({ length: this.nRows }, (_, i) => {
      const row = new Array<number>(this.nCols).fill(0)
      for (let p = this.pattern.rowPtr[i]!; p < this.pattern.rowPtr[i + 1]!; p++) {
        row[this.pattern.colIdx[p]!] = this.values[p]!
      }
      return row
    })
  }

  /** The dense matrix as one row-major Float64Array of length nRows·nCols. */
  toDenseData(): Float64Array {
    const { nCols } = this
    const data = new Float64Array(this.nRows * nCols)
    for (let i = 0; i < this.nRows; i++) {
      for (let p = this.pattern.rowPtr[i]!; p < this.pattern.rowPtr[i + 1]!; p++) {
        data[i * nCols + this.pattern.colIdx[p]!] = this.values[p]!
      }
    }
    return data
  }

  /** M·x for x of length nCols: (M x)_i = Σ_p values[p] x[colIdx[p]] over row i. O(nnz). */
  matvec(x: ArrayLike<number>): Float64Array {
    if (x.length !== this.nCols) {
      throw new SparsityError(`SparseMatrix.matvec: x has length ${x.length}, expected nCols = ${this.nCols}`)
    }
    const { rowPtr, colIdx } = this.pattern
    const y = new Float64Array(this.nRows)
    for (let i = 0; i < this.nRows; i++) {
      let sum = 0
      for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) sum += this.values[p]! * x[colIdx[p]!]!
      y[i] = sum
    }
    return y
  }

  /** yᵀ·M for y of length nRows, as a vector of length nCols: (yᵀ M)_j = Σ_i y_i M_ij. O(nnz). */
  rmatvec(y: ArrayLike<number>): Float64Array {
    if (y.length !== this.nRows) {
      throw new SparsityError(
        `SparseMatrix.rmatvec: y has length ${y.length}, expected nRows = ${this.nRows}`,
      )
    }
    const { rowPtr, colIdx } = this.pattern
    const x = new Float64Array(this.nCols)
    for (let i = 0; i < this.nRows; i++) {
      const yi = y[i]!
      for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) x[colIdx[p]!]! += yi * this.values[p]!
    }
    return x
  }
}
