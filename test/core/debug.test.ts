import { afterEach, describe, expect, test } from 'vitest'
import {
  NanError,
  type Tensor,
  debugNans,
  grad,
  greater,
  log,
  logSigmoid,
  logsumexp,
  mul,
  sigmoid,
  softplus,
  sqrt,
  sum,
  tensor,
  where,
  withNanCheck,
} from '../../src/index.js'

afterEach(() => debugNans(false))

describe('NaN/Inf detection', () => {
  test('names the op, the shapes and the call site of a NaN in the forward sweep', () => {
    debugNans(true)
    expect(() => log(tensor([1, -1]))).toThrow(NanError)
    expect(() => log(tensor([1, -1]))).toThrow(
      /log produced NaN at element 1 of its output \[2\] from finite inputs of shapes \[2\], in the forward sweep, called at .*debug\.test\.ts/,
    )
  })

  test('names the op whose pullback produced an infinity in the backward sweep', () => {
    const f = (x: Tensor) => sum(sqrt(x))
    expect(() => withNanCheck(() => grad(f)(tensor([0, 1])))).toThrow(
      /in the backward sweep of sqrt, recorded at .*debug\.test\.ts/,
    )
    // off again afterwards: the same call returns the infinite gradient
    expect((grad(f)(tensor([0, 1])) as Tensor).dataSync()[0]).toBe(Infinity)
  })

  test('the NaN gradient through where, and the safe pattern', () => {
    const unsafe = (x: Tensor) => sum(where(greater(x, 0), mul(x, log(x)), 0))
    // the branch not taken is 0·log 0 = NaN in its own gradient, and 0 · NaN is NaN
    expect(Number.isNaN((grad(unsafe)(tensor([0, 1])) as Tensor).dataSync()[0]!)).toBe(true)
    const safe = (x: Tensor) => {
      const pos = greater(x, 0)
      const xs = where(pos, x, 1)
      return sum(where(pos, mul(xs, log(xs)), 0))
    }
    expect(withNanCheck(() => (grad(safe)(tensor([0, 1])) as Tensor).toArray())).toEqual([0, 1])
  })

  test('finite inputs that stay finite pass silently', () => {
    expect(
      withNanCheck(() => (grad((x: Tensor) => sum(log(x)))(tensor([1, 2])) as Tensor).toArray()),
    ).toEqual([1, 0.5])
  })
})

describe('numerics: stable for large |x|', () => {
  const xs = tensor([-1000, -30, 0, 30, 1000])
  for (const [name, f] of [
    ['sigmoid', sigmoid],
    ['softplus', softplus],
    ['logSigmoid', logSigmoid],
  ] as const) {
    test(`${name}: finite values and gradients at ±1000`, () => {
      const y = f(xs).toArray() as number[]
      const g = (grad((x: Tensor) => sum(f(x)))(xs) as Tensor).toArray() as number[]
      expect([...y, ...g].every(Number.isFinite)).toBe(true)
    })
  }

  test('closed forms at the extremes', () => {
    expect(softplus(tensor([1000])).toArray()).toEqual([1000])
    expect(logSigmoid(tensor([-1000])).toArray()).toEqual([-1000])
    expect(sigmoid(tensor([-1000])).toArray()).toEqual([0])
    // d log σ(x) = σ(-x): 1 at -1000, 0 at 1000
    expect((grad((x: Tensor) => sum(logSigmoid(x)))(tensor([-1000, 1000])) as Tensor).toArray()).toEqual([
      1, 0,
    ])
  })

  test('logsumexp: finite value and gradient at ±1000', () => {
    const x = tensor([1000, -1000, 999])
    expect(logsumexp(x).item()).toBeCloseTo(1000 + Math.log(1 + Math.exp(-1)), 10)
    const g = (grad((t: Tensor) => logsumexp(t))(x) as Tensor).toArray() as number[]
    expect(g.every(Number.isFinite)).toBe(true)
    // softmax = exp(x - y) with y ≈ 1000 known to an ulp (1.1e-13): the sum is 1 to about 1e-13
    expect(Math.abs(g.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(2.3e-13)
  })
})
