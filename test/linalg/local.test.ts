import { describe, expect, test } from 'vitest'
import {
  type Tensor,
  ValueError,
  defineOp,
  exp,
  greater,
  grad,
  maximum,
  sign,
  stopGradient,
  jacfwd,
  matmul,
  mul,
  ones,
  randn,
  relu,
  reshape,
  sum,
  tanh,
  tensor,
  transpose,
} from '../../src/index.js'
import {
  accumulate,
  countFlops,
  localJacobian,
  operatorChain,
  plan,
  traceChain,
} from '../../src/linalg/index.js'

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

describe('local Jacobians in structured form', () => {
  test('an elementwise layer gives a diagonal, never formed densely', () => {
    const J = localJacobian(relu, tensor([1, -2, 3, -1]))
    expect(J.kind).toBe('diagonal')
    // the lecture: upstream [4, -1, 5, 9] → [4, 0, 5, 0]
    expect(Array.from(J.vecmat(Float64Array.of(4, -1, 5, 9))).map((v) => v + 0)).toEqual([4, 0, 5, 0])
  })

  test('layout ops give permutations; scaled ones monomial forms', () => {
    const x = tensor([1, 2, 3, 4, 5, 6])
    const T = localJacobian((t: Tensor) => reshape(transpose(reshape(t, [2, 3])), [6]), x)
    expect(T.kind).toBe('permutation')
    expect(Array.from(T.matvec(Float64Array.of(1, 2, 3, 4, 5, 6)))).toEqual([1, 4, 2, 5, 3, 6])
    expect(localJacobian((t: Tensor) => mul(reshape(transpose(reshape(t, [2, 3])), [6]), 2), x).kind).toBe(
      'monomial',
    )
  })

  test('an FC layer gives its weight matrix, ∂h/∂h_prev = W', () => {
    const W = randn([3, 4], { seed: 1 })
    const J = localJacobian((h: Tensor) => matmul(W, h), randn([4], { seed: 2 }))
    expect(J.kind).toBe('dense')
    expect(maxDiff(J.toDense().data, W.dataSync())).toBe(0)
  })

  test('a layer that ignores its input gives the zero form', () => {
    expect(localJacobian(() => ones([2]), tensor([1, 2, 3])).kind).toBe('zero')
  })

  test('bad input', () => {
    expect(() => localJacobian(relu, [1] as unknown as Tensor)).toThrow(ValueError)
    expect(() => traceChain([], tensor([1]))).toThrow(ValueError)
  })
})

describe('chains traced through layers', () => {
  const W1 = randn([30, 80], { seed: 3 })
  const W2 = randn([4, 30], { seed: 4 })
  const layers = [(h: Tensor) => matmul(W1, h), tanh, (h: Tensor) => matmul(W2, h), relu]
  const x = randn([80], { seed: 5 })
  const composed = (h: Tensor) => layers.reduce((a, l) => l(a), h)
  const J = (jacfwd(composed)(x) as Tensor).dataSync()

  test('left, right and optimal accumulate the Jacobian of the composition', () => {
    const { chain, output } = traceChain(layers, x)
    expect(chain.factors.map((f) => f.kind)).toEqual(['dense', 'diagonal', 'dense', 'diagonal'])
    expect(maxDiff(output.dataSync(), composed(x).dataSync())).toBe(0)
    for (const s of ['left', 'right', 'optimal'] as const) {
      expect(maxDiff(accumulate(chain, s).toDense().data, J)).toBeLessThan(1e-12)
    }
    const p = plan(chain, 'optimal')
    expect(p.flops).toBeLessThanOrEqual(Math.min(plan(chain, 'left').flops, plan(chain, 'right').flops))
  })

  test('the matrix-free chain of the engine’s JVPs and VJPs gives the same Jacobian', () => {
    const chain = operatorChain(layers, x)
    expect(chain.widths).toEqual([80, 30, 30, 4, 4])
    expect(maxDiff(accumulate(chain, 'optimal').toDense().data, J)).toBeLessThan(1e-12)
    // every column pushed through (tangent) and every row pulled back (adjoint) in batches
    for (const s of ['tangent', 'adjoint'] as const) {
      expect(maxDiff(accumulate(chain, s).toDense().data, J)).toBeLessThan(1e-12)
    }
  })

  test('an operator’s batched products are its products, one after another', () => {
    const chain = operatorChain(layers, x)
    for (const op of chain.operators) {
      const count = 3
      const vs = Float64Array.from({ length: count * op.cols }, (_, i) => Math.sin(i + 1))
      const us = Float64Array.from({ length: count * op.rows }, (_, i) => Math.cos(i + 1))
      const mv = op.matvecs!(vs, count)
      const vm = op.vecmats!(us, count)
      expect(mv.length).toBe(count * op.rows)
      expect(vm.length).toBe(count * op.cols)
      for (let c = 0; c < count; c++) {
        const one = op.matvec(vs.slice(c * op.cols, (c + 1) * op.cols))
        expect(maxDiff(mv.subarray(c * op.rows, (c + 1) * op.rows), one)).toBeLessThan(1e-14)
        const back = op.vecmat(us.slice(c * op.rows, (c + 1) * op.rows))
        expect(maxDiff(vm.subarray(c * op.cols, (c + 1) * op.cols), back)).toBeLessThan(1e-14)
      }
    }
  })
})

test('FLOP counts: 2mnk for a matrix product, one per element otherwise', () => {
  expect(countFlops(() => matmul(ones([2, 3]), ones([3, 4])))).toBe(48)
  expect(countFlops(() => matmul(ones([5, 3, 2]), ones([2, 4])))).toBe(2 * 5 * 3 * 4 * 2)
  expect(countFlops(() => sum(tanh(ones([10]))))).toBe(20)
})

test('FLOP counts follow the structure of each op: layout ops and stopGradient count nothing', () => {
  const x = tensor([1, -2, 3, 0, 5, -6])
  // layout: moving data
  expect(countFlops(() => transpose(reshape(x, [2, 3])))).toBe(0)
  // piecewise constant: one value per element, but stopGradient, the identity, computes nothing
  expect(countFlops(() => sign(x))).toBe(6)
  expect(countFlops(() => greater(x, 0))).toBe(6)
  expect(countFlops(() => stopGradient(x))).toBe(0)
  // elementwise: one per output element
  expect(countFlops(() => maximum(x, 0))).toBe(6)
  // the gradient of sum(maximum(x, 0)): maximum and sum (6 each), then the pullback's masks
  // greater(x, 0) and equal(x, 0) (6 each) combined by five elementwise ops (6 each)
  expect(countFlops(() => grad((t: Tensor) => sum(maximum(t, 0)))(x))).toBe(6 + 6 + 2 * 6 + 5 * 6)
  // a fused derivative kernel (relu′): f′ and the product, two per element
  expect(countFlops(() => grad((t: Tensor) => sum(relu(t)))(x))).toBe(6 + 6 + 6 * 2)
  // a custom op is of unknown structure: one per output element
  const myExp = defineOp({
    name: 'myExp',
    impl: ([t]) => exp(t!),
    jvp: ({ dx: [dx], y }) => mul(dx!, y),
    vjp: ({ ct, y }) => [mul(ct, y)],
  })
  expect(countFlops(() => myExp(x))).toBe(6 + 6)
})
