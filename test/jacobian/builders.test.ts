import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  type Tensor,
  ShapeError,
  ValueError,
  add,
  grad,
  hessian,
  hvp,
  jacfwd,
  jacobian,
  jacrev,
  matmul,
  mul,
  randn,
  reshape,
  sin,
  sum,
  tanh,
  tensor,
  transpose,
} from '../../src/index.js'

const data = (t: Tensor) => Array.from(t.dataSync())
const maxDiff = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape)
  const x = a.dataSync()
  const y = b.dataSync()
  let m = 0
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!))
  return m
}

/** Central differences of f at x, one column per input element, in JAX's [...out, ...in] layout. */
function fdJacobian(f: (x: Tensor) => Tensor, x: Tensor, h = 1e-6): Tensor {
  const x0 = x.dataSync()
  const y0 = f(x)
  const cols: number[][] = []
  for (let j = 0; j < x0.length; j++) {
    const up = Float64Array.from(x0)
    const dn = Float64Array.from(x0)
    up[j]! += h
    dn[j]! -= h
    const yu = f(tensor(up, x.shape)).dataSync()
    const yd = f(tensor(dn, x.shape)).dataSync()
    cols.push(Array.from(yu, (v, i) => (v - yd[i]!) / (2 * h)))
  }
  const out = new Float64Array(y0.size * x0.length)
  for (let i = 0; i < y0.size; i++) for (let j = 0; j < x0.length; j++) out[i * x0.length + j] = cols[j]![i]!
  return tensor(out, [...y0.shape, ...x.shape])
}

const shapeArb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 })

describe('jacfwd = jacrev = finite differences, for any input and output shapes', () => {
  test('random shapes (0-d to 3-d, non-square)', () => {
    fc.assert(
      fc.property(shapeArb, shapeArb, fc.integer({ min: 0, max: 1000 }), (inShape, outShape, seed) => {
        const nIn = inShape.reduce((a, b) => a * b, 1)
        const nOut = outShape.reduce((a, b) => a * b, 1)
        const W = randn([nOut, nIn], { seed })
        const f = (x: Tensor) => reshape(tanh(matmul(W, sin(reshape(x, [nIn])))), outShape)
        const x = randn(inShape, { seed: seed + 1 })
        const Jf = jacfwd(f)(x) as Tensor
        const Jr = jacrev(f)(x) as Tensor
        expect(Jf.shape).toEqual([...outShape, ...inShape])
        expect(maxDiff(Jf, Jr)).toBeLessThan(1e-14)
        expect(maxDiff(Jf, jacfwd(f, { batched: false })(x) as Tensor)).toBeLessThan(1e-14)
        expect(maxDiff(Jf, fdJacobian(f, x))).toBeLessThan(1e-8)
      }),
      { seed: 20261127, numRuns: 40 },
    )
  })

  test('R^{a×b} → R^c has shape [c, a, b]', () => {
    const f = (x: Tensor) => sum(x, 0)
    expect((jacrev(f)(randn([4, 3], { seed: 1 })) as Tensor).shape).toEqual([3, 4, 3])
    expect((jacfwd(f)(randn([4, 3], { seed: 1 })) as Tensor).shape).toEqual([3, 4, 3])
  })

  test('multiple argnums give one Jacobian per argument', () => {
    const f = (a: Tensor, b: Tensor) => mul(matmul(a, b), 2)
    const a = randn([2, 3], { seed: 2 })
    const b = randn([3], { seed: 3 })
    const [Ja, Jb] = jacrev(f, { argnums: [0, 1] })(a, b) as Tensor[]
    const [Fa, Fb] = jacfwd(f, { argnums: [0, 1] })(a, b) as Tensor[]
    expect(Ja!.shape).toEqual([2, 2, 3])
    expect(Jb!.shape).toEqual([2, 3])
    expect(maxDiff(Ja!, Fa!)).toBe(0)
    expect(maxDiff(Jb!, Fb!)).toBe(0)
    // ∂(2 a b)/∂b = 2 a
    expect(maxDiff(Jb!, mul(a, 2))).toBe(0)
  })

  test('jacobian picks forward mode when inputs ≤ outputs, reverse otherwise, with the same result', () => {
    const W = randn([5, 2], { seed: 4 })
    const wide = (x: Tensor) => tanh(matmul(W, x))
    const x = randn([2], { seed: 5 })
    expect(maxDiff(jacobian(wide)(x) as Tensor, jacrev(wide)(x) as Tensor)).toBeLessThan(1e-15)
  })
})

describe('Hessians', () => {
  const A = randn([4, 4], { seed: 6 })
  const f = (x: Tensor) => sum(tanh(matmul(A, mul(x, x))))
  const x = randn([4], { seed: 7 })

  test('symmetric and equal to finite differences of the gradient', () => {
    const H = hessian(f)(x) as Tensor
    expect(maxDiff(H, transpose(H))).toBeLessThan(1e-14)
    expect(maxDiff(H, fdJacobian(grad(f) as (x: Tensor) => Tensor, x))).toBeLessThan(1e-7)
  })

  test('hvp equals H·v without forming H', () => {
    const v = randn([4], { seed: 8 })
    const H = hessian(f)(x) as Tensor
    expect(maxDiff(hvp(f)(x, v), matmul(H, v))).toBeLessThan(1e-14)
  })

  test('Hessian of a matrix argument has shape [...s, ...s]', () => {
    const g = (m: Tensor) => sum(mul(m, add(m, 1)))
    expect((hessian(g)(randn([2, 3], { seed: 9 })) as Tensor).shape).toEqual([2, 3, 2, 3])
    expect(data(hessian(g)(tensor([1])) as Tensor)).toEqual([2])
  })
})

describe('bad input', () => {
  test('an argnum out of range names it', () => {
    // @ts-expect-error: sin has one argument
    expect(() => jacrev(sin, { argnums: 3 })(tensor([1]))).toThrow(/argnum 3 is out of range/)
    // @ts-expect-error: sin has one argument
    expect(() => jacfwd(sin, { argnums: -2 })(tensor([1]))).toThrow(ValueError)
  })

  test('a non-scalar output for hessian', () => {
    expect(() => hessian(sin)(tensor([1, 2]))).toThrow(ShapeError)
    expect(() => hessian(sin)(tensor([1, 2]))).toThrow(/hessian: the function must return a scalar/)
  })

  test('a function that does not return a tensor', () => {
    // @ts-expect-error: f must return a tree of tensors
    expect(() => jacfwd((_x: Tensor) => 3)(tensor([1]))).toThrow(ValueError)
  })
})
