import { describe, expect, test } from 'vitest'
import { fdDefaults, fdJacobian, fdJvp, richardson } from '../../src/check/index.js'
import { tensor } from '../../src/ops/create.js'
import { ShapeError, ValueError } from '../../src/core/errors.js'
import type { Tensor } from '../../src/core/tensor.js'
import { add, mul } from '../../src/ops/binary.js'
import { matmul } from '../../src/ops/matmul.js'
import { sum } from '../../src/ops/reduce.js'
import { reshape } from '../../src/ops/shape.js'
import { exp, log, sin, sqrt, tanh } from '../../src/ops/unary.js'

describe('richardson', () => {
  test('extrapolates central differences far beyond one step: sin′(1) to 1e-12', () => {
    const central = (h: number) => [(Math.sin(1 + h) - Math.sin(1 - h)) / (2 * h)]
    const plain = central(0.1)[0]!
    const r = richardson(central, 0.1, 4)
    expect(Math.abs(plain - Math.cos(1))).toBeGreaterThan(1e-4)
    expect(Math.abs(r.value[0]! - Math.cos(1))).toBeLessThan(1e-12)
  })

  test('the error estimate bounds the actual error on smooth functions', () => {
    const fns: [(x: number) => number, (x: number) => number][] = [
      [Math.exp, Math.exp],
      [Math.sin, Math.cos],
      [(x) => 1 / (1 + x * x), (x) => (-2 * x) / (1 + x * x) ** 2],
      [Math.atan, (x) => 1 / (1 + x * x)],
    ]
    for (const [f, df] of fns) {
      for (const x of [-1.3, 0.2, 2.1]) {
        for (const h0 of [0.2, 0.05]) {
          const r = richardson((h) => [(f(x + h) - f(x - h)) / (2 * h)], h0, 3)
          expect(Math.abs(r.value[0]! - df(x))).toBeLessThanOrEqual(r.error[0]!)
        }
      }
    }
  })

  test('each column of the tableau removes one power of h²', () => {
    const central = (h: number) => [(Math.exp(0.5 + h) - Math.exp(0.5 - h)) / (2 * h)]
    const r = richardson(central, 0.2, 4)
    const err = (j: number) => Math.abs(r.tableau[3]![j]![0]! - Math.exp(0.5))
    expect(err(1)).toBeLessThan(err(0) / 100)
    expect(err(2)).toBeLessThan(err(1) / 100)
  })

  test('rejects bad steps and levels with ValueError', () => {
    expect(() => richardson(() => [0], -1)).toThrow(ValueError)
    expect(() => richardson(() => [0], 0.1, 1)).toThrow(ValueError)
  })
})

describe('fdJvp', () => {
  test('matches J v of a function of several tensors, with tiny error bars', () => {
    const f = (a: Tensor, b: Tensor) => tanh(matmul(a, b))
    const a = tensor([
      [0.5, -1],
      [2, 0.3],
    ])
    const b = tensor([
      [1, 0.4],
      [-0.2, 0.7],
    ])
    const va = tensor([
      [1, 0],
      [0, 1],
    ])
    const vb = tensor([
      [0.5, 0.5],
      [-1, 2],
    ])
    const est = fdJvp(f, [a, b], [va, vb])
    // analytic: (1 − y²) ⊙ (va b + a vb)
    const y = f(a, b).dataSync()
    const dz = add(matmul(va, b), matmul(a, vb)).dataSync()
    expect(est.shape).toEqual([2, 2])
    expect(est.dtype).toBe('float64')
    est.value.forEach((v, i) => {
      const want = (1 - y[i]! ** 2) * dz[i]!
      expect(Math.abs(v - want)).toBeLessThan(1e-10)
      expect(est.error[i]!).toBeLessThan(1e-9)
      expect(Math.abs(v - want)).toBeLessThanOrEqual(est.error[i]! + 1e-15)
    })
  })

  test('a zero tangent gives exact zeros', () => {
    const est = fdJvp(exp, [tensor([1, 2])], [tensor([0, 0])])
    expect(Array.from(est.value)).toEqual([0, 0])
    expect(Array.from(est.error)).toEqual([0, 0])
  })

  test('steps that leave the domain are cut until f is finite', () => {
    // log at 0.004: the first step 2⁻⁷ ≈ 0.0078 would probe log(-0.0038)
    const est = fdJvp(log, [tensor([0.004])], [tensor([1])])
    expect(est.steps[0]!).toBeLessThan(0.004)
    expect(Math.abs(est.value[0]! - 250)).toBeLessThan(1e-6 * 250)
  })

  test('a function with no finite neighbourhood gives NaN with an infinite error bar', () => {
    const est = fdJvp(sqrt, [tensor([-1])], [tensor([1])])
    expect(Number.isNaN(est.value[0]!)).toBe(true)
    expect(est.error[0]).toBe(Infinity)
  })

  test('float32 inputs are evaluated in float32, with float32 defaults and larger error bars', () => {
    const x = tensor([0.3, 1.2], { dtype: 'float32' })
    const est = fdJvp(sin, [x], [tensor([1, 1], { dtype: 'float32' })])
    expect(est.dtype).toBe('float32')
    expect(est.steps[0]).toBe(fdDefaults('float32').eps * Math.fround(1.2))
    est.value.forEach((v, i) => {
      const want = Math.cos(x.dataSync()[i]!)
      expect(Math.abs(v - want)).toBeLessThan(1e-4)
      expect(est.error[i]!).toBeGreaterThan(1e-7)
    })
  })

  test('rejects bad input with typed errors', () => {
    const x = tensor([1, 2])
    expect(() => fdJvp('sin' as never, [x], [x])).toThrow(ValueError)
    expect(() => fdJvp(sin, [[1, 2] as never], [x])).toThrow(ValueError)
    expect(() => fdJvp(sin, [x], [tensor([1])])).toThrow(ShapeError)
    expect(() => fdJvp(sin, [x], [])).toThrow(ShapeError)
    expect(() => fdJvp(() => 3 as never, [x], [x])).toThrow(ValueError)
    expect(() => fdJvp(sin, [x], [x], { eps: -1 })).toThrow(ValueError)
    expect(() => fdJvp(sin, [x], [x], { levels: 1 })).toThrow(ValueError)
  })
})

describe('fdJacobian', () => {
  test('gives one block per argument, rows over the output and columns over the argument', () => {
    const f = (x: Tensor, w: Tensor) => sum(mul(x, w), 0)
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ])
    const w = tensor([0.5, -1, 2])
    const [jx, jw] = fdJacobian((a, b) => f(a, reshape(b, [3, 1])), [x, w])
    expect(jx!.outShape).toEqual([2])
    expect(jx!.inShape).toEqual([3, 2])
    // y_j = Σ_i x_ij w_i: ∂y_j/∂x_ik = w_i [j = k], ∂y_j/∂w_i = x_ij
    const wantX = [0.5, 0, -1, 0, 2, 0, 0, 0.5, 0, -1, 0, 2]
    const wantW = [1, 3, 5, 2, 4, 6]
    Array.from(jx!.value).forEach((v, k) => expect(v).toBeCloseTo(wantX[k]!, 10))
    Array.from(jw!.value).forEach((v, k) => expect(v).toBeCloseTo(wantW[k]!, 10))
  })
})
