/**
 * Graphviz in Node: a small DOT builder and an SVG renderer over `@hpcc-js/wasm-graphviz`
 * (Graphviz compiled to WebAssembly; offline, no native binary).
 *
 * @module
 */
import type { Graphviz } from '@hpcc-js/wasm-graphviz'
import { importOptional } from '../core/errors.js'

/**
 * A node of {@link digraph}.
 *
 * @example
 * ```ts
 * import { digraph, type DotNode } from 'dualtape/viz'
 * const node: DotNode = { id: 'n3', label: 'mul\n[2, 3]', shape: 'box', fillcolor: '#ffeecc' }
 * const dot = digraph({ nodes: [node], edges: [] })
 * ```
 */
export interface DotNode {
  /** Identifier that edges refer to; any string. */
  id: string
  /** Text shown in the node; defaults to `id`. Newlines start new lines. */
  label?: string
  /** Graphviz shape, such as `box`, `ellipse`, `circle`, `diamond`, `plaintext`. */
  shape?: string
  /** Outline color: a color name (`red`) or `#rrggbb`. */
  color?: string
  /** Fill color; setting it also sets `style=filled`. */
  fillcolor?: string
  /** Tooltip of the node in SVG output; defaults to the label. */
  tooltip?: string
}

/**
 * An edge of {@link digraph}.
 *
 * @example
 * ```ts
 * import { digraph, type DotEdge } from 'dualtape/viz'
 * const edge: DotEdge = { from: 'n1', to: 'n3', label: 'a', style: 'dashed' }
 * const dot = digraph({ nodes: [{ id: 'n1' }, { id: 'n3' }], edges: [edge] })
 * ```
 */
export interface DotEdge {
  /** `id` of the tail node. */
  from: string
  /** `id` of the head node. */
  to: string
  /** Text shown next to the edge. */
  label?: string
  /** Edge color. */
  color?: string
  /** Graphviz edge style, such as `dashed`, `dotted`, `bold`. */
  style?: string
}

/**
 * A directed graph for {@link digraph}.
 *
 * @example
 * ```ts
 * import { digraph, type DigraphSpec } from 'dualtape/viz'
 * const spec: DigraphSpec = { nodes: [{ id: 'a' }, { id: 'b' }], edges: [{ from: 'a', to: 'b' }], rankdir: 'LR' }
 * digraph(spec).startsWith('digraph') // → true
 * ```
 */
export interface DigraphSpec {
  /** The nodes, drawn in this order where the layout leaves a choice. */
  nodes: readonly DotNode[]
  /** The edges; each end must name a node of `nodes`. */
  edges: readonly DotEdge[]
  /** Direction of rank: top to bottom (`TB`, the default), left to right (`LR`), ... */
  rankdir?: 'TB' | 'LR' | 'BT' | 'RL'
  /** Name of the graph, kept as the `<title>` of the SVG output. */
  name?: string
  /** Font of nodes and edges (default Graphviz's own, Times). */
  fontname?: string
}

/**
 * Graphviz layout engines accepted by {@link renderDot}.
 *
 * @example
 * ```ts
 * import { renderDot, type DotEngine } from 'dualtape/viz'
 * const engine: DotEngine = 'neato'
 * const svg = await renderDot('graph { a -- b }', engine)
 * ```
 */
export type DotEngine = 'dot' | 'neato' | 'fdp' | 'sfdp' | 'circo' | 'twopi' | 'osage' | 'patchwork'

/**
 * Quotes a string as a DOT identifier: `"` and `\` are escaped, so any string, including one
 * ending in a backslash, round-trips as the same identifier.
 *
 * @example
 * ```ts
 * import { dotId } from 'dualtape/viz'
 * dotId('say "hi"') // → '"say \\"hi\\""'
 * ```
 */
export function dotId(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/**
 * Quotes a string as a DOT label whose text Graphviz shows literally: `\` and `"` are escaped,
 * `&` becomes `&amp;` (Graphviz otherwise reads `&lt;` and the like as entities), and each line
 * break (`\n`, `\r\n` or `\r`) becomes a centered DOT line break. `<` and `>` need nothing here:
 * the label is a quoted string, not an HTML label, and the SVG writer escapes them.
 *
 * @example
 * ```ts
 * import { dotLabel } from 'dualtape/viz'
 * dotLabel('a & b\nsecond line') // → '"a &amp; b\\nsecond line"'
 * ```
 */
export function dotLabel(s: string): string {
  const escaped = s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/&/g, '&amp;')
    .replace(/\r\n|\r|\n/g, '\\n')
  return `"${escaped}"`
}

function attrs(list: ReadonlyArray<readonly [string, string | undefined, 'label' | 'plain']>): string {
  const parts = list
    .filter((entry): entry is readonly [string, string, 'label' | 'plain'] => entry[1] !== undefined)
    .map(([key, value, kind]) => `${key}=${kind === 'label' ? dotLabel(value) : dotId(value)}`)
  return parts.length === 0 ? '' : ` [${parts.join(', ')}]`
}

/**
 * Builds the DOT text of a directed graph. Every identifier and label is quoted and escaped, so
 * user text (op names, shapes such as `[2, 3]`, quotes, backslashes, newlines, `<`, `&`) is
 * shown as written. Throws an `Error` for a duplicate node id or an edge to an unknown node.
 *
 * @example
 * ```ts
 * import { digraph, renderDot } from 'dualtape/viz'
 * const dot = digraph({
 *   nodes: [
 *     { id: 'x', label: 'x\n[3]', shape: 'ellipse' },
 *     { id: 'y', label: 'sin(x)', shape: 'box', fillcolor: '#ddeeff' },
 *   ],
 *   edges: [{ from: 'x', to: 'y', label: 'cos(x) ⊙ ȳ' }],
 *   rankdir: 'LR',
 * })
 * const svg = await renderDot(dot)
 * ```
 */
export function digraph(spec: DigraphSpec): string {
  const ids = new Set<string>()
  for (const node of spec.nodes) {
    if (ids.has(node.id)) throw new Error(`digraph: duplicate node id ${JSON.stringify(node.id)}`)
    ids.add(node.id)
  }
  for (const edge of spec.edges) {
    for (const end of [edge.from, edge.to]) {
      if (!ids.has(end)) {
        throw new Error(
          `digraph: edge ${JSON.stringify(edge.from)} -> ${JSON.stringify(edge.to)} names the unknown node ${JSON.stringify(end)}`,
        )
      }
    }
  }
  const lines: string[] = [`digraph ${dotId(spec.name ?? 'G')} {`]
  if (spec.rankdir !== undefined) lines.push(`  rankdir=${spec.rankdir};`)
  if (spec.fontname !== undefined) {
    lines.push(`  node [fontname=${dotId(spec.fontname)}];`, `  edge [fontname=${dotId(spec.fontname)}];`)
  }
  for (const node of spec.nodes) {
    const line = attrs([
      ['label', node.label ?? node.id, 'label'],
      ['shape', node.shape, 'plain'],
      ['color', node.color, 'plain'],
      ['fillcolor', node.fillcolor, 'plain'],
      ['style', node.fillcolor === undefined ? undefined : 'filled', 'plain'],
      ['tooltip', node.tooltip, 'label'],
    ])
    lines.push(`  ${dotId(node.id)}${line};`)
  }
  for (const edge of spec.edges) {
    const line = attrs([
      ['label', edge.label, 'label'],
      ['color', edge.color, 'plain'],
      ['style', edge.style, 'plain'],
    ])
    lines.push(`  ${dotId(edge.from)} -> ${dotId(edge.to)}${line};`)
  }
  lines.push('}')
  return lines.join('\n') + '\n'
}

let graphviz: Promise<Graphviz> | undefined

function loadGraphviz(): Promise<Graphviz> {
  if (graphviz === undefined) {
    // loaded on first use: the WebAssembly module is large
    graphviz = importOptional(
      'drawing graphs',
      ['@hpcc-js/wasm-graphviz'],
      () => import('@hpcc-js/wasm-graphviz'),
    )
      .then(({ Graphviz: G }) => G.load())
      .catch((err: unknown) => {
        graphviz = undefined
        throw err
      })
  }
  return graphviz
}

/**
 * Lays out DOT text and renders it to SVG text. The WebAssembly Graphviz module is loaded on
 * the first call and reused afterwards. A DOT syntax error rejects with an `Error` that quotes
 * Graphviz's message.
 *
 * @example
 * ```ts
 * import { renderDot } from 'dualtape/viz'
 * const svg = await renderDot('digraph { a -> b }')
 * svg.includes('<svg') // → true
 * ```
 */
export async function renderDot(dot: string, engine: DotEngine = 'dot'): Promise<string> {
  const gv = await loadGraphviz()
  try {
    return gv.layout(dot, 'svg', engine)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    throw new Error(`renderDot: Graphviz could not lay out the graph: ${message.trim()}`, { cause: err })
  }
}
