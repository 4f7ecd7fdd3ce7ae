import { describe, expect, it } from 'vitest'
import { allocUnfilled } from '../../../src/core/dtype.js'
import { gemm } from '../../../src/kernels/matmul.js'
import { matmul, reshape, tensor, transpose } from '../../../src/index.js'

/** Deterministic values in [-1, 1) from a 32-bit linear congruential sequence. */
function values(n: number, seed: number): Float64Array {
  const x = new Float64Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    x[i] = s / 2 ** 31 - 1
  }
  return x
}

/**
 * Leaves freed memory full of NaN for the allocator to hand out again: an output that a kernel
 * did not write would then (most likely) show NaN instead of passing as zeros.
 */
function dirty(bytes: number): void {
  for (let i = 0; i < 4; i++) new Float64Array(allocUnfilled('float64', bytes / 8).buffer).fill(NaN)
}

describe('outputs the cpu backend does not zero', () => {
  it('allocUnfilled: the dtype and length asked for, its own buffer, zeroed below 64 KiB', () => {
    for (const [dtype, Ctor] of [
      ['float64', Float64Array],
      ['float32', Float32Array],
      ['int32', Int32Array],
    ] as const) {
      const small = allocUnfilled(dtype, 100)
      expect(small).toBeInstanceOf(Ctor)
      expect(small.length).toBe(100)
      expect(small.every((v) => v === 0)).toBe(true)
      const n = (1 << 16) / Ctor.BYTES_PER_ELEMENT + 3
      const large = allocUnfilled(dtype, n)
      expect(large).toBeInstanceOf(Ctor)
      expect(large.length).toBe(n)
      expect(large.byteOffset).toBe(0)
      expect(large.buffer.byteLength).toBe(n * Ctor.BYTES_PER_ELEMENT)
      expect(allocUnfilled(dtype, n).buffer).not.toBe(large.buffer)
    }
  })

  it('matmul writes every element of a large output: stacked outer products, a product of depth 0, a product', () => {
    const [e, m, n] = [40, 60, 50]
    const a = values(e * m, 1)
    const b = values(e * n, 2)
    for (const dtype of ['float64', 'float32'] as const) {
      dirty(e * m * n * 8)
      // a batch of outer products (k = 1), as vmap's per-example weight gradients
      const ta = tensor(a, { shape: [e, m, 1], dtype })
      const tb = tensor(b, { shape: [e, 1, n], dtype })
      const got = matmul(ta, tb).dataSync()
      const [av, bv] = [ta.dataSync(), tb.dataSync()]
      const want = new (dtype === 'float64' ? Float64Array : Float32Array)(e * m * n)
      for (let t = 0; t < e; t++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) want[(t * m + i) * n + j] = av[t * m + i]! * bv[t * n + j]!
      expect(got).toEqual(want)
      // k = 0: a sum of no terms is 0 everywhere
      dirty(300 * 300 * 8)
      const empty = matmul(
        tensor(new Float64Array(0), { shape: [300, 0], dtype }),
        tensor(new Float64Array(0), { shape: [0, 300], dtype }),
      )
      expect(empty.dataSync().every((v) => Object.is(v, 0))).toBe(true)
    }
    // a product with k > 1, as the product of two transposes
    dirty(150 * 120 * 8)
    const x = reshape(tensor(values(150 * 20, 3)), [20, 150])
    const y = reshape(tensor(values(20 * 120, 4)), [120, 20])
    const z = matmul(transpose(x), transpose(y)).dataSync()
    const ref = new Float64Array(150 * 120)
    gemm(
      150,
      120,
      20,
      x.dataSync() as Float64Array,
      0,
      1,
      150,
      y.dataSync() as Float64Array,
      0,
      1,
      20,
      ref,
      0,
    )
    expect(z).toEqual(ref)
  })
})
