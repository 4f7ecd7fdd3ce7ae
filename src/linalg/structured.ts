/**
 * Structured local Jacobians.
 *
 * The local Jacobian of an elementwise op is diagonal, that of a reshape is the identity, that of a
 * transpose is a permutation, and that of h = W x with respect to the row-major flattening of W is
 * I_m ⊗ xᵀ (∂h_i/∂W_ij = x_j: each output depends only on its own weight row). None of these is
 * ever formed densely: each form stores what determines it (O(n) numbers, or x alone) and
 * implements J·v, uᵀ·J and the product with another form in the cheapest exact form.
 *
 * Forms (J is rows × cols):
 *
 *   zero            J = 0                                      stores nothing
 *   identity        J = I                                      stores nothing
 *   scaledIdentity  J = α I                                    α
 *   diagonal        J = diag(d)                                d (n)
 *   permutation     J[i, p_i] = 1, so (J v)_i = v[p_i]         p (n)
 *   monomial        J[i, p_i] = a_i, so (J v)_i = a_i v[p_i]   p, a (2n)
 *   blockRow        J = F ⊗ xᵀ, J[i, j·n + l] = F[i, j] x_l    F (a form) and x (n)
 *   dense           J                                          rows · cols
 *
 * Square forms from identity to monomial are closed under products (a monomial matrix is a
 * permutation with a scale per row). `F ⊗ xᵀ` is closed under products from the left:
 * A·(F ⊗ xᵀ) = (A·F) ⊗ xᵀ, because A = A ⊗ 1 and (A ⊗ 1)(F ⊗ xᵀ) = AF ⊗ xᵀ.
 *
 * Every form is a `LinearMap` (rows, cols, matvec, vecmat and their costs), as is an operator
 * known only through its products with vectors (`JacobianOperator`, chain/matrixFree.ts). The
 * kind of a product depends only on the kinds of its factors, never on their values: the product
 * table of `product.ts` holds one entry per pair of kinds, whose symbolic side the chain planner
 * reads (`productSignature`) and whose numeric side `mul` runs. Costs count floating-point
 * operations (a multiply-add is two); gathers, scatters and copies count nothing.
 */
import { JacobianShapeError, checkSize, identityMatrix, type Matrix } from './matrix.js'
import { multiplyJacobians, productSignature } from './product.js'

// ---------------------------------------------------------------------------------------------
// Linear maps
// ---------------------------------------------------------------------------------------------

/**
 * A linear map J from vectors of length `cols` to vectors of length `rows`, known through its
 * products with vectors: J·v (`matvec`, a tangent) and uᵀ·J (`vecmat`, the pullback of a
 * cotangent), each with its cost in flops. Every structured form is one; so is an operator of
 * unknown structure (`JacobianOperator`), such as a layer's JVP and VJP.
 *
 * @example
 * import { diagonalJacobian, chainFromOperators, plan, type LinearMap } from 'dualtape/linalg'
 * // 3 I on R², given only by its products
 * const triple: LinearMap = {
 *   rows: 2, cols: 2, matvecCost: 2, vecmatCost: 2,
 *   matvec: (v) => v.map((x) => 3 * x), vecmat: (u) => u.map((x) => 3 * x),
 * }
 * const d: LinearMap = diagonalJacobian([1, 2])
 * plan(chainFromOperators([d, triple]), 'tangent').flops // → 8
 */
export interface LinearMap {
  readonly rows: number
  readonly cols: number
  /** J·v for v of length `cols`. */
  matvec(v: Float64Array): Float64Array
  /** uᵀ·J for u of length `rows`. */
  vecmat(u: Float64Array): Float64Array
  /** Flops of one `matvec`. */
  readonly matvecCost: number
  /** Flops of one `vecmat`. */
  readonly vecmatCost: number
}

// ---------------------------------------------------------------------------------------------
// Signatures: the symbolic form of a Jacobian, and its costs
// ---------------------------------------------------------------------------------------------

/**
 * The structured forms a local Jacobian can take (see the table at the top of this file).
 *
 * @example
 * import { diagonalJacobian, type FormKind } from 'dualtape/linalg'
 * const k: FormKind = diagonalJacobian([1, 2]).kind // 'diagonal'
 */
export type FormKind =
  'zero' | 'identity' | 'scaledIdentity' | 'diagonal' | 'permutation' | 'monomial' | 'blockRow' | 'dense'

/**
 * What the cost model knows of a form: its kind and shape, and for `blockRow` (F ⊗ xᵀ) the
 * signature of F. The length of x is `cols / factor.cols`.
 *
 * @example
 * import { diagonalJacobian } from 'dualtape/linalg'
 * console.log(diagonalJacobian([1, 2, 3]).signature) // { kind: 'diagonal', rows: 3, cols: 3 }
 */
export interface FormSignature {
  readonly kind: FormKind
  readonly rows: number
  readonly cols: number
  readonly factor?: FormSignature
}

/** The signature of a plain (non-blockRow) form. */
const sig = (kind: Exclude<FormKind, 'blockRow'>, rows: number, cols: number): FormSignature => ({
  kind,
  rows,
  cols,
})

/** F ⊗ xᵀ with |x| = n; zero when F is zero (0 ⊗ xᵀ = 0). */
export const blockRowSignature = (factor: FormSignature, n: number): FormSignature =>
  factor.kind === 'zero'
    ? sig('zero', factor.rows, factor.cols * n)
    : { kind: 'blockRow', rows: factor.rows, cols: factor.cols * n, factor }

/** |x| of a blockRow signature F ⊗ xᵀ. */
const xLength = (s: FormSignature): number => s.cols / s.factor!.cols

/**
 * A one-line description of a signature, e.g. `dense 3×4` or `blockRow 2×6 (identity 2×2 ⊗ x[3]ᵀ)`;
 * equal for two signatures exactly when they are equal (the planner keys forms by it).
 *
 * @example
 * import { blockRowJacobian, signatureToString } from 'dualtape/linalg'
 * const j = blockRowJacobian([1, 2, 3], 2)
 * console.log(signatureToString(j.signature)) // blockRow 2×6 (identity 2×2 ⊗ x[3]ᵀ)
 */
export function signatureToString(s: FormSignature): string {
  const base = `${s.kind} ${s.rows}×${s.cols}`
  return s.kind === 'blockRow' ? `${base} (${signatureToString(s.factor!)} ⊗ x[${xLength(s)}]ᵀ)` : base
}

/** Numbers a form of this signature holds (a permutation index counts as one): 12 for dense 3×4. */
export function storageOf(s: FormSignature): number {
  switch (s.kind) {
    case 'zero':
    case 'identity':
      return 0
    case 'scaledIdentity':
      return 1
    case 'diagonal':
    case 'permutation':
      return s.rows
    case 'monomial':
      return 2 * s.rows
    case 'blockRow':
      return storageOf(s.factor!) + xLength(s)
    case 'dense':
      return s.rows * s.cols
  }
}

/** Flops of J·v for a form of this signature: 3 for diagonal 3×3. */
function matvecCostOf(s: FormSignature): number {
  switch (s.kind) {
    case 'zero':
    case 'identity':
    case 'permutation':
      return 0
    case 'scaledIdentity':
    case 'diagonal':
    case 'monomial':
      return s.rows
    case 'blockRow':
      // t_j = Σ_l x_l v[j·n + l] (2·m·n), then F·t
      return 2 * s.cols + matvecCostOf(s.factor!)
    case 'dense':
      return 2 * s.rows * s.cols
  }
}

/** Flops of uᵀ·J for a form of this signature: 6 for I_2 ⊗ xᵀ with |x| = 3, the outer product u xᵀ. */
function vecmatCostOf(s: FormSignature): number {
  switch (s.kind) {
    case 'blockRow':
      // sᵀ = uᵀF, then (uᵀ(F ⊗ xᵀ))[j·n + l] = s_j x_l (m·n)
      return vecmatCostOf(s.factor!) + s.cols
    default:
      return matvecCostOf(s)
  }
}

// ---------------------------------------------------------------------------------------------
// Forms
// ---------------------------------------------------------------------------------------------

/**
 * A local Jacobian in one of the structured forms. Narrow on `kind` to reach a form's data.
 *
 * @example
 * import { diagonalJacobian, denseJacobian, matrixFromRows } from 'dualtape/linalg'
 * const j = diagonalJacobian([2, 3]).mul(denseJacobian(matrixFromRows([[1, 1], [1, 1]])))
 * console.log(j.kind, j.toDense().data) // dense Float64Array [2, 2, 3, 3]
 */
export type JacobianForm =
  | ZeroJacobian
  | IdentityJacobian
  | ScaledIdentityJacobian
  | DiagonalJacobian
  | PermutationJacobian
  | MonomialJacobian
  | BlockRowJacobian
  | DenseJacobian

/** What every form offers; each form class implements the kernels. */
abstract class FormBase implements LinearMap {
  abstract readonly kind: FormKind
  abstract readonly rows: number
  abstract readonly cols: number

  /** The symbolic form: kind and shape (and, for blockRow, the factor's signature). */
  abstract get signature(): FormSignature

  /** J·v for v of length `cols`. */
  matvec(v: ArrayLike<number>): Float64Array {
    if (v.length !== this.cols) {
      throw new JacobianShapeError(
        `matvec: ${this.describe()} needs a vector of length ${this.cols}, got ${v.length}`,
      )
    }
    return this.matvecKernel(v)
  }

  /** uᵀ·J for u of length `rows` (the pullback of a cotangent u). */
  vecmat(u: ArrayLike<number>): Float64Array {
    if (u.length !== this.rows) {
      throw new JacobianShapeError(
        `vecmat: ${this.describe()} needs a vector of length ${this.rows}, got ${u.length}`,
      )
    }
    return this.vecmatKernel(u)
  }

  protected abstract matvecKernel(v: ArrayLike<number>): Float64Array
  protected abstract vecmatKernel(u: ArrayLike<number>): Float64Array

  /** The product this · other, in the cheapest exact form: the product table's entry (see `productSignature`). */
  mul(other: JacobianForm): JacobianForm {
    return multiplyJacobians(this as unknown as JacobianForm, other)
  }

  /** Flops of `this.mul(other)`. */
  mulCost(other: JacobianForm): number {
    return productSignature(this.signature, other.signature).flops
  }

  /** Flops of `matvec`. */
  get matvecCost(): number {
    return matvecCostOf(this.signature)
  }

  /** Flops of `vecmat`. */
  get vecmatCost(): number {
    return vecmatCostOf(this.signature)
  }

  /** Numbers this form holds. */
  get storage(): number {
    return storageOf(this.signature)
  }

  /** The dense matrix, for inspection (never needed by the algebra itself). */
  abstract toDense(): Matrix

  /** e.g. `diagonal 4×4`. */
  describe(): string {
    return signatureToString(this.signature)
  }

  toString(): string {
    return this.describe()
  }
}

/**
 * J = 0 (rows × cols). Made by `zeroJacobian`.
 *
 * @example
 * import { zeroJacobian, ZeroJacobian } from 'dualtape/linalg'
 * console.log(zeroJacobian(2, 3) instanceof ZeroJacobian, zeroJacobian(2, 3).storage) // true 0
 */
export class ZeroJacobian extends FormBase {
  readonly kind = 'zero' as const
  constructor(
    readonly rows: number,
    readonly cols: number,
  ) {
    super()
  }
  get signature(): FormSignature {
    return sig('zero', this.rows, this.cols)
  }
  protected matvecKernel(): Float64Array {
    return new Float64Array(this.rows)
  }
  protected vecmatKernel(): Float64Array {
    return new Float64Array(this.cols)
  }
  toDense(): Matrix {
    return { rows: this.rows, cols: this.cols, data: new Float64Array(this.rows * this.cols) }
  }
}

/**
 * J = I (n × n): the Jacobian of a reshape or of the identity map. Made by `identityJacobian`.
 *
 * @example
 * import { identityJacobian, diagonalJacobian } from 'dualtape/linalg'
 * const d = diagonalJacobian([1, 2])
 * console.log(identityJacobian(2).mul(d) === d) // true: I · X is X, at no cost
 */
export class IdentityJacobian extends FormBase {
  readonly kind = 'identity' as const
  readonly cols: number
  constructor(readonly rows: number) {
    super()
    this.cols = rows
  }
  get signature(): FormSignature {
    return sig('identity', this.rows, this.cols)
  }
  protected matvecKernel(v: ArrayLike<number>): Float64Array {
    return Float64Array.from(v)
  }
  protected vecmatKernel(u: ArrayLike<number>): Float64Array {
    return Float64Array.from(u)
  }
  toDense(): Matrix {
    return identityMatrix(this.rows)
  }
}

/**
 * J = α I (n × n): the Jacobian of y = α x. Made by `scaledIdentityJacobian`.
 *
 * @example
 * import { scaledIdentityJacobian } from 'dualtape/linalg'
 * console.log(scaledIdentityJacobian(3, 2).alpha, scaledIdentityJacobian(3, 2).storage) // 2 1
 */
export class ScaledIdentityJacobian extends FormBase {
  readonly kind = 'scaledIdentity' as const
  readonly cols: number
  constructor(
    readonly rows: number,
    readonly alpha: number,
  ) {
    super()
    this.cols = rows
  }
  get signature(): FormSignature {
    return sig('scaledIdentity', this.rows, this.cols)
  }
  protected matvecKernel(v: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.rows)
    for (let i = 0; i < this.rows; i++) out[i] = this.alpha * v[i]!
    return out
  }
  protected vecmatKernel(u: ArrayLike<number>): Float64Array {
    return this.matvecKernel(u)
  }
  toDense(): Matrix {
    const d = identityMatrix(this.rows)
    for (let i = 0; i < this.rows; i++) d.data[i * this.rows + i] = this.alpha
    return d
  }
}

/**
 * J = diag(d): the Jacobian of an elementwise op, y_i = f(x_i), d_i = f'(x_i). Made by `diagonalJacobian`.
 *
 * @example
 * import { diagonalJacobian } from 'dualtape/linalg'
 * // d tanh = (1 − y²) dx at y = [0, 0.5]
 * console.log(diagonalJacobian([1, 0.75]).d) // Float64Array [1, 0.75]
 */
export class DiagonalJacobian extends FormBase {
  readonly kind = 'diagonal' as const
  readonly rows: number
  readonly cols: number
  constructor(readonly d: Float64Array) {
    super()
    this.rows = this.cols = d.length
  }
  get signature(): FormSignature {
    return sig('diagonal', this.rows, this.cols)
  }
  // (diag(d) v)_i = d_i v_i
  protected matvecKernel(v: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.rows)
    for (let i = 0; i < this.rows; i++) out[i] = this.d[i]! * v[i]!
    return out
  }
  // (uᵀ diag(d))_i = u_i d_i: an elementwise product, the Jacobian is never formed
  protected vecmatKernel(u: ArrayLike<number>): Float64Array {
    return this.matvecKernel(u)
  }
  toDense(): Matrix {
    const n = this.rows
    const data = new Float64Array(n * n)
    for (let i = 0; i < n; i++) data[i * n + i] = this.d[i]!
    return { rows: n, cols: n, data }
  }
}

/**
 * J[i, p_i] = 1: the Jacobian of a gather that is a bijection (transpose, axis permutation).
 * Made by `permutationJacobian` or `transposeJacobian`.
 *
 * @example
 * import { permutationJacobian } from 'dualtape/linalg'
 * console.log(permutationJacobian([1, 0]).vecmat([5, 7])) // Float64Array [7, 5]
 */
export class PermutationJacobian extends FormBase {
  readonly kind = 'permutation' as const
  readonly rows: number
  readonly cols: number
  constructor(readonly perm: Int32Array) {
    super()
    this.rows = this.cols = perm.length
  }
  get signature(): FormSignature {
    return sig('permutation', this.rows, this.cols)
  }
  // (P v)_i = v[p_i]
  protected matvecKernel(v: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.rows)
    for (let i = 0; i < this.rows; i++) out[i] = v[this.perm[i]!]!
    return out
  }
  // (uᵀ P)[p_i] = u_i
  protected vecmatKernel(u: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.cols)
    for (let i = 0; i < this.rows; i++) out[this.perm[i]!] = u[i]!
    return out
  }
  toDense(): Matrix {
    const n = this.rows
    const data = new Float64Array(n * n)
    for (let i = 0; i < n; i++) data[i * n + this.perm[i]!] = 1
    return { rows: n, cols: n, data }
  }
}

/**
 * J[i, p_i] = a_i (a permutation with one scale per row): diag(a)·P. Made by `monomialJacobian`, or as
 * the product of a permutation and a diagonal.
 *
 * @example
 * import { permutationJacobian, diagonalJacobian } from 'dualtape/linalg'
 * console.log(diagonalJacobian([2, 3]).mul(permutationJacobian([1, 0])).kind) // monomial
 */
export class MonomialJacobian extends FormBase {
  readonly kind = 'monomial' as const
  readonly rows: number
  readonly cols: number
  constructor(
    readonly perm: Int32Array,
    readonly values: Float64Array,
  ) {
    super()
    this.rows = this.cols = perm.length
  }
  get signature(): FormSignature {
    return sig('monomial', this.rows, this.cols)
  }
  // (M v)_i = a_i v[p_i]
  protected matvecKernel(v: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.rows)
    for (let i = 0; i < this.rows; i++) out[i] = this.values[i]! * v[this.perm[i]!]!
    return out
  }
  // (uᵀ M)[p_i] = u_i a_i
  protected vecmatKernel(u: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.cols)
    for (let i = 0; i < this.rows; i++) out[this.perm[i]!] = u[i]! * this.values[i]!
    return out
  }
  toDense(): Matrix {
    const n = this.rows
    const data = new Float64Array(n * n)
    for (let i = 0; i < n; i++) data[i * n + this.perm[i]!] = this.values[i]!
    return { rows: n, cols: n, data }
  }
}

/**
 * J = F ⊗ xᵀ (F: p × m, x: n), so J[i, j·n + l] = F[i, j] x_l and J is p × (m·n).
 * With F = I_m this is ∂h/∂W for h = W x (W: m × n, flattened row-major): ∂h_i/∂W_ij = x_j.
 * Made by `blockRowJacobian` and `kronRowJacobian`.
 *
 * @example
 * import { blockRowJacobian, denseJacobian, matrix } from 'dualtape/linalg'
 * const j = denseJacobian(matrix(1, 2, [1, 1])).mul(blockRowJacobian([3, 4], 2))
 * console.log(j.kind === 'blockRow' && j.factor.kind) // dense: 1ᵀ(I ⊗ xᵀ) = 1ᵀ ⊗ xᵀ
 */
export class BlockRowJacobian extends FormBase {
  readonly kind = 'blockRow' as const
  readonly rows: number
  readonly cols: number
  constructor(
    readonly factor: JacobianForm,
    readonly x: Float64Array,
  ) {
    super()
    this.rows = factor.rows
    this.cols = factor.cols * x.length
  }
  get signature(): FormSignature {
    return blockRowSignature(this.factor.signature, this.x.length)
  }
  // (F ⊗ xᵀ) v = F t with t_j = Σ_l x_l v[j·n + l]
  protected matvecKernel(v: ArrayLike<number>): Float64Array {
    const m = this.factor.cols
    const n = this.x.length
    const t = new Float64Array(m)
    for (let j = 0; j < m; j++) {
      let s = 0
      for (let l = 0; l < n; l++) s += this.x[l]! * v[j * n + l]!
      t[j] = s
    }
    return this.factor.matvec(t)
  }
  // uᵀ (F ⊗ xᵀ) = (uᵀF) ⊗ xᵀ: with F = I this is ∂L/∂W = ū xᵀ, the outer product
  protected vecmatKernel(u: ArrayLike<number>): Float64Array {
    const s = this.factor.vecmat(u)
    const n = this.x.length
    const out = new Float64Array(this.cols)
    for (let j = 0; j < s.length; j++) {
      const sj = s[j]!
      for (let l = 0; l < n; l++) out[j * n + l] = sj * this.x[l]!
    }
    return out
  }
  toDense(): Matrix {
    const f = this.factor.toDense()
    const n = this.x.length
    const data = new Float64Array(this.rows * this.cols)
    for (let i = 0; i < f.rows; i++) {
      for (let j = 0; j < f.cols; j++) {
        const fij = f.data[i * f.cols + j]!
        const base = i * this.cols + j * n
        for (let l = 0; l < n; l++) data[base + l] = fij * this.x[l]!
      }
    }
    return { rows: this.rows, cols: this.cols, data }
  }
}

/**
 * A dense Jacobian, e.g. ∂(W x)/∂x = W. Made by `denseJacobian`; `matrix` is its data.
 *
 * @example
 * import { denseJacobian, matrix } from 'dualtape/linalg'
 * console.log(denseJacobian(matrix(2, 3)).matrix.cols) // 3
 */
export class DenseJacobian extends FormBase {
  readonly kind = 'dense' as const
  readonly rows: number
  readonly cols: number
  constructor(readonly matrix: Matrix) {
    super()
    this.rows = matrix.rows
    this.cols = matrix.cols
  }
  get signature(): FormSignature {
    return sig('dense', this.rows, this.cols)
  }
  // (J v)_i = Σ_j J_ij v_j
  protected matvecKernel(v: ArrayLike<number>): Float64Array {
    const { rows, cols, data } = this.matrix
    const out = new Float64Array(rows)
    for (let i = 0; i < rows; i++) {
      let s = 0
      const base = i * cols
      for (let j = 0; j < cols; j++) s += data[base + j]! * v[j]!
      out[i] = s
    }
    return out
  }
  // (uᵀ J)_j = Σ_i u_i J_ij
  protected vecmatKernel(u: ArrayLike<number>): Float64Array {
    const { rows, cols, data } = this.matrix
    const out = new Float64Array(cols)
    for (let i = 0; i < rows; i++) {
      const ui = u[i]!
      const base = i * cols
      for (let j = 0; j < cols; j++) out[j] = out[j]! + ui * data[base + j]!
    }
    return out
  }
  toDense(): Matrix {
    return this.matrix
  }
}

// ---------------------------------------------------------------------------------------------
// Constructors
// ---------------------------------------------------------------------------------------------

/**
 * The zero Jacobian (rows × cols): an output that does not depend on the input.
 *
 * @example
 * import { zeroJacobian } from 'dualtape/linalg'
 * console.log(zeroJacobian(2, 3).matvec([1, 2, 3])) // Float64Array [0, 0]
 */
export function zeroJacobian(rows: number, cols: number): ZeroJacobian {
  checkSize(rows, 'zero rows')
  checkSize(cols, 'zero cols')
  return new ZeroJacobian(rows, cols)
}

/**
 * The n×n identity: the Jacobian of a reshape (row-major data unchanged) or of y = x.
 *
 * @example
 * import { identityJacobian } from 'dualtape/linalg'
 * console.log(identityJacobian(3).matvecCost) // 0
 */
export function identityJacobian(n: number): IdentityJacobian {
  checkSize(n, 'identity size')
  return new IdentityJacobian(n)
}

/**
 * α I (n × n): the Jacobian of y = α x.
 *
 * @example
 * import { scaledIdentityJacobian } from 'dualtape/linalg'
 * console.log(scaledIdentityJacobian(2, 3).matvec([1, 2])) // Float64Array [3, 6]
 */
export function scaledIdentityJacobian(n: number, alpha: number): ScaledIdentityJacobian {
  checkSize(n, 'scaledIdentity size')
  return new ScaledIdentityJacobian(n, alpha)
}

/**
 * diag(d): the Jacobian of an elementwise op, with d_i = ∂y_i/∂x_i. Holds a copy of d.
 *
 * @example
 * import { diagonalJacobian } from 'dualtape/linalg'
 * console.log(diagonalJacobian([1, 0, 1]).vecmat([4, 1, 5])) // Float64Array [4, 0, 5]
 */
export function diagonalJacobian(d: ArrayLike<number>): DiagonalJacobian {
  return new DiagonalJacobian(Float64Array.from(d))
}

/** Copies `perm` after checking that it holds each of 0..n-1 once. */
function checkedPermutation(perm: ArrayLike<number>, what: string): Int32Array {
  const n = perm.length
  const p = new Int32Array(n)
  const seen = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const pi = perm[i]!
    if (!Number.isInteger(pi) || pi < 0 || pi >= n || seen[pi] === 1) {
      throw new JacobianShapeError(
        `${what}: [${Array.from(perm).join(', ')}] is not a permutation of 0..${n - 1}`,
      )
    }
    seen[pi] = 1
    p[i] = pi
  }
  return p
}

/**
 * The permutation Jacobian with (P v)_i = v[perm_i]: output i reads input perm_i.
 *
 * @example
 * import { permutationJacobian } from 'dualtape/linalg'
 * console.log(permutationJacobian([2, 0, 1]).matvec([10, 20, 30])) // Float64Array [30, 10, 20]
 */
export function permutationJacobian(perm: ArrayLike<number>): PermutationJacobian {
  return new PermutationJacobian(checkedPermutation(perm, 'permutation'))
}

/**
 * The monomial Jacobian with (M v)_i = values_i · v[perm_i] (a scaled gather).
 *
 * @example
 * import { monomialJacobian } from 'dualtape/linalg'
 * console.log(monomialJacobian([1, 0], [2, 3]).matvec([10, 20])) // Float64Array [40, 30]
 */
export function monomialJacobian(perm: ArrayLike<number>, values: ArrayLike<number>): MonomialJacobian {
  if (values.length !== perm.length) {
    throw new JacobianShapeError(`monomial: ${perm.length} indices but ${values.length} values`)
  }
  return new MonomialJacobian(checkedPermutation(perm, 'monomial'), Float64Array.from(values))
}

/**
 * A dense Jacobian holding a copy of the matrix.
 *
 * @example
 * import { denseJacobian, matrixFromRows } from 'dualtape/linalg'
 * console.log(denseJacobian(matrixFromRows([[1, 2], [3, 4]])).matvec([1, 1])) // Float64Array [3, 7]
 */
export function denseJacobian(a: Matrix): DenseJacobian {
  if (a.data.length !== a.rows * a.cols) {
    throw new JacobianShapeError(
      `dense: a ${a.rows}×${a.cols} matrix needs ${a.rows * a.cols} entries, got ${a.data.length}`,
    )
  }
  return new DenseJacobian({ rows: a.rows, cols: a.cols, data: Float64Array.from(a.data) })
}

/**
 * F ⊗ xᵀ (F: p × m, x: n), of shape p × (m·n): J[i, j·n + l] = F[i, j] x_l. Stores F and x.
 *
 * @example
 * import { kronRowJacobian, diagonalJacobian } from 'dualtape/linalg'
 * const j = kronRowJacobian(diagonalJacobian([2, 3]), [1, 10])
 * console.log(j.rows, j.cols, j.toDense().data) // 2 4 Float64Array [2, 20, 0, 0, 0, 0, 3, 30]
 */
export function kronRowJacobian(factor: JacobianForm, x: ArrayLike<number>): BlockRowJacobian | ZeroJacobian {
  return makeBlockRow(factor, Float64Array.from(x))
}

/**
 * I_m ⊗ xᵀ (m × m·n): the Jacobian of h = W x with respect to W (m × n, flattened row-major),
 * ∂h_i/∂W_ij = x_j. Only x is stored; the Jacobian "tensor" is never formed.
 *
 * @example
 * import { blockRowJacobian } from 'dualtape/linalg'
 * // ∂L/∂W = ū xᵀ: the cotangent of W is the outer product of ū and x
 * console.log(blockRowJacobian([1, 2, 3], 2).vecmat([1, -1])) // Float64Array [1, 2, 3, -1, -2, -3]
 */
export function blockRowJacobian(x: ArrayLike<number>, m: number): BlockRowJacobian | ZeroJacobian {
  checkSize(m, 'blockRow outputs')
  return kronRowJacobian(new IdentityJacobian(m), x)
}

/** F ⊗ xᵀ without copying; 0 ⊗ xᵀ is the zero form. */
export function makeBlockRow(factor: JacobianForm, x: Float64Array): BlockRowJacobian | ZeroJacobian {
  return factor.kind === 'zero'
    ? new ZeroJacobian(factor.rows, factor.cols * x.length)
    : new BlockRowJacobian(factor, x)
}

// ---------------------------------------------------------------------------------------------
// Local Jacobians of common layers (the lecture's examples)
// ---------------------------------------------------------------------------------------------

/**
 * ∂ReLU(x)/∂x = diag(x_i > 0 ? 1 : 0): diagonal, since ReLU acts elementwise.
 *
 * @example
 * import { reluJacobian } from 'dualtape/linalg'
 * // the upstream gradient passes where x > 0 and is zero elsewhere (−0 = 0: the product 0 · −1)
 * console.log(reluJacobian([1, -2, 3, -1]).vecmat([4, -1, 5, 9])) // Float64Array [4, -0, 5, 0]
 */
export function reluJacobian(x: ArrayLike<number>): DiagonalJacobian {
  const d = new Float64Array(x.length)
  for (let i = 0; i < x.length; i++) d[i] = x[i]! > 0 ? 1 : 0
  return new DiagonalJacobian(d)
}

/**
 * The two local Jacobians of a fully connected layer h = W x (W: m × n): ∂h/∂x = W (dense) and
 * ∂h/∂W = I_m ⊗ xᵀ (blockRow, with respect to W flattened row-major).
 *
 * @example
 * import { fcJacobians, matrixFromRows } from 'dualtape/linalg'
 * const { input, weight } = fcJacobians(matrixFromRows([[1, 2], [3, 4]]), [5, 6])
 * console.log(input.vecmat([1, 0]), weight.vecmat([1, 0])) // Float64Array [1, 2] Float64Array [5, 6, 0, 0]
 */
export function fcJacobians(
  w: Matrix,
  x: ArrayLike<number>,
): { readonly input: DenseJacobian; readonly weight: BlockRowJacobian | ZeroJacobian } {
  if (x.length !== w.cols) {
    throw new JacobianShapeError(`fcJacobians: W is ${w.rows}×${w.cols} but x has length ${x.length}`)
  }
  return { input: denseJacobian(w), weight: blockRowJacobian(x, w.rows) }
}

/**
 * The Jacobian of transposing a row-major rows × cols matrix: the permutation with
 * out[j·rows + i] = in[i·cols + j].
 *
 * @example
 * import { transposeJacobian } from 'dualtape/linalg'
 * console.log(transposeJacobian(2, 3).matvec([1, 2, 3, 4, 5, 6])) // Float64Array [1, 4, 2, 5, 3, 6]
 */
export function transposeJacobian(rows: number, cols: number): PermutationJacobian {
  checkSize(rows, 'transposeJacobian rows')
  checkSize(cols, 'transposeJacobian cols')
  const p = new Int32Array(rows * cols)
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) p[j * rows + i] = i * cols + j
  return new PermutationJacobian(p)
}
