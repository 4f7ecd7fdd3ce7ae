import { describe, expect, test } from 'vitest'
import { type Tensor, jacfwd, jacobian, jacrev, matmul, mul, randn, sum, tanh } from '../../src/index.js'

// jacobian learns the number of outputs from one evaluation of f recorded on a tape; when
// reverse mode is the cheaper, the rows come from that tape, so f runs once.
describe('jacobian evaluates f', () => {
  test('once when reverse mode is the cheaper (n > m), with the Jacobian jacrev gives', () => {
    let calls = 0
    const f = (x: Tensor): Tensor => {
      calls++
      return sum(tanh(mul(x, x)))
    }
    const x = randn([6], { seed: 1 })
    const J = jacobian(f)(x) as Tensor
    expect(calls).toBe(1)
    expect(J.toArray()).toEqual((jacrev(f)(x) as Tensor).toArray())
  })

  test('once recorded, then by forward mode, when forward mode is the cheaper (n ≤ m)', () => {
    let calls = 0
    const W = randn([5, 2], { seed: 2 })
    const f = (x: Tensor): Tensor => {
      calls++
      return tanh(matmul(W, x))
    }
    const x = randn([2], { seed: 3 })
    const J = jacobian(f)(x) as Tensor
    expect(calls).toBe(2)
    expect(J.toArray()).toEqual((jacfwd(f)(x) as Tensor).toArray())
  })
})
