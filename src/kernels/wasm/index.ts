/**
 * The cpu backend's matrix products in WebAssembly SIMD (gemm.wat, embedded by bytes.ts), with the
 * pure-TypeScript kernels of ../matmul.ts as the fallback where the module cannot run.
 *
 * Float64 products equal the TypeScript kernel's to the bit (same blocking, same order of every
 * sum). Float32 products are computed and accumulated in float32, four lanes at a time, as
 * TensorFlow.js and JAX compute them: each element of C is within (k + 2)·2⁻²⁴·Σ_p |op(A)[i,p]·op(B)[p,j]|
 * of the exact product (each of its at most k + 1 additions and its products rounded once, to first
 * order), where the TypeScript kernel, which accumulates float32 in float64, is within one float32
 * rounding of it.
 *
 * Operands are copied into the module's memory, multiplied there and the result copied out; the
 * memory grows on demand and is kept. The module is compiled on first use. Where WebAssembly or its
 * SIMD is missing (WebAssembly.validate refuses the module), every product runs in TypeScript; where
 * synchronous compilation is refused (browsers' main thread, modules over 4 KB), products run in
 * TypeScript until the asynchronous compilation it starts has finished.
 */
import { gemm, type FloatArray, type Gemm } from '../matmul.js'
import { gemmWasmBase64 } from './bytes.js'
import { align16, decodeBase64, extent } from './util.js'
import { gemmThreaded } from './threads.js'

type GemmFn = (
  m: number,
  n: number,
  k: number,
  a: number,
  aRs: number,
  aCs: number,
  b: number,
  bRs: number,
  bCs: number,
  c: number,
  pa: number,
  pb: number,
  tile: number,
) => void
type GemvFn = (len: number, k: number, m: number, stride: number, v: number, c: number, add?: number) => void
type OuterFn = (m: number, n: number, a: number, b: number, c: number) => void

interface KernelExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number }
  gemm_f64: GemmFn
  gemm_f32: GemmFn
  gemv_rows_f64: GemvFn
  gemv_rows_f32: GemvFn
  gemv_cols_f64: GemvFn
  gemv_cols_f32: GemvFn
  outer_f64: OuterFn
  outer_f32: OuterFn
}

/** Below this many multiply-adds (m·n·k) products stay in TypeScript (as ../matmul.ts's SMALL_WORK). */
const SMALL_WORK = 4096

// Scratch at the bottom of the memory: the edge tile, the packed A panel (MC·KC float64) and the
// packed B panel (KC·NC float64); the operands follow.
const TILE = 0
const PACK_A = 256
const PACK_B = PACK_A + 64 * 256 * 8
const OPERANDS = PACK_B + 256 * 256 * 8
/** Bytes of a matrix–vector product's matrix moved into the module's memory at a time. */
const GEMV_BLOCK = 1 << 17
/** Bytes of an outer product's C formed in the module's memory at a time, then copied out. */
const OUTER_BLOCK = 1 << 20
/** The operands' end must stay below 2 GiB: the module compares addresses as signed. */
const MAX_BYTES = 2 ** 31 - 2 ** 16

/** The part of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: unknown }
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>
}

let status: 'unloaded' | 'loading' | 'ready' | 'unavailable' = 'unloaded'
let kernels: KernelExports | null = null
let enabled = true

/** The module's exports, compiling it on first use; null while it is unavailable. */
function load(): KernelExports | null {
  if (status === 'ready') return kernels
  if (status !== 'unloaded') return null
  status = 'unavailable'
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
  if (typeof wasm !== 'object') return null
  const bytes = decodeBase64(gemmWasmBase64)
  // false where the engine lacks 128-bit SIMD (or bulk memory)
  if (!wasm.validate(bytes)) return null
  try {
    kernels = new wasm.Instance(new wasm.Module(bytes), {}).exports as KernelExports
    status = 'ready'
    return kernels
  } catch {
    status = 'loading'
    wasm.instantiate(bytes, {}).then(
      (r) => {
        kernels = r.instance.exports as KernelExports
        status = 'ready'
      },
      () => {
        status = 'unavailable'
      },
    )
    return null
  }
}

/**
 * Whether products run in WebAssembly where it is available (`on`), or always in TypeScript;
 * returns the previous setting. For comparing the two in tests and benchmarks.
 */
export function setWasmKernels(on: boolean): boolean {
  const was = enabled
  enabled = on
  return was
}

/** Whether the WebAssembly kernels are compiled and in use. */
export function wasmKernelsActive(): boolean {
  return enabled && load() !== null
}

/** The module's memory with at least `bytes` bytes, or null where it cannot grow that far. */
function memoryOf(k: KernelExports, bytes: number): ArrayBuffer | null {
  if (bytes > MAX_BYTES) return null
  const have = k.memory.buffer.byteLength
  if (bytes > have) {
    try {
      k.memory.grow(Math.ceil((bytes - have) / 65536))
    } catch {
      return null
    }
  }
  return k.memory.buffer
}

/**
 * C = op(A)·op(B) in WebAssembly, with the arguments of ../matmul.ts's `gemm`; false (C untouched)
 * where the product is left to TypeScript: the module unavailable or disabled, mixed element types,
 * a product below 4096 multiply-adds, a negative stride, a matrix–vector product whose matrix is
 * strided both ways, or operands too large for the module's memory.
 */
export function gemmWasm(
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
): boolean {
  if (!enabled || m <= 0 || n <= 0 || k <= 0 || m * n * k < SMALL_WORK) return false
  const f64 = c instanceof Float64Array
  if (f64 ? !(a instanceof Float64Array && b instanceof Float64Array) : a instanceof Float64Array)
    return false
  if (!f64 && b instanceof Float64Array) return false
  const ex = load()
  if (ex === null) return false
  const E = f64 ? 8 : 4
  const Ctor = f64 ? Float64Array : Float32Array
  if (m === 1 || n === 1) {
    // as c = M v with M of size len×k: element (i, p) of M at mOff + i·mRs + p·mCs, v_p at vOff + p·vs
    const len = m === 1 ? n : m
    const [mat, mOff, mRs, mCs, vec, vOff, vs] =
      m === 1 ? [b, bOff, bCs, bRs, a, aOff, aCs] : [a, aOff, aRs, aCs, b, bOff, bRs]
    const rows = mCs === 1
    if (!rows && mRs !== 1) return false
    if (extent(mOff, len, k, mRs, mCs) < 0 || vs < 0) return false
    // The matrix goes through the module's memory in blocks of about GEMV_BLOCK bytes, each
    // multiplied while it is still in cache: blocks of rows (c's elements apart), or of columns
    // (c's sums continued in the order of p).
    const step = rows ? mRs : mCs
    const span = rows ? k : len
    const count = rows ? len : k
    const per = Math.max(1, Math.min(count, Math.floor(GEMV_BLOCK / (Math.max(step, 1) * E))))
    const blockLen = (per - 1) * step + span
    const mPtr = OPERANDS
    const vPtr = align16(mPtr + blockLen * E)
    const cPtr = align16(vPtr + k * E)
    const buf = memoryOf(ex, cPtr + len * E)
    if (buf === null) return false
    const v = new Ctor(buf, vPtr, k)
    if (vs === 1) v.set(vec.subarray(vOff, vOff + k))
    else for (let p = 0; p < k; p++) v[p] = vec[vOff + p * vs]!
    const block = new Ctor(buf, mPtr, blockLen)
    for (let t0 = 0; t0 < count; t0 += per) {
      const t = Math.min(per, count - t0)
      const lo = mOff + t0 * step
      block.set(mat.subarray(lo, lo + (t - 1) * step + span))
      if (rows) (f64 ? ex.gemv_rows_f64 : ex.gemv_rows_f32)(t, k, mPtr, mRs, vPtr, cPtr + t0 * E)
      else (f64 ? ex.gemv_cols_f64 : ex.gemv_cols_f32)(len, t, mPtr, mCs, vPtr + t0 * E, cPtr, t0 > 0 ? 1 : 0)
    }
    c.set(new Ctor(buf, cPtr, len), cOff)
    return true
  }
  if (k === 1) return outerWasm(ex, m, n, a, aOff, aRs, b, bOff, bCs, c, cOff)
  const aHi = extent(aOff, m, k, aRs, aCs)
  const bHi = extent(bOff, k, n, bRs, bCs)
  if (aHi < 0 || bHi < 0) return false
  const aPtr = OPERANDS
  const bPtr = align16(aPtr + (aHi - aOff) * E)
  const cPtr = align16(bPtr + (bHi - bOff) * E)
  const buf = memoryOf(ex, cPtr + m * n * E)
  if (buf === null) return false
  new Ctor(buf, aPtr, aHi - aOff).set(a.subarray(aOff, aHi))
  new Ctor(buf, bPtr, bHi - bOff).set(b.subarray(bOff, bHi))
  ;(f64 ? ex.gemm_f64 : ex.gemm_f32)(m, n, k, aPtr, aRs, aCs, bPtr, bRs, bCs, cPtr, PACK_A, PACK_B, TILE)
  c.set(new Ctor(buf, cPtr, m * n), cOff)
  return true
}

/**
 * C = a bᵀ, the product of depth 1 (an m×1 column of op(A) times a 1×n row of op(B)): the two
 * vectors gathered into the module's memory, C formed there in blocks of rows of about
 * OUTER_BLOCK bytes (each still in cache when copied out). There is nothing to pack or sum, and
 * the product is bound by writing C: the blocked kernel, whose packing and tiles are paid for by
 * k, took several times as long.
 */
function outerWasm(
  ex: KernelExports,
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
): boolean {
  if (aRs < 0 || bCs < 0) return false
  const f64 = c instanceof Float64Array
  const E = f64 ? 8 : 4
  const Ctor = f64 ? Float64Array : Float32Array
  const rows = Math.max(1, Math.min(m, Math.floor(OUTER_BLOCK / (n * E))))
  const aPtr = OPERANDS
  const bPtr = align16(aPtr + m * E)
  const cPtr = align16(bPtr + n * E)
  const buf = memoryOf(ex, cPtr + rows * n * E)
  if (buf === null) return false
  const av = new Ctor(buf, aPtr, m)
  if (aRs === 1) av.set(a.subarray(aOff, aOff + m))
  else for (let i = 0; i < m; i++) av[i] = a[aOff + i * aRs]!
  const bv = new Ctor(buf, bPtr, n)
  if (bCs === 1) bv.set(b.subarray(bOff, bOff + n))
  else for (let j = 0; j < n; j++) bv[j] = b[bOff + j * bCs]!
  const outer = f64 ? ex.outer_f64 : ex.outer_f32
  const block = new Ctor(buf, cPtr, rows * n)
  for (let i0 = 0; i0 < m; i0 += rows) {
    const r = Math.min(rows, m - i0)
    outer(r, n, aPtr + i0 * E, bPtr, cPtr)
    c.set(r === rows ? block : block.subarray(0, r * n), cOff + i0 * n)
  }
  return true
}

/**
 * C = op(A)·op(B) with the arguments of ../matmul.ts's `gemm`: split over two threads where the
 * product is large (Node, the WebAssembly kernels in use), else on this one.
 */
export const fastGemm: Gemm = (...args) => {
  if (wasmKernelsActive() && gemmThreaded(oneThread, ...args)) return
  oneThread(...args)
}

/** C = op(A)·op(B) on the calling thread: in WebAssembly where `gemmWasm` takes the product, else by `gemm`. */
const oneThread: Gemm = (...args) => {
  if (!gemmWasm(...args)) gemm(...args)
}
