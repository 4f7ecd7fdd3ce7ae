import { describe, expect, test } from 'vitest'
import {
  type Tensor,
  add,
  grad,
  jvp,
  mul,
  reshape,
  sin,
  square,
  sum,
  tanh,
  tensor,
  vjp,
} from '../../src/index.js'
import { apply, type OpDef } from '../../src/core/op.js'
import { observeOps } from '../../src/core/debug.js'
import { elementwiseOps, powOp } from '../../src/ops/elementwise.js'
import { traceVjp } from '../../src/reverse/vjp.js'
import { traceGraph } from '../../src/viz/index.js'

// The tape keeps zero-dimensional cpu values as numbers and builds them again in the sweep; these
// check that what comes back is the value recorded, in its dtype, wherever such values occur.

/** sin then ·0.9 then + tanh, n times: scalar outputs, scalar constants, values used twice. */
const chain = (n: number) => (x: Tensor) => {
  let h = x
  for (let i = 0; i < n; i++) h = add(mul(sin(h), 0.9), tanh(h))
  return h
}

/** The same chain's derivative on plain numbers. */
function reference(n: number, x: number): number {
  let h = x
  let d = 1
  for (let i = 0; i < n; i++) {
    const t = Math.tanh(h)
    d *= 0.9 * Math.cos(h) + (1 - t * t)
    h = 0.9 * Math.sin(h) + t
  }
  return d
}

describe('the tape', () => {
  test('a float64 scalar chain: the gradient of the recorded values', () => {
    for (const x of [0.3, -1.2, 2.5]) {
      const g = grad(chain(50))(tensor(x)) as Tensor
      expect(g.dtype).toBe('float64')
      expect(g.item()).toBeCloseTo(reference(50, x), 12)
      // and the same as forward mode, to the rounding of the sums
      const [, t] = jvp(chain(50), [tensor(x)], [tensor(1)])
      expect(Math.abs(g.item() - (t as Tensor).item())).toBeLessThan(1e-13 * (1 + Math.abs(g.item())))
    }
  })

  test('a float32 scalar chain keeps float32 values and gives a float32 gradient', () => {
    const x = tensor(0.7, { dtype: 'float32' })
    const g = grad(chain(5))(x) as Tensor
    expect(g.dtype).toBe('float32')
    const [, t] = jvp(chain(5), [x], [tensor(1, { dtype: 'float32' })])
    // both compute in float32 from the same float32 values, multiplying in opposite orders
    const r = (t as Tensor).item()
    expect(Math.abs(g.item() - r)).toBeLessThan(4e-7 * Math.abs(r))
    expect(Math.abs(g.item() - reference(5, Math.fround(0.7)))).toBeLessThan(1e-5 * Math.abs(r))
  })

  test('scalar and tensor entries on one tape', () => {
    const f = (x: Tensor, s: Tensor) => sum(mul(tanh(mul(x, s)), square(sin(s))))
    const x = tensor([0.5, -0.25, 1.5])
    const s = tensor(0.8)
    const [gx, gs] = grad(f, { argnums: [0, 1] })(x, s) as Tensor[]
    const xs = [0.5, -0.25, 1.5]
    const sv = 0.8
    const w = Math.sin(sv) ** 2
    xs.forEach((v, i) =>
      expect((gx!.toArray() as number[])[i]).toBeCloseTo(sv * (1 - Math.tanh(v * sv) ** 2) * w, 13),
    )
    const dS = xs.reduce(
      (a, v) =>
        a + v * (1 - Math.tanh(v * sv) ** 2) * w + Math.tanh(v * sv) * 2 * Math.sin(sv) * Math.cos(sv),
      0,
    )
    expect(gs!.item()).toBeCloseTo(dS, 13)
  })

  test('grad of grad: the outer tape keeps tracers, the inner one numbers', () => {
    const f = (x: Tensor) => mul(sin(x), mul(x, x))
    const d2 = grad(grad(f))(tensor(0.6)) as Tensor
    const x = 0.6
    // (x² sin x)'' = 2 sin x + 4x cos x − x² sin x
    expect(d2.item()).toBeCloseTo(2 * Math.sin(x) + 4 * x * Math.cos(x) - x * x * Math.sin(x), 13)
  })

  test('a tape of several chunks: tensor outputs, parameters and constants across their edges', () => {
    const c = tensor([0.9, 1.1, 0.95, 1.05].map((v) => v / 500))
    // 4 × 700 entries: sines, reshapes (parameters), products with a tensor constant, sums; a
    // step's derivative is near 1, so the gradient stays of order 1 through the 700 steps
    const f = (x: Tensor) => {
      let h = x
      for (let i = 0; i < 700; i++) h = add(h, mul(reshape(sin(h), [4]), c))
      return sum(h)
    }
    const x = tensor([0.3, -0.2, 0.5, 0.1])
    const [gx] = vjp(f, x)[1](tensor(1))
    for (let k = 0; k < 4; k++) {
      const e = tensor([0, 1, 2, 3].map((j) => (j === k ? 1 : 0)))
      const [, t] = jvp(f, [x], [e])
      const r = (t as Tensor).item()
      expect(r).toBeGreaterThan(0.5)
      expect(Math.abs((gx!.toArray() as number[])[k]! - r)).toBeLessThan(1e-12 * r)
    }
  })

  test('a pullback called again reads the same values', () => {
    const [, pullback] = vjp(chain(30), tensor(0.4))
    const [a] = pullback(tensor(1))
    const [b] = pullback(tensor(2))
    expect(b!.item()).toBe(2 * a!.item())
  })

  test('the tape holds numbers for scalars and counts their bytes', () => {
    const t = traceVjp('test', chain(10), [tensor(0.4)], [0], false)
    const tape = t.level.tape!
    // the input and four entries per link
    expect(tape.length).toBe(1 + 40)
    expect(tape.heldElements()).toBe(41)
    expect(tape.heldBytes()).toBe(41 * 8)
    // every value read back is the one the forward pass computed
    let h = 0.4
    for (let i = 0; i < 10; i++) {
      const base = 1 + 4 * i
      expect(tape.primal(base).item()).toBe(Math.sin(h))
      h = 0.9 * Math.sin(h) + Math.tanh(h)
      expect(tape.primal(base + 3).item()).toBe(h)
    }
  })

  test('traceGraph sees every entry, its op, value and inputs', () => {
    const g = traceGraph((x: Tensor) => mul(sin(x), 0.5), tensor(0.3))
    expect(g.nodes.map((n) => n.op)).toEqual(['input', 'sin', 'mul'])
    expect(g.nodes[1]!.value.item()).toBe(Math.sin(0.3))
    expect(g.nodes[2]!.constants).toBe(1)
    expect(g.edges.map((e) => [e.from, e.to])).toEqual([
      [0, 1],
      [1, 2],
    ])
  })

  // every op of the derivative table, at points inside every op's domain
  const tableOps: [string, (t: Tensor) => Tensor][] = [
    ...Object.entries(elementwiseOps).map(
      ([name, def]) =>
        [name, (t: Tensor) => apply(def as OpDef<null>, [t], null)] as [string, (t: Tensor) => Tensor],
    ),
    ['pow 2.5', (t: Tensor) => apply(powOp, [t], { p: 2.5 })],
    ['pow -1.5', (t: Tensor) => apply(powOp, [t], { p: -1.5 })],
  ]

  /** f(x) = Σ of op(x·a) over three uses of x, then op of the sum: fan-out and fan-in. */
  const fanned = (op: (t: Tensor) => Tensor) => (x: Tensor) =>
    op(mul(add(add(op(mul(x, 0.31)), op(mul(x, 0.47))), op(mul(x, 0.59))), 0.15))

  test("zero-dimensional float64 entries swept on numbers give the tensor path's numbers, to the bit", () => {
    for (const [name, op] of tableOps) {
      for (const v of [0.35, 0.8, 1.45]) {
        // shape [] takes the sweep on numbers; shape [1] the same ops on tensors
        const g0 = (grad(fanned(op))(tensor(v)) as Tensor).item()
        const g1 = (grad((x: Tensor) => sum(fanned(op)(x)))(tensor([v])) as Tensor).toArray() as number[]
        expect([name, v, Number.isFinite(g0) && g0 !== 0]).toEqual([name, v, true])
        expect([name, v, g0]).toEqual([name, v, g1[0]])
      }
    }
  })

  test("an op observer sees the sweep's ops, as on tensors", () => {
    const seen: string[] = []
    const stop = observeOps((op) => seen.push(op))
    try {
      grad((x: Tensor) => tanh(sin(x)))(tensor(0.5))
    } finally {
      stop()
    }
    expect(seen).toEqual(['sin', 'tanh', 'tanh′', 'sin′'])
  })

  test('a tape of many distinct ops: more than it searches for, looked up by map', () => {
    // every table op twice over, each applied to a value inside every op's domain
    const f = (x: Tensor) => {
      let h = x
      for (let round = 0; round < 2; round++)
        for (const [, op] of tableOps) h = add(mul(op(add(mul(h, 0.05), 0.5)), 0.01), h)
      return h
    }
    expect(tableOps.length).toBeGreaterThan(16)
    const g = (grad(f)(tensor(0.3)) as Tensor).item()
    const [, t] = jvp(f, [tensor(0.3)], [tensor(1)])
    expect(Number.isFinite(g)).toBe(true)
    expect(Math.abs(g - (t as Tensor).item())).toBeLessThan(1e-14 * Math.abs(g))
  })
})
