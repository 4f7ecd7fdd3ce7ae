import { describe, expect, test } from 'vitest'
import {
  DTypeError,
  ShapeError,
  TransformError,
  ValueError,
  add,
  checkpointLoop,
  cos,
  grad,
  hessian,
  jacrev,
  jvp,
  mul,
  revolveAdvances,
  sin,
  sum,
  tanh,
  tensor,
  vjp,
  type SweepReport,
  type Tensor,
} from '../../src/index.js'
import { traceVjp } from '../../src/reverse/vjp.js'
import { close } from '../support/close.js'

// checkpointLoop against the plain loop it replaces: the same values and derivatives (first and
// second order, both modes), with the step evaluations counted by the step itself and the tapes
// it ran on inspected as it ran.

const step = (x: Tensor, a: Tensor) => sin(mul(x, a))
const plainLoop = <X>(f: (x: X, p: any) => X, x0: X, n: number, p?: unknown): X => {
  let x = x0
  for (let i = 0; i < n; i++) x = f(x, p)
  return x
}

/**
 * A step that counts its evaluations and, when it runs on a tape, the nodes already on that
 * tape: a step recorded on a tape of its own finds only its inputs there.
 */
function counted() {
  const seen = { calls: 0, taped: 0, mostOnTape: 0 }
  const f = (x: Tensor, a: Tensor) => {
    seen.calls++
    const impl = x.impl
    if (impl.kind === 'tape' && impl.level.tape !== null) {
      seen.taped++
      seen.mostOnTape = Math.max(seen.mostOnTape, impl.level.tape.length)
    }
    return step(x, a)
  }
  return { f, seen }
}

/** The nodes and the bytes of tensor data on one step's tape, as plain reverse mode records it. */
function stepTape(x: Tensor, a: Tensor): { nodes: number; bytes: number } {
  const t = traceVjp('test', step, [x, a], [0, 1], false)
  const tape = t.level.tape!
  return { nodes: tape.length, bytes: tape.heldBytes() }
}

describe('checkpointLoop', () => {
  test('10⁴ steps: recomputations = t(l, c), one step tape at a time, gradient = the plain one to 1e-12', () => {
    const n = 10_000
    const x0 = tensor([0.5])
    const a = tensor([1])
    const plain = grad((x: Tensor, p: Tensor) => sum(plainLoop(step, x, n, p)), { argnums: [0, 1] })(x0, a)
    const one = stepTape(x0, a)
    for (const c of [10, 100]) {
      const { f, seen } = counted()
      const reports: SweepReport[] = []
      const loss = (x: Tensor, p: Tensor) =>
        sum(checkpointLoop(f, x, n, { snapshots: c, params: p, onSweep: (r) => reports.push(r) }))
      const g = grad(loss, { argnums: [0, 1] })(x0, a)
      close(g[0], plain[0])
      close(g[1], plain[1])
      expect(plain[0].item()).toBeGreaterThan(1e-8) // a gradient worth comparing
      // the recomputations (t, the forward pass's included) and the recorded steps (n)
      const t = revolveAdvances(n, c)
      expect(seen.calls).toBe(t + n)
      expect(seen.taped).toBe(n)
      expect(seen.mostOnTape).toBe(2) // x and a: each step on a fresh tape
      expect(reports).toHaveLength(1)
      const r = reports[0]!
      expect(r.fromForward).toBe(true)
      expect(r.advances).toBe(t)
      expect(r.turns).toBe(n)
      expect(r.peakSnapshots).toBe(c)
      expect(r.peakTapeNodes).toBe(one.nodes)
      // c snapshots of a state (8 bytes each) and one step's tape, against n step tapes
      expect(r.peakBytes).toBe(c * 8 + one.bytes)
      expect(r.peakBytes).toBeLessThanOrEqual((c + 1) * one.bytes)
    }
  })

  test('every c from 1 to 8 on 40 steps: counts and gradient', () => {
    const n = 40
    const x0 = tensor([0.3, -0.8])
    const a = tensor([1.2, 0.9])
    const loss = (f: typeof step, c: number | null) => (x: Tensor, p: Tensor) =>
      sum(c === null ? plainLoop(f, x, n, p) : checkpointLoop(f, x, n, { snapshots: c, params: p }))
    const want = grad(loss(step, null), { argnums: [0, 1] })(x0, a)
    for (let c = 1; c <= 8; c++) {
      const { f, seen } = counted()
      const g = grad(loss(f, c), { argnums: [0, 1] })(x0, a)
      close(g[0], want[0])
      close(g[1], want[1])
      expect(seen.calls - n).toBe(revolveAdvances(n, c))
    }
  })

  test('states and parameters as trees', () => {
    // a damped oscillator: x' = v, v' = -k x - d v, explicit Euler with h = 0.01
    type State = { x: Tensor; v: Tensor }
    type Params = [Tensor, { d: Tensor }]
    const euler = (s: State, [k, { d }]: Params): State => ({
      x: add(s.x, mul(s.v, 0.01)),
      v: add(s.v, mul(add(mul(k, s.x), mul(d, s.v)), -0.01)),
    })
    const s0 = { x: tensor([1, 0.5]), v: tensor([0, 0.2]) }
    const p: Params = [tensor([4]), { d: tensor([0.3]) }]
    const energy = (s: State) => sum(add(mul(s.x, s.x), mul(s.v, s.v)))
    const want = grad((s: State, q: Params) => energy(plainLoop(euler, s, 300, q)), { argnums: [0, 1] })(
      s0,
      p,
    )
    const got = grad(
      (s: State, q: Params) => energy(checkpointLoop(euler, s, 300, { snapshots: 4, params: q })),
      {
        argnums: [0, 1],
      },
    )(s0, p)
    close(got[0].x, want[0].x)
    close(got[0].v, want[0].v)
    close(got[1][0], want[1][0])
    close(got[1][1].d, want[1][1].d)
  })

  test('the first pullback continues the forward pass; a second one runs the schedule again from x0', () => {
    const n = 30
    const c = 4
    const { f, seen } = counted()
    const reports: SweepReport[] = []
    const a = tensor([0.9])
    const [y, pullback] = vjp(
      (x: Tensor) => checkpointLoop(f, x, n, { snapshots: c, params: a, onSweep: (r) => reports.push(r) }),
      tensor([0.7]),
    )
    const t = revolveAdvances(n, c)
    // the forward pass: the schedule's first sweep (n − 1 steps) and the last step, recorded
    expect(seen.calls).toBe(n)
    expect(seen.taped).toBe(1)
    close(y, plainLoop(step, tensor([0.7]), n, a))
    const [g1] = pullback(tensor([1]))
    expect(seen.calls).toBe(t + n)
    const [g2] = pullback(tensor([1]))
    expect(seen.calls).toBe(2 * (t + n))
    expect(seen.taped).toBe(2 * n)
    expect(reports.map((r) => [r.fromForward, r.advances, r.turns])).toEqual([
      [true, t, n],
      [false, t, n],
    ])
    close(g1, g2, 0)
    close(g1, grad((x: Tensor) => sum(plainLoop(step, x, n, a)))(tensor([0.7])))
  })

  test('the value, and a pullback called many times (jacrev)', () => {
    const x0 = tensor([0.1, 0.4, -0.3])
    const f = (x: Tensor) => tanh(add(mul(x, 1.3), 0.1))
    close(checkpointLoop(f, x0, 25, { snapshots: 3 }), plainLoop(f, x0, 25))
    const [y, pullback] = vjp((x: Tensor) => checkpointLoop(f, x, 25, { snapshots: 3 }), x0)
    const [g1] = pullback(tensor([1, 2, 3]))
    const [g2] = pullback(tensor([1, 2, 3]))
    close(g1, g2, 0)
    close(y, plainLoop(f, x0, 25))
    close(
      jacrev((x: Tensor) => checkpointLoop(f, x, 25, { snapshots: 3 }))(x0),
      jacrev((x: Tensor) => plainLoop(f, x, 25))(x0),
    )
  })

  test('nesting: jvp through it, the Hessian (forward over reverse), grad of grad', () => {
    const f = (x: Tensor) => sin(mul(x, x))
    const x0 = tensor([0.3, 0.7])
    const ck = (x: Tensor) => checkpointLoop(f, x, 6, { snapshots: 2 })
    const pl = (x: Tensor) => plainLoop(f, x, 6)
    const [y1, dy1] = jvp(ck, [x0], [tensor([1, -1])])
    const [y2, dy2] = jvp(pl, [x0], [tensor([1, -1])])
    close(y1, y2)
    close(dy1, dy2)
    close(hessian((x: Tensor) => sum(ck(x)))(x0), hessian((x: Tensor) => sum(pl(x)))(x0))
    const gg = (g: (x: Tensor) => Tensor) =>
      grad((x: Tensor) => sum(mul(grad((y: Tensor) => sum(g(y)))(x), cos(x))))
    close(gg(ck)(x0), gg(pl)(x0))
    // a parameter differentiated by the outer gradient only
    const outer = (a: Tensor) =>
      sum(grad((x: Tensor) => sum(checkpointLoop(step, x, 5, { snapshots: 2, params: a })))(x0))
    const outerPlain = (a: Tensor) => sum(grad((x: Tensor) => sum(plainLoop(step, x, 5, a)))(x0))
    close(grad(outer)(tensor([0.9, 1.1])), grad(outerPlain)(tensor([0.9, 1.1])))
  })

  test('no steps, and plain data: the loop as it is', () => {
    const x0 = tensor([2])
    expect(checkpointLoop(step, x0, 0, { snapshots: 1, params: tensor([1]) })).toBe(x0)
    close(
      checkpointLoop(step, x0, 3, { snapshots: 1, params: tensor([0.5]) }),
      plainLoop(step, x0, 3, tensor([0.5])),
    )
    expect(
      grad((x: Tensor) => sum(checkpointLoop(step, x, 0, { snapshots: 1, params: tensor([1]) })))(x0).item(),
    ).toBe(1)
  })

  test('bad input: typed errors naming the argument', () => {
    const x0 = tensor([1])
    const run = (n: unknown, options: unknown) => () =>
      checkpointLoop(sin, x0, n as number, options as { snapshots: number })
    for (const c of [0, -2, 1.5, Number.NaN, '3', undefined]) {
      expect(run(5, { snapshots: c })).toThrow(ValueError)
      expect(run(5, { snapshots: c })).toThrow(/checkpointLoop: options.snapshots must be an integer ≥ 1/)
    }
    expect(run(5, undefined)).toThrow(/options.snapshots/)
    for (const n of [-1, 2.5, Infinity, '4']) {
      expect(run(n, { snapshots: 2 })).toThrow(
        /checkpointLoop: n \(the number of steps\) must be a non-negative integer/,
      )
    }
    expect(run(5, { snapshot: 2 })).toThrow(/unknown option 'snapshot' \(did you mean 'snapshots'\?\)/)
    expect(run(5, { snapshots: 2, onSweep: 3 })).toThrow(/options.onSweep must be a function/)
    expect(() => checkpointLoop(3 as never, x0, 2, { snapshots: 2 })).toThrow(/step must be a function/)
    // a step that changes the state's shape or structure
    expect(() => checkpointLoop((x: Tensor) => add(x, tensor([1, 2])), x0, 2, { snapshots: 2 })).toThrow(
      ShapeError,
    )
    expect(() =>
      grad((x: Tensor) => sum(checkpointLoop((y: Tensor) => [y, y] as never, x, 2, { snapshots: 2 })))(x0),
    ).toThrow(/the step returned \[T\[1\], T\[1\]\] for a state T\[1\]/)
    // a state whose tensors do not share a dtype
    expect(() =>
      checkpointLoop((s) => s, [x0, tensor([1], { dtype: 'float32' })], 2, { snapshots: 2 }),
    ).toThrow(DTypeError)
  })

  test('a step that closes over a tensor being differentiated: a TransformError', () => {
    const a = tensor([1.5])
    expect(() =>
      grad((p: Tensor) => sum(checkpointLoop((x: Tensor) => mul(x, p), tensor([1]), 3, { snapshots: 2 })))(a),
    ).toThrow(TransformError)
    expect(() =>
      grad((p: Tensor) => sum(checkpointLoop((x: Tensor) => mul(x, p), p, 3, { snapshots: 2 })))(a),
    ).toThrow(/uses a vjp tracer .* that it was not given as an argument.*options.params/)
    // passed as a parameter instead, it gets its gradient
    const g = grad((p: Tensor) =>
      sum(checkpointLoop((x: Tensor, q: Tensor) => mul(x, q), p, 3, { snapshots: 2, params: p })),
    )(a)
    close(g, tensor([4 * 1.5 ** 3]))
  })
})
