import { afterAll, describe, expect, test } from 'vitest'
import { fastGemm } from '../../src/kernels/wasm/index.js'
import { gemmThreadsActive, setGemmThreads, THREAD_WORK } from '../../src/kernels/wasm/threads.js'
import { matmul, randn, cast, valueAndGrad, sum, tanh, type Tensor } from '../../src/index.js'

// Products split over two threads (src/kernels/wasm/threads.ts) give C to the bit as one thread
// does: each element is computed by the same kernel with the same blocking of its sum.

afterAll(() => {
  setGemmThreads(true)
})

/** C = op(A)·op(B) with every product split (threshold 0), and on one thread. */
function both(
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  f64: boolean,
  seed: number,
): [Float64Array | Float32Array, Float64Array | Float32Array] {
  const Ctor = f64 ? Float64Array : Float32Array
  const a = new Ctor(m * k + 3).map((_, i) => Math.sin(seed + i * 0.37))
  const b = new Ctor(k * n + 5).map((_, i) => Math.cos(seed + i * 0.61))
  const [aRs, aCs] = transA ? [1, m] : [k, 1]
  const [bRs, bCs] = transB ? [1, k] : [n, 1]
  const run = (two: boolean) => {
    setGemmThreads(two, two ? 0 : Infinity)
    // operands at offsets, C into the middle of a larger array: the offsets are carried over
    const c = new Ctor(m * n + 4)
    fastGemm(m, n, k, a, 3, aRs, aCs, b, 5, bRs, bCs, c, 2)
    return c
  }
  return [run(true), run(false)]
}

describe('matrix products on two threads', () => {
  test('a worker thread is there (Node ≥ 20.16)', () => {
    expect(gemmThreadsActive()).toBe(true)
    expect(THREAD_WORK).toBeGreaterThan(0)
  })

  test.each([
    [64, 48, 80],
    [65, 33, 17],
    [200, 9, 130],
    [16, 300, 257],
    [129, 128, 3],
  ])('m = %i, n = %i, k = %i: float64 and float32, every transpose, to the bit', (m, n, k) => {
    for (const f64 of [true, false]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const [two, one] = both(m, n, k, transA, transB, f64, m + n + k)
          expect(Array.from(two)).toEqual(Array.from(one))
          // the padding around C is left alone
          expect([two[0], two[1], two[two.length - 1]]).toEqual([0, 0, 0])
        }
      }
    }
  })

  test('a network gradient through the backend: the same with and without the second thread', () => {
    const w = randn([256, 256], { seed: 1 })
    const x = randn([64, 256], { seed: 2 })
    const f = (p: Tensor, xs: Tensor) => sum(tanh(matmul(tanh(matmul(xs, p)), p)))
    const run = (two: boolean, dtype: 'float64' | 'float32') => {
      setGemmThreads(two, two ? 0 : Infinity)
      const [v, g] = valueAndGrad(f)(cast(w, dtype), cast(x, dtype)) as [Tensor, Tensor]
      return [v.item(), ...Array.from(g.dataSync())]
    }
    for (const dtype of ['float64', 'float32'] as const) expect(run(true, dtype)).toEqual(run(false, dtype))
  })
})
