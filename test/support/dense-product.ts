import type { Matrix } from '../../src/linalg/matrix.js'
import type { JacobianForm } from '../../src/linalg/structured.js'

/**
 * J_L ⋯ J_1 by the definition: dense matrices multiplied from the left, with none of the chain
 * code under test. Exact when the entries are small integers.
 */
export function denseProduct(factors: readonly JacobianForm[]): Matrix {
  let acc = factors[factors.length - 1]!.toDense()
  for (let t = factors.length - 2; t >= 0; t--) {
    const b = factors[t]!.toDense()
    const c = new Float64Array(acc.rows * b.cols)
    for (let i = 0; i < acc.rows; i++)
      for (let p = 0; p < acc.cols; p++) {
        const a = acc.data[i * acc.cols + p]!
        for (let j = 0; j < b.cols; j++) c[i * b.cols + j] = c[i * b.cols + j]! + a * b.data[p * b.cols + j]!
      }
    acc = { rows: acc.rows, cols: b.cols, data: c }
  }
  return acc
}
