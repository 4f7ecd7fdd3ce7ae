import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { gemm, type FloatArray } from '../../src/kernels/matmul.js'
import { fastGemm, gemmWasm, setWasmKernels, wasmKernelsActive } from '../../src/kernels/wasm/index.js'
import { matmul, reshape, tensor } from '../../src/index.js'
import {
  type Case,
  type Dtype,
  type Operands,
  SENTINEL,
  TRANSPOSES,
  base,
  ctorOf,
  fillRandom,
  operands,
  reference,
} from '../support/gemm-cases.js'

/** C of the case by the WebAssembly kernel (null where it declined) and by the TypeScript kernel. */
function both(cs: Case, o: Operands): { wasm: FloatArray | null; ts: FloatArray } {
  const ctor = ctorOf(cs.dtype)
  const { m, n, k } = cs
  const w = new ctor(cs.cOff + m * n + 4).fill(SENTINEL)
  const t = new ctor(cs.cOff + m * n + 4).fill(SENTINEL)
  const took = gemmWasm(m, n, k, o.a, cs.aOff, o.aRs, o.aCs, o.b, cs.bOff, o.bRs, o.bCs, w, cs.cOff)
  gemm(m, n, k, o.a, cs.aOff, o.aRs, o.aCs, o.b, cs.bOff, o.bRs, o.bCs, t, cs.cOff)
  return { wasm: took ? w : null, ts: t }
}

/** The first index where x and y differ as bit patterns (Object.is), or -1. */
function firstDifference(x: FloatArray, y: FloatArray): number {
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return i
  return x.length === y.length ? -1 : x.length
}

const f32 = Math.fround

/**
 * The float32 product in the WebAssembly kernel's order, every operation rounded to float32:
 * gemm sums each k block of 256 from zero in the order of p and adds it to C; a matrix–vector
 * product along rows keeps four partial sums by p mod 4 (the last k mod 4 terms in the first) and
 * adds them as (s0 + s1) + (s2 + s3); along columns each element adds its terms in the order of p.
 */
function float32Reference(cs: Case, o: Operands): Float32Array {
  const { m, n, k } = cs
  const at = (i: number, p: number) => o.a[cs.aOff + i * o.aRs + p * o.aCs]!
  const bt = (p: number, j: number) => o.b[cs.bOff + p * o.bRs + j * o.bCs]!
  const c = new Float32Array(m * n)
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      const term = (p: number) => f32(at(i, p) * bt(p, j))
      let v = 0
      if (m > 1 && n > 1) {
        for (let p0 = 0; p0 < k; p0 += 256) {
          let s = 0
          for (let p = p0; p < Math.min(k, p0 + 256); p++) s = f32(s + term(p))
          v = p0 === 0 ? s : f32(v + s)
        }
      } else {
        const [mRs, mCs] = m === 1 ? [o.bCs, o.bRs] : [o.aRs, o.aCs]
        if (mCs === 1) {
          const lanes = [0, 0, 0, 0]
          const kv = k - (k % 4)
          for (let p = 0; p < kv; p++) lanes[p % 4] = f32(lanes[p % 4]! + term(p))
          for (let p = kv; p < k; p++) lanes[0] = f32(lanes[0]! + term(p))
          v = f32(f32(lanes[0]! + lanes[1]!) + f32(lanes[2]! + lanes[3]!))
        } else {
          expect(mRs).toBe(1)
          for (let p = 0; p < k; p++) v = f32(v + term(p))
        }
      }
      c[i * n + j] = v
    }
  return c
}

/**
 * Checks one case: the kernel takes every product of at least 4096 multiply-adds whose matrix–vector
 * form has a contiguous direction; float64 equals the TypeScript kernel to the bit; float32 equals
 * the float32 reference to the bit and lies within (k + 2)·2⁻²⁴·Σ|a·b| of the TypeScript kernel's
 * (float64-accumulated) result; nothing outside C is written.
 */
function check(cs: Case): void {
  const o = operands(cs)
  const { wasm, ts } = both(cs, o)
  const label = JSON.stringify(cs)
  const small = cs.m * cs.n * cs.k < 4096
  if (small || cs.m === 0 || cs.n === 0 || cs.k === 0) {
    expect(wasm, label).toBeNull()
    return
  }
  expect(wasm, label).not.toBeNull()
  const w = wasm!
  const c0 = cs.cOff
  const mn = cs.m * cs.n
  expect(w.subarray(0, c0).every((v) => v === SENTINEL)).toBe(true)
  expect(w.subarray(c0 + mn).every((v) => v === SENTINEL)).toBe(true)
  if (cs.dtype === 'float64') {
    expect(firstDifference(w, ts), label).toBe(-1)
    return
  }
  const ref = float32Reference(cs, o)
  expect(firstDifference(w.subarray(c0, c0 + mn), ref), label).toBe(-1)
  const { scale } = reference(cs.m, cs.n, cs.k, o.a, cs.aOff, o.aRs, o.aCs, o.b, cs.bOff, o.bRs, o.bCs)
  for (let t = 0; t < mn; t++) {
    const bound = (cs.k + 2) * 2 ** -24 * scale[t]!
    expect(Math.abs(w[c0 + t]! - ts[c0 + t]!), label).toBeLessThanOrEqual(bound)
  }
}

describe('the WebAssembly SIMD kernels', () => {
  it('compile and run on this engine (Node 20 has 128-bit SIMD)', () => {
    expect(wasmKernelsActive()).toBe(true)
  })

  it('match the TypeScript kernel on edge shapes, both dtypes, all transposes, with offsets', () => {
    const shapes: Array<[number, number, number]> = [
      [16, 16, 16],
      [17, 19, 23],
      [33, 5, 41],
      [5, 33, 29],
      [63, 65, 7],
      [2, 2, 1024],
      [4, 4, 300],
      [64, 64, 1],
      [1, 200, 30],
      [200, 1, 30],
      [1, 1, 5000],
      [1, 7, 1001],
      [9, 1, 1003],
      // matrix–vector products whose matrix passes through the module in several blocks
      [1, 300, 500],
      [300, 1, 500],
    ]
    for (const dtype of ['float64', 'float32'] as const)
      for (const [ta, tb] of TRANSPOSES)
        for (const [m, n, k] of shapes)
          check({
            ...base,
            m,
            n,
            k,
            dtype,
            ta,
            tb,
            aOff: 3,
            bOff: 5,
            cOff: 7,
            aPad: 2,
            bPad: 1,
            seed: m + n + k,
          })
  })

  it('match it across several cache blocks in m, n and k (64 rows, 256 columns, 256 deep)', () => {
    const shapes: Array<[number, number, number]> = [
      [130, 9, 6],
      [6, 515, 3],
      [9, 7, 600],
      [70, 261, 260],
    ]
    for (const dtype of ['float64', 'float32'] as const)
      for (const [ta, tb] of TRANSPOSES)
        for (const [m, n, k] of shapes)
          check({ ...base, m, n, k, dtype, ta, tb, aOff: 1, cOff: 2, seed: m * n })
  })

  it('match it on random shapes, layouts, offsets and dtypes', () => {
    const dim = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 90 }))
    const caseArb = fc.record({
      m: dim,
      n: dim,
      k: dim,
      dtype: fc.constantFrom<Dtype>('float64', 'float32'),
      ta: fc.boolean(),
      tb: fc.boolean(),
      aOff: fc.integer({ min: 0, max: 9 }),
      bOff: fc.integer({ min: 0, max: 9 }),
      cOff: fc.integer({ min: 0, max: 9 }),
      aPad: fc.integer({ min: 0, max: 3 }),
      bPad: fc.integer({ min: 0, max: 3 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    fc.assert(
      fc.property(caseArb, (cs) => {
        check(cs)
      }),
      { seed: 19, numRuns: 300 },
    )
  })

  it('form products of depth 1 (outer products) as 0 + a_i·b_j, exactly, in both kernels', () => {
    // n runs through every remainder of the vector loops (2 and 8 float64, 4 and 16 float32);
    // 900 × 300 float64 is C formed in the module's memory in two blocks of rows (1 MiB each)
    const shapes: Array<[number, number]> = [
      [64, 64],
      [70, 61],
      [130, 33],
      [41, 127],
      [600, 17],
      [900, 300],
    ]
    for (const dtype of ['float64', 'float32'] as const)
      for (const [ta, tb] of TRANSPOSES)
        for (const [m, n] of shapes) {
          const cs: Case = {
            ...base,
            m,
            n,
            dtype,
            ta,
            tb,
            aOff: 2,
            bOff: 3,
            cOff: 5,
            aPad: 1,
            bPad: 2,
            seed: m * n,
          }
          const o = operands(cs)
          // zeros, so that some products are -0 (stored as +0, as the blocked kernel stores them)
          o.a[cs.aOff] = 0
          o.b[cs.bOff + o.bCs] = -0
          const want = new (ctorOf(dtype))(m * n)
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++)
              want[i * n + j] = 0 + o.a[cs.aOff + i * o.aRs]! * o.b[cs.bOff + j * o.bCs]!
          for (const run of [gemmWasm, gemm]) {
            const c = new (ctorOf(dtype))(cs.cOff + m * n + 4).fill(SENTINEL)
            const took = run(m, n, 1, o.a, cs.aOff, o.aRs, o.aCs, o.b, cs.bOff, o.bRs, o.bCs, c, cs.cOff)
            const label = `${run.name} ${JSON.stringify(cs)}`
            expect(took ?? true, label).toBe(true)
            expect(firstDifference(c.subarray(cs.cOff, cs.cOff + m * n), want), label).toBe(-1)
            expect(Object.is(c[cs.cOff + n + 1], 0), label).toBe(true)
            expect(
              c.subarray(0, cs.cOff).every((v) => v === SENTINEL),
              label,
            ).toBe(true)
            expect(
              c.subarray(cs.cOff + m * n).every((v) => v === SENTINEL),
              label,
            ).toBe(true)
          }
        }
  })

  it('leave a matrix–vector product whose matrix is strided both ways to TypeScript', () => {
    // c = M v with M read at row stride 3 and column stride 2 (every other element of a wider matrix)
    const mat = new Float64Array(200 * 3 * 2 + 200 * 2)
    const v = new Float64Array(200)
    fillRandom(mat, 1)
    fillRandom(v, 2)
    const c = new Float64Array(300)
    expect(gemmWasm(300, 1, 200, mat, 0, 3, 2, v, 0, 1, 1, c, 0)).toBe(false)
    expect(c.every((x) => x === 0)).toBe(true)
  })

  it('confine non-finite inputs to their rows and columns (zero padding of edge tiles)', () => {
    for (const ctor of [Float64Array, Float32Array]) {
      const m = 18
      const n = 19
      const k = 21
      const a = new ctor(m * k)
      const b = new ctor(k * n)
      fillRandom(a, 3)
      fillRandom(b, 4)
      a[17 * k + 5] = Infinity
      b[9 * n + 18] = NaN
      const c = new ctor(m * n)
      expect(gemmWasm(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0)).toBe(true)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          const v = c[i * n + j]!
          if (j === 18) expect(v).toBeNaN()
          else if (i === 17) expect(Math.abs(v)).toBe(Infinity)
          else expect(Number.isFinite(v)).toBe(true)
        }
    }
  })

  it('grow their memory for large operands and keep working on small ones after', () => {
    for (const [m, n, k] of [
      [1, 1700, 1700],
      [1700, 1, 1700],
      [600, 3, 1500],
      [20, 21, 22],
    ] as const) {
      const a = new Float64Array(m * k)
      const b = new Float64Array(k * n)
      fillRandom(a, m + 1)
      fillRandom(b, n + 2)
      const w = new Float64Array(m * n)
      const t = new Float64Array(m * n)
      expect(gemmWasm(m, n, k, a, 0, k, 1, b, 0, n, 1, w, 0)).toBe(true)
      gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, t, 0)
      expect(firstDifference(w, t)).toBe(-1)
    }
  })

  it('decline mixed element types, and fastGemm falls back to TypeScript', () => {
    const a = new Float64Array(40 * 40)
    const b = new Float32Array(40 * 40)
    fillRandom(a, 1)
    fillRandom(b, 2)
    const c = new Float64Array(40 * 40)
    expect(gemmWasm(40, 40, 40, a, 0, 40, 1, b, 0, 40, 1, c, 0)).toBe(false)
    const t = new Float64Array(40 * 40)
    fastGemm(40, 40, 40, a, 0, 40, 1, b, 0, 40, 1, c, 0)
    gemm(40, 40, 40, a, 0, 40, 1, b, 0, 40, 1, t, 0)
    expect(firstDifference(c, t)).toBe(-1)
  })

  it('serve the cpu backend: batched float64 matmul equals the TypeScript kernel to the bit', () => {
    const x = new Float64Array(3 * 20 * 30)
    const y = new Float64Array(30 * 25)
    fillRandom(x, 5)
    fillRandom(y, 6)
    const run = () =>
      matmul(reshape(tensor(x), [3, 20, 30]), reshape(tensor(y), [30, 25])).dataSync() as Float64Array
    const withWasm = run()
    const was = setWasmKernels(false)
    try {
      expect(wasmKernelsActive()).toBe(false)
      const withTs = run()
      expect(firstDifference(withWasm, withTs)).toBe(-1)
    } finally {
      setWasmKernels(was)
    }
    const t = new Float64Array(20 * 25)
    gemm(20, 25, 30, x, 2 * 600, 30, 1, y, 0, 25, 1, t, 0)
    expect(firstDifference(withWasm.subarray(2 * 500, 3 * 500), t)).toBe(-1)
  })
})
