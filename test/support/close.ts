import { expect } from 'vitest'
import type { Tensor } from '../../src/index.js'

/** Asserts that a has b's shape and that each element is within tol of b's, relative to max(1, |b|). */
export const close = (a: Tensor, b: Tensor, tol = 1e-12): void => {
  const x = a.dataSync()
  const y = b.dataSync()
  expect(a.shape).toEqual(b.shape)
  x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(y[i]!))))
}
