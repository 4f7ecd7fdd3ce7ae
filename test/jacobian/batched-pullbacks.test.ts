import { afterEach, describe, expect, test } from 'vitest'
import {
  type Tensor,
  jacfwd,
  jacobian,
  jacrev,
  matmul,
  mul,
  randn,
  sin,
  sum,
  tanh,
  vjp,
  vmap,
  eye,
  hessian,
} from '../../src/index.js'
import { chunkRows, pullbackChunk } from '../../src/jacobian/builders.js'

// jacrev takes its rows as batched pullbacks (vmap of the pullback over the unit cotangents), in
// chunks that keep the cotangents of one sweep within a budget of elements.

const W1 = randn([5, 4], { seed: 1 })
const W2 = randn([4, 3], { seed: 2 })
const net = (x: Tensor) => tanh(matmul(tanh(matmul(x, W1)), W2))
const x0 = randn([5], { seed: 3 })

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape)
  const u = a.dataSync()
  const v = b.dataSync()
  return Math.max(0, ...u.map((e, i) => Math.abs(e - v[i]!)))
}

const saved = pullbackChunk.elements
afterEach(() => {
  pullbackChunk.elements = saved
})

describe('batched pullbacks', () => {
  test('vmap of a pullback over the rows of the identity is the Jacobian', () => {
    const [, pullback] = vjp(net, x0)
    const rows = vmap((ct: Tensor) => pullback(ct)[0])(eye(3))
    expect(maxDiff(rows, jacfwd(net)(x0))).toBeLessThan(1e-14)
  })

  test('the chunk rule: the budget over the elements the tape holds, at least one row', () => {
    expect(chunkRows(1000)).toBe(Math.floor(2 ** 24 / 1000))
    expect(chunkRows(2 ** 30)).toBe(1)
    expect(chunkRows(0)).toBe(2 ** 24)
  })

  test('jacrev in chunks of every size gives the same Jacobian as jacfwd', () => {
    const want = jacfwd(net)(x0)
    // the tape of net holds a few dozen elements: budgets from one row per chunk to all rows at once
    for (const elements of [1, 40, 80, 2 ** 24]) {
      pullbackChunk.elements = elements
      expect(maxDiff(jacrev(net)(x0), want)).toBeLessThan(1e-14)
    }
  })

  test('in chunks, with a tree output and a matrix input, and through jacobian', () => {
    pullbackChunk.elements = 30
    const f = (x: Tensor) => ({ a: sin(x), b: sum(mul(x, x), 1) })
    const x = randn([2, 3], { seed: 4 })
    const r = jacrev(f)(x)
    const w = jacfwd(f)(x)
    expect(maxDiff(r.a, w.a)).toBeLessThan(1e-14)
    expect(maxDiff(r.b, w.b)).toBeLessThan(1e-14)
    const g = (v: Tensor) => sum(mul(sin(v), v))
    expect(maxDiff(jacobian(g)(x0), jacfwd(g)(x0))).toBeLessThan(1e-14)
  })

  test('second derivatives through batched pullbacks: jacfwd and jacrev of jacrev are the Hessian', () => {
    const g = (v: Tensor) => sum(mul(tanh(matmul(v, W1)), sin(matmul(v, W1))))
    const h = hessian(g)(x0)
    pullbackChunk.elements = 20
    expect(maxDiff(jacfwd(jacrev(g))(x0), h)).toBeLessThan(1e-12)
    expect(maxDiff(jacrev(jacrev(g))(x0), h)).toBeLessThan(1e-12)
  })
})
