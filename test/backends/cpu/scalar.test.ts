import { describe, expect, test } from 'vitest'
import { erf } from '../../../src/backends/cpu/scalar.js'

// erf to 16 digits (Abramowitz and Stegun, table 7.1, and the series of its definition computed
// in high precision)
const table: readonly (readonly [number, number])[] = [
  [1e-8, 1.1283791670955126e-8],
  [0.1, 0.1124629160182849],
  [0.5, 0.5204998778130465],
  [1, 0.8427007929497149],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [3, 0.9999779095030014],
  [4, 0.9999999845827421],
  [5.5, 0.9999999999999927],
]

describe('the cpu kernel of erf', () => {
  test('agrees with the table to a few units in the last place, odd in x', () => {
    for (const [x, want] of table) {
      expect(Math.abs(erf(x) - want) / want, `erf(${x})`).toBeLessThan(5e-16)
      expect(erf(-x), `erf(${-x})`).toBe(-erf(x))
    }
  })

  test('is ±1 from |x| = 6 on, keeps -0 and NaN', () => {
    expect([erf(6), erf(-6), erf(40), erf(Infinity), erf(-Infinity)]).toEqual([1, -1, 1, 1, -1])
    expect(Object.is(erf(-0), -0)).toBe(true)
    expect(erf(NaN)).toBeNaN()
  })

  test('rises monotonically to 1', () => {
    let last = -Infinity
    for (let x = -7; x <= 7; x += 0.01) {
      const y = erf(x)
      expect(y).toBeGreaterThanOrEqual(last)
      last = y
    }
  })
})
