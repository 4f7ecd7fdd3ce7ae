/**
 * The product table of the structured forms: for every pair of kinds, one entry that states the
 * kind of A·B, its signature, the flops and the kernel time of computing it, and computes it.
 *
 * The chain planner prices a bracketing from the entries' symbolic parts (`productSignature`,
 * `productKernelNs`); `multiplyJacobians` and `.mul` run the same entries' `compute`. Both read one
 * entry per pair, so the form and the cost the planner predicts for a product are those of the
 * product the algebra computes, by construction.
 *
 *   A \ B           zero  identity  monomial family    blockRow G ⊗ yᵀ   dense
 *   zero            zero  zero      zero               zero              zero
 *   identity        zero  identity  B                  B                 dense
 *   monomial family zero  A         monomial family    (A·G) ⊗ yᵀ        dense (scaled gather)
 *   blockRow F ⊗ xᵀ zero  A         F ⊗ (βx)ᵀ for βI,  (A·G) ⊗ yᵀ        dense: F·((I ⊗ xᵀ)·B)
 *                                   else dense
 *   dense           zero  A         dense              (A·G) ⊗ yᵀ        dense (gemm)
 *
 * where the monomial family is scaledIdentity, diagonal, permutation and monomial (square, one
 * nonzero per row and column at most), closed under products. Costs count floating-point
 * operations (a multiply-add is two); gathers, scatters and copies count nothing.
 */
import { gemm } from '../kernels/matmul.js'
import { JacobianShapeError, matmulMatrix, type Matrix } from './matrix.js'
import {
  BlockRowJacobian,
  DenseJacobian,
  DiagonalJacobian,
  MonomialJacobian,
  PermutationJacobian,
  ScaledIdentityJacobian,
  ZeroJacobian,
  blockRowSignature,
  makeBlockRow,
  signatureToString,
  type FormKind,
  type FormSignature,
  type JacobianForm,
} from './structured.js'
import { gemmNs, scaleNs, type ChainCostModel } from './chain/cost.js'

/**
 * One entry of the product table: the product A·B of a form of one kind and a form of another.
 * `kind` is the kind of the result, which depends on the kinds of the factors alone; `signature`,
 * `flops` and `time` are computed from the factors' signatures, `compute` from the factors.
 */
export interface ProductRule {
  /** The kind of A·B. */
  readonly kind: FormKind
  /** The signature of A·B (of kind `kind`). */
  signature(a: FormSignature, b: FormSignature): FormSignature
  /** The flops `compute` spends. */
  flops(a: FormSignature, b: FormSignature): number
  /** Nanoseconds of the kernels `compute` runs, priced by a cost model (the step's fixed cost not included). */
  time(model: ChainCostModel, a: FormSignature, b: FormSignature): number
  /** A·B, of kind `kind`. */
  compute(a: JacobianForm, b: JacobianForm): JacobianForm
}

/** Every kind, in the order of the table of structured.ts (the kinds a product table entry is keyed by). */
export const formKinds: readonly FormKind[] = [
  'zero',
  'identity',
  'scaledIdentity',
  'diagonal',
  'permutation',
  'monomial',
  'blockRow',
  'dense',
]

/** Kinds that are square with one nonzero per row and column at most: P·diag(a) up to scaling. */
type MonomialKind = 'scaledIdentity' | 'diagonal' | 'permutation' | 'monomial'
type MonomialForm = ScaledIdentityJacobian | DiagonalJacobian | PermutationJacobian | MonomialJacobian

const isMonomialKind = (k: FormKind): k is MonomialKind =>
  k === 'scaledIdentity' || k === 'diagonal' || k === 'permutation' || k === 'monomial'

/** The signature of a plain (non-blockRow) result of kind `kind`, A.rows × B.cols. */
const plain =
  (kind: FormKind) =>
  (a: FormSignature, b: FormSignature): FormSignature => ({ kind, rows: a.rows, cols: b.cols })

/** |x| of a blockRow signature F ⊗ xᵀ. */
const xLength = (s: FormSignature): number => s.cols / s.factor!.cols

// ---------------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------------

/** 0·B = A·0 = 0. */
const zeroRule: ProductRule = {
  kind: 'zero',
  signature: plain('zero'),
  flops: () => 0,
  time: () => 0,
  compute: (a, b) => new ZeroJacobian(a.rows, b.cols),
}

/** I·B = B. */
const leftIdentity = (kb: FormKind): ProductRule => ({
  kind: kb,
  signature: (_, b) => b,
  flops: () => 0,
  time: () => 0,
  compute: (_, b) => b,
})

/** A·I = A. */
const rightIdentity = (ka: FormKind): ProductRule => ({
  kind: ka,
  signature: (a) => a,
  flops: () => 0,
  time: () => 0,
  compute: (a) => a,
})

/** A·(G ⊗ yᵀ) = (A·G) ⊗ yᵀ: only A·G is computed. */
const timesBlockRow: ProductRule = {
  kind: 'blockRow',
  signature: (a, b) => blockRowSignature(productSignature(a, b.factor!).signature, xLength(b)),
  flops: (a, b) => productSignature(a, b.factor!).flops,
  time: (m, a, b) => productKernelNs(m, a, b.factor!),
  compute: (a, b) => {
    const g = b as BlockRowJacobian
    return makeBlockRow(multiplyJacobians(a, g.factor), g.x)
  },
}

/** (F ⊗ xᵀ)·βI = F ⊗ (βx)ᵀ: x scaled. */
const blockRowTimesScaled: ProductRule = {
  kind: 'blockRow',
  signature: (a) => a,
  flops: (a) => xLength(a),
  time: (m, a) => scaleNs(m, xLength(a), xLength(a)),
  compute: (a, b) => {
    const f = a as BlockRowJacobian
    const beta = (b as ScaledIdentityJacobian).alpha
    return new BlockRowJacobian(
      f.factor,
      f.x.map((v) => beta * v),
    )
  },
}

/**
 * (F ⊗ xᵀ)·B = F·T with T = (I ⊗ xᵀ)·B dense (F.cols × B.cols), for B diagonal, permutation,
 * monomial or dense. Contracting costs one multiply per nonzero of B (none for a permutation) or,
 * for dense B, one vector–matrix product xᵀ B[i·n : (i+1)·n, :] per row of T.
 */
const blockRowTimes = (kb: FormKind): ProductRule => {
  const t = (a: FormSignature, b: FormSignature): FormSignature => ({
    kind: 'dense',
    rows: a.factor!.cols,
    cols: b.cols,
  })
  const contractFlops = (b: FormSignature): number =>
    kb === 'diagonal' || kb === 'monomial' ? b.rows : kb === 'permutation' ? 0 : 2 * b.rows * b.cols
  return {
    kind: 'dense',
    signature: (a, b) => productSignature(a.factor!, t(a, b)).signature,
    flops: (a, b) => contractFlops(b) + productSignature(a.factor!, t(a, b)).flops,
    time: (m, a, b) => {
      const entriesT = a.factor!.cols * b.cols
      const contract =
        kb === 'dense'
          ? (2 * b.rows * b.cols) / m.gemvGflops + entriesT * m.writeNs
          : scaleNs(m, kb === 'permutation' ? 0 : b.rows, entriesT)
      return contract + productKernelNs(m, a.factor!, t(a, b))
    },
    compute: (a, b) => {
      const f = a as BlockRowJacobian
      return multiplyJacobians(f.factor, new DenseJacobian(contractBlockRow(f.x, f.factor.cols, b)))
    },
  }
}

/** Dense times dense: the blocked kernel (gemm), 2·m·k·n flops. */
const gemmRule: ProductRule = {
  kind: 'dense',
  signature: plain('dense'),
  flops: (a, b) => 2 * a.rows * a.cols * b.cols,
  time: (m, a, b) => gemmNs(m, a.rows, a.cols, b.cols),
  compute: (a, b) =>
    new DenseJacobian(matmulMatrix((a as DenseJacobian).matrix, (b as DenseJacobian).matrix)),
}

/**
 * A monomial-family form times a dense one, or a dense one times a monomial-family one: a scaled
 * gather of rows (of columns), one multiply per entry (a copy, for a permutation).
 */
const scaledGather = (monomial: MonomialKind, denseLeft: boolean): ProductRule => {
  const flops = (a: FormSignature, b: FormSignature): number =>
    monomial === 'permutation' ? 0 : a.rows * b.cols
  return {
    kind: 'dense',
    signature: plain('dense'),
    flops,
    time: (m, a, b) => scaleNs(m, flops(a, b), a.rows * b.cols),
    compute: denseLeft
      ? (a, b) =>
          new DenseJacobian(denseTimesMonomial((a as DenseJacobian).matrix, monomialView(b as MonomialForm)))
      : (a, b) =>
          new DenseJacobian(monomialTimesDense(monomialView(a as MonomialForm), (b as DenseJacobian).matrix)),
  }
}

/** Two monomial-family forms: one multiply per row unless a factor is a pure permutation. */
const monomialRule = (ka: MonomialKind, kb: MonomialKind): ProductRule => {
  const diagLike = (k: MonomialKind): boolean => k === 'scaledIdentity' || k === 'diagonal'
  const kind: MonomialKind =
    ka === 'scaledIdentity' && kb === 'scaledIdentity'
      ? 'scaledIdentity'
      : diagLike(ka) && diagLike(kb)
        ? 'diagonal'
        : ka === 'permutation' && kb === 'permutation'
          ? 'permutation'
          : 'monomial'
  const scalars = kind === 'scaledIdentity'
  const free = ka === 'permutation' || kb === 'permutation'
  return {
    kind,
    signature: plain(kind),
    flops: (a) => (scalars ? 1 : free ? 0 : a.rows),
    time: (m, a) => (scalars ? scaleNs(m, 1, 0) : scaleNs(m, free ? 0 : a.rows, a.rows)),
    compute: (a, b) =>
      monomialProduct(monomialView(a as MonomialForm), monomialView(b as MonomialForm), a.rows, kind),
  }
}

/** The entry for A·B with A of kind `ka` and B of kind `kb`. */
function ruleFor(ka: FormKind, kb: FormKind): ProductRule {
  if (ka === 'zero' || kb === 'zero') return zeroRule
  if (ka === 'identity') return leftIdentity(kb)
  if (kb === 'identity') return rightIdentity(ka)
  if (kb === 'blockRow') return timesBlockRow
  if (ka === 'blockRow') return kb === 'scaledIdentity' ? blockRowTimesScaled : blockRowTimes(kb)
  if (ka === 'dense' && kb === 'dense') return gemmRule
  if (ka === 'dense') return scaledGather(kb as MonomialKind, true)
  if (kb === 'dense') return scaledGather(ka as MonomialKind, false)
  if (isMonomialKind(ka) && isMonomialKind(kb)) return monomialRule(ka, kb)
  throw new Error(`ruleFor: no rule for ${ka} · ${kb}`)
}

/** `productTable[kindA][kindB]`: the entry for A·B, for every pair of kinds. */
export const productTable: { readonly [A in FormKind]: { readonly [B in FormKind]: ProductRule } } =
  Object.fromEntries(
    formKinds.map((ka) => [ka, Object.fromEntries(formKinds.map((kb) => [kb, ruleFor(ka, kb)]))]),
  ) as { readonly [A in FormKind]: { readonly [B in FormKind]: ProductRule } }

// ---------------------------------------------------------------------------------------------
// Symbolic: signature, flops and time
// ---------------------------------------------------------------------------------------------

/** Throws unless A·B is defined. */
function checkProduct(a: FormSignature, b: FormSignature, what: string): void {
  if (a.cols !== b.rows) {
    throw new JacobianShapeError(
      `${what}: A is ${signatureToString(a)} and B is ${signatureToString(b)}; A.cols (${a.cols}) must equal B.rows (${b.rows})`,
    )
  }
}

/**
 * The signature of A·B and the flops `multiplyJacobians` spends on it, computed from the
 * signatures alone: the symbolic side of the product table's entry. This is the cost model of the
 * chain planner; `multiplyJacobians(a, b).signature` always equals its `signature`.
 *
 * @example
 * import { productSignature, diagonalJacobian, denseJacobian, matrix } from 'dualtape/linalg'
 * const r = productSignature(diagonalJacobian([1, 2]).signature, denseJacobian(matrix(2, 5)).signature)
 * console.log(r.signature.kind, r.flops) // dense 10: one scaling per entry
 */
export function productSignature(
  a: FormSignature,
  b: FormSignature,
): { readonly signature: FormSignature; readonly flops: number } {
  checkProduct(a, b, 'productSignature')
  const rule = productTable[a.kind][b.kind]
  return { signature: rule.signature(a, b), flops: rule.flops(a, b) }
}

/**
 * Nanoseconds of the kernels that `multiplyJacobians(a, b)` runs for operands of signatures a and
 * b, priced by a cost model (the step's fixed cost not included).
 */
export function productKernelNs(model: ChainCostModel, a: FormSignature, b: FormSignature): number {
  return productTable[a.kind][b.kind].time(model, a, b)
}

// ---------------------------------------------------------------------------------------------
// Numeric: the kernels
// ---------------------------------------------------------------------------------------------

/**
 * The product A·B of two forms, in the form `productSignature` predicts. Throws a
 * `JacobianShapeError` when A.cols ≠ B.rows.
 *
 * @example
 * import { multiplyJacobians, diagonalJacobian } from 'dualtape/linalg'
 * const j = multiplyJacobians(diagonalJacobian([1, 2]), diagonalJacobian([3, 4]))
 * console.log(j.kind, j.toDense().data) // diagonal Float64Array [3, 0, 0, 8]
 */
export function multiplyJacobians(a: JacobianForm, b: JacobianForm): JacobianForm {
  checkProduct(a.signature, b.signature, 'mul')
  return productTable[a.kind][b.kind].compute(a, b)
}

/** A monomial-family form seen as s · diag(a) · P: (J v)_i = s · a_i · v[p_i] (null: all ones / identity). */
interface MonomialView {
  readonly perm: Int32Array | null
  readonly values: Float64Array | null
  readonly scale: number
}

function monomialView(f: MonomialForm): MonomialView {
  switch (f.kind) {
    case 'scaledIdentity':
      return { perm: null, values: null, scale: f.alpha }
    case 'diagonal':
      return { perm: null, values: f.d, scale: 1 }
    case 'permutation':
      return { perm: f.perm, values: null, scale: 1 }
    case 'monomial':
      return { perm: f.perm, values: f.values, scale: 1 }
  }
}

/**
 * A·B for two n×n monomial-family forms:
 * (A B v)_i = s_A a_i (B v)[p_i] = s_A s_B a_i b[p_i] v[q[p_i]], so r_i = q[p_i], c_i = s_A s_B a_i b[p_i].
 */
function monomialProduct(a: MonomialView, b: MonomialView, n: number, kind: MonomialKind): JacobianForm {
  if (kind === 'scaledIdentity') return new ScaledIdentityJacobian(n, a.scale * b.scale)
  const s = a.scale * b.scale
  let r: Int32Array | null = null
  if (a.perm !== null || b.perm !== null) {
    r = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const pi = a.perm === null ? i : a.perm[i]!
      r[i] = b.perm === null ? pi : b.perm[pi]!
    }
  }
  if (kind === 'permutation') return new PermutationJacobian(r!)
  const c = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const pi = a.perm === null ? i : a.perm[i]!
    const av = a.values === null ? null : a.values[i]!
    const bv = b.values === null ? null : b.values[pi]!
    // one multiply per entry at most: the flop count of monomialProductFlops
    if (av === null && bv === null) c[i] = s
    else if (av === null) c[i] = s === 1 ? bv! : s * bv!
    else if (bv === null) c[i] = s === 1 ? av : s * av
    else c[i] = av * bv
  }
  if (kind === 'diagonal') return new DiagonalJacobian(c)
  return new MonomialJacobian(r ?? Int32Array.from({ length: n }, (_, i) => i), c)
}

/** (M D)[i, :] = s a_i D[p_i, :] for a monomial-family M (n×n) and dense D (n×c). */
function monomialTimesDense(m: MonomialView, d: Matrix): Matrix {
  const { rows, cols, data } = d
  const out = new Float64Array(rows * cols)
  for (let i = 0; i < rows; i++) {
    const src = (m.perm === null ? i : m.perm[i]!) * cols
    const dst = i * cols
    if (m.values === null && m.scale === 1) {
      out.set(data.subarray(src, src + cols), dst)
    } else {
      const f = m.scale * (m.values === null ? 1 : m.values[i]!)
      for (let j = 0; j < cols; j++) out[dst + j] = f * data[src + j]!
    }
  }
  return { rows, cols, data: out }
}

/** (D M)[i, p_k] = D[i, k] s a_k for dense D (r×n) and a monomial-family M (n×n). */
function denseTimesMonomial(d: Matrix, m: MonomialView): Matrix {
  const { rows, cols, data } = d
  const out = new Float64Array(rows * cols)
  const plain = m.values === null && m.scale === 1
  for (let k = 0; k < cols; k++) {
    const col = m.perm === null ? k : m.perm[k]!
    const f = m.scale * (m.values === null ? 1 : m.values[k]!)
    for (let i = 0; i < rows; i++) out[i * cols + col] = plain ? data[i * cols + k]! : f * data[i * cols + k]!
  }
  return { rows, cols, data: out }
}

/** T = (I_m ⊗ xᵀ)·B (B: m·n × c), so T[i, :] = Σ_l x_l B[i·n + l, :]; T is dense m × c. */
function contractBlockRow(x: Float64Array, m: number, b: JacobianForm): Matrix {
  const n = x.length
  const c = b.cols
  const t = new Float64Array(m * c)
  switch (b.kind) {
    case 'diagonal':
    case 'permutation':
    case 'monomial': {
      // B has one entry per row k = i·n + l, at column p_k with value b_k: T[i, p_k] = x_l b_k
      const v = monomialView(b)
      for (let i = 0; i < m; i++) {
        for (let l = 0; l < n; l++) {
          const k = i * n + l
          const col = v.perm === null ? k : v.perm[k]!
          t[i * c + col] = v.values === null ? x[l]! : x[l]! * v.values[k]!
        }
      }
      break
    }
    case 'dense':
      // T[i, :] = xᵀ B[i·n : (i+1)·n, :]
      for (let i = 0; i < m; i++) gemm(1, c, n, x, 0, 0, 1, b.matrix.data, i * n * c, c, 1, t, i * c)
      break
    default:
      throw new Error(`contractBlockRow: unexpected ${b.kind}`)
  }
  return { rows: m, cols: c, data: t }
}
