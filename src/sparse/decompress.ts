/**
 * Compression (seed vectors) and recovery (decompression) of sparse Jacobians and Hessians.
 *
 * With a colouring in p colours, the seed of colour c is s_c = Σ_{colour(v) = c} e_v. The
 * compressed products are B_c = J s_c (columns), s_cᵀ J (rows) or H s_c (symmetric), and each
 * nonzero of the matrix is read from one entry of one product, in O(nnz) in total.
 *
 * @module
 */

import type { Colouring } from './colouring.js'
import { SparsityError } from './errors.js'
import { SparseMatrix } from './matrix.js'
import type { SparsityPattern } from './pattern.js'

/**
 * The seed vectors of a colouring: for each colour c, the vector of length n (the number of
 * coloured columns or rows) with s_c[v] = 1 where colour(v) = c and 0 elsewhere.
 *
 * @example
 * import { seedVectors, colourColumns, bandedPattern } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const seeds = seedVectors(colourColumns(bandedPattern(5, 1, 1), { ordering: 'natural' }))
 * assert.deepStrictEqual(seeds.map((s) => [...s]), [
 *   [1, 0, 0, 1, 0],
 *   [0, 1, 0, 0, 1],
 *   [0, 0, 1, 0, 0],
 * ])
 */
export function seedVectors(colouring: Colouring): Float64Array[] {
  const { colour, count } = colouring
  const seeds = Array.from({ length: count }, () => new Float64Array(colour.length))
  for (let v = 0; v < colour.length; v++) {
    const seed = seeds[colour[v]!]
    if (seed === undefined) {
      throw new SparsityError(`seedVectors: colour ${colour[v]} of vertex ${v} is outside [0, ${count})`)
    }
    seed[v] = 1
  }
  return seeds
}

// ---------------------------------------------------------------------------------------------
// checks shared by the three recoveries
// ---------------------------------------------------------------------------------------------

function checkColouringFits(where: string, colouring: Colouring, n: number, what: string): void {
  const { colour, count } = colouring
  if (colour.length !== n) {
    throw new SparsityError(
      `${where}: the colouring colours ${colour.length} vertices, the pattern has ${n} ${what}s`,
    )
  }
  for (let v = 0; v < n; v++) {
    const c = colour[v]!
    if (c < 0 || c >= count) {
      throw new SparsityError(`${where}: colour ${c} of ${what} ${v} is outside [0, ${count})`)
    }
  }
}

function checkProducts(
  where: string,
  colouring: Colouring,
  products: readonly ArrayLike<number>[],
  length: number,
): void {
  if (products.length !== colouring.count) {
    throw new SparsityError(
      `${where}: ${colouring.count} colours need ${colouring.count} products, got ${products.length}`,
    )
  }
  products.forEach((b, c) => {
    if (b.length !== length) {
      throw new SparsityError(`${where}: product ${c} has length ${b.length}, expected ${length}`)
    }
  })
}

/** Colours of the entries within each row are distinct: B_{colour(j)}[i] holds J_ij alone. */
function checkRowsSeparated(
  where: string,
  pattern: SparsityPattern,
  colour: Int32Array,
  count: number,
): void {
  const seenIn = new Int32Array(count).fill(-1)
  for (let i = 0; i < pattern.nRows; i++) {
    for (let p = pattern.rowPtr[i]!; p < pattern.rowPtr[i + 1]!; p++) {
      const j = pattern.colIdx[p]!
      const c = colour[j]!
      if (seenIn[c] === i) {
        throw new SparsityError(
          `${where}: the colouring is not valid for this pattern: row ${i} has two nonzeros coloured ${c} ` +
            `(one in column ${j})`,
        )
      }
      seenIn[c] = i
    }
  }
}

// ---------------------------------------------------------------------------------------------
// recoveries
// ---------------------------------------------------------------------------------------------

/**
 * Forward-mode recovery. Given a column colouring and the products B_c = J s_c (length nRows),
 * `J_ij = B_{colour(j)}[i]`: no other column of row i has that colour. Throws a `SparsityError`
 * when the colouring does not separate the columns of some row or the products have the wrong
 * number or length. O(nnz + nCols).
 *
 * @example
 * import { decompressColumns, seedVectors, colourColumns, patternFromRows } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const pattern = patternFromRows(3, [[0, 1], [1, 2]])
 * const J = [
 *   [1, 2, 0],
 *   [0, 3, 4],
 * ]
 * const colouring = colourColumns(pattern)
 * const jvp = (s: Float64Array) => Float64Array.from(J, (row) => row.reduce((acc, v, j) => acc + v * s[j]!, 0))
 * const products = seedVectors(colouring).map(jvp)
 * assert.deepStrictEqual(decompressColumns(pattern, colouring, products).toDense(), J)
 */
export function decompressColumns(
  pattern: SparsityPattern,
  colouring: Colouring,
  products: readonly ArrayLike<number>[],
): SparseMatrix {
  const where = 'decompressColumns'
  checkColouringFits(where, colouring, pattern.nCols, 'column')
  checkProducts(where, colouring, products, pattern.nRows)
  const { colour } = colouring
  checkRowsSeparated(where, pattern, colour, colouring.count)
  const { rowPtr, colIdx } = pattern
  const values = new Float64Array(pattern.nnz)
  for (let i = 0; i < pattern.nRows; i++) {
    for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) values[p] = products[colour[colIdx[p]!]!]![i]!
  }
  return new SparseMatrix(pattern, values)
}

/**
 * Reverse-mode recovery. Given a row colouring and the products B_c = s_cᵀ J (length nCols),
 * `J_ij = B_{colour(i)}[j]`: no other row of column j has that colour. O(nnz + nRows).
 *
 * @example
 * import { decompressRows, seedVectors, colourRows, patternFromRows } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const pattern = patternFromRows(3, [[0, 1, 2], [1], [2]])
 * const J = [
 *   [1, 2, 3],
 *   [0, 4, 0],
 *   [0, 0, 5],
 * ]
 * const colouring = colourRows(pattern)
 * assert.strictEqual(colouring.count, 2)
 * const vjp = (s: Float64Array) => Float64Array.from(J[0]!, (_, j) => J.reduce((acc, row, i) => acc + s[i]! * row[j]!, 0))
 * const products = seedVectors(colouring).map(vjp)
 * assert.deepStrictEqual(decompressRows(pattern, colouring, products).toDense(), J)
 */
export function decompressRows(
  pattern: SparsityPattern,
  colouring: Colouring,
  products: readonly ArrayLike<number>[],
): SparseMatrix {
  const where = 'decompressRows'
  checkColouringFits(where, colouring, pattern.nRows, 'row')
  checkProducts(where, colouring, products, pattern.nCols)
  const { colour } = colouring
  checkRowsSeparated(where, pattern.transpose(), colour, colouring.count)
  const { rowPtr, colIdx } = pattern
  const values = new Float64Array(pattern.nnz)
  for (let i = 0; i < pattern.nRows; i++) {
    const b = products[colour[i]!]!
    for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) values[p] = b[colIdx[p]!]!
  }
  return new SparseMatrix(pattern, values)
}

/**
 * Direct symmetric recovery for a star colouring (Gebremedhin, Manne, Pothen, SIAM Review 2005).
 * Given B_c = H s_c (length n), B_c[i] = Σ_{colour(k) = c} H_ik. Entry H_ij is read
 * - from row i, H_ij = B_{colour(j)}[i], when no other nonzero of row i lies in a column coloured
 *   colour(j);
 * - else from row j, H_ij = H_ji = B_{colour(i)}[j], when no other nonzero of row j lies in a
 *   column coloured colour(i).
 * A star colouring guarantees one of the two. H_ii: no neighbour of i shares its colour. H_ij,
 * i ≠ j: if both failed, k - i - j - l with colour(k) = colour(j) and colour(l) = colour(i) would
 * be a bicoloured path on four vertices. Any column colouring (`colourColumns`) passes too, only
 * with more colours. H_ij and H_ji receive the same value, so the result is exactly symmetric.
 * Throws a `SparsityError` when the pattern is not symmetric or some entry cannot be recovered.
 * O(nnz + n).
 *
 * @example
 * import { decompressStar, seedVectors, colourStar, patternFromDense } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const H = [
 *   [2, 1, 1],
 *   [1, 3, 0],
 *   [1, 0, 4],
 * ]
 * const pattern = patternFromDense(H)
 * const colouring = colourStar(pattern)
 * assert.strictEqual(colouring.count, 2)
 * const hvp = (s: Float64Array) => Float64Array.from(H, (row) => row.reduce((acc, v, j) => acc + v * s[j]!, 0))
 * const products = seedVectors(colouring).map(hvp)
 * assert.deepStrictEqual(decompressStar(pattern, colouring, products).toDense(), H)
 */
export function decompressStar(
  pattern: SparsityPattern,
  colouring: Colouring,
  products: readonly ArrayLike<number>[],
): SparseMatrix {
  const where = 'decompressStar'
  if (!pattern.isSymmetric()) {
    throw new SparsityError(
      `${where}: the pattern must be square and symmetric, got ${pattern.nRows}×${pattern.nCols}`,
    )
  }
  const n = pattern.nRows
  checkColouringFits(where, colouring, n, 'column')
  checkProducts(where, colouring, products, n)
  const { colour, count } = colouring
  const { rowPtr, colIdx } = pattern
  const nnz = pattern.nnz

  // mirror[p]: the position of (j, i) when p holds (i, j). Rows i are visited in increasing order
  // and row j of a symmetric pattern lists exactly those i, sorted, so the k-th visit to row j
  // lands on its k-th entry.
  const mirror = new Int32Array(nnz)
  const fill = rowPtr.slice(0, n)
  for (let i = 0; i < n; i++) {
    for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) mirror[p] = fill[colIdx[p]!]!++
  }

  // alone[p] = 1 when p holds (i, j) and no other nonzero of row i lies in a column coloured
  // colour(j): then B_{colour(j)}[i] = H_ij
  const alone = new Uint8Array(nnz)
  const inRow = new Int32Array(count)
  for (let i = 0; i < n; i++) {
    for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) inRow[colour[colIdx[p]!]!]!++
    for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) if (inRow[colour[colIdx[p]!]!] === 1) alone[p] = 1
    for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) inRow[colour[colIdx[p]!]!] = 0
  }

  const values = new Float64Array(nnz)
  for (let i = 0; i < n; i++) {
    for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) {
      const j = colIdx[p]!
      if (j < i) continue
      const q = mirror[p]!
      // H_ij from row i of B_{colour(j)}, or H_ji from row j of B_{colour(i)}
      if (alone[p] === 1) values[p] = products[colour[j]!]![i]!
      else if (alone[q] === 1) values[p] = products[colour[i]!]![j]!
      else {
        throw new SparsityError(
          `${where}: H_${i},${j} cannot be recovered: row ${i} has another nonzero in a column coloured ` +
            `${colour[j]} and row ${j} another nonzero in a column coloured ${colour[i]}; not a star colouring`,
        )
      }
      values[q] = values[p]!
    }
  }
  return new SparseMatrix(pattern, values)
}
