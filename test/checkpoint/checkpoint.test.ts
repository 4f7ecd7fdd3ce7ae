import { describe, expect, test } from 'vitest'
import {
  DTypeError,
  TransformError,
  ValueError,
  add,
  checkpoint,
  cos,
  exp,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jvp,
  matmul,
  mul,
  sin,
  sum,
  tanh,
  tensor,
  vjp,
  type Tensor,
} from '../../src/index.js'
import { traceVjp } from '../../src/reverse/vjp.js'
import { close } from '../support/close.js'

// checkpoint(f) against f: the same values and derivatives in every mode and nesting, one node
// on the tape where f's ops were, and f run once more per pullback.

const layer = (x: Tensor, w: Tensor) => tanh(matmul(x, w))
const w0 = tensor([
  [0.5, -0.2],
  [0.1, 0.8],
])
const x0 = tensor([[1, -0.5]])

describe('checkpoint', () => {
  test('the gradient of a checkpointed function equals its own', () => {
    const ck = checkpoint(layer)
    const deep = (g: typeof layer) => (w: Tensor, x: Tensor) => sum(g(g(g(x, w), w), w))
    const [a, b] = grad(deep(ck), { argnums: [0, 1] })(w0, x0)
    const [c, d] = grad(deep(layer), { argnums: [0, 1] })(w0, x0)
    close(a, c)
    close(b, d)
    close(ck(x0, w0), layer(x0, w0))
  })

  test('one node on the tape; f runs once forward and once per pullback', () => {
    let runs = 0
    const ck = checkpoint((x: Tensor, w: Tensor) => {
      runs++
      return layer(layer(x, w), w)
    })
    const plain = traceVjp('test', (w: Tensor) => layer(layer(x0, w), w), [w0], [0], false)
    const traced = traceVjp('test', (w: Tensor) => ck(x0, w), [w0], [0], false)
    expect(plain.level.tape!.length).toBe(5) // w, two matmuls, two tanh
    expect(traced.level.tape!.length).toBe(2) // w, the checkpoint
    expect(traced.level.tape!.entries()[1]!.op).toBe('checkpoint')
    expect(runs).toBe(1)
    const ct = tensor([[1, 1]])
    const [g1] = traced.pullback(ct) as Tensor[]
    const [g2] = traced.pullback(ct) as Tensor[]
    expect(runs).toBe(3)
    close(g1!, plain.pullback(ct)[0] as Tensor)
    close(g1!, g2!, 0)
  })

  test('trees in and out; inputs that are constants get no cotangent', () => {
    const f = checkpoint((p: { a: Tensor; b: Tensor }, xs: [Tensor]) => [mul(p.a, xs[0]), { s: sin(p.b) }])
    const g = (p: { a: Tensor; b: Tensor }) => {
      const [u, { s }] = f(p, [tensor([2, 3])]) as [Tensor, { s: Tensor }]
      return sum(add(mul(u, u), s))
    }
    const p = { a: tensor([1, -1]), b: tensor([0.5, 0.25]) }
    const got = grad(g)(p)
    close(got.a, tensor([8, -18])) // d(4a²)/da = 8a, d(9a²)/da = 18a
    close(got.b, cos(p.b))
  })

  test('jvp, jacfwd and jacrev, the Hessian, grad of grad', () => {
    const ck = checkpoint((x: Tensor) => exp(sin(mul(x, x))))
    const f = (x: Tensor) => exp(sin(mul(x, x)))
    const x = tensor([0.3, -0.6])
    const [y1, dy1] = jvp(ck, [x], [tensor([1, 2])])
    const [y2, dy2] = jvp(f, [x], [tensor([1, 2])])
    close(y1, y2)
    close(dy1, dy2)
    close(jacfwd(ck)(x), jacfwd(f)(x))
    close(jacrev(ck)(x), jacrev(f)(x))
    close(hessian((v: Tensor) => sum(ck(v)))(x), hessian((v: Tensor) => sum(f(v)))(x))
    const gg = (h: typeof f) => grad((v: Tensor) => sum(mul(grad((u: Tensor) => sum(h(u)))(v), v)))
    close(gg(ck)(x), gg(f)(x))
  })

  test('a closure over a tensor being differentiated: a TransformError, not a wrong gradient', () => {
    const run = (w: Tensor) => {
      const ck = checkpoint((x: Tensor) => matmul(x, w))
      return sum(ck(x0))
    }
    expect(() => grad(run)(w0)).toThrow(TransformError)
    expect(() => grad(run)(w0)).toThrow(/checkpoint: the function uses a vjp tracer/)
    const run2 = (w: Tensor) => sum(checkpoint((x: Tensor) => matmul(x, w))(matmul(x0, w)))
    expect(() => grad(run2)(w0)).toThrow(TransformError)
    // under forward mode a closure is harmless: nothing is recomputed
    const [, dy] = jvp((w: Tensor) => checkpoint((x: Tensor) => matmul(x, w))(x0), [w0], [w0])
    close(dy, matmul(x0, w0))
  })

  test('bad input: typed errors', () => {
    expect(() => checkpoint(3 as never)).toThrow(ValueError)
    expect(() => checkpoint(3 as never)).toThrow(/checkpoint: f must be a function/)
    const mixed = checkpoint((x: Tensor) => [x, tensor([1], { dtype: 'float32' })])
    expect(() => vjp(mixed, tensor([1]))).toThrow(DTypeError)
    const notTensor = checkpoint((_x: Tensor) => 3 as never as Tensor)
    expect(() => notTensor(tensor([1]))).toThrow(/output is number 3, not a Tensor/)
    expect(() => vjp(notTensor, tensor([1]))).toThrow(/checkpoint: output is number 3, not a Tensor/)
  })
})
