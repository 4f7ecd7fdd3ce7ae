import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { gemm } from '../../src/kernels/matmul.js'
import {
  type Case,
  type Dtype,
  SENTINEL,
  TRANSPOSES,
  base,
  ctorOf,
  fillRandom,
  operands,
  reference,
} from '../support/gemm-cases.js'

/**
 * Runs `gemm` on the case and returns the first violation as a message, or null. The bound on
 * |C - ref| is one rounding of the result to the dtype plus k float64 roundings of the summands.
 */
function violation(cs: Case): string | null {
  const { m, n, k, dtype, aOff, bOff, cOff } = cs
  const ctor = ctorOf(dtype)
  const { a, b, aRs, aCs, bRs, bCs } = operands(cs)
  const c = new ctor(cOff + m * n + 5).fill(SENTINEL)

  gemm(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff)

  const { value, scale } = reference(m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs)
  const resultRounding = dtype === 'float64' ? 2 ** -53 : 2 ** -24
  for (let t = 0; t < m * n; t++) {
    const got = c[cOff + t]!
    const want = value[t]!
    const bound = resultRounding * Math.abs(want) + 1e-12 * Math.max(k, 1) * scale[t]! + 1e-300
    if (!(Math.abs(got - want) <= bound)) {
      return `C[${Math.floor(t / n)}, ${t % n}] = ${got}, expected ${want} (bound ${bound})`
    }
  }
  for (let t = 0; t < cOff; t++) if (c[t] !== SENTINEL) return `wrote before cOff at ${t}`
  for (let t = cOff + m * n; t < c.length; t++) if (c[t] !== SENTINEL) return `wrote past C at ${t}`
  return null
}

function expectAll(cases: Case[]): void {
  for (const cs of cases) {
    const err = violation(cs)
    expect(err, JSON.stringify(cs)).toBeNull()
  }
}

describe('gemm', () => {
  it('handles every shape with dimensions in 0..5, both dtypes, all transposes', () => {
    const cases: Case[] = []
    for (const dtype of ['float64', 'float32'] as const)
      for (const [ta, tb] of TRANSPOSES)
        for (let m = 0; m <= 5; m++)
          for (let n = 0; n <= 5; n++)
            for (let k = 0; k <= 5; k++)
              cases.push({ ...base, m, n, k, dtype, ta, tb, seed: m * 36 + n * 6 + k })
    expectAll(cases)
  })

  it('writes zeros for k = 0, including sizes the blocked path would take', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const ctor = ctorOf(dtype)
      const c = new ctor(2 + 70 * 90 + 2).fill(SENTINEL)
      gemm(70, 90, 0, new ctor(0), 0, 0, 1, new ctor(0), 0, 90, 1, c, 2)
      expect(c[0]).toBe(SENTINEL)
      expect(c[1]).toBe(SENTINEL)
      expect(c.subarray(2, 2 + 70 * 90).every((v) => v === 0)).toBe(true)
      expect(c[2 + 70 * 90]).toBe(SENTINEL)
    }
  })

  it('matches the reference on edge shapes (not multiples of 4) with offsets, all transposes', () => {
    const shapes: Array<[number, number, number]> = [
      [17, 19, 23],
      [16, 16, 16],
      [33, 5, 41],
      [5, 33, 29],
      [63, 65, 7],
      [1, 200, 30],
      [200, 1, 30],
      [30, 30, 1],
      [4, 4, 300],
    ]
    const cases: Case[] = []
    for (const dtype of ['float64', 'float32'] as const)
      for (const [ta, tb] of TRANSPOSES)
        for (const [m, n, k] of shapes)
          cases.push({
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
    expectAll(cases)
  })

  it('matches the reference when the problem spans several cache blocks in m, n and k', () => {
    // m beyond one A panel (64 rows), n beyond one B panel (512 columns), k beyond one k block (256).
    const shapes: Array<[number, number, number]> = [
      [130, 9, 6],
      [6, 515, 3],
      [9, 7, 600],
      [70, 21, 260],
    ]
    const cases: Case[] = []
    for (const dtype of ['float64', 'float32'] as const)
      for (const [ta, tb] of TRANSPOSES)
        for (const [m, n, k] of shapes)
          cases.push({ ...base, m, n, k, dtype, ta, tb, aOff: 1, cOff: 2, seed: m * n })
    expectAll(cases)
  })

  it('handles a float32 output larger than the kept accumulation scratch, then a small one', () => {
    expectAll([
      { ...base, m: 1030, n: 1025, k: 3, dtype: 'float32', tb: true, cOff: 4, seed: 5 },
      { ...base, m: 20, n: 21, k: 22, dtype: 'float32', ta: true, cOff: 1, seed: 6 },
    ])
  })

  it('rounds float32 results once after accumulating all of k in float64', () => {
    // k = 1000 spans four k blocks. Nonnegative summands make the partial sums grow, so rounding
    // them to float32 between blocks would exceed the one-rounding bound for some entries.
    const m = 8
    const n = 8
    const k = 1000
    const a = new Float32Array(m * k)
    const b = new Float32Array(k * n)
    fillRandom(a, 7)
    fillRandom(b, 8)
    for (const x of [a, b]) for (let i = 0; i < x.length; i++) x[i] = Math.abs(x[i]!)
    const c = new Float32Array(m * n)
    gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0)
    const { value, scale } = reference(m, n, k, a, 0, k, 1, b, 0, n, 1)
    for (let t = 0; t < m * n; t++) {
      const bound = 2 ** -24 * Math.abs(value[t]!) + 1e-12 * k * scale[t]!
      expect(Math.abs(c[t]! - value[t]!)).toBeLessThanOrEqual(bound)
    }
  })

  it('confines non-finite inputs to the rows and columns they belong to', () => {
    // Zero padding of edge tiles must not leak Inf·0 = NaN into valid entries.
    const m = 18
    const n = 19
    const k = 21
    const a = new Float64Array(m * k)
    const b = new Float64Array(k * n)
    fillRandom(a, 3)
    fillRandom(b, 4)
    a[17 * k + 5] = Infinity // row 17: last row, in a partial tile
    b[9 * n + 18] = NaN // column 18: last column, in a partial tile
    const c = new Float64Array(m * n)
    gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0)
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const v = c[i * n + j]!
        if (j === 18) expect(v).toBeNaN()
        else if (i === 17) expect(Math.abs(v)).toBe(Infinity)
        else expect(Number.isFinite(v)).toBe(true)
      }
    }
  })

  it('gives the same result for a product and its transposed formulation (Cᵀ = Bᵀ·Aᵀ)', () => {
    const m = 23
    const n = 29
    const k = 31
    const a = new Float64Array(m * k)
    const b = new Float64Array(k * n)
    fillRandom(a, 11)
    fillRandom(b, 12)
    const c = new Float64Array(m * n)
    const ct = new Float64Array(n * m)
    gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0)
    gemm(n, m, k, b, 0, 1, n, a, 0, 1, k, ct, 0)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) expect(ct[j * m + i]).toBeCloseTo(c[i * n + j]!, 12)
  })

  it('matches the reference for random shapes, layouts, offsets and dtypes', () => {
    const dim = fc.integer({ min: 0, max: 40 })
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
      fc.property(caseArb, (cs) => violation(cs) === null),
      { seed: 42, numRuns: 300 },
    )
  })
})
