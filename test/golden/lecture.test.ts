import { describe, expect, test } from 'vitest'
import {
  Tensor,
  add,
  dot,
  grad,
  jvp,
  log,
  matmul,
  max,
  maximum,
  mul,
  neg,
  relu,
  sigmoid,
  sin,
  sum,
  tensor,
  vjp,
} from '../../src/index.js'

// Golden values of the lecture, in both modes.

const close = (a: number, b: number, tol = 1e-14) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)))
const arr = (t: Tensor) => (t.toArray() as number[]).map((v) => v + 0)

describe('f(x1, x2) = x1·x2 + sin(x2) at (2, 3)', () => {
  const f = (x1: Tensor, x2: Tensor) => add(mul(x1, x2), sin(x2))
  const x1 = tensor(2)
  const x2 = tensor(3)

  test('value', () => close(f(x1, x2).item(), 6.141120008059867))

  test('reverse mode sums the two paths into x2', () => {
    const [y, pullback] = vjp(f, x1, x2)
    const [g1, g2] = pullback(tensor(1)) as Tensor[]
    close((y as Tensor).item(), 6.141120008059867)
    close(g1!.item(), 3)
    close(g2!.item(), 1.0100075033995546)
    close(g2!.item(), 2 + Math.cos(3))
  })

  test('forward mode, one input direction at a time', () => {
    const [, d1] = jvp(f, [x1, x2], [tensor(1), tensor(0)]) as Tensor[]
    const [, d2] = jvp(f, [x1, x2], [tensor(0), tensor(1)]) as Tensor[]
    close(d1!.item(), 3)
    close(d2!.item(), 1.0100075033995546)
  })

  test('grad with argnums', () => {
    const [g1, g2] = grad(f, { argnums: [0, 1] })(x1, x2) as Tensor[]
    close(g1!.item(), 3)
    close(g2!.item(), 1.0100075033995546)
  })
})

describe('ReLU on x = [1, −2, 3, −1] with upstream [4, −1, 5, 9]', () => {
  const x = tensor([1, -2, 3, -1])
  const up = tensor([4, -1, 5, 9])

  test('forward value', () => expect(arr(relu(x))).toEqual([1, 0, 3, 0]))

  test('reverse: dL/dx = [4, 0, 5, 0]', () => {
    const [, pullback] = vjp(relu, x)
    expect(arr(pullback(up)[0] as Tensor)).toEqual([4, 0, 5, 0])
  })

  test('forward: the diagonal Jacobian applied to the upstream gives the same', () => {
    const [, dy] = jvp(relu, [x], [up]) as Tensor[]
    expect(arr(dy!)).toEqual([4, 0, 5, 0])
  })
})

describe('logistic loss L = −log σ(wᵀx)', () => {
  const w = tensor([0.3, -0.2, 0.5])
  const x = tensor([1, 2, -1])
  const L = (wt: Tensor) => neg(log(sigmoid(dot(wt, x))))
  const s = 1 / (1 + Math.exp(-(0.3 * 1 - 0.2 * 2 - 0.5)))
  const expected = [1, 2, -1].map((xi) => -(1 - s) * xi)

  test('reverse: ∂L/∂w = −(1 − σ(wᵀx)) x', () => {
    const g = grad(L)(w) as Tensor
    arr(g).forEach((v, i) => close(v, expected[i]!))
  })

  test('forward, column by column', () => {
    expected.forEach((e, i) => {
      const dir = tensor([0, 1, 2].map((j) => (j === i ? 1 : 0)))
      const [, d] = jvp(L, [w], [dir]) as Tensor[]
      close(d!.item(), e)
    })
  })
})

describe('gradient patterns', () => {
  const a = tensor(3)
  const b = tensor(-2)

  test('add distributes the upstream gradient to both inputs', () => {
    const [, pb] = vjp(add, a, b)
    expect((pb(tensor(5)) as Tensor[]).map((t) => t.item())).toEqual([5, 5])
  })

  test('max routes it to the larger input', () => {
    const [, pb] = vjp(maximum, a, b)
    expect((pb(tensor(5)) as Tensor[]).map((t) => t.item() + 0)).toEqual([5, 0])
    const [, pr] = vjp((v: Tensor) => max(v), tensor([1, 7, 2]))
    expect(arr(pr(tensor(5))[0] as Tensor)).toEqual([0, 5, 0])
  })

  test('mul switches: each input gets it scaled by the other', () => {
    const [, pb] = vjp(mul, a, b)
    expect((pb(tensor(5)) as Tensor[]).map((t) => t.item())).toEqual([5 * -2, 5 * 3])
  })

  test('FC layer: ∂h/∂h_prev = W, ∂L/∂W = upstream ⊗ h_prev', () => {
    const W = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ])
    const h = tensor([1, -1, 2])
    const up = tensor([0.5, -2])
    const [, pb] = vjp((w: Tensor, x: Tensor) => matmul(w, x), W, h)
    const [gW, gh] = pb(up) as Tensor[]
    expect(gW!.toArray()).toEqual([
      [0.5, -0.5, 1],
      [-2, 2, -4],
    ])
    expect(gh!.toArray()).toEqual([0.5 * 1 - 2 * 4, 0.5 * 2 - 2 * 5, 0.5 * 3 - 2 * 6])
  })
})

test('dot is exported for vectors', () => expect(dot(tensor([1, 2]), tensor([3, 4])).item()).toBe(11))

test('sum of an empty reduction list is the identity', () =>
  expect(sum(tensor([1, 2]), []).toArray()).toEqual([1, 2]))
