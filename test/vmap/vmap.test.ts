import { describe, expect, test } from 'vitest'
import {
  type Tensor,
  type Tree,
  ShapeError,
  TransformError,
  ValueError,
  add,
  concat,
  cos,
  defineOp,
  div,
  exp,
  grad,
  logsumexp,
  matmul,
  mean,
  mul,
  randn,
  reshape,
  sin,
  slice,
  sub,
  square,
  sum,
  tanh,
  tensor,
  transpose,
  vmap,
} from '../../src/index.js'

const stack = (ts: readonly Tensor[]): Tensor => concat(ts.map((t) => reshape(t, [1, ...t.shape])))
/** Example k of a batch along axis 0. */
const row = (t: Tensor, k: number): Tensor =>
  reshape(slice(t, [k, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)]), t.shape.slice(1))

/** The largest |a - b| relative to 1 + |b|, after checking the shapes agree. */
function relDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape)
  const x = a.dataSync()
  const y = b.dataSync()
  let m = 0
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)))
  return m
}

// ---------------------------------------------------------------------------------------------
// per-example gradients of an MLP: the acceptance case, at a size the test suite can afford
// ---------------------------------------------------------------------------------------------

interface Layer {
  readonly w: Tensor
  readonly b: Tensor
}

function mlp(width: number, layers: number): Layer[] {
  return Array.from({ length: layers }, (_, i) => ({
    w: mul(randn([width, width], { seed: 10 + 2 * i }), 1 / Math.sqrt(width)),
    b: mul(randn([width], { seed: 11 + 2 * i }), 0.1),
  }))
}

/** The loss of one example x (a vector): tanh layers, the last linear, the mean of squares. */
function loss(ps: readonly Layer[], x: Tensor): Tensor {
  let h = x
  ps.forEach((p, i) => {
    const z = add(matmul(h, p.w), p.b)
    h = i < ps.length - 1 ? tanh(z) : z
  })
  return mean(square(h))
}

describe('per-example gradients', () => {
  test('vmap(grad(loss)) gives the gradients of a loop of grad, to 1e-12 (float64)', () => {
    const ps = mlp(12, 3)
    const xs = randn([20, 12], { seed: 5 })
    const batched = vmap(grad(loss), { inAxes: [null, 0] })(ps, xs)
    const loop = Array.from({ length: 20 }, (_, k) => grad(loss)(ps, row(xs, k)))
    expect(batched).toHaveLength(3)
    ps.forEach((_, i) => {
      expect(relDiff(batched[i]!.w, stack(loop.map((g) => g[i]!.w)))).toBeLessThan(1e-12)
      expect(relDiff(batched[i]!.b, stack(loop.map((g) => g[i]!.b)))).toBeLessThan(1e-12)
    })
  })

  test('the mean of the per-example gradients is the gradient of the mean loss', () => {
    const ps = mlp(6, 2)
    const xs = randn([9, 6], { seed: 6 })
    const per = vmap(grad(loss), { inAxes: [null, 0] })(ps, xs)
    const whole = grad((q: Layer[]) => mean(vmap((x: Tensor) => loss(q, x))(xs)))(ps)
    expect(relDiff(mean(per[1]!.w, 0), whole[1]!.w)).toBeLessThan(1e-12)
    expect(relDiff(mean(per[0]!.b, 0), whole[0]!.b)).toBeLessThan(1e-12)
  })
})

// ---------------------------------------------------------------------------------------------
// inAxes, outAxes and trees
// ---------------------------------------------------------------------------------------------

describe('axes and trees', () => {
  const a = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ])

  test('inAxes picks the batch axis of each argument; null shares an argument', () => {
    const f = (x: Tensor, y: Tensor) => mul(x, y)
    expect(vmap(f, { inAxes: [1, null] })(a, tensor([10, 100])).toArray()).toEqual([
      [10, 400],
      [20, 500],
      [30, 600],
    ])
    expect(vmap(f, { inAxes: [-1, 0] })(a, tensor([1, 2, 3])).toArray()).toEqual([
      [1, 4],
      [4, 10],
      [9, 18],
    ])
  })

  test('outAxes puts the batch axis where asked, and repeats an output that is the same for every example', () => {
    const f = (x: Tensor) => [sum(x), tensor([7, 8])] as const
    const [s, c] = vmap(f, { outAxes: [0, 1] })(a)
    expect(s.toArray()).toEqual([6, 15])
    expect(c.toArray()).toEqual([
      [7, 7],
      [8, 8],
    ])
    expect(vmap((x: Tensor) => mul(x, 2), { outAxes: -1 })(a).toArray()).toEqual([
      [2, 8],
      [4, 10],
      [6, 12],
    ])
    const [, shared] = vmap(f, { outAxes: [0, null] })(a)
    expect(shared.toArray()).toEqual([7, 8])
  })

  test('trees of arguments and of axes, and tree outputs', () => {
    const f = (p: { w: Tensor; b: Tensor }, x: Tensor) => ({ y: add(mul(p.w, x), p.b), w: p.w })
    const out = vmap(f, { inAxes: [{ w: 0, b: null }, 1] })(
      { w: tensor([1, 2]), b: tensor(0.5) },
      tensor([
        [1, 2],
        [3, 4],
      ]),
    )
    expect(out.y.toArray()).toEqual([
      [1.5, 3.5],
      [4.5, 8.5],
    ])
    expect(out.w.toArray()).toEqual([1, 2])
  })

  test('a null inAxes entry passes any value through', () => {
    const f = (x: Tensor, scale: number) => mul(x, scale)
    expect(vmap(f, { inAxes: [0, null] })(tensor([1, 2]), 3).toArray()).toEqual([3, 6])
  })

  test('nested vmaps: an outer product, and a closure over the outer example', () => {
    const outer = vmap((x: Tensor) => vmap((y: Tensor) => mul(x, y))(tensor([1, 10])))(tensor([2, 3]))
    expect(outer.toArray()).toEqual([
      [2, 20],
      [3, 30],
    ])
    // batched along axis 1 inside, axis 0 outside: the transpose of the batch
    const t = vmap((x: Tensor) => vmap((v: Tensor) => v, { inAxes: 0, outAxes: 0 })(x), { inAxes: 1 })(a)
    expect(t.toArray()).toEqual(transpose(a).toArray())
  })

  test('axisSize gives the batch size when no argument is batched', () => {
    const out = vmap((c: Tensor) => mul(c, 2), { inAxes: null, axisSize: 3 })(tensor([1, 2]))
    expect(out.toArray()).toEqual([
      [2, 4],
      [2, 4],
      [2, 4],
    ])
  })
})

// ---------------------------------------------------------------------------------------------
// custom ops: a loop over the examples
// ---------------------------------------------------------------------------------------------

describe('custom ops under vmap', () => {
  let calls = 0
  const cube = defineOp({
    name: 'cube',
    raw: ([x]) => {
      calls++
      return x!.map((v) => v * v * v)
    },
    shape: ([m]) => m!,
    jvp: ({ x: [x], dx: [dx] }) => mul(mul(square(x!), 3), dx!),
    vjp: ({ ct, x: [x] }) => [mul(mul(square(x!), 3), ct)],
  })

  test('runs once per example and stacks the outputs', () => {
    calls = 0
    const xs = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ])
    expect(vmap(cube)(xs).toArray()).toEqual([
      [1, 8],
      [27, 64],
      [125, 216],
    ])
    expect(calls).toBe(3)
  })

  test('a composition (impl) runs once per example too, its shape rule on one example', () => {
    let runs = 0
    const logistic = defineOp({
      name: 'logistic',
      impl: ([x]) => {
        runs++
        return div(1, add(1, exp(mul(x!, -1))))
      },
      jvp: ({ dx: [dx], y }) => mul(dx!, mul(y, sub(1, y))),
      vjp: ({ ct, y }) => [mul(ct, mul(y, sub(1, y)))],
    })
    const xs = randn([3, 2, 2], { seed: 8 })
    const got = vmap(logistic)(xs)
    expect(runs).toBe(4)
    expect(relDiff(got, logistic(xs))).toBe(0)
  })

  test('and is differentiated per example inside and outside vmap', () => {
    const xs = tensor([
      [1, 2],
      [3, 4],
    ])
    const f = (x: Tensor) => sum(cube(x))
    expect(vmap(grad(f))(xs).toArray()).toEqual([
      [3, 12],
      [27, 48],
    ])
    expect(grad((x: Tensor) => sum(vmap(f)(x)))(xs).toArray()).toEqual([
      [3, 12],
      [27, 48],
    ])
  })
})

// ---------------------------------------------------------------------------------------------
// bad input: typed errors that name the argument
// ---------------------------------------------------------------------------------------------

describe('bad input', () => {
  const f = (x: Tensor, y: Tensor) => add(x, y)
  const x = tensor([
    [1, 2],
    [3, 4],
  ])

  test('inAxes with another number of entries than arguments', () => {
    expect(() => vmap(f, { inAxes: [0] })(x, x)).toThrow(ValueError)
    expect(() => vmap(f, { inAxes: [0] })(x, x)).toThrow(
      /inAxes has 1 entry but the function was called with 2/,
    )
  })

  test('batch sizes that disagree name both arguments', () => {
    const e = () => vmap(f)(x, tensor([1, 2, 3]))
    expect(e).toThrow(ShapeError)
    expect(e).toThrow(/args\[1\] has 3 examples.*args\[0\]/)
  })

  test('an axis out of range names the argument and its shape', () => {
    expect(() => vmap(f, { inAxes: [0, 2] })(x, x)).toThrow(ShapeError)
    expect(() => vmap(f, { inAxes: [0, 2] })(x, x)).toThrow(/args\[1\] at 2.*\[2, 2\]/)
    expect(() => vmap((p: { w: Tensor }) => p.w, { inAxes: [{ w: -3 }] })({ w: x })).toThrow(/args\[0\]\.w/)
    expect(() => vmap((v: Tensor) => v, { outAxes: 2 })(x)).toThrow(
      /outAxes puts the batch axis of output at 2/,
    )
  })

  test('axes that are not integers, and trees of axes that do not match the argument', () => {
    expect(() => vmap(f, { inAxes: [0.5, 0] })(x, x)).toThrow(/args\[0\] the axis 0\.5/)
    expect(() => vmap((p: { w: Tensor }) => p.w, { inAxes: [{ v: 0 }] })({ w: x })).toThrow(ValueError)
    expect(() => vmap((p: { w: Tensor }) => p.w, { inAxes: [{ v: 0 }] })({ w: x })).toThrow(/args\[0\]/)
    expect(() => vmap((p: Tensor[]) => p[0]!, { inAxes: [[0, 0]] })([x])).toThrow(/args\[0\] an array of 2/)
    expect(() => vmap(f, { inAxes: 'rows' as never })(x, x)).toThrow(ValueError)
  })

  test('no batched argument without axisSize, outAxes null for a batched output, unknown options', () => {
    expect(() => vmap(f, { inAxes: null })(x, x)).toThrow(/axisSize/)
    expect(() => vmap((v: Tensor) => v, { outAxes: null })(x)).toThrow(/outAxes is null for output/)
    expect(() => vmap(f, { inAxis: 0 } as never)).toThrow(/did you mean 'inAxes'/)
    expect(() => vmap(3 as never)).toThrow(ValueError)
    expect(() => vmap(f)(x, 3 as never)).toThrow(/args\[1\]/)
  })

  test('reading the data of an example inside vmap is refused; a tracer that escapes is named', () => {
    expect(() => vmap((v: Tensor) => tensor(v.toArray() as number[]))(x)).toThrow(TransformError)
    let kept: Tensor | null = null
    vmap((v: Tensor) => {
      kept = v
      return v
    })(x)
    expect(() => sin(kept!)).toThrow(/vmap tracer/)
  })
})

// ---------------------------------------------------------------------------------------------
// examples in the doc comments
// ---------------------------------------------------------------------------------------------

describe('shapes', () => {
  test('a function of a tree of tensors keeps its structure', () => {
    const g = (t: { a: Tensor; b: Tensor[] }): Tree => ({ s: add(sum(t.a), sum(t.b[0]!)), e: exp(t.a) })
    const out = vmap(g)({ a: tensor([[0], [1]]), b: [tensor([1, 2])] }) as { s: Tensor; e: Tensor }
    expect(out.s.toArray()).toEqual([1, 3])
    expect(out.e.shape).toEqual([2, 1])
    expect(relDiff(vmap(logsumexp)(x3()), logsumexp(x3(), 1))).toBe(0)
    expect(relDiff(vmap(cos)(x3()), cos(x3()))).toBe(0)
  })
})

const x3 = () => randn([4, 3], { seed: 2 })
