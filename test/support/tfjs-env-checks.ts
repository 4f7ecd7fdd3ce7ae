import * as tf from '@tensorflow/tfjs-core'

/** Deterministic values in [-1, 1), rounded to float32. */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 31 - 1
  }
  return out
}

export const at = (a: ArrayLike<number>, i: number): number => a[i] as number

/**
 * The worst error of an n×n float32 matmul on TensorFlow.js's active backend against a float64
 * reference, relative to Σ_k |a_ik b_kj| for each element.
 */
export async function matmulWorstError(n: number): Promise<number> {
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
  return worst
}
