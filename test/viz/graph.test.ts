import { describe, expect, it } from 'vitest'
import { dispose } from '../../src/core/scope.js'
import {
  Tensor,
  ShapeError,
  ValueError,
  add,
  cos,
  exp,
  jvp,
  matmul,
  maximum,
  mul,
  ones,
  registry,
  reshape,
  sin,
  sum,
  tanh,
  tensor,
  vjp,
} from '../../src/index.js'
import {
  DEFAULT_MAX_NODES,
  GraphTooLargeError,
  backwardGraph,
  collapseGraph,
  formatTensor,
  isElementwiseOp,
  renderGraph,
  toDot,
  traceGraph,
} from '../../src/viz/graph.js'

const f = (x1: Tensor, x2: Tensor): Tensor => add(mul(x1, x2), sin(x2))

/** The tensors of a tree of arrays and plain objects, as the memory scopes walk it. */
function forEachTensorOf(tree: unknown, visit: (t: Tensor) => void): void {
  const todo: unknown[] = [tree]
  while (todo.length > 0) {
    const v = todo.pop()
    if (v instanceof Tensor) visit(v)
    else if (Array.isArray(v)) todo.push(...(v as unknown[]))
    else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      todo.push(...Object.values(v))
    }
  }
}
const close = (a: number, b: number, tol = 1e-14) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)))

/** A chain of n sines: n + 1 nodes, all elementwise. */
const sines = (n: number) => (x: Tensor) => {
  let y = x
  for (let i = 0; i < n; i++) y = sin(y)
  return y
}

describe('traceGraph', () => {
  it('records one node per input and per op, in tape order, with shapes and values', () => {
    const g = traceGraph(f, tensor(2), tensor(3))
    expect(g.nodes.map((n) => n.op)).toEqual(['input', 'input', 'mul', 'sin', 'add'])
    expect(g.inputs).toEqual([0, 1])
    expect(g.output).toBe(4)
    expect(g.nodes.map((n) => n.input)).toEqual([0, 1, null, null, null])
    expect(g.nodes.every((n) => n.shape.length === 0)).toBe(true)
    close(g.nodes[3]!.value.item(), Math.sin(3))
    close(g.value.item(), 2 * 3 + Math.sin(3))
    expect(g.hasCotangents).toBe(false)
    expect(g.nodes.every((n) => n.cotangent === null)).toBe(true)
  })

  it('has an edge per operand on the tape, x2 fanning out to mul and sin', () => {
    const g = traceGraph(f, tensor(2), tensor(3))
    const edges = g.edges.map((e) => [e.from, e.to, e.operand])
    expect(edges).toEqual([
      [0, 2, 0],
      [1, 2, 1],
      [1, 3, 0],
      [2, 4, 0],
      [3, 4, 1],
    ])
  })

  it('counts constant operands instead of drawing them', () => {
    const g = traceGraph((x: Tensor) => mul(add(x, 1), tensor([2, 3])), tensor([1, 1]))
    expect(g.nodes.map((n) => n.constants)).toEqual([0, 1, 1])
  })

  it('records the ops that ran: a loop gives as many nodes as iterations', () => {
    for (const n of [1, 5, 17]) expect(traceGraph(sines(n), tensor(0.3)).nodes).toHaveLength(n + 1)
  })

  it('flattens trees of inputs', () => {
    const g = traceGraph((p: { a: Tensor; b: Tensor }) => mul(p.a, p.b), { a: tensor(2), b: tensor(5) })
    expect(g.inputs).toHaveLength(2)
  })

  it('lets a walk over its tensors reach the values without entering the tape', () => {
    const g = backwardGraph(traceGraph(f, tensor(2), tensor(3)))
    const found: number[] = []
    dispose(g)
    forEachTensorOf(g, (t) => found.push(t.size))
    // 5 node values, 5 node cotangents, 5 edge cotangents and the output value; the tape, whose
    // nodes point back to their level, is not entered
    expect(found).toHaveLength(16)
  })

  it('rejects a function that does not return one tensor', () => {
    expect(() => traceGraph(((x: Tensor) => [x, x]) as never, tensor(1))).toThrow(ValueError)
    expect(() => traceGraph(((x: Tensor) => [x, x]) as never, tensor(1))).toThrow(/one Tensor, got an array/)
  })
})

describe('backwardGraph', () => {
  it('gives every node its adjoint: ā3 = ā1 = ā2 = 1, x̄1 = x2, x̄2 = cos(x2) + x1', () => {
    const [x1, x2] = [2, 3]
    const g = backwardGraph(traceGraph(f, tensor(x1), tensor(x2)), tensor(1))
    const ct = g.nodes.map((n) => n.cotangent!.item())
    close(ct[0]!, x2)
    close(ct[1]!, Math.cos(x2) + x1)
    close(ct[2]!, 1)
    close(ct[3]!, 1)
    close(ct[4]!, 1)
    expect(g.hasCotangents).toBe(true)
  })

  it('puts on each edge the contribution of one path; a fan-out node sums its out-edges', () => {
    const [x1, x2] = [-1.5, 0.7]
    const g = backwardGraph(traceGraph(f, tensor(x1), tensor(x2)), tensor(1))
    const along = (from: number, to: number) =>
      g.edges.find((e) => e.from === from && e.to === to)!.cotangent!.item()
    // x2 → mul carries ā2 · x1, x2 → sin carries ā1 · cos(x2)
    close(along(1, 2), x1)
    close(along(1, 3), Math.cos(x2))
    close(g.nodes[1]!.cotangent!.item(), along(1, 2) + along(1, 3))
  })

  it('agrees with vjp on the inputs and with jvp through the adjoint identity', () => {
    const h = (w: Tensor, x: Tensor) => tanh(matmul(w, x))
    const w = tensor([
      [0.3, -1.2, 0.5],
      [0.9, 0.1, -0.4],
    ])
    const x = tensor([1.5, -0.5, 2])
    const ct = tensor([0.7, -2])
    const g = backwardGraph(traceGraph(h, w, x), ct)
    const [, pullback] = vjp(h, w, x)
    const [gw, gx] = pullback(ct) as Tensor[]
    expect(Array.from(g.nodes[0]!.cotangent!.dataSync())).toEqual(Array.from(gw!.dataSync()))
    expect(Array.from(g.nodes[1]!.cotangent!.dataSync())).toEqual(Array.from(gx!.dataSync()))
    // ⟨ct, J v⟩ = ⟨Jᵀ ct, v⟩ for a direction v of x
    const v = tensor([0.2, 1, -0.3])
    const [, dy] = jvp((xx: Tensor) => h(w, xx), [x], [v]) as [Tensor, Tensor]
    close(sum(mul(ct, dy)).item(), sum(mul(g.nodes[1]!.cotangent!, v)).item(), 1e-13)
  })

  it('seeds with ones by default (y.backward(ones))', () => {
    const g = backwardGraph(traceGraph((x: Tensor) => mul(x, x), tensor([1, -2, 3])))
    expect(Array.from(g.nodes[0]!.cotangent!.dataSync())).toEqual([2, -4, 6])
  })

  it('takes a cotangent shaped like a column output', () => {
    const g = backwardGraph(
      traceGraph((x: Tensor) => reshape(x, [2, 1]), tensor([1, 2])),
      ones([2, 1]),
    )
    expect(Array.from(g.nodes[0]!.cotangent!.dataSync())).toEqual([1, 1])
  })

  it('routes a max gate cotangent to the larger input and leaves the other at zero', () => {
    const g = backwardGraph(traceGraph(maximum, tensor(4), tensor(-1)), tensor(2))
    expect(g.nodes.map((n) => n.cotangent?.item())).toEqual([2, 0, 2])
  })

  it('can be swept again with another cotangent (the pullbacks are pure)', () => {
    const t = traceGraph(f, tensor(2), tensor(3))
    const a = backwardGraph(t, tensor(1))
    const b = backwardGraph(t, tensor(-3))
    close(b.nodes[1]!.cotangent!.item(), -3 * a.nodes[1]!.cotangent!.item())
    expect(t.hasCotangents).toBe(false)
  })

  it('rejects a cotangent of the wrong shape, and a collapsed graph', () => {
    const t = traceGraph((x: Tensor) => mul(x, 2), tensor([1, 2]))
    expect(() => backwardGraph(t, tensor([1, 2, 3]))).toThrow(ShapeError)
    expect(() => backwardGraph(t, tensor([1, 2, 3]))).toThrow(/\[3\] but the output has \[2\]/)
    expect(() => backwardGraph(collapseGraph(t))).toThrow(/before collapseGraph/)
  })

  it('leaves nodes that do not reach the output without a cotangent', () => {
    const g = backwardGraph(
      traceGraph(
        (x: Tensor, y: Tensor) => {
          exp(y)
          return sin(x)
        },
        tensor(1),
        tensor(2),
      ),
    )
    const expNode = g.nodes.find((n) => n.op === 'exp')!
    expect(expNode.cotangent).toBeNull()
    expect(g.nodes[1]!.cotangent).toBeNull()
  })
})

describe('collapseGraph', () => {
  it('fuses a run of elementwise ops into one node that keeps the last value and cotangent', () => {
    const x = tensor([0.5, -1])
    const g = backwardGraph(traceGraph((v: Tensor) => tanh(exp(sin(v))), x))
    const c = collapseGraph(g)
    expect(c.nodes.map((n) => n.ops.join(' → '))).toEqual(['input', 'sin → exp → tanh'])
    expect(c.nodes[1]!.value.dataSync()).toEqual(g.nodes[3]!.value.dataSync())
    expect(c.nodes[1]!.cotangent!.dataSync()).toEqual(g.nodes[3]!.cotangent!.dataSync())
    expect(c.edges).toHaveLength(1)
    expect(c.collapsed).toBe(true)
  })

  it('does not fuse a value used twice, an input, the output, or a matmul', () => {
    const w = tensor([
      [1, 2],
      [3, 4],
    ])
    const h = (x: Tensor) => {
      const s = sin(x) // used twice: stays
      const m = matmul(w, mul(s, s)) // mul feeds a matmul: stays; matmul is not elementwise
      return exp(m)
    }
    const g = traceGraph(h, tensor([[0.1], [0.2]]))
    const c = collapseGraph(g)
    expect(c.nodes.map((n) => n.ops.join(' → '))).toEqual(['input', 'sin', 'mul', 'matmul', 'exp'])
  })

  it('fuses a binary elementwise op with the chain it feeds', () => {
    const g = traceGraph((a: Tensor, b: Tensor) => tanh(mul(add(a, b), cos(b))), tensor(1), tensor(2))
    const c = collapseGraph(g)
    expect(c.nodes.map((n) => n.ops.join(' → '))).toEqual(['input', 'input', 'add → cos → mul → tanh'])
    // each input reaches the fused node once per operand slot it feeds
    expect(c.edges.map((e) => [e.from, e.to])).toEqual([
      [0, 5],
      [1, 5],
      [1, 5],
    ])
  })
})

describe('toDot and renderGraph', () => {
  it('labels inputs, intermediates, values, cotangents and edge contributions', () => {
    const g = backwardGraph(traceGraph(f, tensor(2), tensor(3)), tensor(1))
    const dot = toDot(g, { inputNames: ['x1', 'x2'], nodeNames: { 2: 'a2', 3: 'a1', 4: 'a3' } })
    expect(dot).toContain('label="x2\\nvalue 3\\ngrad 1.01"')
    expect(dot).toContain('label="a1 = sin\\nvalue 0.1411\\ngrad 1"')
    expect(dot).toContain('"n1" -> "n3" [label="-0.99"')
    expect(dot).toContain('rankdir=LR')
    const plain = toDot(g, { values: false, cotangents: false })
    expect(plain).not.toContain('value')
    expect(plain).not.toContain('grad')
    expect(plain).toContain('label="x0"')
  })

  it('shows shapes, small tensors in full and large ones by their norm', () => {
    const g = traceGraph((x: Tensor) => reshape(mul(x, x), [2, 3]), tensor([1, 2, 3, 4, 5, 6]))
    const dot = toDot(g)
    expect(dot).toContain('shape [2, 3]')
    expect(dot).toContain(`value ‖·‖ = ${Number(Math.sqrt(1 + 16 + 81 + 256 + 625 + 1296).toPrecision(4))}`)
    expect(formatTensor(tensor([1, -2.5]))).toBe('[1, -2.5]')
    expect(formatTensor(tensor(-0))).toBe('0')
    expect(formatTensor(tensor(Math.PI), 3)).toBe('3.14')
  })

  it('renders SVG through Graphviz', async () => {
    const g = backwardGraph(traceGraph(f, tensor(2), tensor(3)))
    const svg = await renderGraph(g, { inputNames: ['x1', 'x2'] })
    expect(svg).toContain('<svg')
    expect(svg).toContain('>x1</text>')
    expect(svg).toContain('>grad 1.01</text>')
  })
})

describe('graphs too large to draw', () => {
  const big = traceGraph(sines(DEFAULT_MAX_NODES + 100), tensor(0.5))

  it('are refused with a message that offers collapse: true', async () => {
    expect(big.nodes).toHaveLength(DEFAULT_MAX_NODES + 101)
    let err: unknown
    try {
      toDot(big)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(GraphTooLargeError)
    expect(err).toBeInstanceOf(ValueError)
    const e = err as GraphTooLargeError
    expect(e.message).toMatch(/toDot: the graph has 601 nodes, more than maxNodes = 500/)
    expect(e.message).toMatch(/pass \{ collapse: true \}.*\(2 nodes\)/)
    expect([e.nodes, e.collapsedNodes, e.maxNodes]).toEqual([601, 2, 500])
    await expect(renderGraph(big)).rejects.toThrow(/renderGraph: the graph has 601 nodes/)
  })

  it('draw once collapsed, or with a larger maxNodes', async () => {
    const svg = await renderGraph(backwardGraph(big), { collapse: true })
    expect(svg).toContain('<svg')
    expect(toDot(big, { maxNodes: 1000 })).toContain('"n600"')
  })

  it('say so when collapsing would not be enough', () => {
    const w = tensor([[0.5]])
    const matmuls = (x: Tensor) => {
      let y = x
      for (let i = 0; i < 30; i++) y = matmul(w, y)
      return y
    }
    const g = traceGraph(matmuls, tensor([[1]]))
    expect(() => toDot(g, { maxNodes: 10 })).toThrow(
      /collapsing elementwise runs would leave 31; raise maxNodes/,
    )
    expect(() => toDot(g, { maxNodes: 10, collapse: true })).toThrow(/even after collapsing/)
    expect(() => toDot(g, { maxNodes: 0 })).toThrow(/maxNodes must be a positive integer/)
  })
})

describe('isElementwiseOp', () => {
  it('knows the unary and broadcasting binary ops', () => {
    for (const op of ['sin', 'tanh', 'relu', 'pow', 'add', 'mul', 'maximum', 'where']) {
      expect(isElementwiseOp(op)).toBe(true)
    }
    for (const op of ['matmul', 'sum', 'reshape', 'transpose', 'input', 'myCustomOp', 'constructor']) {
      expect(isElementwiseOp(op)).toBe(false)
    }
  })

  it("reads each op's structure: elementwise, or broadcasting (the comparisons, piecewise constant)", () => {
    for (const [name, def] of Object.entries(registry)) {
      expect(isElementwiseOp(name), name).toBe(def.structure === 'elementwise' || def.broadcasting === true)
      // the piecewise constant ops are sign, stopGradient, the comparisons the integer-valued argmax, argmin and the sign of a determinant
      expect(def.structure === 'constant', name).toBe(
        [
          'sign',
          'stopGradient',
          'greater',
          'greaterEqual',
          'less',
          'lessEqual',
          'equal',
          'argmax',
          'argmin',
          'detSign',
        ].includes(name),
      )
    }
    expect(isElementwiseOp('detSign')).toBe(false)
    expect(isElementwiseOp('cholesky')).toBe(false)
    for (const name of ['cholesky', 'triangularSolve', 'solve', 'logAbsDet', 'eigh']) {
      expect(registry[name as keyof typeof registry].structure, name).toBe('matrix')
    }
    expect(isElementwiseOp('greater')).toBe(true)
    expect(isElementwiseOp('sign')).toBe(false)
    expect(isElementwiseOp('cast')).toBe(false)
  })
})
