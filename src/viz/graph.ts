/**
 * Pictures of the graph that reverse mode records.
 *
 * `traceGraph(f, ...inputs)` runs `f` on a tape, exactly as `vjp` does, and keeps what the tape
 * holds: one node per recorded op (and one per input), with its shape and forward value, and an
 * edge for each operand that is itself on the tape. `backwardGraph(graph, ct)` then runs the
 * reverse sweep from the output with cotangent `ct` and keeps, unlike `vjp`, every intermediate:
 * the cotangent of each node, v̄ = ∂⟨ct, f⟩/∂v, and the contribution that flows along each edge,
 * so that a node which fans out shows its cotangent as the sum of its out-edges' contributions
 * (the chain rule summed over paths). `toDot` writes the graph as Graphviz DOT and `renderGraph`
 * lays it out as SVG.
 *
 * A graph of more than `maxNodes` nodes (500 by default) is not drawn: `toDot` throws a
 * `GraphTooLargeError` that says how many nodes `collapse: true` would leave. Collapsing fuses
 * each run of consecutive elementwise ops (an op whose result feeds only the next elementwise
 * op) into one node.
 *
 * @module
 */
import { onesLike } from '../ops/create.js'
import type { OpDef } from '../core/op.js'
import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js'
import { shapesEqual, type Shape } from '../core/shape.js'
import { Tensor, type TapeEntry } from '../core/tensor.js'
import { add } from '../ops/binary.js'
import { registry } from '../ops/registry.js'
import { digraph, renderDot, type DotEdge, type DotNode } from './dot.js'
import { traceVjp } from '../reverse/vjp.js'

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/**
 * One node of a recorded graph: an input or an op application.
 *
 * @example
 * import { traceGraph } from 'dualtape/viz'
 * import { sin, tensor } from 'dualtape'
 * const [x, y] = traceGraph(sin, tensor(1)).nodes
 * x!.op // → 'input'
 * y!.op // → 'sin'
 * y!.value // → 0.841471
 */
export interface GraphNode {
  /** Position on the tape (inputs first, then ops in execution order: a topological order). */
  readonly id: number
  /** The op that produced the value, `'input'` for a differentiated argument. */
  readonly op: string
  /** The ops fused into this node by `collapseGraph`, first to last; `[op]` otherwise. */
  readonly ops: readonly string[]
  readonly shape: Shape
  /** The forward value. */
  readonly value: Tensor
  /** v̄ = ∂⟨ct, f⟩/∂v after `backwardGraph`; null before, or where no cotangent reaches the node. */
  readonly cotangent: Tensor | null
  /** How many operands of the op were constants (not on the tape): data, literals, lower levels. */
  readonly constants: number
  /** For an input: its index among the flattened arguments; null for an op. */
  readonly input: number | null
}

/**
 * Data flow from one node to an operand slot of another.
 *
 * @example
 * import { traceGraph } from 'dualtape/viz'
 * import { sin, tensor } from 'dualtape'
 * const g = traceGraph(sin, tensor(1))
 * g.edges // → [{ from: 0, to: 1, operand: 0, cotangent: null }]
 */
export interface GraphEdge {
  readonly from: number
  readonly to: number
  /** Which operand of `to` (0-based) the value is. */
  readonly operand: number
  /** After `backwardGraph`: the part of `from`'s cotangent that flows back along this edge. */
  readonly cotangent: Tensor | null
}

/**
 * The graph recorded by `traceGraph`: nodes in tape order, edges, the ids of the inputs and of
 * the output, and the output value.
 *
 * @example
 * import { traceGraph } from 'dualtape/viz'
 * import { mul, tensor } from 'dualtape'
 * const g = traceGraph(mul, tensor(2), tensor(3))
 * g.inputs // → [0, 1]
 * g.output // → 2
 * g.value // → 6
 */
export interface ComputationGraph {
  readonly nodes: readonly GraphNode[]
  readonly edges: readonly GraphEdge[]
  /** Ids of the input nodes, in the order of the flattened arguments. */
  readonly inputs: readonly number[]
  /** Id of the output node, or null when the output does not depend on any input. */
  readonly output: number | null
  /** The value of f. */
  readonly value: Tensor
  /** Whether `backwardGraph` has filled in the cotangents. */
  readonly hasCotangents: boolean
  /** Whether `collapseGraph` has fused elementwise runs (a collapsed graph cannot be swept again). */
  readonly collapsed: boolean
  /** @internal The recorded tape, whose pullbacks `backwardGraph` runs; null once collapsed. */
  readonly tape: RecordedTape | null
}

/**
 * The tape behind a graph, held in a class instance rather than a plain object so that walks
 * over a graph's tensors (`dispose`, `tidy`) see the node values but do not enter the tape,
 * whose nodes point back to their level (internal).
 */
class RecordedTape {
  constructor(readonly nodes: readonly TapeEntry[]) {}
}

/**
 * A graph too large to draw; its message says how to shrink it.
 *
 * @example
 * import { traceGraph, toDot, GraphTooLargeError } from 'dualtape/viz'
 * import { tanh, tensor, type Tensor } from 'dualtape'
 * // 600 tanh layers: too many nodes to draw one by one
 * const deep = (x: Tensor) => Array.from({ length: 600 }).reduce<Tensor>((h) => tanh(h), x)
 * const big = traceGraph(deep, tensor([0.5]))
 * let dot: string
 * try {
 *   dot = toDot(big)
 * } catch (e) {
 *   if (!(e instanceof GraphTooLargeError)) throw e
 *   dot = toDot(big, { collapse: true }) // the 600 tanh fuse into one node
 * }
 */
export class GraphTooLargeError extends ValueError {
  override name = 'GraphTooLargeError'
  constructor(
    message: string,
    /** Nodes of the graph that was to be drawn. */
    readonly nodes: number,
    /** Nodes left after `collapseGraph`. */
    readonly collapsedNodes: number,
    readonly maxNodes: number,
  ) {
    super(message)
  }
}

// ---------------------------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------------------------

/**
 * Runs `f(...inputs)` on a reverse-mode tape and returns the graph it recorded. Every tensor in
 * `inputs` (trees of tensors are flattened) is an input node; tensors that `f` creates or
 * closes over are constants and appear only as the `constants` count of the ops that use them.
 * `f` must return one tensor. Control flow in `f` is ordinary code: the graph is what ran. The
 * graph keeps every forward value (and, after `backwardGraph`, every cotangent) alive while it is
 * held; walks over its tensors (`dispose`, `tidy`) reach them without entering the tape.
 *
 * @example
 * import { traceGraph, backwardGraph, toDot } from 'dualtape/viz'
 * import { tensor, add, mul, sin } from 'dualtape'
 * const g = traceGraph((x1, x2) => add(mul(x1, x2), sin(x2)), tensor(2), tensor(3))
 * g.nodes.map((n) => n.op) // ['input', 'input', 'mul', 'sin', 'add']
 * const b = backwardGraph(g, tensor(1))
 * b.nodes[1]!.cotangent!.item() // x̄2 = x1 + cos(x2) ≈ 1.0100075
 * const dot = toDot(b, { values: true, cotangents: true, inputNames: ['x1', 'x2'] })
 */
export function traceGraph(f: (...args: any[]) => Tensor, ...inputs: unknown[]): ComputationGraph {
  let traced: unknown
  const record = (...args: unknown[]): unknown => {
    traced = f(...args)
    return traced
  }
  const t = traceVjp(
    'traceGraph',
    record,
    inputs,
    inputs.map((_, i) => i),
    false,
  )
  if (!(traced instanceof Tensor)) {
    throw new ValueError(`traceGraph: f must return one Tensor, got ${describeValue(traced)}`)
  }
  const tape = t.level.tape!.entries()
  const outImpl = traced.impl
  const output = outImpl.kind === 'tape' && outImpl.level === t.level ? outImpl.index : null
  const nodes: GraphNode[] = []
  const edges: GraphEdge[] = []
  const inputIds: number[] = []
  for (const n of tape) {
    const isInput = n.pullback === null
    if (isInput) inputIds.push(n.index)
    let constants = 0
    n.parents.forEach((p, j) => {
      if (p === null) constants++
      else edges.push({ from: p, to: n.index, operand: j, cotangent: null })
    })
    nodes.push({
      id: n.index,
      op: n.op,
      ops: [n.op],
      shape: n.primal.shape,
      value: n.primal,
      cotangent: null,
      constants,
      input: isInput ? inputIds.length - 1 : null,
    })
  }
  const graph: ComputationGraph = {
    nodes,
    edges,
    inputs: inputIds,
    output,
    value: t.out as Tensor,
    hasCotangents: false,
    collapsed: false,
    tape: new RecordedTape(tape),
  }
  return graph
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v)
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'object' ? ((v as object).constructor?.name ?? 'an object') : typeof v
}

// ---------------------------------------------------------------------------------------------
// The reverse sweep, keeping every cotangent
// ---------------------------------------------------------------------------------------------

/**
 * Runs the reverse sweep of a traced graph from its output with cotangent `ct` (default: ones
 * shaped like the output, PyTorch's `y.backward(torch.ones_like(y))`) and returns the graph with
 * every node's cotangent v̄ = Σ over its out-edges of the contribution along the edge, and every
 * edge's contribution (the op's pullback applied to its output cotangent). The input nodes'
 * cotangents are what `vjp`'s pullback returns.
 *
 * @example
 * import { traceGraph, backwardGraph } from 'dualtape/viz'
 * import { tensor, maximum } from 'dualtape'
 * // max routes the cotangent to the larger input
 * const g = backwardGraph(traceGraph(maximum, tensor(4), tensor(-1)), tensor(2))
 * g.nodes.map((n) => n.cotangent?.item()) // [2, 0, 2]
 */
export function backwardGraph(graph: ComputationGraph, ct?: Tensor): ComputationGraph {
  if (graph.tape === null) {
    throw new ValueError(
      'backwardGraph: a collapsed graph has no tape to sweep; call backwardGraph before collapseGraph',
    )
  }
  const tape = graph.tape.nodes
  const seed = ct ?? onesLike(graph.value)
  if (!(seed instanceof Tensor))
    throw new ValueError(`backwardGraph: the cotangent must be a Tensor, got ${describeValue(seed)}`)
  if (!shapesEqual(seed.shape, graph.value.shape)) {
    throw new ShapeError(
      `backwardGraph: the cotangent has shape ${fmtShape(seed.shape)} but the output has ${fmtShape(graph.value.shape)}`,
    )
  }
  if (seed.dtype !== graph.value.dtype) {
    throw new DTypeError(
      `backwardGraph: the cotangent is ${seed.dtype} but the output is ${graph.value.dtype}`,
    )
  }
  const acc = new Array<Tensor | null>(tape.length).fill(null)
  // (node id, operand) → contribution along that edge
  const along = new Map<string, Tensor>()
  if (graph.output !== null) acc[graph.output] = seed
  for (let i = tape.length - 1; i >= 0; i--) {
    const g = acc[i]
    const node = tape[i]!
    if (g === null || g === undefined || node.pullback === null) continue
    const gs = node.pullback(g)
    node.parents.forEach((p, j) => {
      const gj = gs[j]
      if (p === null || gj === null || gj === undefined) return
      along.set(`${i}:${j}`, gj)
      const prev = acc[p]
      // v̄ = Σ over the uses of v: contributions from every path are summed
      acc[p] = prev === null || prev === undefined ? gj : add(prev, gj)
    })
  }
  const swept: ComputationGraph = {
    ...graph,
    nodes: graph.nodes.map((n) => ({ ...n, cotangent: acc[n.id] ?? null })),
    edges: graph.edges.map((e) => ({ ...e, cotangent: along.get(`${e.to}:${e.operand}`) ?? null })),
    hasCotangents: true,
  }
  return swept
}

// ---------------------------------------------------------------------------------------------
// Collapsing elementwise runs
// ---------------------------------------------------------------------------------------------

/**
 * Whether an op acts elementwise, as its structure says (see `OpStructure`): the ops of
 * structure 'elementwise' and the broadcasting ones (which include the comparisons, piecewise
 * constant). Only primitives of the registry are; a custom op is not.
 *
 * @example
 * import { isElementwiseOp } from 'dualtape/viz'
 * isElementwiseOp('tanh') // true
 * isElementwiseOp('matmul') // false
 */
export function isElementwiseOp(op: string): boolean {
  if (!Object.hasOwn(registry, op)) return false
  const def = (registry as Readonly<Record<string, OpDef<unknown>>>)[op]!
  return def.structure === 'elementwise' || def.broadcasting === true
}

/**
 * Fuses each run of consecutive elementwise ops into one node: an elementwise node whose value
 * is used exactly once, by another elementwise node, and is not the output, merges into its
 * user. The fused node keeps the id, shape, value and cotangent of the last op of the run (the
 * one whose value leaves it) and lists all its ops in `ops`. Inputs are never fused. Contracting
 * an edge whose tail has one out-edge keeps the graph acyclic.
 *
 * @example
 * import { traceGraph, collapseGraph } from 'dualtape/viz'
 * import { tensor, sin, exp, tanh } from 'dualtape'
 * const g = collapseGraph(traceGraph((x) => tanh(exp(sin(x))), tensor([1, 2])))
 * g.nodes.map((n) => n.ops.join(' → ')) // ['input', 'sin → exp → tanh']
 */
export function collapseGraph(graph: ComputationGraph): ComputationGraph {
  const uses = new Map<number, number>()
  for (const e of graph.edges) uses.set(e.from, (uses.get(e.from) ?? 0) + 1)
  const byId = new Map(graph.nodes.map((n) => [n.id, n]))
  // group[id] = id of the node that a node is fused into (its run's last op)
  const group = new Map<number, number>(graph.nodes.map((n) => [n.id, n.id]))
  const fusible = (n: GraphNode): boolean => n.input === null && isElementwiseOp(n.op)
  // edges go from lower to higher ids, so visiting tails from the end resolves each run's sink first
  const sorted = [...graph.edges].sort((a, b) => b.from - a.from)
  for (const e of sorted) {
    const tail = byId.get(e.from)!
    const head = byId.get(e.to)!
    if (fusible(tail) && fusible(head) && uses.get(e.from) === 1 && e.from !== graph.output) {
      group.set(e.from, group.get(e.to)!)
    }
  }
  const members = new Map<number, GraphNode[]>()
  for (const n of graph.nodes) {
    const g = group.get(n.id)!
    const list = members.get(g)
    if (list === undefined) members.set(g, [n])
    else list.push(n)
  }
  const nodes: GraphNode[] = []
  for (const n of graph.nodes) {
    const run = members.get(n.id)
    if (run === undefined) continue
    nodes.push({
      ...n,
      ops: run.flatMap((m) => m.ops),
      constants: run.reduce((s, m) => s + m.constants, 0),
    })
  }
  const edges: GraphEdge[] = []
  for (const e of graph.edges) {
    const from = group.get(e.from)!
    const to = group.get(e.to)!
    if (from !== to) edges.push({ ...e, from, to })
  }
  return { ...graph, nodes, edges, collapsed: true, tape: null }
}

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

/**
 * Options of `toDot` and `renderGraph`.
 *
 * @example
 * import { traceGraph, toDot, type GraphDrawOptions } from 'dualtape/viz'
 * import { add, mul, sin, tensor } from 'dualtape'
 * const g = traceGraph((x1, x2) => add(mul(x1, x2), sin(x2)), tensor(2), tensor(3))
 * const opts: GraphDrawOptions = { inputNames: ['x1', 'x2'], collapse: true, maxNodes: 200 }
 * toDot(g, opts).includes('x1') // → true
 */
export interface GraphDrawOptions {
  /** Show each node's forward value (default true). */
  readonly values?: boolean
  /** Show cotangents on nodes and edges when the graph has them (default true). */
  readonly cotangents?: boolean
  /** Names of the inputs, by input index (default x0, x1, …). */
  readonly inputNames?: readonly string[]
  /** Names of other nodes, by node id (for instance the intermediates a1, a2, a3 of a lecture). */
  readonly nodeNames?: Readonly<Record<number, string>>
  /** Significant digits of the numbers shown (default 4). */
  readonly precision?: number
  /** Tensors with at most this many elements are shown in full; larger ones by their norm (default 4). */
  readonly maxElements?: number
  /** Draw at most this many nodes (default 500); more throws a `GraphTooLargeError`. */
  readonly maxNodes?: number
  /** Fuse runs of elementwise ops first (see `collapseGraph`). */
  readonly collapse?: boolean
  /** Layout direction (default left to right, as data flows in the lecture's figures). */
  readonly rankdir?: 'TB' | 'LR' | 'BT' | 'RL'
  /** Title of the graph (the SVG's `<title>`). */
  readonly title?: string
}

/**
 * The default of `GraphDrawOptions.maxNodes`.
 *
 * @example
 * import { traceGraph, toDot, DEFAULT_MAX_NODES } from 'dualtape/viz'
 * import { tanh, tensor, type Tensor } from 'dualtape'
 * const deep = (x: Tensor) => Array.from({ length: 600 }).reduce<Tensor>((h) => tanh(h), x)
 * const graph = traceGraph(deep, tensor([0.5])) // 601 nodes
 * toDot(graph, { maxNodes: 2 * DEFAULT_MAX_NODES }).startsWith('digraph') // → true
 */
export const DEFAULT_MAX_NODES = 500

/**
 * A short text for a tensor: the number of a scalar, the entries of a small tensor, else its
 * Euclidean norm.
 *
 * @example
 * import { formatTensor } from 'dualtape/viz'
 * import { tensor } from 'dualtape'
 * formatTensor(tensor([1, -2.5])) // '[1, -2.5]'
 * formatTensor(tensor(Math.PI), 3) // '3.14'
 */
export function formatTensor(t: Tensor, precision = 4, maxElements = 4): string {
  const data = t.dataSync()
  // +0 turns -0 into 0
  const num = (v: number): string => String(Number(v.toPrecision(precision)) + 0)
  if (t.rank === 0) return num(data[0]!)
  if (data.length <= maxElements) return `[${Array.from(data, num).join(', ')}]`
  let s = 0
  for (const v of data) s += v * v
  return `‖·‖ = ${num(Math.sqrt(s))}`
}

/** The nodes to draw, after the size check (and collapsing, when asked). */
function drawable(where: string, graph: ComputationGraph, opts: GraphDrawOptions): ComputationGraph {
  const maxNodes = opts.maxNodes ?? DEFAULT_MAX_NODES
  if (!Number.isInteger(maxNodes) || maxNodes < 1) {
    throw new ValueError(`${where}: maxNodes must be a positive integer, got ${maxNodes}`)
  }
  const g = opts.collapse === true && !graph.collapsed ? collapseGraph(graph) : graph
  if (g.nodes.length <= maxNodes) return g
  const collapsedNodes = g.collapsed ? g.nodes.length : collapseGraph(g).nodes.length
  const offer = g.collapsed
    ? `even after collapsing elementwise runs; raise maxNodes or trace a smaller function`
    : collapsedNodes <= maxNodes
      ? `pass { collapse: true } to fuse runs of elementwise ops (${collapsedNodes} nodes), or raise maxNodes`
      : `collapsing elementwise runs would leave ${collapsedNodes}; raise maxNodes or trace a smaller function`
  throw new GraphTooLargeError(
    `${where}: the graph has ${g.nodes.length} nodes, more than maxNodes = ${maxNodes} ` +
      `(Graphviz layout grows superlinearly and the picture would be unreadable); ${offer}`,
    g.nodes.length,
    collapsedNodes,
    maxNodes,
  )
}

/**
 * The graph as Graphviz DOT: inputs as green ellipses, ops as boxes (the output in orange), each
 * labelled with its name, op, shape and, on request, forward value and cotangent; an edge per
 * operand, labelled with the cotangent that flows back along it. Constant operands are counted
 * in the op's label. Throws a `GraphTooLargeError` past `maxNodes`.
 *
 * @example
 * import { traceGraph, toDot } from 'dualtape/viz'
 * import { tensor, mul } from 'dualtape'
 * const dot = toDot(traceGraph(mul, tensor(2), tensor(3)), { inputNames: ['x', 'y'] })
 * dot.startsWith('digraph') // true
 */
export function toDot(graph: ComputationGraph, opts: GraphDrawOptions = {}): string {
  return dotOf('toDot', graph, opts)
}

function dotOf(where: string, graph: ComputationGraph, opts: GraphDrawOptions): string {
  const g = drawable(where, graph, opts)
  const precision = opts.precision ?? 4
  const maxElements = opts.maxElements ?? 4
  const showValues = opts.values ?? true
  const showCts = (opts.cotangents ?? true) && g.hasCotangents
  const fmt = (t: Tensor): string => formatTensor(t, precision, maxElements)
  const nameOf = (n: GraphNode): string | undefined =>
    n.input !== null ? (opts.inputNames?.[n.input] ?? `x${n.input}`) : opts.nodeNames?.[n.id]
  const nodes: DotNode[] = g.nodes.map((n) => {
    const name = nameOf(n)
    const opText = n.input !== null ? null : n.ops.join(' → ')
    const head = name === undefined ? opText! : opText === null ? name : `${name} = ${opText}`
    const lines = [head]
    if (n.constants > 0) lines.push(`(${n.constants} constant${n.constants === 1 ? '' : 's'})`)
    if (n.shape.length > 0) lines.push(`shape ${fmtShape(n.shape)}`)
    if (showValues) lines.push(`value ${fmt(n.value)}`)
    if (showCts) lines.push(`grad ${n.cotangent === null ? '0' : fmt(n.cotangent)}`)
    const isOut = n.id === g.output
    return {
      id: `n${n.id}`,
      label: lines.join('\n'),
      shape: n.input !== null ? 'ellipse' : 'box',
      fillcolor: isOut ? '#fde2c8' : n.input !== null ? '#d9f2d9' : '#dde8f8',
    }
  })
  const edges: DotEdge[] = g.edges.map((e) => {
    const edge: DotEdge = { from: `n${e.from}`, to: `n${e.to}` }
    if (showCts && e.cotangent !== null) return { ...edge, label: fmt(e.cotangent), color: '#b03030' }
    return edge
  })
  return digraph({ nodes, edges, rankdir: opts.rankdir ?? 'LR', name: opts.title ?? 'graph' })
}

/**
 * Lays out a traced graph with Graphviz and returns the SVG text (see `toDot` for what is
 * drawn). Rejects with a `GraphTooLargeError` past `maxNodes`, offering `collapse: true`.
 *
 * @example
 * import { traceGraph, backwardGraph, renderGraph } from 'dualtape/viz'
 * import { tensor, add, mul, sin } from 'dualtape'
 * const g = backwardGraph(traceGraph((x1, x2) => add(mul(x1, x2), sin(x2)), tensor(2), tensor(3)))
 * const svg = await renderGraph(g, { inputNames: ['x1', 'x2'] })
 */
export async function renderGraph(graph: ComputationGraph, opts: GraphDrawOptions = {}): Promise<string> {
  return renderDot(dotOf('renderGraph', graph, opts))
}
