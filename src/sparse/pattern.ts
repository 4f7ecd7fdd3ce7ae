/**
 * Sparsity patterns: boolean m×n matrices in compressed sparse row (CSR) form.
 *
 * Row i holds the column indices `colIdx[rowPtr[i] .. rowPtr[i+1])`, strictly increasing (sorted,
 * no duplicates). A pattern says which entries of a Jacobian or Hessian may be nonzero: an entry
 * outside the pattern must be zero, an entry inside it may be zero.
 *
 * @module
 */

import { SparsityError } from './errors.js'

// ---------------------------------------------------------------------------------------------
// validation
// ---------------------------------------------------------------------------------------------

const isIndex = (k: number): boolean => Number.isInteger(k) && k >= 0

function checkDimension(where: string, name: string, k: number): void {
  if (!isIndex(k) || k > 0x7fffffff) {
    throw new SparsityError(`${where}: ${name} must be a non-negative integer, got ${k}`)
  }
}

/** Throws unless (rowPtr, colIdx) is a well-formed CSR structure of an nRows×nCols matrix. */
function checkCsr(nRows: number, nCols: number, rowPtr: Int32Array, colIdx: Int32Array): void {
  const where = 'SparsityPattern'
  checkDimension(where, 'nRows', nRows)
  checkDimension(where, 'nCols', nCols)
  if (rowPtr.length !== nRows + 1) {
    throw new SparsityError(
      `${where}: rowPtr must have nRows + 1 = ${nRows + 1} entries, got ${rowPtr.length}`,
    )
  }
  if (rowPtr[0] !== 0 || rowPtr[nRows] !== colIdx.length) {
    throw new SparsityError(
      `${where}: rowPtr must start at 0 and end at colIdx.length = ${colIdx.length}, ` +
        `got ${rowPtr[0]} and ${rowPtr[nRows]}`,
    )
  }
  for (let i = 0; i < nRows; i++) {
    const start = rowPtr[i]!
    const end = rowPtr[i + 1]!
    if (end < start) throw new SparsityError(`${where}: rowPtr decreases at row ${i}`)
    let previous = -1
    for (let p = start; p < end; p++) {
      const j = colIdx[p]!
      if (j < 0 || j >= nCols) {
        throw new SparsityError(`${where}: column index ${j} in row ${i} is outside [0, ${nCols})`)
      }
      if (j <= previous) {
        throw new SparsityError(`${where}: column indices of row ${i} are not strictly increasing at ${j}`)
      }
      previous = j
    }
  }
}

// ---------------------------------------------------------------------------------------------
// the pattern
// ---------------------------------------------------------------------------------------------

/**
 * An immutable boolean sparse matrix of shape nRows×nCols in CSR form: `rowPtr` (length nRows + 1)
 * and `colIdx` (length nnz), column indices sorted and distinct within each row. The constructor
 * checks these invariants in O(nRows + nnz) and throws a `SparsityError` when one fails. The
 * typed arrays are shared, not copied: do not write to them afterwards.
 *
 * @example
 * import { SparsityPattern } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * // [x . x]
 * // [. x .]
 * const p = new SparsityPattern(2, 3, Int32Array.of(0, 2, 3), Int32Array.of(0, 2, 1))
 * assert.strictEqual(p.nnz, 3)
 * assert.deepStrictEqual(p.toDense(), [
 *   [true, false, true],
 *   [false, true, false],
 * ])
 * assert.deepStrictEqual([...p.transpose().row(2)], [0])
 */
export class SparsityPattern {
  readonly nRows: number
  readonly nCols: number
  readonly rowPtr: Int32Array
  readonly colIdx: Int32Array
  #transposed: SparsityPattern | undefined

  constructor(nRows: number, nCols: number, rowPtr: Int32Array, colIdx: Int32Array) {
    checkCsr(nRows, nCols, rowPtr, colIdx)
    this.nRows = nRows
    this.nCols = nCols
    this.rowPtr = rowPtr
    this.colIdx = colIdx
  }

  /** The shape `[nRows, nCols]`. */
  get shape(): readonly [number, number] {
    return [this.nRows, this.nCols]
  }

  /** The number of structural nonzeros. */
  get nnz(): number {
    return this.colIdx.length
  }

  /** The number of nonzeros in row i. */
  rowNnz(i: number): number {
    this.#checkRow(i)
    return this.rowPtr[i + 1]! - this.rowPtr[i]!
  }

  /** The number of nonzeros in column j. */
  colNnz(j: number): number {
    return this.transpose().rowNnz(j)
  }

  /** The sorted column indices of row i (a view into `colIdx`: do not write to it). */
  row(i: number): Int32Array {
    this.#checkRow(i)
    return this.colIdx.subarray(this.rowPtr[i]!, this.rowPtr[i + 1]!)
  }

  /** The sorted row indices of column j: the column view, read from the (cached) transpose. */
  column(j: number): Int32Array {
    if (!isIndex(j) || j >= this.nCols) {
      throw new SparsityError(`SparsityPattern.column: column ${j} is outside [0, ${this.nCols})`)
    }
    return this.transpose().row(j)
  }

  /** Whether (i, j) is in the pattern: a binary search in row i, O(log nnz(row i)). */
  has(i: number, j: number): boolean {
    return this.indexOf(i, j) >= 0
  }

  /**
   * The position p of (i, j) in `colIdx` (so a value array aligned with `colIdx` holds the entry
   * at p), or -1 when (i, j) is not in the pattern. A binary search in row i.
   */
  indexOf(i: number, j: number): number {
    this.#checkRow(i)
    let lo = this.rowPtr[i]!
    let hi = this.rowPtr[i + 1]! - 1
    const colIdx = this.colIdx
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const k = colIdx[mid]!
      if (k === j) return mid
      if (k < j) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }

  /**
   * The transpose, an nCols×nRows pattern, computed once in O(nRows + nCols + nnz) and cached.
   * Rows are visited in increasing order, so each row of the transpose comes out sorted.
   */
  transpose(): SparsityPattern {
    if (this.#transposed === undefined) {
      const { nRows, nCols, rowPtr, colIdx } = this
      const ptr = new Int32Array(nCols + 1)
      for (let p = 0; p < colIdx.length; p++) ptr[colIdx[p]! + 1]!++
      for (let j = 0; j < nCols; j++) ptr[j + 1]! += ptr[j]!
      const next = ptr.slice(0, nCols)
      const idx = new Int32Array(colIdx.length)
      for (let i = 0; i < nRows; i++) {
        for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) idx[next[colIdx[p]!]!++] = i
      }
      const t = new SparsityPattern(nCols, nRows, ptr, idx)
      t.#transposed = this
      this.#transposed = t
    }
    return this.#transposed
  }

  /** ρ_max: the largest number of nonzeros in a row (0 for a pattern without rows). */
  maxRowNnz(): number {
    let best = 0
    for (let i = 0; i < this.nRows; i++) best = Math.max(best, this.rowPtr[i + 1]! - this.rowPtr[i]!)
    return best
  }

  /** γ_max: the largest number of nonzeros in a column (0 for a pattern without columns). */
  maxColNnz(): number {
    return this.transpose().maxRowNnz()
  }

  /** The dense boolean matrix, row by row. */
  toDense(): boolean[][] {
    const dense: boolean[][] = []
    for (let i = 0; i < this.nRows; i++) {
      const row = new Array<boolean>(this.nCols).fill(false)
      for (let p = this.rowPtr[i]!; p < this.rowPtr[i + 1]!; p++) row[this.colIdx[p]!] = true
      dense.push(row)
    }
    return dense
  }

  /** Structural equality: same shape and same nonzero positions. */
  equals(other: SparsityPattern): boolean {
    if (this === other) return true
    if (this.nRows !== other.nRows || this.nCols !== other.nCols || this.nnz !== other.nnz) return false
    const nnz = this.colIdx.length
    for (let i = 0; i <= this.nRows; i++) if (this.rowPtr[i] !== other.rowPtr[i]) return false
    for (let p = 0; p < nnz; p++) if (this.colIdx[p] !== other.colIdx[p]) return false
    return true
  }

  /**
   * Whether the pattern is square and equal to its transpose, in O(n + nnz) without forming the
   * transpose: visiting the rows i in increasing order, the entries (i, j) must reach each row j
   * in the order of its own sorted entries, and use them all up.
   */
  isSymmetric(): boolean {
    if (this.nRows !== this.nCols) return false
    const { nRows: n, rowPtr, colIdx } = this
    const next = rowPtr.slice(0, n)
    for (let i = 0; i < n; i++) {
      for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) {
        const j = colIdx[p]!
        const q = next[j]!
        if (q >= rowPtr[j + 1]! || colIdx[q] !== i) return false
        next[j] = q + 1
      }
    }
    for (let j = 0; j < n; j++) if (next[j] !== rowPtr[j + 1]) return false
    return true
  }

  /** One line per row, `x` for a nonzero and `.` for a structural zero. */
  toString(): string {
    return this.toDense()
      .map((row) => row.map((b) => (b ? 'x' : '.')).join(''))
      .join('\n')
  }

  #checkRow(i: number): void {
    if (!isIndex(i) || i >= this.nRows) {
      throw new SparsityError(`SparsityPattern: row ${i} is outside [0, ${this.nRows})`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// constructors
// ---------------------------------------------------------------------------------------------

/**
 * The nRows×nCols pattern (nRows = `rows.length`) whose row i is the index set `rows[i]`. Each set
 * may be unsorted and may repeat an index; it is sorted and deduplicated. An index outside
 * [0, nCols) throws a `SparsityError`.
 *
 * @example
 * import { patternFromRows } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const p = patternFromRows(3, [[2, 0, 2], [], [1]])
 * assert.strictEqual(p.toString(), 'x.x\n...\n.x.')
 */
export function patternFromRows(nCols: number, rows: readonly (readonly number[])[]): SparsityPattern {
  checkDimension('patternFromRows', 'nCols', nCols)
  let total = 0
  for (const row of rows) total += row.length
  const rowPtr = new Int32Array(rows.length + 1)
  const colIdx = new Int32Array(total)
  let k = 0
  rows.forEach((row, i) => {
    // a strictly increasing row (as sparsity detection gives) is copied as it is
    let sorted = row
    for (let p = 1; p < row.length; p++) {
      if (!(row[p - 1]! < row[p]!)) {
        sorted = [...row].sort((a, b) => a - b)
        break
      }
    }
    let previous = -1
    for (const j of sorted) {
      if (!isIndex(j) || j >= nCols) {
        throw new SparsityError(`patternFromRows: column index ${j} in row ${i} is outside [0, ${nCols})`)
      }
      if (j !== previous) colIdx[k++] = j
      previous = j
    }
    rowPtr[i + 1] = k
  })
  return new SparsityPattern(rows.length, nCols, rowPtr, k === total ? colIdx : colIdx.slice(0, k))
}

/**
 * The pattern of the nonzero (or `true`) entries of a dense matrix given row by row. All rows must
 * have the same length.
 *
 * @example
 * import { patternFromDense } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const p = patternFromDense([
 *   [1, 0],
 *   [0, -2],
 *   [3, 4],
 * ])
 * assert.strictEqual(p.toString(), 'x.\n.x\nxx')
 */
export function patternFromDense(dense: readonly (readonly (number | boolean)[])[]): SparsityPattern {
  const nCols = dense[0]?.length ?? 0
  const rows = dense.map((row, i) => {
    if (row.length !== nCols) {
      throw new SparsityError(`patternFromDense: row ${i} has ${row.length} entries, row 0 has ${nCols}`)
    }
    const set: number[] = []
    row.forEach((v, j) => {
      if (v !== 0 && v !== false) set.push(j)
    })
    return set
  })
  return patternFromRows(nCols, rows)
}

/**
 * The nRows×nCols pattern with nonzeros at the given (i, j) coordinates; repeats are merged.
 *
 * @example
 * import { patternFromEntries } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const p = patternFromEntries(2, 2, [[1, 0], [0, 1], [1, 0]])
 * assert.strictEqual(p.toString(), '.x\nx.')
 */
export function patternFromEntries(
  nRows: number,
  nCols: number,
  entries: readonly (readonly [number, number])[],
): SparsityPattern {
  checkDimension('patternFromEntries', 'nRows', nRows)
  const rows: number[][] = Array.from({ length: nRows }, () => [])
  for (const [i, j] of entries) {
    if (!isIndex(i) || i >= nRows) {
      throw new SparsityError(`patternFromEntries: row index ${i} is outside [0, ${nRows})`)
    }
    rows[i]!.push(j)
  }
  return patternFromRows(nCols, rows)
}

/**
 * The n×n banded pattern with `lower` subdiagonals and `upper` superdiagonals: (i, j) is a
 * nonzero iff -lower ≤ j - i ≤ upper. Tridiagonal is `bandedPattern(n, 1, 1)`.
 *
 * @example
 * import { bandedPattern } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * assert.strictEqual(bandedPattern(4, 1, 1).toString(), 'xx..\nxxx.\n.xxx\n..xx')
 */
export function bandedPattern(n: number, lower: number, upper: number): SparsityPattern {
  checkDimension('bandedPattern', 'n', n)
  checkDimension('bandedPattern', 'lower', lower)
  checkDimension('bandedPattern', 'upper', upper)
  const rowPtr = new Int32Array(n + 1)
  for (let i = 0; i < n; i++)
    rowPtr[i + 1] = rowPtr[i]! + Math.min(n - 1, i + upper) - Math.max(0, i - lower) + 1
  const colIdx = new Int32Array(rowPtr[n]!)
  for (let i = 0, p = 0; i < n; i++) {
    for (let j = Math.max(0, i - lower); j <= Math.min(n - 1, i + upper); j++) colIdx[p++] = j
  }
  return new SparsityPattern(n, n, rowPtr, colIdx)
}

/**
 * The square block-diagonal pattern with dense diagonal blocks of the given sizes.
 *
 * @example
 * import { blockDiagonalPattern } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * assert.strictEqual(blockDiagonalPattern([2, 1]).toString(), 'xx.\nxx.\n..x')
 */
export function blockDiagonalPattern(sizes: readonly number[]): SparsityPattern {
  const rows: number[][] = []
  let offset = 0
  for (const size of sizes) {
    checkDimension('blockDiagonalPattern', 'a block size', size)
    const block = Array.from({ length: size }, (_, k) => offset + k)
    for (let k = 0; k < size; k++) rows.push(block)
    offset += size
  }
  return patternFromRows(offset, rows)
}

/**
 * The symmetric pattern P ∪ Pᵀ of a square pattern P: what a Hessian pattern given as one
 * triangle becomes.
 *
 * @example
 * import { patternFromRows, symmetrize } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const lower = patternFromRows(3, [[0], [0, 1], [1, 2]])
 * assert.strictEqual(symmetrize(lower).toString(), 'xx.\nxxx\n.xx')
 */
export function symmetrize(pattern: SparsityPattern): SparsityPattern {
  if (pattern.nRows !== pattern.nCols) {
    throw new SparsityError(`symmetrize: the pattern must be square, got ${pattern.nRows}×${pattern.nCols}`)
  }
  const t = pattern.transpose()
  const n = pattern.nRows
  const rowPtr = new Int32Array(n + 1)
  const cols: number[] = []
  for (let i = 0; i < n; i++) {
    // merge two sorted rows
    let p = pattern.rowPtr[i]!
    let q = t.rowPtr[i]!
    const pEnd = pattern.rowPtr[i + 1]!
    const qEnd = t.rowPtr[i + 1]!
    while (p < pEnd || q < qEnd) {
      const a = p < pEnd ? pattern.colIdx[p]! : Infinity
      const b = q < qEnd ? t.colIdx[q]! : Infinity
      const j = Math.min(a, b)
      cols.push(j)
      if (a === j) p++
      if (b === j) q++
    }
    rowPtr[i + 1] = cols.length
  }
  return new SparsityPattern(n, n, rowPtr, Int32Array.from(cols))
}
