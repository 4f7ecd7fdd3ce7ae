import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { describe, expect, it } from 'vitest'
import { initTfjsWasm } from '../src/backends/tfjs/node-wasm.js'

/** Deterministic values in [-1, 1), rounded to float32. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 31 - 1
  }
  return out
}

const at = (a: ArrayLike<number>, i: number): number => a[i] as number

describe('initTfjsWasm', () => {
  it('selects the wasm backend, with SIMD, and is idempotent', async () => {
    await Promise.all([initTfjsWasm(), initTfjsWasm()])
    expect(tf.getBackend()).toBe('wasm')
    expect(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')).toBe(true)
    await tf.setBackend('cpu')
    await initTfjsWasm()
    expect(tf.getBackend()).toBe('wasm')
  })

  it('computes a 64x64 matmul that matches a float64 reference to 1e-4', async () => {
    await initTfjsWasm()
    const n = 64
    const a = values(n * n, 1)
    const b = values(n * n, 2)
    const c = tf.tidy(() => tf.matMul(tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])))
    const got = await c.data()
    c.dispose()
    let worst = 0
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let ref = 0
        let scale = 0
        for (let k = 0; k < n; k++) {
          ref += at(a, i * n + k) * at(b, k * n + j)
          scale += Math.abs(at(a, i * n + k) * at(b, k * n + j))
        }
        worst = Math.max(worst, Math.abs(at(got, i * n + j) - ref) / scale)
      }
    }
    expect(worst).toBeLessThan(1e-4)
  })

  it('computes elementwise ops', async () => {
    await initTfjsWasm()
    const x = values(1000, 3)
    const y = tf.tidy(() => {
      const t = tf.tensor1d(x)
      return tf.add(tf.mul(tf.exp(t), tf.tanh(t)), tf.scalar(0.5))
    })
    const got = await y.data()
    y.dispose()
    for (let i = 0; i < x.length; i++) {
      const ref = Math.exp(at(x, i)) * Math.tanh(at(x, i)) + 0.5
      expect(Math.abs(at(got, i) - ref)).toBeLessThan(1e-5 * (1 + Math.abs(ref)))
    }
  })
})
