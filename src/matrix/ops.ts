import type { Backend, MatrixKernelName, MatrixKernels, Meta } from '../core/backend.js'
import { allocArray } from '../core/dtype.js'
import { BackendError, LinAlgError, ShapeError, fmtShape } from '../core/errors.js'
import { apply, type OpDef } from '../core/op.js'
import { type Shape, broadcastShapes } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import { add, div, mul, sub } from '../ops/binary.js'
import { fromData } from '../ops/create.js'
import { stackBatch } from '../ops/batching.js'
import { lift, matmulOp } from '../ops/matmul.js'
import { sum } from '../ops/reduce.js'
import { concat, reshape, slice, transpose } from '../ops/shape.js'
import { neg } from '../ops/unary.js'
import { sameDType } from '../ops/util.js'

// ---------------------------------------------------------------------------------------------
// The primitives of the matrix functions, on stacks of matrices in the last two axes. Each rule
// is written with differentiable ops (matmul, the triangular and LU solves themselves, masks), so
// that every order of derivative works. Conventions (Giles, "Collected matrix derivative results
// for forward and reverse mode AD", 2008; Murray, "Differentiation of the Cholesky decomposition",
// 2016):
// - cholesky and eigh read the symmetric part (A + Aᵀ)/2 of their input: their cotangents are
//   symmetric, and a tangent dA enters as its symmetric part;
// - triangularSolve reads one triangle of A: the cotangent of A is zero in the other;
// - a failed pivot is a LinAlgError raised by the kernel (exact zero pivots for the solves, a
//   pivot ≤ 0 for Cholesky).
// ---------------------------------------------------------------------------------------------

const mm = (a: Tensor, b: Tensor, transA = false, transB = false): Tensor =>
  apply(matmulOp, [a, b], { transA, transB })

/** x with its last two axes swapped. */
export function mT(x: Tensor): Tensor {
  const r = x.rank
  const perm = Array.from({ length: r }, (_, i) => i)
  perm[r - 2] = r - 1
  perm[r - 1] = r - 2
  return transpose(x, perm)
}

/** (x + xᵀ) / 2 over the last two axes. */
const sym = (x: Tensor): Tensor => mul(add(x, mT(x)), 0.5)

/** A constant n×n matrix (dtype and backend of `like`) with entries f(i, j). */
function constMatrix(like: Tensor, n: number, f: (i: number, j: number) => number): Tensor {
  const a = allocArray(like.dtype, n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = f(i, j)
  return fromData(a, [n, n], like.backend)
}

/** The n×n identity, of the dtype and backend of `like`. */
export const eyeLike = (like: Tensor, n: number): Tensor => constMatrix(like, n, (i, j) => (i === j ? 1 : 0))

/** The `lower` (or upper) triangle of x, diagonal included. */
function triangle(x: Tensor, lower: boolean): Tensor {
  const n = x.shape[x.rank - 1]!
  return mul(
    x,
    constMatrix(x, n, (i, j) => ((lower ? i >= j : i <= j) ? 1 : 0)),
  )
}

/** Φ(x): the strict lower triangle of x and half its diagonal (so Φ(S) + Φ(S)ᵀ = S for symmetric S). */
function phi(x: Tensor): Tensor {
  const n = x.shape[x.rank - 1]!
  return mul(
    x,
    constMatrix(x, n, (i, j) => (i > j ? 1 : i === j ? 0.5 : 0)),
  )
}

/** The backend's kernel for a matrix op, or a BackendError naming the op and the backend. */
function kernelOf<K extends MatrixKernelName>(be: Backend, name: K): MatrixKernels<unknown>[K] {
  const k = be.kernels[name] as MatrixKernels<unknown>[K] | undefined
  if (k === undefined) {
    throw new BackendError(
      `${name}: the ${be.name} backend has no kernel for ${name} (TensorFlow.js has no dense matrix ` +
        `factorizations); move the tensors to the cpu backend with toBackend(x, 'cpu')`,
    )
  }
  return k
}

/** Checks that `m` is a square matrix or a stack of them; returns n. */
function square(op: string, m: Meta, what = 'the matrix'): number {
  const s = m.shape
  if (s.length < 2 || s[s.length - 1] !== s[s.length - 2]) {
    throw new ShapeError(
      `${op}: ${what} must be square, a matrix or a stack of matrices [..., n, n], got ${fmtShape(s)}`,
    )
  }
  return s[s.length - 1]!
}

/** The output of a solve op(A) X = B: A [..., n, n], B [..., n, m], batch axes broadcast. */
function solveShape(op: string, a: Meta, b: Meta): Meta {
  const n = square(op, a, 'A')
  if (b.shape.length < 2 || b.shape[b.shape.length - 2] !== n) {
    throw new ShapeError(
      `${op}: B must be [..., ${n}, m] for A of shape ${fmtShape(a.shape)}, got ${fmtShape(b.shape)}`,
    )
  }
  const batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2))
  return { shape: [...batch, n, b.shape[b.shape.length - 1]!], dtype: sameDType(op, [a, b]) }
}

// ---------------------------------------------------------------------------------------------
// cholesky: A = L Lᵀ
// ---------------------------------------------------------------------------------------------

const trsm = (a: Tensor, b: Tensor, lower: boolean, transA: boolean): Tensor =>
  apply(triangularSolveOp, [a, b], { lower, transA })

export const choleskyOp: OpDef<null> = {
  name: 'cholesky',
  batch: stackBatch(() => choleskyOp),
  structure: 'matrix',
  shape: ([a]) => {
    square('cholesky', a!)
    return a!
  },
  kernel: (be, [h], [m], _p, out) => kernelOf(be, 'cholesky')(h, m!, out),
  // dL = L Φ(L⁻¹ dS L⁻ᵀ), dS = (dA + dAᵀ)/2
  jvp: ({ dx: [da], y: l }) => {
    const z = trsm(l, sym(da!), true, false)
    return mm(l, phi(trsm(l, mT(z), true, false)))
  },
  // Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹)
  vjp: ({ ct, y: l }) => {
    const r = trsm(l, phi(mm(l, ct, true, false)), true, true)
    return [sym(mT(trsm(l, mT(r), true, true)))]
  },
}

// ---------------------------------------------------------------------------------------------
// triangularSolve: op(T) X = B, T a triangle of A
// ---------------------------------------------------------------------------------------------

/** Which triangle of A is read (`lower`), and whether the system is Tᵀ X = B (`transA`). */
export interface TriangularSolveParams {
  readonly lower: boolean
  readonly transA: boolean
}

export const triangularSolveOp: OpDef<TriangularSolveParams> = {
  name: 'triangularSolve',
  batch: stackBatch(() => triangularSolveOp),
  // linear in B: the solution of A X = B for a fixed A
  linearity: [1],
  structure: 'matrix',
  shape: ([a, b]) => solveShape('triangularSolve', a!, b!),
  kernel: (be, [ha, hb], [ma, mb], { lower, transA }, out) =>
    kernelOf(be, 'triangularSolve')(ha, hb, ma!, mb!, out, lower, transA),
  // dX = op(T)⁻¹ (dB − op(dT) X)
  jvp: ({ x: [a, bm], dx: [da, db], y, b, params: { lower, transA } }) => {
    const dAX = da == null ? null : mm(lift(triangle(da, lower), b, a!.rank, y.rank), y, transA, false)
    const dB = db == null ? null : lift(db, b, bm!.rank, y.rank)
    const rhs = dAX === null ? dB! : dB === null ? neg(dAX) : sub(dB, dAX)
    return trsm(a!, rhs, lower, transA)
  },
  // B̄ = op(T)⁻ᵀ X̄; T̄ = triangle(−B̄ Xᵀ), or triangle(−X B̄ᵀ) for the transposed system
  vjp: ({ ct, x: [a], y, wants, params: { lower, transA } }) => {
    const gb = trsm(a!, ct, lower, !transA)
    const ga = !wants[0]
      ? null
      : neg(triangle(transA ? mm(y, gb, false, true) : mm(gb, y, false, true), lower))
    return [ga, wants[1] ? gb : null]
  },
}

// ---------------------------------------------------------------------------------------------
// solve: op(A) X = B by LU with partial pivoting
// ---------------------------------------------------------------------------------------------

/** Whether the system is Aᵀ X = B. */
export interface SolveParams {
  readonly transA: boolean
}

const lusolve = (a: Tensor, b: Tensor, transA: boolean): Tensor => apply(solveOp, [a, b], { transA })

export const solveOp: OpDef<SolveParams> = {
  name: 'solve',
  batch: stackBatch(() => solveOp),
  // linear in B: the solution of A X = B for a fixed A
  linearity: [1],
  structure: 'matrix',
  shape: ([a, b]) => solveShape('solve', a!, b!),
  kernel: (be, [ha, hb], [ma, mb], { transA }, out) => kernelOf(be, 'solve')(ha, hb, ma!, mb!, out, transA),
  // dX = op(A)⁻¹ (dB − op(dA) X)
  jvp: ({ x: [a, bm], dx: [da, db], y, b, params: { transA } }) => {
    const dAX = da == null ? null : mm(lift(da, b, a!.rank, y.rank), y, transA, false)
    const dB = db == null ? null : lift(db, b, bm!.rank, y.rank)
    const rhs = dAX === null ? dB! : dB === null ? neg(dAX) : sub(dB, dAX)
    return lusolve(a!, rhs, transA)
  },
  // B̄ = op(A)⁻ᵀ X̄; Ā = −B̄ Xᵀ, or −X B̄ᵀ for the transposed system
  vjp: ({ ct, x: [a], y, wants, params: { transA } }) => {
    const gb = lusolve(a!, ct, !transA)
    const ga = !wants[0] ? null : neg(transA ? mm(y, gb, false, true) : mm(gb, y, false, true))
    return [ga, wants[1] ? gb : null]
  },
}

// ---------------------------------------------------------------------------------------------
// log |det A| and the sign of det A
// ---------------------------------------------------------------------------------------------

/** `positive`: the determinant must be positive (logdet), else a LinAlgError. */
export interface LogAbsDetParams {
  readonly positive: boolean
}

/** A⁻ᵀ, by a solve against the identity. */
const invT = (a: Tensor): Tensor => lusolve(a, eyeLike(a, a.shape[a.rank - 1]!), true)

export const logAbsDetOp: OpDef<LogAbsDetParams> = {
  name: 'logAbsDet',
  batch: stackBatch(() => logAbsDetOp),
  structure: 'matrix',
  shape: ([a], { positive }) => {
    square(positive ? 'logdet' : 'logAbsDet', a!)
    return { shape: a!.shape.slice(0, -2), dtype: a!.dtype }
  },
  kernel: (be, [h], [m], { positive }, out) => kernelOf(be, 'logAbsDet')(h, m!, out, positive),
  // d log |det A| = tr(A⁻¹ dA) = Σ_ij (A⁻ᵀ)_ij dA_ij
  jvp: ({ x: [a], dx: [da] }) => {
    const p = mul(invT(a!), da!)
    return sum(p, [p.rank - 2, p.rank - 1])
  },
  // Ā = ȳ A⁻ᵀ
  vjp: ({ ct, x: [a] }) => [mul(reshape(ct, [...ct.shape, 1, 1]), invT(a!))],
}

export const detSignOp: OpDef<null> = {
  name: 'detSign',
  batch: stackBatch(() => detSignOp),
  structure: 'constant',
  shape: ([a]) => {
    square('detSign', a!)
    return { shape: a!.shape.slice(0, -2), dtype: a!.dtype }
  },
  kernel: (be, [h], [m], _p, out) => kernelOf(be, 'detSign')(h, m!, out),
  // piecewise constant: the transformations record nothing (its structure says so)
  jvp: ({ y }) => y,
  vjp: () => [null],
}

// ---------------------------------------------------------------------------------------------
// eigh: S = U diag(λ) Uᵀ for the symmetric part S of A, packed [..., n + 1, n]
// ---------------------------------------------------------------------------------------------

/** The eigenvalues [..., 1, n] and eigenvectors [..., n, n] of a packed eigh output. */
export function unpackEigh(y: Tensor): { values: Tensor; vectors: Tensor } {
  const r = y.rank
  const n = y.shape[r - 1]!
  const batch = y.shape.slice(0, -2)
  const zeros = batch.map(() => 0)
  return {
    values: slice(y, [...zeros, 0, 0], [...batch, 1, n]),
    vectors: slice(y, [...zeros, 1, 0], [...batch, n, n]),
  }
}

/** The machine epsilon of a dtype. */
const epsOf = (t: Tensor): number => (t.dtype === 'float32' ? 2 ** -23 : 2 ** -52)

/**
 * F with F_ij = 1/(λ_j − λ_i) off the diagonal and 0 on it, from eigenvalues [..., 1, n]. Where
 * they are plain data on a backend that reads synchronously, eigenvalues within 64 ulps of the
 * largest of each other are a LinAlgError: the eigenvectors' derivative is not defined there.
 */
function gaps(lam: Tensor): Tensor {
  const n = lam.shape[lam.rank - 1]!
  if (lam.impl.kind === 'concrete' && lam.backend.syncRead) checkDistinct(lam, n)
  const d = sub(lam, mT(lam))
  const eye = eyeLike(lam, n)
  return div(sub(1, eye), add(d, eye))
}

function checkDistinct(lam: Tensor, n: number): void {
  const v = lam.dataSync()
  for (let o = 0; o < v.length; o += n) {
    let big = 0
    for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(v[o + i]!))
    for (let i = 1; i < n; i++) {
      if (v[o + i]! - v[o + i - 1]! <= 64 * epsOf(lam) * big) {
        const batch = lam.shape.slice(0, -2)
        const where =
          batch.length === 0
            ? `the matrix ${fmtShape([n, n])}`
            : `matrix ${o / n} of the stack ${fmtShape([...batch, n, n])}`
        throw new LinAlgError(
          'eigh',
          'repeated-eigenvalues',
          `eigh: the derivative needs distinct eigenvalues (at a repeated one neither the eigenvectors nor ` +
            `the eigenvalues one by one are differentiable); ${where} has eigenvalues ${v[o + i - 1]} and ${v[o + i]}`,
        )
      }
    }
  }
}

export const eighOp: OpDef<null> = {
  name: 'eigh',
  batch: stackBatch(() => eighOp),
  structure: 'matrix',
  shape: ([a]) => {
    const n = square('eigh', a!)
    const shape: Shape = [...a!.shape.slice(0, -2), n + 1, n]
    return { shape, dtype: a!.dtype }
  },
  kernel: (be, [h], [m], _p, out) => kernelOf(be, 'eigh')(h, m!, out),
  // M = Uᵀ dS U: dλ = diag(M), dU = U (F ∘ M)
  jvp: ({ dx: [da], y }) => {
    const { values, vectors: u } = unpackEigh(y)
    const m = mm(u, mm(sym(da!), u), true, false)
    const n = u.shape[u.rank - 1]!
    const dl = sum(mul(m, eyeLike(u, n)), m.rank - 2, true)
    const du = mm(u, mul(gaps(values), m))
    return concat([dl, du], du.rank - 2)
  },
  // Ā = sym(U (diag(λ̄) + F ∘ (Uᵀ Ū)) Uᵀ)
  vjp: ({ ct, y }) => {
    const { values, vectors: u } = unpackEigh(y)
    const { values: gl, vectors: gu } = unpackEigh(ct)
    const n = u.shape[u.rank - 1]!
    const inner = add(mul(gl, eyeLike(u, n)), mul(gaps(values), mm(u, gu, true, false)))
    return [sym(mm(mm(u, inner), u, false, true))]
  },
}
