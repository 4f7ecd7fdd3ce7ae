/**
 * The lecture's worked example, f(x1, x2) = x1·x2 + sin(x2) at (2, 3): the adjoints by hand,
 * next to what reverse mode and forward mode compute, and a picture of the recorded graph with
 * every node's value and cotangent.
 *
 *   a1 = sin(x2)      a2 = x1·x2      a3 = a1 + a2 = f
 *
 *   ā3 = ∂f/∂a3 = 1
 *   ā1 = ā3 · ∂(a1 + a2)/∂a1 = ā3            add distributes
 *   ā2 = ā3 · ∂(a1 + a2)/∂a2 = ā3
 *   x̄2 = ā1 · cos(x2) + ā2 · x1              two paths into x2, summed
 *   x̄1 = ā2 · x2                             mul switches
 *
 * Run: npx tsx examples/chain-rule.ts [--x1 2] [--x2 3] [--out DIR]
 *
 * @module
 */
import { type Tensor, add, jvp, mul, sin, tensor, vjp } from '../src/index.js'
import { backwardGraph, renderGraph, traceGraph } from '../src/viz/graph.js'
import { type RunOptions, num, runIfMain, savePicture, table } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  x1: { kind: 'number', default: 2, help: 'the first input' },
  x2: { kind: 'number', default: 3, help: 'the second input' },
} as const

/**
 * Options of {@link main}.
 */
export interface ChainRuleOptions extends RunOptions {
  readonly x1?: number
  readonly x2?: number
}

/**
 * The numbers the example prints.
 */
export interface ChainRuleResult {
  /** Intermediates and adjoints computed by hand with plain numbers. */
  readonly byHand: {
    readonly a1: number
    readonly a2: number
    readonly a3: number
    readonly a3bar: number
    readonly a1bar: number
    readonly a2bar: number
    /** x̄2 along the path through a1 = sin(x2). */
    readonly x2barSin: number
    /** x̄2 along the path through a2 = x1·x2. */
    readonly x2barMul: number
    readonly x2bar: number
    readonly x1bar: number
  }
  /** f, ∂f/∂x1 and ∂f/∂x2 by reverse mode (one pullback). */
  readonly reverse: { readonly f: number; readonly dx1: number; readonly dx2: number }
  /** f, ∂f/∂x1 and ∂f/∂x2 by forward mode (one JVP per input). */
  readonly forward: { readonly f: number; readonly dx1: number; readonly dx2: number }
  /** The cotangent of every recorded node, by the name used above (x1, x2, a1, a2, a3). */
  readonly graphCotangents: Readonly<Record<string, number>>
  /** The picture of the graph, or null when nothing was written. */
  readonly picture: string | null
}

/**
 * f(x1, x2) = x1·x2 + sin(x2), written in the order of the lecture's intermediates.
 */
export const f = (x1: Tensor, x2: Tensor): Tensor => {
  const a1 = sin(x2)
  const a2 = mul(x1, x2)
  return add(a1, a2)
}

/**
 * Computes the adjoints by hand and by both modes, prints them side by side, and draws the graph.
 */
export async function main(opts: ChainRuleOptions = {}): Promise<ChainRuleResult> {
  const log = opts.log ?? console.log
  const out = opts.out === undefined ? 'out/examples/chain-rule' : opts.out
  const x1 = opts.x1 ?? options.x1.default
  const x2 = opts.x2 ?? options.x2.default

  // by hand, on plain numbers
  const a1 = Math.sin(x2)
  const a2 = x1 * x2
  const a3 = a1 + a2
  const a3bar = 1
  const a1bar = a3bar
  const a2bar = a3bar
  const x2barSin = a1bar * Math.cos(x2)
  const x2barMul = a2bar * x1
  const x2bar = x2barSin + x2barMul
  const x1bar = a2bar * x2
  const byHand = { a1, a2, a3, a3bar, a1bar, a2bar, x2barSin, x2barMul, x2bar, x1bar }

  // reverse mode: one forward pass on the tape, one backward sweep from f̄ = 1
  const [y, pullback] = vjp(f, tensor(x1), tensor(x2))
  const [g1, g2] = pullback(tensor(1)) as Tensor[]
  const reverse = { f: (y as Tensor).item(), dx1: g1!.item(), dx2: g2!.item() }

  // forward mode: one pass per input direction
  const [yf, d1] = jvp(f, [tensor(x1), tensor(x2)], [tensor(1), tensor(0)]) as [Tensor, Tensor]
  const [, d2] = jvp(f, [tensor(x1), tensor(x2)], [tensor(0), tensor(1)]) as [Tensor, Tensor]
  const forward = { f: yf.item(), dx1: d1.item(), dx2: d2.item() }

  // the graph the tape recorded, swept back from f̄ = 1
  const graph = backwardGraph(traceGraph(f, tensor(x1), tensor(x2)), tensor(1))
  const names: Record<number, string> = {}
  for (const n of graph.nodes) {
    if (n.op === 'sin') names[n.id] = 'a1'
    if (n.op === 'mul') names[n.id] = 'a2'
    if (n.op === 'add') names[n.id] = 'a3'
  }
  const graphCotangents: Record<string, number> = {}
  for (const n of graph.nodes) {
    const name = n.input !== null ? `x${n.input + 1}` : names[n.id]!
    graphCotangents[name] = n.cotangent?.item() ?? 0
  }
  const svg = await renderGraph(graph, { inputNames: ['x1', 'x2'], nodeNames: names, title: 'chain rule' })
  const picture = await savePicture(out, 'graph.svg', svg)

  const c = (v: number): string => num(v, 12)
  log(`f(x1, x2) = x1·x2 + sin(x2) at x1 = ${x1}, x2 = ${x2}`)
  log('')
  log('forward: a1 = sin(x2), a2 = x1·x2, a3 = a1 + a2')
  log(
    table(
      ['intermediate', 'value'],
      [
        ['a1 = sin(x2)', c(a1)],
        ['a2 = x1·x2', c(a2)],
        ['a3 = a1 + a2 = f', c(a3)],
      ],
    ),
  )
  log('')
  log('backward, from the end: the adjoint v̄ = ∂f/∂v of every variable')
  log(
    table(
      ['adjoint', 'rule', 'by hand', 'on the tape'],
      [
        ['ā3', '∂f/∂a3 = 1', c(a3bar), c(graphCotangents.a3!)],
        ['ā1', 'ā3 · ∂(a1 + a2)/∂a1 = ā3', c(a1bar), c(graphCotangents.a1!)],
        ['ā2', 'ā3 · ∂(a1 + a2)/∂a2 = ā3', c(a2bar), c(graphCotangents.a2!)],
        ['x̄2 (path 1)', 'ā1 · cos(x2)', c(x2barSin), ''],
        ['x̄2 (path 2)', 'ā2 · x1', c(x2barMul), ''],
        ['x̄2', 'sum of both paths', c(x2bar), c(graphCotangents.x2!)],
        ['x̄1', 'ā2 · x2', c(x1bar), c(graphCotangents.x1!)],
      ],
    ),
  )
  log('')
  log(
    table(
      ['', 'f', '∂f/∂x1', '∂f/∂x2'],
      [
        ['by hand', String(a3), String(x1bar), String(x2bar)],
        ['reverse mode (vjp)', String(reverse.f), String(reverse.dx1), String(reverse.dx2)],
        ['forward mode (jvp)', String(forward.f), String(forward.dx1), String(forward.dx2)],
      ],
    ),
  )
  if (picture !== null) log(`\ngraph with values and cotangents: ${picture}`)
  return { byHand, reverse, forward, graphCotangents, picture }
}

runIfMain(import.meta.url, 'chain-rule', options, main)
