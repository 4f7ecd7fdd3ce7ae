/**
 * `dualtape/matrix`: dense linear algebra on matrices and stacks of matrices (the last two axes;
 * leading batch axes broadcast as in `matmul`), differentiable in both modes, to any order and in
 * vector mode: `cholesky`, `triangularSolve`, `choleskySolve`, `solve`, `inv`, `det`, `logdet`,
 * `slogdet`, and `eigh`/`eigvalsh` for symmetric matrices. The derivative rules follow Giles
 * ("Collected matrix derivative results for forward and reverse mode AD", 2008) and, for the
 * Cholesky factor, Murray ("Differentiation of the Cholesky decomposition", 2016); they are written
 * with differentiable ops, so higher derivatives work. The cpu backend runs them in float64 and
 * float32; TensorFlow.js has no dense factorizations, so on the tfjs backends these functions raise
 * a BackendError naming the op and the backend. A matrix a function cannot take (singular, not
 * positive definite) is a `LinAlgError` naming the op, the shape and the matrix of the stack; a
 * matrix that is not square is a `ShapeError`. The conventions are listed in docs/matrix.md.
 *
 * @example
 * import { tensor, grad, type Tensor } from 'dualtape'
 * import { cholesky, logdet, solve } from 'dualtape/matrix'
 * const a = tensor([[4, 2], [2, 3]])
 * cholesky(a).toArray() // → [[2, 0], [1, 1.414214]]
 * solve(a, tensor([2, 1])).toArray() // → [0.5, 0]
 * // ∂ log det A / ∂A = A⁻ᵀ
 * grad((m: Tensor) => logdet(m))(a).toArray() // → [[0.375, -0.25], [-0.25, 0.5]]
 *
 * @module
 */
import { ShapeError, ValueError, fmtShape } from '../core/errors.js'
import { checkOptions } from '../core/options.js'
import { apply } from '../core/op.js'
import type { Tensor } from '../core/tensor.js'
import { mul } from '../ops/binary.js'
import { reshape } from '../ops/shape.js'
import { sum } from '../ops/reduce.js'
import { exp, log } from '../ops/unary.js'
import { asTensor } from '../ops/util.js'
import {
  choleskyOp,
  detSignOp,
  eighOp,
  eyeLike,
  logAbsDetOp,
  solveOp,
  triangularSolveOp,
  unpackEigh,
} from './ops.js'

export { LinAlgError } from '../core/errors.js'

/** A right-hand side: B [..., n, m], or a vector b [n] taken as one column (and returned as a vector). */
function rhs(op: string, a: Tensor, b: unknown): { b: Tensor; vector: boolean } {
  const t = asTensor(op, b, 'the right-hand side')
  if (t.rank === 0) {
    throw new ShapeError(
      `${op}: the right-hand side must be a vector [n] or a matrix [..., n, m], got a scalar (A is ${fmtShape(a.shape)})`,
    )
  }
  return t.rank === 1 ? { b: reshape(t, [t.shape[0]!, 1]), vector: true } : { b: t, vector: false }
}

const column = (x: Tensor, vector: boolean): Tensor => (vector ? reshape(x, x.shape.slice(0, -1)) : x)

/** `x` as a tensor holding a square matrix or a stack of them, else a ShapeError naming `op`. */
function squareArg(op: string, x: unknown, what = 'the matrix'): Tensor {
  const t = asTensor(op, x, what === 'the matrix' ? 'argument' : what)
  const s = t.shape
  if (s.length < 2 || s[s.length - 1] !== s[s.length - 2]) {
    throw new ShapeError(
      `${op}: ${what} must be square, a matrix or a stack of matrices [..., n, n], got ${fmtShape(s)}`,
    )
  }
  return t
}

/**
 * The lower Cholesky factor L of a symmetric positive-definite matrix, A = L Lᵀ (of each matrix of
 * a stack [..., n, n]). It reads the symmetric part (A + Aᵀ)/2, so its derivative is taken with
 * respect to symmetric perturbations: the cotangent of A is symmetric. A matrix that is not
 * positive definite is a LinAlgError.
 *
 * @example
 * import { tensor, jvp } from 'dualtape'
 * import { cholesky } from 'dualtape/matrix'
 * cholesky(tensor([[4, 2], [2, 5]])).toArray() // → [[2, 0], [1, 2]]
 * // dL = L Φ(L⁻¹ dA L⁻ᵀ), Φ the lower triangle with half the diagonal
 * const [, dl] = jvp(cholesky, [tensor([[4, 0], [0, 9]])], [tensor([[4, 0], [0, 0]])])
 * dl.toArray() // → [[1, 0], [0, 0]]
 */
export function cholesky(a: Tensor): Tensor {
  return apply(choleskyOp, [asTensor('cholesky', a)], null)
}

/**
 * Options of `triangularSolve`.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { triangularSolve, type TriangularSolveOptions } from 'dualtape/matrix'
 * const upperTransposed: TriangularSolveOptions = { lower: false, transpose: true }
 * triangularSolve(tensor([[2, 1], [0, 4]]), tensor([2, 5]), upperTransposed).toArray() // → [1, 1]
 */
export interface TriangularSolveOptions {
  /** Whether A is lower triangular (true, the default) or upper: only that triangle is read. */
  readonly lower?: boolean
  /** Solve Aᵀ X = B instead of A X = B (false by default). */
  readonly transpose?: boolean
}

/**
 * Solves A X = B (or Aᵀ X = B) for a triangular A [..., n, n], by substitution. Only the triangle
 * named by `lower` is read, so the cotangent of A is zero in the other one. B is [..., n, m] (batch
 * axes broadcast with A's) or a vector [n]. A zero on the diagonal is a LinAlgError.
 *
 * @example
 * import { tensor, grad, sum, type Tensor } from 'dualtape'
 * import { triangularSolve } from 'dualtape/matrix'
 * const l = tensor([[2, 0], [1, 1]])
 * triangularSolve(l, tensor([[2], [3]])).toArray() // → [[1], [2]]
 * // B̄ = A⁻ᵀ X̄
 * grad((b: Tensor) => sum(triangularSolve(l, b)))(tensor([2, 3])).toArray() // → [-0, 1]
 */
export function triangularSolve(a: Tensor, b: Tensor, options: TriangularSolveOptions = {}): Tensor {
  checkOptions('triangularSolve', options)
  const ta = asTensor('triangularSolve', a, 'A')
  const { lower = true, transpose = false } = options
  if (typeof lower !== 'boolean' || typeof transpose !== 'boolean') {
    throw new ValueError('triangularSolve: the options lower and transpose must be booleans')
  }
  const r = rhs('triangularSolve', ta, b)
  return column(apply(triangularSolveOp, [ta, r.b], { lower, transA: transpose }), r.vector)
}

/**
 * Solves A X = B from the Cholesky factor L of A = L Lᵀ: two triangular solves, L Y = B and
 * Lᵀ X = Y. B is [..., n, m] or a vector [n].
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { cholesky, choleskySolve } from 'dualtape/matrix'
 * const l = cholesky(tensor([[4, 2], [2, 3]]))
 * choleskySolve(l, tensor([2, 1])).toArray() // → [0.5, 0]
 */
export function choleskySolve(l: Tensor, b: Tensor): Tensor {
  const tl = asTensor('choleskySolve', l, 'L')
  const r = rhs('choleskySolve', tl, b)
  const y = apply(triangularSolveOp, [tl, r.b], { lower: true, transA: false })
  return column(apply(triangularSolveOp, [tl, y], { lower: true, transA: true }), r.vector)
}

/**
 * Solves A X = B for a square A [..., n, n], by LU factorization with partial pivoting. B is
 * [..., n, m] (batch axes broadcast with A's) or a vector [n]. A singular A (an exactly zero
 * pivot) is a LinAlgError. dX = A⁻¹ (dB − dA X); B̄ = A⁻ᵀ X̄, Ā = −B̄ Xᵀ.
 *
 * @example
 * import { tensor, grad, sum, type Tensor } from 'dualtape'
 * import { solve } from 'dualtape/matrix'
 * const a = tensor([[3, 1], [1, 2]])
 * solve(a, tensor([9, 8])).toArray() // → [2, 3]
 * grad((m: Tensor) => sum(solve(m, tensor([9, 8]))))(a).toArray() // → [[-0.4, -0.6], [-0.8, -1.2]]
 */
export function solve(a: Tensor, b: Tensor): Tensor {
  const ta = asTensor('solve', a, 'A')
  const r = rhs('solve', ta, b)
  return column(apply(solveOp, [ta, r.b], { transA: false }), r.vector)
}

/**
 * The inverse of a square matrix (of each matrix of a stack): `solve(A, I)`. A singular matrix is
 * a LinAlgError. d(A⁻¹) = −A⁻¹ dA A⁻¹.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { inv } from 'dualtape/matrix'
 * inv(tensor([[2, 0], [0, 4]])).toArray() // → [[0.5, 0], [0, 0.25]]
 */
export function inv(a: Tensor): Tensor {
  const ta = squareArg('inv', a)
  return apply(solveOp, [ta, eyeLike(ta, ta.shape[ta.rank - 1]!)], { transA: false })
}

/**
 * The sign of det A and log |det A| of a square matrix (of each matrix of a stack, giving tensors
 * of the batch shape), from its LU factors. The sign is piecewise constant (its derivative is 0);
 * d log |det A| = tr(A⁻¹ dA), so the cotangent of A is ȳ A⁻ᵀ. A singular matrix is a LinAlgError.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { slogdet } from 'dualtape/matrix'
 * const { sign, logAbsDet } = slogdet(tensor([[0, 2], [3, 0]]))
 * sign.item() // → -1
 * logAbsDet.item() // → 1.791759
 */
export function slogdet(a: Tensor): { sign: Tensor; logAbsDet: Tensor } {
  const ta = squareArg('slogdet', a)
  return {
    sign: apply(detSignOp, [ta], null),
    logAbsDet: apply(logAbsDetOp, [ta], { positive: false }),
  }
}

/**
 * log det A for a square matrix with a positive determinant (of each matrix of a stack), from its
 * LU factors; a negative determinant or a singular matrix is a LinAlgError (use `slogdet` for
 * the sign). Its cotangent is ȳ A⁻ᵀ. For a symmetric positive-definite matrix,
 * 2 Σ log diag(cholesky(A)) gives the same value at half the cost.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { logdet } from 'dualtape/matrix'
 * logdet(tensor([[2, 0], [0, 3]])).item() // → 1.791759
 */
export function logdet(a: Tensor): Tensor {
  return apply(logAbsDetOp, [asTensor('logdet', a)], { positive: true })
}

/**
 * The determinant of a square matrix (of each matrix of a stack): sign · exp(log |det A|), with
 * d det A = det A · tr(A⁻¹ dA). A singular matrix is a LinAlgError (its determinant is 0, but
 * the rule through A⁻¹ is not defined there).
 *
 * @example
 * import { tensor, grad, type Tensor } from 'dualtape'
 * import { det } from 'dualtape/matrix'
 * det(tensor([[1, 2], [3, 4]])).item() // → -2
 * // ∂ det A / ∂A = det A · A⁻ᵀ, the cofactor matrix
 * grad((m: Tensor) => det(m))(tensor([[1, 2], [3, 4]])).toArray() // → [[4, -3], [-2, 1]]
 */
export function det(a: Tensor): Tensor {
  const ta = squareArg('det', a)
  const sign = apply(detSignOp, [ta], null)
  const logAbsDet = apply(logAbsDetOp, [ta], { positive: false })
  return mul(sign, exp(logAbsDet))
}

/**
 * The eigendecomposition S = U diag(λ) Uᵀ of the symmetric part S = (A + Aᵀ)/2 of a square
 * matrix (of each matrix of a stack), by Jacobi rotations: the eigenvalues ascending [..., n], the
 * eigenvectors as the columns of `vectors` [..., n, n], each with its entry of largest magnitude
 * positive. Differentiable for matrices with distinct eigenvalues: with M = Uᵀ dS U,
 * dλ = diag(M) and dU = U (F ∘ M), F_ij = 1/(λ_j − λ_i) off the diagonal. The rules raise a
 * LinAlgError at repeated eigenvalues (within 64 ulps of the largest) of plain data, where neither
 * the eigenvectors nor the eigenvalues one by one are differentiable.
 *
 * @example
 * import { tensor, grad, sum, type Tensor } from 'dualtape'
 * import { eigh } from 'dualtape/matrix'
 * const { values, vectors } = eigh(tensor([[2, 1], [1, 2]]))
 * values.toArray() // → [1, 3]
 * vectors.toArray() // → [[0.707107, 0.707107], [-0.707107, 0.707107]]
 * // Σ λ = tr A, so its gradient is the identity
 * grad((m: Tensor) => sum(eigh(m).values))(tensor([[2, 1], [1, 2]])).toArray() // → [[1, 0], [0, 1]]
 */
export function eigh(a: Tensor): { values: Tensor; vectors: Tensor } {
  const y = apply(eighOp, [asTensor('eigh', a)], null)
  const { values, vectors } = unpackEigh(y)
  return { values: reshape(values, [...values.shape.slice(0, -2), values.shape[values.rank - 1]!]), vectors }
}

/**
 * The eigenvalues, ascending, of the symmetric part of a square matrix (of each matrix of a
 * stack): `eigh(a).values`. dλ_i = u_iᵀ dA u_i for distinct eigenvalues.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { eigvalsh } from 'dualtape/matrix'
 * eigvalsh(tensor([[3, 0], [0, 1]])).toArray() // → [1, 3]
 */
export function eigvalsh(a: Tensor): Tensor {
  return eigh(a).values
}

/**
 * log det A = 2 Σ log diag(L) of a symmetric positive-definite matrix from its Cholesky factor L
 * (of each factor of a stack).
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { cholesky, choleskyLogdet } from 'dualtape/matrix'
 * choleskyLogdet(cholesky(tensor([[4, 0], [0, 9]]))).item() // → 3.583519
 */
export function choleskyLogdet(l: Tensor): Tensor {
  const tl = squareArg('choleskyLogdet', l, 'L')
  const n = tl.shape[tl.rank - 1]!
  // the diagonal: L ∘ I summed over its rows
  const diag = sum(mul(tl, eyeLike(tl, n)), tl.rank - 2)
  return mul(sum(log(diag), diag.rank - 1), 2)
}
