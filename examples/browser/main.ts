/**
 * The lecture's f(x1, x2) = x1·x2 + sin(x2) in a web page: f and its gradient by reverse mode
 * (one pullback) and by forward mode (one JVP per input), next to the closed forms, and the
 * recorded graph drawn as SVG with every node's forward value and adjoint.
 *
 *   a1 = sin(x2)      a2 = x1·x2      a3 = a1 + a2 = f
 *   x̄1 = ā2 · x2      x̄2 = ā1 · cos(x2) + ā2 · x1      (two paths into x2, summed)
 *
 * Build: npx tsx examples/browser/build.ts, then open out/examples/browser/index.html.
 *
 * @module
 */
import { type ComputationGraph, backwardGraph, traceGraph } from '../../src/viz/index.js'
import { type Tensor, add, jvp, mul, sin, tensor, valueAndGrad } from '../../src/index.js'

/** f(x1, x2) = x1·x2 + sin(x2). */
export const f = (x1: Tensor, x2: Tensor): Tensor => add(mul(x1, x2), sin(x2))

/** What the page shows: f and its partials by both modes and in closed form, and the graph. */
export interface Account {
  readonly x1: number
  readonly x2: number
  readonly reverse: { readonly f: number; readonly dx1: number; readonly dx2: number }
  readonly forward: { readonly f: number; readonly dx1: number; readonly dx2: number }
  readonly closedForm: { readonly f: number; readonly dx1: number; readonly dx2: number }
  readonly graph: ComputationGraph
}

/** f and its gradient at (x1, x2) by reverse mode, forward mode and in closed form. */
export function account(x1: number, x2: number): Account {
  const [value, [g1, g2]] = valueAndGrad(f, { argnums: [0, 1] })(tensor(x1), tensor(x2))
  const [y, d1] = jvp(f, [tensor(x1), tensor(x2)], [tensor(1), tensor(0)])
  const [, d2] = jvp(f, [tensor(x1), tensor(x2)], [tensor(0), tensor(1)])
  return {
    x1,
    x2,
    reverse: { f: value.item(), dx1: g1.item(), dx2: g2.item() },
    forward: { f: y.item(), dx1: d1.item(), dx2: d2.item() },
    // ∂f/∂x1 = x2, ∂f/∂x2 = x1 + cos x2
    closedForm: { f: x1 * x2 + Math.sin(x2), dx1: x2, dx2: x1 + Math.cos(x2) },
    graph: backwardGraph(traceGraph(f, tensor(x1), tensor(x2))),
  }
}

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toPrecision(6))
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const sub = (name: string): string => name.replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]!)
const num = (t: Tensor | null): number | null => (t === null ? null : t.item())

/** The name the lecture gives each node of f's graph: x1, x2, then a1 (sin), a2 (mul), a3 (add). */
function nodeNames(graph: ComputationGraph): Map<number, string> {
  const names = new Map<number, string>()
  for (const n of graph.nodes) if (n.input !== null) names.set(n.id, `x${n.input + 1}`)
  const lecture: Readonly<Record<string, string>> = { sin: 'a1', mul: 'a2', add: 'a3' }
  for (const n of graph.nodes) if (n.input === null) names.set(n.id, lecture[n.op] ?? `v${n.id}`)
  return names
}

/** The graph as SVG: columns by depth, each node with its value v and adjoint v̄, each edge with its share. */
export function graphSvg(graph: ComputationGraph): string {
  const names = nodeNames(graph)
  const depth = new Map<number, number>()
  for (const n of graph.nodes) {
    const into = graph.edges.filter((e) => e.to === n.id).map((e) => (depth.get(e.from) ?? 0) + 1)
    depth.set(n.id, Math.max(0, ...into))
  }
  const columns = new Map<number, number[]>()
  for (const n of graph.nodes) columns.set(depth.get(n.id)!, [...(columns.get(depth.get(n.id)!) ?? []), n.id])
  const [w, h, dx, dy] = [170, 64, 250, 110]
  const rows = Math.max(...[...columns.values()].map((c) => c.length))
  const at = new Map<number, { x: number; y: number }>()
  for (const [d, ids] of columns) {
    ids.forEach((id, i) => at.set(id, { x: 20 + d * dx, y: 20 + (i + (rows - ids.length) / 2) * dy }))
  }
  const width = 40 + (columns.size - 1) * dx + w
  const height = 40 + (rows - 1) * dy + h
  const edges = graph.edges.map((e) => {
    const [a, b] = [at.get(e.from)!, at.get(e.to)!]
    const [x1, y1, x2, y2] = [a.x + w, a.y + h / 2, b.x, b.y + h / 2]
    const share = num(e.cotangent)
    // the share sits at 60% of the way, on a white halo, above the line
    const [lx, ly] = [x1 + 0.6 * (x2 - x1), y1 + 0.6 * (y2 - y1) - 6]
    const label = share === null ? '' : `<text x="${lx}" y="${ly}" class="share">${fmt(share)}</text>`
    return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#arrow)"/>${label}`
  })
  const nodes = graph.nodes.map((n) => {
    const { x, y } = at.get(n.id)!
    const name = names.get(n.id)!
    const value = n.value.item()
    const adjoint = num(n.cotangent)
    const operands = graph.edges
      .filter((e) => e.to === n.id)
      .sort((a, b) => a.operand - b.operand)
      .map((e) => sub(names.get(e.from)!))
    const title = n.input === null ? `${sub(name)} = ${n.op}(${operands.join(', ')})` : sub(name)
    return [
      `<g class="node" data-name="${name}" data-value="${value}" data-adjoint="${adjoint ?? ''}">`,
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="8"/>`,
      `<text x="${x + w / 2}" y="${y + 18}" class="title">${esc(title)}</text>`,
      `<text x="${x + w / 2}" y="${y + 37}">v = ${fmt(value)}</text>`,
      `<text x="${x + w / 2}" y="${y + 55}" class="adjoint">v̄ = ${adjoint === null ? '–' : fmt(adjoint)}</text>`,
      '</g>',
    ].join('')
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    '<style>line{stroke:#555;stroke-width:1.5}rect{fill:#eef4ff;stroke:#335}text{text-anchor:middle}.title{font-weight:bold}.adjoint{fill:#b03000}.share{fill:#b03000;font-size:12px;paint-order:stroke;stroke:#fff;stroke-width:4px}</style>',
    ...edges,
    ...nodes,
    '</svg>',
  ].join('\n')
}

/** The table of f, ∂f/∂x1 and ∂f/∂x2 by reverse mode, forward mode and in closed form. */
export function resultsTable(a: Account): string {
  const row = (label: string, key: 'f' | 'dx1' | 'dx2') =>
    `<tr data-row="${key}"><th>${label}</th>` +
    (['reverse', 'forward', 'closedForm'] as const)
      .map((mode) => `<td data-mode="${mode}" data-value="${a[mode][key]}">${fmt(a[mode][key])}</td>`)
      .join('') +
    '</tr>'
  return [
    '<tr><th></th><th>reverse mode</th><th>forward mode</th><th>closed form</th></tr>',
    row('f', 'f'),
    row('∂f/∂x₁', 'dx1'),
    row('∂f/∂x₂', 'dx2'),
  ].join('')
}

// ---------------------------------------------------------------------------------------------
// The page (the DOM types are declared here, as the project compiles without the DOM library)
// ---------------------------------------------------------------------------------------------

interface PageElement {
  innerHTML: string
  textContent: string | null
  value: string
  addEventListener(type: string, listener: () => void): void
}
interface PageDocument {
  getElementById(id: string): PageElement | null
}

const doc = (globalThis as { document?: PageDocument }).document

function show(page: PageDocument): void {
  const el = (id: string): PageElement => {
    const e = page.getElementById(id)
    if (e === null) throw new Error(`the page has no #${id}`)
    return e
  }
  const draw = () => {
    try {
      const a = account(Number(el('x1').value), Number(el('x2').value))
      el('results').innerHTML = resultsTable(a)
      el('graph').innerHTML = graphSvg(a.graph)
      el('error').textContent = ''
    } catch (e) {
      el('error').textContent = e instanceof Error ? e.message : String(e)
    }
  }
  el('x1').addEventListener('input', draw)
  el('x2').addEventListener('input', draw)
  draw()
}

if (doc !== undefined) show(doc)
