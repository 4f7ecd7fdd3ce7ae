import { describe, expect, test } from 'vitest'
import {
  DTypeError,
  DualtapeError,
  ShapeError,
  Tensor,
  TransformError,
  ValueError,
  abs,
  add,
  arange,
  broadcastTo,
  cast,
  concat,
  eye,
  grad,
  jvp,
  logsumexp,
  matmul,
  max,
  maximum,
  mean,
  mul,
  ones,
  randn,
  relu,
  reshape,
  sin,
  slice,
  square,
  stopGradient,
  sum,
  tanh,
  tensor,
  transpose,
  valueAndGrad,
  vjp,
  where,
  zeros,
} from '../../src/index.js'

const num = (t: unknown) => (t as Tensor).item()

describe('tensors', () => {
  test('creation and reading', async () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ])
    expect(t.shape).toEqual([2, 3])
    expect(t.dtype).toBe('float64')
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6])
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4, 5, 6])
    expect(tensor(new Float32Array([1, 2, 3, 4]), [2, 2]).dtype).toBe('float32')
    expect(zeros([2]).toArray()).toEqual([0, 0])
    expect(ones([1, 2]).toArray()).toEqual([[1, 1]])
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ])
    expect(arange(3).toArray()).toEqual([0, 1, 2])
  })

  test('randn is reproducible from its seed', () => {
    expect(randn([5], { seed: 7 }).toArray()).toEqual(randn([5], { seed: 7 }).toArray())
    expect(randn([5], { seed: 7 }).toArray()).not.toEqual(randn([5], { seed: 8 }).toArray())
  })

  test('tensors are immutable: the source array and dataSync copies do not reach them', () => {
    const src = new Float64Array([1, 2])
    const t = tensor(src)
    src[0] = 99
    t.dataSync()[1] = 99
    expect(t.toArray()).toEqual([1, 2])
  })

  test('ragged arrays and non-numbers are typed errors', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError)
    expect(() => tensor(['a' as unknown as number])).toThrow(ValueError)
    expect(() => tensor(new Float64Array(3), [2, 2])).toThrow(ShapeError)
  })
})

describe('ops', () => {
  test('broadcasting follows numpy', () => {
    const y = add(tensor([[1], [2]]), tensor([10, 20, 30]))
    expect(y.toArray()).toEqual([
      [11, 21, 31],
      [12, 22, 32],
    ])
  })

  test('reductions take negative axes and keepdims', () => {
    const x = tensor([
      [1, 5],
      [7, 2],
    ])
    expect(sum(x, -1).toArray()).toEqual([6, 9])
    expect(sum(x, 0, true).shape).toEqual([1, 2])
    expect(max(x, 1).toArray()).toEqual([5, 7])
    expect(mean(x).item()).toBe(3.75)
    expect(logsumexp(tensor([1000, 1000])).item()).toBeCloseTo(1000 + Math.log(2), 12)
  })

  test('batched matmul with broadcast leading axes', () => {
    const a = randn([2, 1, 3, 4], { seed: 1 })
    const b = randn([5, 4, 2], { seed: 2 })
    const y = matmul(a, b)
    expect(y.shape).toEqual([2, 5, 3, 2])
    const a0 = slice(a, [1, 0, 0, 0], [1, 1, 3, 4])
    const b0 = slice(b, [3, 0, 0], [1, 4, 2])
    const ref = matmul(reshape(a0, [3, 4]), reshape(b0, [4, 2]))
    expect(reshape(slice(y, [1, 3, 0, 0], [1, 1, 3, 2]), [3, 2]).toArray()).toEqual(ref.toArray())
  })

  test('layout ops', () => {
    const x = arange(6)
    expect(transpose(reshape(x, [2, 3])).toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ])
    expect(concat([tensor([1]), tensor([2, 3])]).toArray()).toEqual([1, 2, 3])
    expect(broadcastTo(tensor([1, 2]), [2, 2]).toArray()).toEqual([
      [1, 2],
      [1, 2],
    ])
    expect(where(tensor([1, 0, 1]), tensor([1, 2, 3]), 0).toArray()).toEqual([1, 0, 3])
  })

  test('subgradients at kinks: relu′(0) = 0, |x|′(0) = 0, maximum ties split evenly, max ties split evenly', () => {
    expect(num(grad((x: Tensor) => sum(relu(x)))(tensor(0)))).toBe(0)
    expect(num(grad((x: Tensor) => sum(abs(x)))(tensor(0)))).toBe(0)
    const [ga, gb] = grad((a: Tensor, b: Tensor) => maximum(a, b), { argnums: [0, 1] })(
      tensor(2),
      tensor(2),
    ) as Tensor[]
    expect([ga!.item(), gb!.item()]).toEqual([0.5, 0.5])
    expect((grad((x: Tensor) => max(x))(tensor([3, 1, 3])) as Tensor).toArray()).toEqual([0.5, 0, 0.5])
  })

  test('stopGradient blocks both modes', () => {
    const f = (x: Tensor) => sum(mul(x, stopGradient(x)))
    expect((grad(f)(tensor([3])) as Tensor).toArray()).toEqual([3])
    expect(num((jvp(f, [tensor([3])], [tensor([1])]) as Tensor[])[1])).toBe(3)
  })
})

describe('bad input gets typed errors naming the op and the shapes', () => {
  test('shape mismatch', () => {
    expect(() => add(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(
      /add: shapes \[2\] and \[3\] do not broadcast/,
    )
    expect(() => matmul(ones([2, 3]), ones([2, 3]))).toThrow(
      /matmul: inner dimensions differ: \[2, 3\] @ \[2, 3\]/,
    )
    expect(() => reshape(ones([2, 3]), [4])).toThrow(ShapeError)
    expect(() => sum(ones([2]), 3)).toThrow(/sum: axis 3 is out of range/)
  })

  test('mixed dtypes', () => {
    expect(() => add(tensor([1]), tensor([1], { dtype: 'float32' }))).toThrow(DTypeError)
    expect(add(cast(tensor([1]), 'float32'), tensor([1], { dtype: 'float32' })).dtype).toBe('float32')
  })

  test('a value that is not a tensor', () => {
    expect(() => sin([1, 2] as unknown as Tensor)).toThrow(/sin: argument must be a Tensor, got an array/)
    expect(() => add('x' as unknown as Tensor, tensor(1))).toThrow(ValueError)
  })

  test('wrong number or shapes of tangents in jvp', () => {
    // @ts-expect-error: one tangent per primal
    expect(() => jvp(sin, [tensor([1, 2])], [])).toThrow(/1 primals but 0 tangents/)
    expect(() => jvp(sin, [tensor([1, 2])], [tensor([1, 2, 3])])).toThrow(
      /tangent 0 has shape \[3\] but its primal has shape \[2\]/,
    )
    expect(() => jvp(sin, [tensor([1, 2])], [tensor([1, 2], { dtype: 'float32' })])).toThrow(DTypeError)
    expect(() =>
      jvp((a: Tensor, b: Tensor) => add(a, b), [tensor([1]), tensor([1])], [ones([2, 1]), ones([3, 1])], {
        batched: true,
      }),
    ).toThrow(/disagree on the batch size/)
  })

  test('a non-scalar output for grad', () => {
    expect(() => grad(sin)(tensor([1, 2]))).toThrow(
      /grad: the function must return a scalar tensor \(shape \[\]\), got \[2\]/,
    )
  })

  test('argnum out of range', () =>
    // @ts-expect-error: sin has one argument
    expect(() => grad(sin, { argnums: 2 })(tensor(1))).toThrow(ValueError))

  test('a tracer that escapes its transformation', () => {
    let leaked: Tensor | null = null
    grad((x: Tensor) => {
      leaked = x
      return sum(x)
    })(tensor([1]))
    expect(() => sin(leaked!)).toThrow(TransformError)
  })

  test('all are DualtapeErrors', () => {
    expect(() => add(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(DualtapeError)
  })
})

describe('reverse mode', () => {
  test('the pullback can be called many times', () => {
    const [, pb] = vjp((x: Tensor) => mul(x, x), tensor([1, 2]))
    expect((pb(tensor([1, 0]))[0] as Tensor).toArray()).toEqual([2, 0])
    expect((pb(tensor([0, 1]))[0] as Tensor).toArray()).toEqual([0, 4])
  })

  test('cotangents are summed where a value fans out', () => {
    const f = (x: Tensor) => sum(add(add(x, x), mul(x, x)))
    expect((grad(f)(tensor([3])) as Tensor).toArray()).toEqual([2 + 6])
  })

  test('trees of inputs and outputs, hasAux, valueAndGrad', () => {
    const f = (p: { w: Tensor; b: Tensor }) => [sum(add(mul(p.w, 2), p.b)), { note: p.w }] as const
    const [g, aux] = grad(f, { hasAux: true })({ w: tensor([1, 2]), b: tensor(1) })
    expect(g.w.toArray()).toEqual([2, 2])
    expect(g.b.item()).toBe(2)
    expect(aux.note.toArray()).toEqual([1, 2])
    const [v, gv] = valueAndGrad((x: Tensor) => sum(square(x)))(tensor([1, 2]))
    expect(v.item()).toBe(5)
    expect(gv.toArray()).toEqual([2, 4])
  })

  test('control flow: the tape records what ran', () => {
    const f = (x: Tensor) => {
      let y = x
      for (let i = 0; i < 3; i++) y = y.item() > 0 ? mul(y, 2) : sin(y)
      return y
    }
    expect(num(grad(f)(tensor(1.5)))).toBe(8)
    expect(num(grad(f)(tensor(-1)))).toBeCloseTo(
      Math.cos(Math.sin(Math.sin(-1))) * Math.cos(Math.sin(-1)) * Math.cos(-1),
      14,
    )
  })

  test('a chain of 1,000,000 ops does not overflow the stack', () => {
    const f = (x: Tensor) => {
      let y = x
      for (let i = 0; i < 1_000_000; i++) y = mul(y, 1)
      return y
    }
    expect(num(grad(f)(tensor(2)))).toBe(1)
  }, 120_000)
})

describe('nesting through levels', () => {
  const cube = (x: Tensor) => sum(mul(square(x), x))
  const x = tensor([1, 2])
  const v = tensor([1, -1])

  test('jvp of grad is a Hessian-vector product', () => {
    const [, hv] = jvp(grad(cube), [x], [v]) as Tensor[]
    expect(hv!.toArray()).toEqual([6, -12])
  })

  test('grad of grad', () => {
    expect((grad((t: Tensor) => sum(grad(cube)(t)))(x) as Tensor).toArray()).toEqual([6, 12])
  })

  test('jvp of jvp', () => {
    const d = (t: Tensor) => (jvp(cube, [t], [v]) as Tensor[])[1]!
    const [, dd] = jvp(d, [x], [v]) as Tensor[]
    // vᵀ H v = 6·1 + 12·1
    expect(dd!.item()).toBe(18)
  })

  test('grad of jvp', () => {
    const d = (t: Tensor) => (jvp(cube, [t], [v]) as Tensor[])[1]!
    expect((grad(d)(x) as Tensor).toArray()).toEqual([6, -12])
  })

  test('perturbation confusion: d/dx [x · (d/dy (x + y))(1)] at 1 is 1, in every mix of modes', () => {
    const Df = (f: (t: Tensor) => Tensor) => (t: Tensor) => (jvp(f, [t], [tensor(1)]) as Tensor[])[1]!
    const Dr = (f: (t: Tensor) => Tensor) => (t: Tensor) => grad(f)(t) as Tensor
    for (const outer of [Df, Dr])
      for (const inner of [Df, Dr]) {
        expect(outer((xx) => mul(xx, inner((yy) => add(xx, yy))(tensor(1))))(tensor(1)).item()).toBe(1)
      }
  })

  test('tanh: third derivative through three nested levels', () => {
    const d = (f: (t: Tensor) => Tensor) => (t: Tensor) => grad(f)(t) as Tensor
    const t = 0.3
    const y = Math.tanh(t)
    // tanh‴ = -2 (1 - y²)(1 - 3y²)
    expect(d(d(d(tanh)))(tensor(t)).item()).toBeCloseTo(-2 * (1 - y * y) * (1 - 3 * y * y), 13)
  })
})
