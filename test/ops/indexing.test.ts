import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { checkGrads } from '../../src/check/index.js'
import {
  DTypeError,
  ShapeError,
  ValueError,
  add,
  argmax,
  argmin,
  atan2,
  cast,
  clip,
  cumsum,
  expandDims,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jvp,
  min,
  mul,
  pow,
  prod,
  split,
  squeeze,
  stack,
  sum,
  take,
  tensor,
  vjp,
  zeros,
  type Tensor,
} from '../../src/index.js'
import { jacobianSparsity } from '../../src/sparse/index.js'

// The indexing ops, int32 index tensors, and the conventions of the new elementwise ops and
// reductions at their kinks. The op contracts (props/ops.test.ts) check every rule against finite
// differences on generated cases; here are the values, the conventions and the errors.

const idx = (data: number[] | number[][]) => tensor(data, { dtype: 'int32' })

describe('int32 index tensors', () => {
  it('are made from integer data, read back as integers, and cast to floats', () => {
    const i = idx([
      [0, 2],
      [-1, 7],
    ])
    expect(i.dtype).toBe('int32')
    expect(i.dataSync()).toBeInstanceOf(Int32Array)
    expect(i.toArray()).toEqual([
      [0, 2],
      [-1, 7],
    ])
    expect(tensor(Int32Array.of(3, 4)).dtype).toBe('int32')
    expect(cast(i, 'float32').toArray()).toEqual([
      [0, 2],
      [-1, 7],
    ])
  })

  it('refuse data that int32 cannot hold, naming the element and the shape', () => {
    expect(() => tensor([1, 2.5], { dtype: 'int32' })).toThrow(ValueError)
    expect(() => tensor([1, 2.5], { dtype: 'int32' })).toThrow(/got 2\.5 at element 1 of shape \[2\]/)
    expect(() => tensor([2 ** 31], { dtype: 'int32' })).toThrow(ValueError)
    expect(() => tensor([NaN], { dtype: 'int32' })).toThrow(ValueError)
  })

  it('are refused by float ops, by creation functions and by cast to int32, with a DTypeError', () => {
    expect(() => add(idx([1]), 1)).toThrow(DTypeError)
    expect(() => add(idx([1]), 1)).toThrow(/add: argument 0 is an int32 index tensor of shape \[1\]/)
    expect(() => sum(idx([1, 2]))).toThrow(DTypeError)
    expect(() => zeros([2], { dtype: 'int32' })).toThrow(DTypeError)
    expect(() => cast(tensor([1]), 'int32' as 'float64')).toThrow(DTypeError)
  })

  it('are not differentiable: a transformation asked to differentiate one says so', () => {
    const f = (i: Tensor) => sum(cast(i, 'float64'))
    expect(() => grad(f)(idx([1, 2]))).toThrow(DTypeError)
    expect(() => grad(f)(idx([1, 2]))).toThrow(
      /cannot differentiate with respect to an int32 index tensor of shape \[2\]/,
    )
    expect(() => jvp(f, [idx([1])], [idx([1])])).toThrow(DTypeError)
    expect(() => jvp(f, [idx([1])], [tensor([1])])).toThrow(DTypeError)
    // held constant, they index as usual
    const x = tensor([1, 2, 3])
    expect(grad((i: Tensor) => sum(mul(i, i)))(x).toArray()).toEqual([2, 4, 6])
  })
})

describe('take', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ])

  it('gathers along an axis with indices of any shape', () => {
    expect(take(x, [1, 0, 1]).toArray()).toEqual([
      [4, 5, 6],
      [1, 2, 3],
      [4, 5, 6],
    ])
    expect(take(x, idx([[2], [0]]), -1).shape).toEqual([2, 2, 1])
    expect(take(x, idx([[2], [0]]), -1).toArray()).toEqual([
      [[3], [1]],
      [[6], [4]],
    ])
    // a scalar index drops the axis
    expect(take(x, 2, 1).toArray()).toEqual([3, 6])
    expect(take(x, [], 1).shape).toEqual([2, 0])
  })

  it('accumulates the cotangents of repeated indices (its VJP is a scatter that adds)', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const v = tensor([1, 2, 3, 4], { dtype })
      const [, pullback] = vjp((t: Tensor) => take(t, [3, 0, 3, 3]), v)
      const [g] = pullback(tensor([1, 10, 100, 1000], { dtype })) as Tensor[]
      expect(g!.toArray()).toEqual([10, 0, 0, 1101])
    }
    // along an inner axis, and to second order
    const f = (t: Tensor) => sum(mul(take(t, [0, 0, 2], 1), take(t, [2, 2, 1], 1)))
    expect(E.isRight(checkGrads(f, [x], { order: 2 }))).toBe(true)
    expect(jacrev((t: Tensor) => take(t, [1, 1]))(tensor([5, 6])).toArray()).toEqual([
      [0, 1],
      [0, 1],
    ])
  })

  it('refuses out-of-range and non-integer indices with typed errors naming the op and the shapes', () => {
    expect(() => take(x, [0, 3], 1)).toThrow(ValueError)
    expect(() => take(x, [0, 3], 1)).toThrow(
      /take: index 3 is out of range for axis 1 of size 3 \(x of shape \[2, 3\], indices of shape \[2\]\)/,
    )
    expect(() => take(x, [-1])).toThrow(/index -1 is out of range for axis 0 of size 2/)
    expect(() => take(x, [0.5])).toThrow(ValueError)
    expect(() => take(x, tensor([0, 1]))).toThrow(DTypeError)
    expect(() => take(x, tensor([0, 1]))).toThrow(
      /take: the indices must be an int32 tensor, got float64\[2\] \(with x float64\[2, 3\]\)/,
    )
    expect(() => take(tensor(1), [0])).toThrow(ShapeError)
    expect(() => take(x, [0], 2)).toThrow(ShapeError)
    expect(() => take(zeros([0, 2]), [0])).toThrow(/out of range for axis 0 of size 0/)
  })

  it('has the sparsity of a selection, and its transpose that of a sum', () => {
    expect(jacobianSparsity((t: Tensor) => take(t, [2, 0, 2]), tensor([1, 2, 3])).toString()).toBe(
      '..x\nx..\n..x',
    )
    // x ↦ Jᵀ of take: each element sums the entries that took it
    const back = (u: Tensor) => grad((t: Tensor) => sum(mul(take(t, [2, 0, 2]), u)))(tensor([1, 2, 3]))
    expect(jacobianSparsity(back, tensor([1, 1, 1])).toString()).toBe('.x.\n...\nx.x')
  })
})

describe('stack, split, squeeze, expandDims', () => {
  const a = tensor([1, 2])
  const b = tensor([3, 4])

  it('compute the layouts of numpy', () => {
    expect(stack([a, b], -1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ])
    expect(stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2])
    expect(split(tensor([[1, 2, 3, 4]]), [3, 1], 1).map((t) => t.toArray())).toEqual([[[1, 2, 3]], [[4]]])
    expect(split(tensor([1, 2, 3, 4]), 4).map((t) => t.shape)).toEqual([[1], [1], [1], [1]])
    expect(squeeze(zeros([1, 2, 1]), -1).shape).toEqual([1, 2])
    expect(squeeze(zeros([1, 1])).shape).toEqual([])
    expect(expandDims(zeros([2, 3]), 1).shape).toEqual([2, 1, 3])
    expect(expandDims(tensor(5)).shape).toEqual([1])
  })

  it('are differentiable in both modes, to second order', () => {
    const f = (u: Tensor, v: Tensor) => {
      const [p, q] = split(stack([u, v], 1), [1, 1], 1)
      return sum(mul(squeeze(p!, 1), expandDims(squeeze(q!), 0)))
    }
    expect(E.isRight(checkGrads(f, [tensor([0.5, -1.5]), tensor([2, 0.25])], { order: 2 }))).toBe(true)
  })

  it('refuse shapes that do not fit, naming them', () => {
    expect(() => stack([a, tensor([1, 2, 3])])).toThrow(
      /stack: element 1 has shape \[3\], element 0 has \[2\]/,
    )
    expect(() => stack([])).toThrow(ValueError)
    expect(() => split(tensor([1, 2, 3]), 2)).toThrow(/split: 2 equal parts do not divide axis 0 of size 3/)
    expect(() => split(tensor([1, 2, 3]), [1, 1])).toThrow(ShapeError)
    expect(() => squeeze(zeros([1, 2]), 1)).toThrow(/squeeze: axis 1 of shape \[1, 2\] has size 2, not 1/)
    expect(() => expandDims(zeros([2]), 2)).toThrow(ShapeError)
  })
})

describe('the conventions at kinks', () => {
  const g = (f: (x: Tensor) => Tensor, x: number[]) => grad((t: Tensor) => sum(f(t)))(tensor(x)).toArray()
  const fwd = (f: (x: Tensor) => Tensor, x: number[]) => {
    const t = tensor(x)
    return jacfwd(f)(t).toArray()
  }

  it('clip: derivative 1 on [lo, hi], the bounds included, in both modes', () => {
    expect(g((x) => clip(x, 0, 1), [-1, 0, 0.5, 1, 2])).toEqual([0, 1, 1, 1, 0])
    expect(fwd((x) => sum(clip(x, 0, 1)), [-1, 0, 0.5, 1, 2])).toEqual([0, 1, 1, 1, 0])
    expect(g((x) => clip(x, -Infinity, 0), [-5, 3])).toEqual([1, 0])
    expect(() => clip(tensor([1]), 1, 0)).toThrow(ValueError)
    expect(() => clip(tensor([1]), NaN, 0)).toThrow(/clip: the bounds must be numbers with lo ≤ hi/)
  })

  it('prod: the gradient is exact at zero factors, with no division by zero', () => {
    expect(g((x) => prod(x), [2, 3, 5])).toEqual([15, 10, 6])
    expect(g((x) => prod(x), [2, 0, 5])).toEqual([0, 10, 0])
    expect(g((x) => prod(x), [0, 3, 0])).toEqual([0, 0, 0])
    expect(fwd((x) => prod(x), [2, 0, 5])).toEqual([0, 10, 0])
    // per row, with a zero in one row only
    expect(
      grad((t: Tensor) => sum(prod(t, 1)))(
        tensor([
          [1, 0],
          [3, 4],
        ]),
      ).toArray(),
    ).toEqual([
      [0, 1],
      [4, 3],
    ])
    // at one, two and three zero factors the first and second derivatives agree with finite
    // differences (prod is a polynomial, so they are exact there)
    for (const v of [
      [1.5, 0, -2, 3],
      [0, 2, 0, 3],
      [0, 0, 0, 1.5],
    ]) {
      expect(E.isRight(checkGrads((x: Tensor) => prod(x), [tensor(v)], { order: 2 })), String(v)).toBe(true)
    }
    expect(hessian((x: Tensor) => prod(x))(tensor([0, 2, 0, 3])).toArray()).toEqual([
      [0, 0, 6, 0],
      [0, 0, 0, 0],
      [6, 0, 0, 0],
      [0, 0, 0, 0],
    ])
    expect(prod(zeros([0])).toArray()).toBe(1)
  })

  it('min: ties share the gradient evenly, as max', () => {
    expect(g((x) => min(x), [1, 3, 1])).toEqual([0.5, 0, 0.5])
    expect(
      min(
        tensor([
          [4, -1],
          [2, 8],
        ]),
        0,
      ).toArray(),
    ).toEqual([2, -1])
  })

  it('argmax and argmin: the first position at ties, a NaN first; an int32 result with no derivative', () => {
    expect(argmax(tensor([1, 7, 7])).toArray()).toBe(1)
    expect(argmin(tensor([[3, 1, 1]]), 1).toArray()).toEqual([1])
    expect(argmax(tensor([1, NaN, 9, NaN])).toArray()).toBe(1)
    expect(argmin(tensor([4, NaN, -9])).toArray()).toBe(1)
    expect(
      argmax(
        tensor([
          [1, 9],
          [8, 2],
        ]),
        0,
      ).dtype,
    ).toBe('int32')
    expect(() => argmax(zeros([2, 0]), 1)).toThrow(/argmax: axis 1 of x of shape \[2, 0\] is empty/)
    // inside a transformation the result is a plain index tensor: take the maximum through it
    const x = tensor([0.5, 4, -1])
    expect(grad((t: Tensor) => sum(take(t, argmax(t))))(x).toArray()).toEqual([0, 1, 0])
    expect(jacobianSparsity((t: Tensor) => take(t, argmax(t)), x).toString()).toBe('.x.')
  })

  it('pow with a tensor exponent: negative bases with integer exponents, and no NaN at 0', () => {
    expect(pow(tensor([-2, -2, 3]), tensor([2, 3, 0])).toArray()).toEqual([4, -8, 1])
    // ∂/∂x = y xʸ⁻¹; ∂/∂y is 0 where x ≤ 0
    const [, pb] = vjp((x: Tensor, y: Tensor) => pow(x, y), tensor([-2, 0, 0, 3]), tensor([3, 0, 1, 2]))
    const [gx, gy] = pb(tensor([1, 1, 1, 1])) as Tensor[]
    expect(gx!.toArray()).toEqual([12, 0, 1, 6])
    expect(gy!.toArray()).toEqual([0, 0, 0, 9 * Math.log(3)])
  })

  it('atan2: the partials b/(a² + b²) and −a/(a² + b²), both 0 at the origin', () => {
    const [, pb] = vjp((a: Tensor, b: Tensor) => atan2(a, b), tensor([1, 0]), tensor([1, 0]))
    const [ga, gb] = pb(tensor([1, 1])) as Tensor[]
    expect(ga!.toArray()).toEqual([0.5, 0])
    // (−0 where a = 0: the sign of a zero is no part of the convention)
    expect((gb!.toArray() as number[]).map((v) => v + 0)).toEqual([-0.5, 0])
  })

  it('cumsum: running sums either way, whose Jacobian is triangular', () => {
    expect(cumsum(tensor([[1, 2, 3]]), 1).toArray()).toEqual([[1, 3, 6]])
    expect(cumsum(tensor([1, 2, 3]), 0, { reverse: true }).toArray()).toEqual([6, 5, 3])
    expect(jacobianSparsity((t: Tensor) => cumsum(t), tensor([1, 2, 3])).toString()).toBe('x..\nxx.\nxxx')
    expect(jacrev((t: Tensor) => cumsum(t, 0, { reverse: true }))(tensor([1, 2])).toArray()).toEqual([
      [1, 1],
      [0, 1],
    ])
  })
})
