import type { FloatArray } from '../core/dtype.js'

// ---------------------------------------------------------------------------------------------
// Dense factorizations of one n×n matrix, row-major at an offset, computed in float64 (JavaScript
// numbers) whatever the storage: Cholesky, triangular solves, LU with partial pivoting and the
// cyclic Jacobi eigensolver for symmetric matrices. Each returns the index of the pivot that
// failed (-1 when none did); the caller names the op, the shapes and the matrix in its error.
// ---------------------------------------------------------------------------------------------

/**
 * The lower Cholesky factor L of the symmetric part S = (A + Aᵀ)/2 of A, S = L Lᵀ, written to
 * `l` (its upper triangle set to 0). Returns the first column whose pivot S_jj − Σ L_jk² is not
 * positive (or not finite), -1 when S is positive definite.
 */
export function choleskyInto(a: FloatArray, ao: number, n: number, l: FloatArray, lo: number): number {
  for (let i = 0; i < n * n; i++) l[lo + i] = 0
  for (let j = 0; j < n; j++) {
    let d = a[ao + j * n + j]!
    for (let k = 0; k < j; k++) {
      const v = l[lo + j * n + k]!
      d -= v * v
    }
    if (!(d > 0) || !Number.isFinite(d)) return j
    const ljj = Math.sqrt(d)
    l[lo + j * n + j] = ljj
    for (let i = j + 1; i < n; i++) {
      let s = 0.5 * (a[ao + i * n + j]! + a[ao + j * n + i]!)
      for (let k = 0; k < j; k++) s -= l[lo + i * n + k]! * l[lo + j * n + k]!
      l[lo + i * n + j] = s / ljj
    }
  }
  return -1
}

/**
 * Solves op(T) X = B for X (n×m), where T is the `lower` (or upper) triangle of the n×n matrix at
 * `a` (the other triangle is not read) and op(T) is T or Tᵀ (`trans`). Returns the first zero
 * (or non-finite) diagonal element, -1 when there is none.
 */
export function triangularSolveInto(
  a: FloatArray,
  ao: number,
  n: number,
  b: FloatArray,
  bo: number,
  m: number,
  x: FloatArray,
  xo: number,
  lower: boolean,
  trans: boolean,
): number {
  for (let i = 0; i < n; i++) {
    const d = a[ao + i * n + i]!
    if (d === 0 || !Number.isFinite(d)) return i
  }
  // op(T)[i, k] = T[i, k], or T[k, i] when transposed: lower-triangular when `lower` and `trans` differ
  const rs = trans ? 1 : n
  const cs = trans ? n : 1
  const forward = lower !== trans
  const acc = new Float64Array(m)
  for (let s = 0; s < n; s++) {
    const i = forward ? s : n - 1 - s
    for (let j = 0; j < m; j++) acc[j] = b[bo + i * m + j]!
    const k0 = forward ? 0 : i + 1
    const k1 = forward ? i : n
    for (let k = k0; k < k1; k++) {
      const t = a[ao + i * rs + k * cs]!
      if (t === 0) continue
      for (let j = 0; j < m; j++) acc[j]! -= t * x[xo + k * m + j]!
    }
    const d = a[ao + i * n + i]!
    for (let j = 0; j < m; j++) x[xo + i * m + j] = acc[j]! / d
  }
  return -1
}

/**
 * The LU factorization with partial pivoting P A = L U of the n×n matrix at `a`, in place in
 * `lu` (L below the diagonal with unit diagonal, U on and above it), the row order in `perm`.
 * Returns the parity of the permutation (+1 or -1) in `sign[0]`, and the first column whose pivot
 * is exactly 0 (or not finite), -1 when there is none.
 */
export function luInto(
  a: FloatArray,
  ao: number,
  n: number,
  lu: Float64Array,
  perm: Int32Array,
  sign: Float64Array,
): number {
  for (let i = 0; i < n * n; i++) lu[i] = a[ao + i]!
  for (let i = 0; i < n; i++) perm[i] = i
  let parity = 1
  for (let k = 0; k < n; k++) {
    let p = k
    let best = Math.abs(lu[k * n + k]!)
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]!)
      if (v > best) {
        best = v
        p = i
      }
    }
    if (best === 0 || !Number.isFinite(best)) {
      sign[0] = parity
      return k
    }
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j]!
        lu[k * n + j] = lu[p * n + j]!
        lu[p * n + j] = t
      }
      const t = perm[k]!
      perm[k] = perm[p]!
      perm[p] = t
      parity = -parity
    }
    const piv = lu[k * n + k]!
    for (let i = k + 1; i < n; i++) {
      const f = lu[i * n + k]! / piv
      lu[i * n + k] = f
      if (f === 0) continue
      for (let j = k + 1; j < n; j++) lu[i * n + j]! -= f * lu[k * n + j]!
    }
  }
  sign[0] = parity
  return -1
}

/**
 * Solves op(A) X = B from the LU factors of A (`luInto`), op(A) = A or Aᵀ; X is n×m, written to
 * `x` at `xo`.
 */
export function luSolveInto(
  lu: Float64Array,
  perm: Int32Array,
  n: number,
  b: FloatArray,
  bo: number,
  m: number,
  x: FloatArray,
  xo: number,
  trans: boolean,
): void {
  const w = new Float64Array(n * m)
  if (!trans) {
    // A = Pᵀ L U: L U X = P B
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) w[i * m + j] = b[bo + perm[i]! * m + j]!
    substitute(lu, n, w, m, true, false, true)
    substitute(lu, n, w, m, false, false, false)
    for (let i = 0; i < n * m; i++) x[xo + i] = w[i]!
  } else {
    // Aᵀ = Uᵀ Lᵀ P: Uᵀ Lᵀ (P X) = B
    for (let i = 0; i < n * m; i++) w[i] = b[bo + i]!
    substitute(lu, n, w, m, false, true, false)
    substitute(lu, n, w, m, true, true, true)
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) x[xo + perm[i]! * m + j] = w[i * m + j]!
  }
}

/** In-place substitution with the L (unit diagonal) or U factor in `lu`, or its transpose. */
function substitute(
  lu: Float64Array,
  n: number,
  w: Float64Array,
  m: number,
  lower: boolean,
  trans: boolean,
  unit: boolean,
): void {
  const rs = trans ? 1 : n
  const cs = trans ? n : 1
  const forward = lower !== trans
  for (let s = 0; s < n; s++) {
    const i = forward ? s : n - 1 - s
    const k0 = forward ? 0 : i + 1
    const k1 = forward ? i : n
    for (let k = k0; k < k1; k++) {
      const t = lu[i * rs + k * cs]!
      if (t === 0) continue
      for (let j = 0; j < m; j++) w[i * m + j]! -= t * w[k * m + j]!
    }
    if (!unit) {
      const d = lu[i * n + i]!
      for (let j = 0; j < m; j++) w[i * m + j]! /= d
    }
  }
}

/** log |det A| and the sign of det A from the LU factors of A (`luInto`) and its parity. */
export function luLogAbsDet(lu: Float64Array, n: number, parity: number): [number, number] {
  let s = parity
  let l = 0
  for (let i = 0; i < n; i++) {
    const d = lu[i * n + i]!
    if (d < 0) s = -s
    l += Math.log(Math.abs(d))
  }
  return [s, l]
}

/**
 * The eigenvalues (ascending, to `w` at `wo`) and orthonormal eigenvectors (the columns of the
 * n×n matrix at `v`, `vo`) of the symmetric part (A + Aᵀ)/2 of A, by cyclic Jacobi rotations
 * (accurate to a few ulps of ‖A‖). Each eigenvector's entry of largest magnitude (the first such)
 * is made positive, so that the vectors are a function of the matrix. Returns -1, or 0 when an
 * entry of A is not finite.
 */
export function eighInto(
  a: FloatArray,
  ao: number,
  n: number,
  w: FloatArray,
  wo: number,
  v: FloatArray,
  vo: number,
): number {
  const s = new Float64Array(n * n)
  const q = new Float64Array(n * n)
  let norm = 0
  for (let i = 0; i < n; i++) {
    q[i * n + i] = 1
    for (let j = 0; j < n; j++) {
      const x = 0.5 * (a[ao + i * n + j]! + a[ao + j * n + i]!)
      if (!Number.isFinite(x)) return 0
      s[i * n + j] = x
      norm += x * x
    }
  }
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += s[i * n + j]! * s[i * n + j]!
    if (off <= 1e-32 * norm || off === 0) break
    for (let p = 0; p < n; p++) {
      for (let r = p + 1; r < n; r++) {
        const apr = s[p * n + r]!
        if (apr === 0) continue
        // the rotation in the (p, r) plane that zeroes S[p, r] (Golub and Van Loan, 8.5.2)
        const theta = (s[r * n + r]! - s[p * n + p]!) / (2 * apr)
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const sn = t * c
        for (let k = 0; k < n; k++) {
          const kp = s[k * n + p]!
          const kr = s[k * n + r]!
          s[k * n + p] = c * kp - sn * kr
          s[k * n + r] = sn * kp + c * kr
        }
        for (let k = 0; k < n; k++) {
          const pk = s[p * n + k]!
          const rk = s[r * n + k]!
          s[p * n + k] = c * pk - sn * rk
          s[r * n + k] = sn * pk + c * rk
        }
        for (let k = 0; k < n; k++) {
          const kp = q[k * n + p]!
          const kr = q[k * n + r]!
          q[k * n + p] = c * kp - sn * kr
          q[k * n + r] = sn * kp + c * kr
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => s[i * n + i]! - s[j * n + j]!)
  for (let c = 0; c < n; c++) {
    const src = order[c]!
    w[wo + c] = s[src * n + src]!
    let big = 0
    let sgn = 1
    for (let k = 0; k < n; k++) {
      const x = q[k * n + src]!
      if (Math.abs(x) > big) {
        big = Math.abs(x)
        sgn = x < 0 ? -1 : 1
      }
    }
    for (let k = 0; k < n; k++) v[vo + k * n + c] = sgn * q[k * n + src]!
  }
  return -1
}
