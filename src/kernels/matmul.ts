/**
 * Dense matrix multiply for the CPU backend.
 *
 * Large products follow the blocked layout of Goto & van de Geijn ("Anatomy of high-performance
 * matrix multiplication", 2008): op(B) is cut into KC×NC panels and op(A) into MC×KC panels, each
 * copied ("packed") into contiguous scratch so that the inner kernel reads both operands with unit
 * stride whatever the caller's strides are. The inner kernel computes one MR×NR tile of C
 * (MR = NR = 4) with its sixteen accumulators held in local variables:
 *
 *   C[i0+r, j0+s] (+)= Σ_{p<kc} Ap[r + MR·p] · Bp[s + NR·p]
 *
 * Packed layouts (zero padded past the matrix edge so the kernel always runs a full tile):
 *   A panel: micro-panels of MR rows; micro-panel t holds element (t·MR + r, p) at t·MR·kc + p·MR + r.
 *   B panel: micro-panels of NR columns; micro-panel t holds element (p, t·NR + s) at t·NR·kc + p·NR + s.
 *
 * All arithmetic is in float64. Float32 results are accumulated in a float64 scratch matrix over
 * the whole k range and rounded once on the final store.
 */

/** A dense array of floating-point matrix elements. */
export type FloatArray = Float64Array | Float32Array

/** Rows of a register tile of C. */
const MR = 4
/** Columns of a register tile of C. */
const NR = 4
/** Depth of one packed panel (length of the k block). */
const KC = 256
/** Rows of op(A) per packed A panel (MC·KC doubles = 128 KiB). */
const MC = 64
/** Columns of op(B) per packed B panel (KC·NC doubles = 1 MiB). */
const NC = 512
/** Below this many multiply-adds (m·n·k) the direct strided loop is used without packing. */
const SMALL_WORK = 4096

/** Largest float64 accumulation matrix for float32 output kept between calls (8 MiB). */
const KEEP_ACC = 1 << 20

// Packing and accumulation scratch, shared by all calls and grown on demand. `gemm` is synchronous
// and never calls back into user code, so one set of module-level buffers is safe. The packing
// buffers are bounded by MC·KC and KC·NC; a larger accumulation matrix than KEEP_ACC is allocated
// per call instead of kept.
let packA = new Float64Array(0)
let packB = new Float64Array(0)
let accC = new Float64Array(0)

/** A matrix product with `gemm`'s arguments: C = op(A)·op(B), each operand by offset and strides. */
export type Gemm = typeof gemm

/**
 * C = op(A) · op(B) for one matrix pair, with C of shape m×n written row-major
 * (c[cOff + i*n + j]), overwriting it. Element (i, p) of op(A) is a[aOff + i*aRs + p*aCs];
 * element (p, j) of op(B) is b[bOff + p*bRs + j*bCs]. A transpose is only a change of strides.
 *
 * c has the element type of a and b and must not overlap them. Sums are formed in float64 and
 * stored once per element; k = 0 writes zeros. Products with m·n·k below 4096 use direct strided
 * loops, larger ones the packed blocked kernel described at the top of this module.
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  aOff: number,
  aRs: number,
  aCs: number,
  b: FloatArray,
  bOff: number,
  bRs: number,
  bCs: number,
  c: FloatArray,
  cOff: number,
): void {
  if (m <= 0 || n <= 0) return
  if (k <= 0) {
    c.fill(0, cOff, cOff + m * n)
    return
  }
  if (m === 1 || n === 1) {
    gemv(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff)
    return
  }
  if (k === 1) {
    outer(m, n, a, aOff, aRs, b, bOff, bCs, c, cOff)
    return
  }
  if (m * n * k < SMALL_WORK) {
    gemmDirect(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff)
    return
  }
  if (c instanceof Float64Array) {
    gemmBlocked(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff)
    return
  }
  // Float32 output: accumulate every k block into float64, round once.
  const size = m * n
  let acc = accC
  if (acc.length < size) {
    acc = new Float64Array(size)
    if (size <= KEEP_ACC) accC = acc
  }
  gemmBlocked(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, acc, 0)
  for (let t = 0; t < size; t++) c[cOff + t] = acc[t]!
}

/**
 * A product with one row (m = 1) or one column (n = 1): a matrix–vector product, which packing
 * would only slow down (every element of the matrix is used once). The loop order follows the
 * matrix's contiguous direction: dot products along rows, or axpy updates c += v_p · column p.
 */
function gemv(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  aOff: number,
  aRs: number,
  aCs: number,
  b: FloatArray,
  bOff: number,
  bRs: number,
  bCs: number,
  c: FloatArray,
  cOff: number,
): void {
  // as c = M v with M of size len×k: element (i, p) of M at mOff + i·mRs + p·mCs, v_p at vOff + p·vs
  const len = m === 1 ? n : m
  const [mat, mOff, mRs, mCs, vec, vOff, vs] =
    m === 1 ? [b, bOff, bCs, bRs, a, aOff, aCs] : [a, aOff, aRs, aCs, b, bOff, bRs]
  if (mCs === 1 || mRs !== 1) {
    // c_i = Σ_p M[i, p] v_p along row i
    for (let i = 0; i < len; i++) {
      let s0 = 0
      let s1 = 0
      const r = mOff + i * mRs
      let p = 0
      for (; p + 1 < k; p += 2) {
        s0 += mat[r + p * mCs]! * vec[vOff + p * vs]!
        s1 += mat[r + (p + 1) * mCs]! * vec[vOff + (p + 1) * vs]!
      }
      if (p < k) s0 += mat[r + p * mCs]! * vec[vOff + p * vs]!
      c[cOff + i] = s0 + s1
    }
    return
  }
  // M's columns are contiguous (mRs = 1): c += v_p · M[:, p], accumulated in float64
  const acc = new Float64Array(len)
  for (let p = 0; p < k; p++) {
    const vp = vec[vOff + p * vs]!
    const col = mOff + p * mCs
    for (let i = 0; i < len; i++) acc[i]! += vp * mat[col + i]!
  }
  for (let i = 0; i < len; i++) c[cOff + i] = acc[i]!
}

/**
 * The product of depth 1, C = a bᵀ (a column of op(A) times a row of op(B)): each element is its one
 * term added to zero, the value the other kernels form (so a product of -0 is stored as +0, as
 * there), with nothing to pack or sum.
 */
function outer(
  m: number,
  n: number,
  a: FloatArray,
  aOff: number,
  aRs: number,
  b: FloatArray,
  bOff: number,
  bCs: number,
  c: FloatArray,
  cOff: number,
): void {
  for (let i = 0; i < m; i++) {
    const ai = a[aOff + i * aRs]!
    const row = cOff + i * n
    let q = bOff
    for (let j = 0; j < n; j++, q += bCs) c[row + j] = 0 + ai * b[q]!
  }
}

/**
 * C[i, j] = Σ_p op(A)[i, p] · op(B)[p, j] by direct strided loops, for small products. Four
 * columns of a row of C are formed together (one load of op(A)[i, p] feeds four independent sums);
 * the n mod 4 remaining columns are formed one at a time.
 */
function gemmDirect(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  aOff: number,
  aRs: number,
  aCs: number,
  b: FloatArray,
  bOff: number,
  bRs: number,
  bCs: number,
  c: FloatArray,
  cOff: number,
): void {
  const n4 = n - (n % 4)
  const b1 = bCs
  const b2 = 2 * bCs
  const b3 = 3 * bCs
  for (let i = 0; i < m; i++) {
    const aRow = aOff + i * aRs
    const cRow = cOff + i * n
    let j = 0
    for (; j < n4; j += 4) {
      let ai = aRow
      let bi = bOff + j * bCs
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      for (let p = 0; p < k; p++) {
        const x = a[ai]!
        s0 += x * b[bi]!
        s1 += x * b[bi + b1]!
        s2 += x * b[bi + b2]!
        s3 += x * b[bi + b3]!
        ai += aCs
        bi += bRs
      }
      c[cRow + j] = s0
      c[cRow + j + 1] = s1
      c[cRow + j + 2] = s2
      c[cRow + j + 3] = s3
    }
    for (; j < n; j++) {
      let ai = aRow
      let bi = bOff + j * bCs
      let s = 0
      for (let p = 0; p < k; p++) {
        s += a[ai]! * b[bi]!
        ai += aCs
        bi += bRs
      }
      c[cRow + j] = s
    }
  }
}

/**
 * Blocked product into a float64 C (row stride n, offset cOff). The first k block stores into C,
 * later k blocks add to it.
 */
function gemmBlocked(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  aOff: number,
  aRs: number,
  aCs: number,
  b: FloatArray,
  bOff: number,
  bRs: number,
  bCs: number,
  c: Float64Array,
  cOff: number,
): void {
  const kcMax = Math.min(k, KC)
  const ncMax = Math.min(roundUp(n, NR), NC)
  const mcMax = Math.min(roundUp(m, MR), MC)
  if (packB.length < kcMax * ncMax) packB = new Float64Array(kcMax * ncMax)
  if (packA.length < mcMax * kcMax) packA = new Float64Array(mcMax * kcMax)
  const pa = packA
  const pb = packB

  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc)
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc)
      const accumulate = pc > 0
      packPanelB(kc, nc, b, bOff + pc * bRs + jc * bCs, bRs, bCs, pb)
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic)
        packPanelA(mc, kc, a, aOff + ic * aRs + pc * aCs, aRs, aCs, pa)
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr)
          const bBase = jr * kc
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir)
            kernel4x4(kc, pa, ir * kc, pb, bBase, c, cOff + (ic + ir) * n + jc + jr, n, mr, nr, accumulate)
          }
        }
      }
    }
  }
}

/** Smallest multiple of `q` that is ≥ `x`. */
function roundUp(x: number, q: number): number {
  return Math.ceil(x / q) * q
}

/**
 * Packs the mc×kc block of op(A) starting at `off` into MR-row micro-panels (layout in the module
 * comment), zero padding the last micro-panel to MR rows.
 */
function packPanelA(
  mc: number,
  kc: number,
  a: FloatArray,
  off: number,
  rs: number,
  cs: number,
  dst: Float64Array,
): void {
  let d = 0
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = Math.min(MR, mc - i0)
    const r0 = off + i0 * rs
    if (rows === MR) {
      const r1 = r0 + rs
      const r2 = r1 + rs
      const r3 = r2 + rs
      let q = 0
      for (let p = 0; p < kc; p++) {
        dst[d] = a[r0 + q]!
        dst[d + 1] = a[r1 + q]!
        dst[d + 2] = a[r2 + q]!
        dst[d + 3] = a[r3 + q]!
        d += MR
        q += cs
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const q = r0 + p * cs
        for (let r = 0; r < MR; r++) dst[d + r] = r < rows ? a[q + r * rs]! : 0
        d += MR
      }
    }
  }
}

/**
 * Packs the kc×nc block of op(B) starting at `off` into NR-column micro-panels (layout in the module
 * comment), zero padding the last micro-panel to NR columns.
 */
function packPanelB(
  kc: number,
  nc: number,
  b: FloatArray,
  off: number,
  rs: number,
  cs: number,
  dst: Float64Array,
): void {
  let d = 0
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = Math.min(NR, nc - j0)
    const c0 = off + j0 * cs
    if (cols === NR) {
      const c1 = c0 + cs
      const c2 = c1 + cs
      const c3 = c2 + cs
      let q = 0
      for (let p = 0; p < kc; p++) {
        dst[d] = b[c0 + q]!
        dst[d + 1] = b[c1 + q]!
        dst[d + 2] = b[c2 + q]!
        dst[d + 3] = b[c3 + q]!
        d += NR
        q += rs
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const q = c0 + p * rs
        for (let s = 0; s < NR; s++) dst[d + s] = s < cols ? b[q + s * cs]! : 0
        d += NR
      }
    }
  }
}

/**
 * One MR×NR tile: T[r, s] = Σ_{p<kc} pa[aBase + MR·p + r] · pb[bBase + NR·p + s], then the top-left
 * mr×nr corner of T is stored to (or, with `accumulate`, added to) c[cIdx + r·ldc + s].
 */
function kernel4x4(
  kc: number,
  pa: Float64Array,
  aBase: number,
  pb: Float64Array,
  bBase: number,
  c: Float64Array,
  cIdx: number,
  ldc: number,
  mr: number,
  nr: number,
  accumulate: boolean,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0
  let ai = aBase
  let bi = bBase
  const aEnd = aBase + kc * MR
  while (ai < aEnd) {
    const a0 = pa[ai]!
    const a1 = pa[ai + 1]!
    const a2 = pa[ai + 2]!
    const a3 = pa[ai + 3]!
    const b0 = pb[bi]!
    const b1 = pb[bi + 1]!
    const b2 = pb[bi + 2]!
    const b3 = pb[bi + 3]!
    c00 += a0 * b0
    c01 += a0 * b1
    c02 += a0 * b2
    c03 += a0 * b3
    c10 += a1 * b0
    c11 += a1 * b1
    c12 += a1 * b2
    c13 += a1 * b3
    c20 += a2 * b0
    c21 += a2 * b1
    c22 += a2 * b2
    c23 += a2 * b3
    c30 += a3 * b0
    c31 += a3 * b1
    c32 += a3 * b2
    c33 += a3 * b3
    ai += MR
    bi += NR
  }
  if (mr === MR && nr === NR) {
    const r0 = cIdx
    const r1 = r0 + ldc
    const r2 = r1 + ldc
    const r3 = r2 + ldc
    if (accumulate) {
      c[r0] = c[r0]! + c00
      c[r0 + 1] = c[r0 + 1]! + c01
      c[r0 + 2] = c[r0 + 2]! + c02
      c[r0 + 3] = c[r0 + 3]! + c03
      c[r1] = c[r1]! + c10
      c[r1 + 1] = c[r1 + 1]! + c11
      c[r1 + 2] = c[r1 + 2]! + c12
      c[r1 + 3] = c[r1 + 3]! + c13
      c[r2] = c[r2]! + c20
      c[r2 + 1] = c[r2 + 1]! + c21
      c[r2 + 2] = c[r2 + 2]! + c22
      c[r2 + 3] = c[r2 + 3]! + c23
      c[r3] = c[r3]! + c30
      c[r3 + 1] = c[r3 + 1]! + c31
      c[r3 + 2] = c[r3 + 2]! + c32
      c[r3 + 3] = c[r3 + 3]! + c33
    } else {
      c[r0] = c00
      c[r0 + 1] = c01
      c[r0 + 2] = c02
      c[r0 + 3] = c03
      c[r1] = c10
      c[r1 + 1] = c11
      c[r1 + 2] = c12
      c[r1 + 3] = c13
      c[r2] = c20
      c[r2 + 1] = c21
      c[r2 + 2] = c22
      c[r2 + 3] = c23
      c[r3] = c30
      c[r3 + 1] = c31
      c[r3 + 2] = c32
      c[r3 + 3] = c33
    }
    return
  }
  // Edge tile: route the sixteen values through the fixed tile buffer and store the valid corner.
  const t = edgeTile
  t[0] = c00
  t[1] = c01
  t[2] = c02
  t[3] = c03
  t[4] = c10
  t[5] = c11
  t[6] = c12
  t[7] = c13
  t[8] = c20
  t[9] = c21
  t[10] = c22
  t[11] = c23
  t[12] = c30
  t[13] = c31
  t[14] = c32
  t[15] = c33
  for (let r = 0; r < mr; r++) {
    const row = cIdx + r * ldc
    for (let s = 0; s < nr; s++) {
      const v = t[r * NR + s]!
      c[row + s] = accumulate ? c[row + s]! + v : v
    }
  }
}

/** Row-major MR×NR buffer for storing a partial edge tile. */
const edgeTile = new Float64Array(MR * NR)
