import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { describe, expect, it } from 'vitest'
import { at, matmulWorstError, values } from '../../support/tfjs-env-checks.js'
import { initTfjsWasm } from '../../../src/backends/tfjs/node-wasm.js'

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
    expect(await matmulWorstError(64)).toBeLessThan(1e-4)
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
