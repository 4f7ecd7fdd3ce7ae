import { expect, test } from 'vitest'
import {
  type Tensor,
  grad,
  hessian,
  jacfwd,
  jacrev,
  matmul,
  randn,
  sum,
  tanh,
  transpose,
} from '../../src/index.js'

const maxDiff = (a: Tensor, b: Tensor) => {
  const x = Array.from(a.dataSync())
  const y = b.dataSync()
  expect(a.shape).toEqual(b.shape)
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0)
}

test('vector mode: one pass with k directions equals k separate JVPs, through matmuls on either side', () => {
  const A = randn([5, 4], { seed: 1 })
  const B = randn([3, 6], { seed: 2 })
  const f = (x: Tensor) => tanh(matmul(matmul(A, tanh(x)), B))
  const x = randn([4, 3], { seed: 3 })
  const batched = jacfwd(f)(x) as Tensor
  expect(maxDiff(batched, jacfwd(f, { batched: false })(x) as Tensor)).toBeLessThan(1e-15)
  expect(maxDiff(batched, jacrev(f)(x) as Tensor)).toBeLessThan(1e-15)
})

test('vector mode through the transposed products of a reverse sweep (Hessian, forward over reverse)', () => {
  const W = randn([4, 4], { seed: 4 })
  const f = (x: Tensor) => sum(tanh(matmul(W, matmul(x, transpose(x)))))
  const x = randn([4, 2], { seed: 5 })
  const h = hessian(f)(x) as Tensor
  const byRev = jacrev(grad(f))(x) as Tensor
  expect(h.shape).toEqual([4, 2, 4, 2])
  expect(maxDiff(h, byRev)).toBeLessThan(1e-13)
  expect(maxDiff(h, jacfwd(grad(f), { batched: false })(x) as Tensor)).toBeLessThan(1e-13)
})
