/**
 * A small dense row-major matrix type for the Jacobian algebra of `structured.ts` and `chain.ts`.
 * Element (i, j) of a `rows × cols` matrix is `data[i * cols + j]`.
 *
 * Matrices are treated as immutable: no function here writes into a matrix it was given.
 */
import { ShapeError } from '../core/errors.js'
import { gemm } from '../kernels/matmul.js'

// ---------------------------------------------------------------------------------------------
// Types and errors
// ---------------------------------------------------------------------------------------------

/**
 * A dense row-major float64 matrix: element (i, j) is `data[i * cols + j]`.
 *
 * @example
 * import { matrixFromRows } from 'dualtape/linalg'
 * const a = matrixFromRows([[1, 2], [3, 4]])
 * console.log(a.rows, a.cols, a.data[1]) // 2 2 2
 */
export interface Matrix {
  readonly rows: number
  readonly cols: number
  readonly data: Float64Array
}

/**
 * Dimensions that do not fit together in the Jacobian algebra: a product A·B with
 * A.cols ≠ B.rows, a vector of the wrong length, data of the wrong size.
 *
 * @example
 * import { matrix, JacobianShapeError } from 'dualtape/linalg'
 * try { matrix(2, 2, [1, 2, 3]) } catch (e) { console.log(e instanceof JacobianShapeError) } // true
 */
export class JacobianShapeError extends ShapeError {
  override name = 'JacobianShapeError'
}

// ---------------------------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------------------------

/**
 * Throws a `JacobianShapeError` unless `n` is a non-negative integer; `what` names the argument:
 * `checkSize(-1, 'rows')` throws "rows must be a non-negative integer, got -1".
 */
export function checkSize(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new JacobianShapeError(`${what} must be a non-negative integer, got ${n}`)
  }
}

/**
 * A `rows × cols` matrix holding a copy of `data` (row-major), or zeros when `data` is omitted.
 *
 * @example
 * import { matrix } from 'dualtape/linalg'
 * const a = matrix(2, 3, [1, 2, 3, 4, 5, 6]) // [[1, 2, 3], [4, 5, 6]]
 * console.log(a.data[4]) // 5
 */
export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  checkSize(rows, 'matrix rows')
  checkSize(cols, 'matrix cols')
  if (data === undefined) return { rows, cols, data: new Float64Array(rows * cols) }
  if (data.length !== rows * cols) {
    throw new JacobianShapeError(
      `matrix(${rows}, ${cols}): expected ${rows * cols} elements (row-major), got ${data.length}`,
    )
  }
  return { rows, cols, data: Float64Array.from(data) }
}

/**
 * A matrix from an array of equal-length rows.
 *
 * @example
 * import { matrixFromRows } from 'dualtape/linalg'
 * const a = matrixFromRows([[1, 2, 3], [4, 5, 6]])
 * console.log(a.rows, a.cols) // 2 3
 */
export function matrixFromRows(rows: readonly (readonly number[])[]): Matrix {
  const r = rows.length
  const c = r === 0 ? 0 : rows[0]!.length
  const data = new Float64Array(r * c)
  rows.forEach((row, i) => {
    if (row.length !== c) {
      throw new JacobianShapeError(`matrixFromRows: row ${i} has ${row.length} entries, row 0 has ${c}`)
    }
    data.set(row, i * c)
  })
  return { rows: r, cols: c, data }
}

/**
 * The rows of a matrix as nested arrays, for printing and comparison.
 *
 * @example
 * import { matrix, matrixToRows } from 'dualtape/linalg'
 * console.log(matrixToRows(matrix(2, 2, [1, 2, 3, 4]))) // [[1, 2], [3, 4]]
 */
export function matrixToRows(a: Matrix): number[][] {
  const out: number[][] = []
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)))
  return out
}

/**
 * The n×n identity matrix.
 *
 * @example
 * import { identityMatrix } from 'dualtape/linalg'
 * console.log(identityMatrix(2).data) // Float64Array [1, 0, 0, 1]
 */
export function identityMatrix(n: number): Matrix {
  checkSize(n, 'identityMatrix size')
  const data = new Float64Array(n * n)
  for (let i = 0; i < n; i++) data[i * n + i] = 1
  return { rows: n, cols: n, data }
}

// ---------------------------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------------------------

/**
 * The dense product C = A·B (A: m×k, B: k×n), 2·m·k·n flops, through the CPU backend's `gemm`.
 *
 * @example
 * import { matrixFromRows, matmulMatrix, matrixToRows } from 'dualtape/linalg'
 * const c = matmulMatrix(matrixFromRows([[1, 2]]), matrixFromRows([[3], [4]]))
 * console.log(matrixToRows(c)) // [[11]]
 */
export function matmulMatrix(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) {
    throw new JacobianShapeError(
      `matmulMatrix: A is ${a.rows}×${a.cols} and B is ${b.rows}×${b.cols}; A.cols must equal B.rows`,
    )
  }
  const c = new Float64Array(a.rows * b.cols)
  // C[i, j] = Σ_p A[i, p] B[p, j]
  gemm(a.rows, b.cols, a.cols, a.data, 0, a.cols, 1, b.data, 0, b.cols, 1, c, 0)
  return { rows: a.rows, cols: b.cols, data: c }
}

/**
 * The transpose Aᵀ as a new matrix.
 *
 * @example
 * import { matrixFromRows, transposeMatrix, matrixToRows } from 'dualtape/linalg'
 * console.log(matrixToRows(transposeMatrix(matrixFromRows([[1, 2, 3]])))) // [[1], [2], [3]]
 */
export function transposeMatrix(a: Matrix): Matrix {
  const out = new Float64Array(a.rows * a.cols)
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j]!
  }
  return { rows: a.cols, cols: a.rows, data: out }
}

/**
 * max |A − B| over all entries (Infinity when the shapes differ), for tests and checks.
 *
 * @example
 * import { matrix, maxAbsDiff } from 'dualtape/linalg'
 * console.log(maxAbsDiff(matrix(1, 2, [1, 2]), matrix(1, 2, [1, 2.5]))) // 0.5
 */
export function maxAbsDiff(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) return Infinity
  let m = 0
  for (let t = 0; t < a.data.length; t++) m = Math.max(m, Math.abs(a.data[t]! - b.data[t]!))
  return m
}
