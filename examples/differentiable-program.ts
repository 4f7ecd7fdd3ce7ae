/**
 * Deep learning = differentiable programming: a function with loops and data-dependent branches,
 * differentiated in both modes. The square root by Newton's method:
 *
 *   range reduction   a = 4ᵏ m with m ∈ [¼, 4]: while m > 4, m ← m/4, k ← k + 1; while m < ¼, …
 *   Newton            x ← ½ (x + m/x) from x = 1, until |x_new − x| ≤ tol · x_new
 *   result            √a = 2ᵏ x
 *
 * How many times each loop runs depends on a, so each a records a different graph: the tape
 * holds what ran. Differentiating the iteration (not the closed form) still gives
 * d√a/da = 1/(2√a): at the fixed point x = √m the elementwiseGrad of the update converges too. The
 * second elementwiseGrad, by reverse mode over reverse mode, matches −1/(4 a^{3/2}).
 *
 * Run: npx tsx examples/differentiable-program.ts [--a 2] [--tol 1e-15] [--out DIR]
 *
 * @module
 */
import { type Tensor, add, elementwiseGrad, div, grad, mul, tensor } from '../src/index.js'
import { backwardGraph, renderGraph, traceGraph } from '../src/viz/graph.js'
import { type RunOptions, num, runIfMain, savePicture, table, withDefaults } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  a: {
    kind: 'number',
    default: 2,
    help: 'the argument whose graph is drawn (also added to the table)',
    min: 0,
  },
  tol: { kind: 'number', default: 1e-15, help: 'relative tolerance of the Newton iteration', min: 0 },
  maxIterations: { kind: 'integer', default: 100, help: 'most Newton steps', min: 1 },
} as const

/**
 * Options of {@link main}.
 */
export interface DifferentiableProgramOptions extends RunOptions {
  readonly a?: number
  readonly tol?: number
  readonly maxIterations?: number
  /** The arguments of the table (default 0.01, 0.5, 2, 9, 12345.6 and `a`). */
  readonly values?: readonly number[]
}

/**
 * What one call of {@link sqrtNewton} did.
 */
export interface NewtonTrace {
  /** Range-reduction steps k (negative: a < ¼ was scaled up). */
  reductions: number
  /** Newton steps taken. */
  iterations: number
}

/**
 * √a by range reduction and Newton's method, written with tensor ops so that it can be
 * differentiated; the loops and branches read the value of their tensors. `trace`, when given,
 * receives how many times each loop ran.
 */
export function sqrtNewton(a: Tensor, tol = 1e-15, maxIterations = 100, trace?: NewtonTrace): Tensor {
  const value = a.item()
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`sqrtNewton: needs a finite a > 0, got ${value}`)
  }
  // a = 4ᵏ m, m ∈ [¼, 4]
  let m = a
  let k = 0
  while (m.item() > 4) {
    m = div(m, 4)
    k++
  }
  while (m.item() < 0.25) {
    m = mul(m, 4)
    k--
  }
  // x ← ½ (x + m/x), from x = 1
  let x = tensor(1)
  let iterations = 0
  for (;;) {
    const next = mul(add(x, div(m, x)), 0.5)
    iterations++
    const converged = Math.abs(next.item() - x.item()) <= tol * next.item()
    x = next
    if (converged || iterations >= maxIterations) break
  }
  if (trace !== undefined) {
    trace.reductions = k
    trace.iterations = iterations
  }
  // √a = 2ᵏ √m
  return mul(x, 2 ** k)
}

/**
 * One row of the table.
 */
export interface SqrtRow {
  readonly a: number
  readonly sqrt: number
  readonly reductions: number
  readonly iterations: number
  /** Ops recorded on the tape for this a. */
  readonly ops: number
  readonly reverse: number
  readonly forward: number
  /** 1/(2√a). */
  readonly closedForm: number
  readonly secondDerivative: number
  /** −1/(4 a^{3/2}). */
  readonly secondClosedForm: number
}

/**
 * The numbers the example prints.
 */
export interface DifferentiableProgramResult {
  readonly rows: readonly SqrtRow[]
  readonly picture: string | null
}

/**
 * Differentiates `sqrtNewton` at several arguments in both modes and draws the graph for one.
 */
export async function main(opts: DifferentiableProgramOptions = {}): Promise<DifferentiableProgramResult> {
  const log = opts.log ?? console.log
  const out = opts.out === undefined ? 'out/examples/differentiable-program' : opts.out
  const o = withDefaults(options, opts)
  if (!(o.a > 0)) throw new RangeError(`differentiable-program: --a must be positive, got ${o.a}`)
  const values = [...new Set([...(opts.values ?? [0.01, 0.5, 2, 9, 12345.6]), o.a])].sort((p, q) => p - q)
  const f = (a: Tensor): Tensor => sqrtNewton(a, o.tol, o.maxIterations)

  const rows = values.map((a): SqrtRow => {
    const trace: NewtonTrace = { reductions: 0, iterations: 0 }
    const sqrt = sqrtNewton(tensor(a), o.tol, o.maxIterations, trace).item()
    const graph = traceGraph(f, tensor(a))
    return {
      a,
      sqrt,
      ...trace,
      ops: graph.nodes.length - graph.inputs.length,
      reverse: (grad(f)(tensor(a)) as Tensor).item(),
      forward: elementwiseGrad(f)(tensor(a)).item(),
      closedForm: 1 / (2 * Math.sqrt(a)),
      secondDerivative: (grad(grad(f))(tensor(a)) as Tensor).item(),
      secondClosedForm: -1 / (4 * a ** 1.5),
    }
  })

  const graph = backwardGraph(traceGraph(f, tensor(o.a)), tensor(1))
  const svg = await renderGraph(graph, {
    inputNames: ['a'],
    title: `sqrt by Newton at a = ${o.a}`,
    rankdir: 'TB',
  })
  const picture = await savePicture(out, 'graph.svg', svg)

  const rel = (p: number, q: number): string => num(Math.abs(p - q) / Math.abs(q), 2)
  log('√a by range reduction and Newton iteration; d√a/da = 1/(2√a), d²√a/da² = −1/(4 a^{3/2})')
  log(
    table(
      [
        'a',
        '√a (Newton)',
        'k',
        'steps',
        'ops',
        'reverse',
        'forward',
        '1/(2√a)',
        'rel. error (rev, fwd)',
        '2nd (rev∘rev)',
        'rel. error',
      ],
      rows.map((r) => [
        String(r.a),
        num(r.sqrt, 12),
        String(r.reductions),
        String(r.iterations),
        String(r.ops),
        num(r.reverse, 12),
        num(r.forward, 12),
        num(r.closedForm, 12),
        `${rel(r.reverse, r.closedForm)}, ${rel(r.forward, r.closedForm)}`,
        num(r.secondDerivative, 8),
        rel(r.secondDerivative, r.secondClosedForm),
      ]),
    ),
  )
  log('k: range-reduction steps, steps: Newton steps, ops: ops on the tape (each a records its own graph)')
  if (picture !== null) log(`\ngraph at a = ${o.a}: ${picture}`)
  return { rows, picture }
}

runIfMain(import.meta.url, 'differentiable-program', options, main)
