import { describe, expect, test } from 'vitest'
import {
  DTypeError,
  LinearityError,
  ShapeError,
  Tensor,
  TransformError,
  ValueError,
  add,
  cast,
  defineOp,
  div,
  exp,
  grad,
  hvp,
  jvp,
  linearTranspose,
  linearVjp,
  linearize,
  matmul,
  mul,
  observeOps,
  randn,
  sign,
  sin,
  sum,
  tanh,
  tensor,
  transpose,
  vjp,
  where,
} from '../../src/index.js'

const W = randn([4, 3], { seed: 1 })
const f = (x: Tensor) => tanh(matmul(W, x))
const x = randn([3, 2], { seed: 2 })
const v = randn([3, 2], { seed: 3 })

const maxDiff = (a: Tensor, b: Tensor): number => {
  expect(a.shape).toEqual(b.shape)
  const p = a.dataSync()
  const q = b.dataSync()
  let d = 0
  for (let i = 0; i < p.length; i++) d = Math.max(d, Math.abs(p[i]! - q[i]!))
  return d
}

describe('linearize', () => {
  test('jvpFn runs only the tangent ops: f is not called again, and no tanh runs', () => {
    let calls = 0
    const counted = (t: Tensor) => {
      calls++
      return f(t)
    }
    const [y, jvpFn] = linearize(counted, x)
    expect(calls).toBe(1)
    expect(maxDiff(y, f(x))).toBe(0)
    const ops: string[] = []
    const stop = observeOps((op) => ops.push(op))
    const dy = jvpFn(v)
    stop()
    expect(calls).toBe(1)
    expect(ops).toEqual(['matmul', 'mul'])
    expect(maxDiff(dy, jvp(f, [x], [v])[1])).toBeLessThan(1e-12)
  })

  test('takes and returns trees, as jvp', () => {
    const g = (p: { a: Tensor; b: [Tensor] }) => ({ s: sum(mul(p.a, p.b[0])), t: [sin(p.a)] })
    const p = { a: tensor([1, 2]), b: [tensor([3, 4])] as [Tensor] }
    const t = { a: tensor([0.5, -1]), b: [tensor([2, 1])] as [Tensor] }
    const [y, jvpFn] = linearize(g, p)
    const got = jvpFn(t)
    const [y0, want] = jvp(g, [p], [t])
    expect(y.s.item()).toBe(y0.s.item())
    expect(maxDiff(got.s, want.s)).toBe(0)
    expect(maxDiff(got.t[0]!, want.t[0]!)).toBe(0)
  })

  test('an output that does not depend on the input has a zero tangent', () => {
    const [, jvpFn] = linearize((a: Tensor) => [sin(a), tensor([7, 8])], tensor([1, 2]))
    const [da, dc] = jvpFn(tensor([1, 1]))
    expect(maxDiff(da!, tensor([Math.cos(1), Math.cos(2)]))).toBeLessThan(1e-15)
    expect(dc!.toArray()).toEqual([0, 0])
  })

  test('several arguments, one tangent each', () => {
    const g = (a: Tensor, b: Tensor) => mul(exp(a), b)
    const a = tensor([0.1, 0.2])
    const b = tensor([3, 4])
    const [, jvpFn] = linearize(g, a, b)
    const da = tensor([1, 0])
    const db = tensor([0, 1])
    expect(maxDiff(jvpFn(da, db), jvp(g, [a, b], [da, db])[1])).toBe(0)
  })

  test('float32 stays float32', () => {
    const x32 = cast(x, 'float32')
    const [, jvpFn] = linearize((t: Tensor) => tanh(t), x32)
    expect(jvpFn(cast(v, 'float32')).dtype).toBe('float32')
  })
})

describe('linearize under other transformations', () => {
  test('grad of a function that calls jvpFn is Jᵀ u (the tangent map differentiated in its input)', () => {
    const [, jvpFn] = linearize(f, x)
    const u = randn([4, 2], { seed: 4 })
    const g = grad((t: Tensor) => sum(mul(jvpFn(t), u)))(v)
    expect(maxDiff(g, vjp(f, x)[1](u)[0])).toBeLessThan(1e-12)
  })

  test('linearize inside grad: the derivative of the JVP with respect to the point', () => {
    const viaLinearize = grad((z: Tensor) => sum(linearize(f, z)[1](v)))(x)
    const viaJvp = grad((z: Tensor) => sum(jvp(f, [z], [v])[1]))(x)
    expect(maxDiff(viaLinearize, viaJvp)).toBeLessThan(1e-12)
  })

  test('linearize of a gradient is the Hessian-vector product', () => {
    const loss = (z: Tensor) => sum(tanh(matmul(W, z)))
    const [, hv] = linearize(grad(loss), x)
    expect(maxDiff(hv(v), hvp(loss)(x, v) as Tensor)).toBeLessThan(1e-12)
  })

  test('jvp of jvpFn is jvpFn (it is linear)', () => {
    const [, jvpFn] = linearize(f, x)
    const w = randn([3, 2], { seed: 5 })
    const [, d] = jvp(jvpFn, [v], [w])
    expect(maxDiff(d, jvpFn(w))).toBeLessThan(1e-15)
  })

  test('linearVjp inside grad: the pullback differentiated with respect to the point', () => {
    const u = randn([4, 2], { seed: 6 })
    const c = randn([3, 2], { seed: 7 })
    const byLinear = grad((z: Tensor) => sum(mul(linearVjp(f, z)[1](u)[0], c)))(x)
    const byTape = grad((z: Tensor) => sum(mul(vjp(f, z)[1](u)[0], c)))(x)
    expect(maxDiff(byLinear, byTape)).toBeLessThan(1e-12)
  })

  test('a jvpFn made inside grad, used after grad returned, throws a TransformError', () => {
    let kept: ((t: Tensor) => Tensor) | undefined
    grad((z: Tensor) => {
      kept = linearize(f, z)[1]
      return sum(z)
    })(x)
    expect(() => kept!(v)).toThrow(TransformError)
  })
})

describe('linearTranspose', () => {
  test('transposes a matrix product', () => {
    const A = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ])
    const [w] = linearTranspose((t: Tensor) => matmul(A, t), tensor([[0], [0], [0]]))(tensor([[1], [2]]))
    expect(w.toArray()).toEqual([[9], [12], [15]])
  })

  test('adds the cotangents of an argument used twice, and gives zeros to an unused one', () => {
    const L = (a: Tensor, _b: Tensor) => add(mul(a, 2), mul(a, 3))
    const [ga, gb] = linearTranspose(L, tensor([1, 1]), tensor([1, 1, 1]))(tensor([1, 2]))
    expect(ga.toArray()).toEqual([5, 10])
    expect(gb.toArray()).toEqual([0, 0, 0])
  })

  test('returns trees shaped like the examples, and takes the output tree', () => {
    const L = (p: { a: Tensor; b: Tensor }) => ({ s: add(p.a, p.b), d: [mul(p.a, 2)] })
    const Lt = linearTranspose(L, { a: tensor([0, 0]), b: tensor([0, 0]) })
    const [g] = Lt({ s: tensor([1, 2]), d: [tensor([10, 20])] })
    expect(g.a.toArray()).toEqual([21, 42])
    expect(g.b.toArray()).toEqual([1, 2])
  })

  test('the transposed function is itself differentiable (grad of a function calling it)', () => {
    const Lt = linearTranspose((t: Tensor) => matmul(W, t), x)
    const u = randn([4, 2], { seed: 8 })
    // ⟨Wᵀ u, c⟩ is linear in u, with gradient W c
    const c = randn([3, 2], { seed: 9 })
    const g = grad((s: Tensor) => sum(mul(Lt(s)[0], c)))(u)
    expect(maxDiff(g, matmul(W, c))).toBeLessThan(1e-12)
  })
})

describe('typed errors naming the argument', () => {
  test('linearize: not a function; no tensor to linearize in', () => {
    expect(() => (linearize as (...a: unknown[]) => unknown)(3, x)).toThrow(ValueError)
    expect(() => (linearize as (...a: unknown[]) => unknown)(() => tensor(1))).toThrow(/at least one tensor/)
  })

  test('jvpFn: a tangent of the wrong shape, dtype, count or structure', () => {
    const [, jvpFn] = linearize((a: Tensor, b: Tensor) => mul(a, b), tensor([1, 2]), tensor([3, 4]))
    expect(() => jvpFn(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError)
    expect(() => jvpFn(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(
      /tangent args\[1\] has shape \[3\], expected \[2\]/,
    )
    expect(() => jvpFn(tensor([1, 2]), tensor([1, 2], { dtype: 'float32' }))).toThrow(DTypeError)
    expect(() => (jvpFn as (...a: Tensor[]) => Tensor)(tensor([1, 2]))).toThrow(/expected 2 tangents/)
    expect(() => jvpFn(tensor([1, 2]), [tensor([1, 2])] as never)).toThrow(ShapeError)
  })

  test('linearTranspose: not a function', () => {
    expect(() => (linearTranspose as (...a: unknown[]) => unknown)(null, x)).toThrow(
      /the first argument \(linearFn\) must be a function/,
    )
  })

  test('a non-linear op on a traced value names the op and the argument', () => {
    const e = () => linearTranspose((a: Tensor, b: Tensor) => add(a, tanh(b)), x, x)
    expect(e).toThrow(LinearityError)
    expect(e).toThrow(/tanh is applied to a value that depends on args\[1\]/)
  })

  test('a product of two traced values', () => {
    expect(() => linearTranspose((a: Tensor, b: Tensor) => mul(a, b), x, x)).toThrow(
      /mul multiplies two values that depend on the arguments \(input 0 on args\[0\], input 1 on args\[1\]/,
    )
    expect(() =>
      linearTranspose(
        (a: Tensor) => matmul(a, a),
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toThrow(LinearityError)
  })

  test('dividing by a traced value; a traced condition of where', () => {
    expect(() => linearTranspose((a: Tensor) => div(tensor(1), a), x)).toThrow(
      /div is not linear in its input 1, which depends on args\[0\]/,
    )
    const mask = tensor([1, 0])
    expect(() => linearTranspose((c: Tensor, a: Tensor) => where(c, a, 0), mask, tensor([1, 2]))).toThrow(
      /where is not linear in its input 0, which depends on args\[0\]/,
    )
    // linear in the branches, the condition a constant
    const [g] = linearTranspose((a: Tensor) => where(mask, a, 0), tensor([1, 2]))(tensor([3, 4]))
    expect(g.toArray()).toEqual([3, 0])
  })

  test('an affine function: a nonzero constant added, or a nonzero constant output', () => {
    expect(() => linearTranspose((a: Tensor) => add(a, 1), x)).toThrow(/add combines a nonzero constant/)
    expect(() => linearTranspose((a: Tensor) => [a, tensor([1])], x)).toThrow(
      /output 1 is a nonzero constant/,
    )
    // adding zero is linear
    const [g] = linearTranspose((a: Tensor) => add(a, 0), tensor([1, 2]))(tensor([3, 4]))
    expect(g.toArray()).toEqual([3, 4])
  })

  test('piecewise-constant ops and custom ops are not linear', () => {
    expect(() => linearTranspose((a: Tensor) => sign(a), x)).toThrow(
      /sign is applied to a value that depends on args\[0\]/,
    )
    const twice = defineOp({
      name: 'twice',
      impl: ([t]) => mul(t!, 2),
      jvp: ({ dx: [dt] }) => mul(dt!, 2),
      vjp: ({ ct }) => [mul(ct, 2)],
    })
    expect(() => linearTranspose((a: Tensor) => twice(a), x)).toThrow(/twice is applied to a value/)
  })

  test('a custom op that states its linearity is transposed by its VJP rule', () => {
    const twice = defineOp({
      name: 'twiceLinear',
      impl: ([t]) => mul(t!, 2),
      jvp: ({ dx: [dt] }) => mul(dt!, 2),
      vjp: ({ ct }) => [mul(ct, 2)],
      linearity: 'joint',
    })
    expect(twice.def.linearity).toBe('joint')
    const [g] = linearTranspose((a: Tensor) => twice(matmul(W, a)), x)(randn([4, 2], { seed: 10 }))
    expect(maxDiff(g, matmul(transpose(W), mul(randn([4, 2], { seed: 10 }), 2)))).toBeLessThan(1e-12)
    expect(() =>
      defineOp({
        name: 'bad',
        impl: ([t]) => t!,
        jvp: ({ dx: [d] }) => d!,
        vjp: ({ ct }) => [ct],
        linearity: 'yes' as never,
      }),
    ).toThrow(/linearity must be 'joint', 'each' or a list of input positions/)
  })

  test('examples that do not fit a jvpFn; a cotangent of the wrong shape or dtype', () => {
    const [, jvpFn] = linearize(f, x)
    expect(() => linearTranspose(jvpFn, tensor([1, 2]))).toThrow(
      /example args\[0\] has shape \[2\], expected \[3, 2\]/,
    )
    const Lt = linearTranspose(jvpFn, x)
    expect(() => Lt(tensor([1, 2]))).toThrow(/cotangent 0 has shape \[2\] but the output has \[4, 2\]/)
    expect(() => Lt(cast(randn([4, 2], { seed: 1 }), 'float32'))).toThrow(DTypeError)
    expect(() => Lt([randn([4, 2], { seed: 1 })] as never)).toThrow(ShapeError)
  })
})
