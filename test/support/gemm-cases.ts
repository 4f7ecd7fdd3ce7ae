import type { FloatArray } from '../../src/kernels/matmul.js'

// The products the tests of the matrix kernels run (test/kernels/): a case names C (m×n) =
// op(A) (m×k) · op(B) (k×n) and how A, B and C are stored; `operands` makes A and B, every slot
// random (padding included); `reference` gives the product in float64 and the magnitude of its
// summands, which bounds the rounding error.

export type Dtype = 'float64' | 'float32'

/** One product C (m×n) = op(A) (m×k) · op(B) (k×n) with its storage layout. */
export interface Case {
  m: number
  n: number
  k: number
  dtype: Dtype
  /** op(A) = Aᵀ: A is stored k×m. */
  ta: boolean
  /** op(B) = Bᵀ: B is stored n×k. */
  tb: boolean
  aOff: number
  bOff: number
  cOff: number
  /** Extra elements per stored row beyond the logical row length (a view into a wider matrix). */
  aPad: number
  bPad: number
  seed: number
}

/** A 1×1×1 float64 product, stored plainly: cases spread it and change what they test. */
export const base: Case = {
  m: 1,
  n: 1,
  k: 1,
  dtype: 'float64',
  ta: false,
  tb: false,
  aOff: 0,
  bOff: 0,
  cOff: 0,
  aPad: 0,
  bPad: 0,
  seed: 1,
}

/** The four combinations of (ta, tb). */
export const TRANSPOSES: ReadonlyArray<readonly [boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
]

/** Written around and inside C before a call: must be overwritten inside, kept outside. */
export const SENTINEL = 12345.5

export const ctorOf = (dtype: Dtype): Float64ArrayConstructor | Float32ArrayConstructor =>
  dtype === 'float64' ? Float64Array : Float32Array

/** Deterministic values in [-1, 1) from a 32-bit linear congruential sequence. */
export function fillRandom(x: FloatArray, seed: number): void {
  let s = seed >>> 0
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    x[i] = s / 2 ** 31 - 1
  }
}

/** A and B of a case with their strides (row stride, column stride) of op(A) and op(B). */
export interface Operands {
  a: FloatArray
  b: FloatArray
  aRs: number
  aCs: number
  bRs: number
  bCs: number
}

/** A stored rows×cols with row stride ld ≥ cols starting at off, every slot (padding included) random. */
function stored(dtype: Dtype, rows: number, cols: number, ld: number, off: number, seed: number): FloatArray {
  const x = new (ctorOf(dtype))(off + Math.max(0, rows - 1) * ld + cols + 3)
  fillRandom(x, seed)
  return x
}

/** A (m×k logical, stored m×(k+pad) or k×(m+pad)) and B of the case, and their strides. */
export function operands(cs: Case): Operands {
  const { m, n, k, ta, tb } = cs
  const aLd = (ta ? m : k) + cs.aPad
  const bLd = (tb ? k : n) + cs.bPad
  const a = stored(cs.dtype, ta ? k : m, ta ? m : k, aLd, cs.aOff, cs.seed)
  const b = stored(cs.dtype, tb ? n : k, tb ? k : n, bLd, cs.bOff, cs.seed ^ 0x5bd1e995)
  const [aRs, aCs] = ta ? [1, aLd] : [aLd, 1]
  const [bRs, bCs] = tb ? [1, bLd] : [bLd, 1]
  return { a, b, aRs, aCs, bRs, bCs }
}

/** Reference product and the magnitude Σ_p |op(A)[i,p]·op(B)[p,j]| that bounds its rounding error. */
export function reference(
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
): { value: Float64Array; scale: Float64Array } {
  const value = new Float64Array(m * n)
  const scale = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      let t = 0
      for (let p = 0; p < k; p++) {
        const prod = a[aOff + i * aRs + p * aCs]! * b[bOff + p * bRs + j * bCs]!
        s += prod
        t += Math.abs(prod)
      }
      value[i * n + j] = s
      scale[i * n + j] = t
    }
  }
  return { value, scale }
}
