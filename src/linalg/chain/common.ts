/**
 * Pieces shared by the two chain planners (`bracketing.ts` for structured factors, `matrixFree.ts`
 * for factors given as tangent and adjoint operators): the shape check of a chain, what every plan
 * and every step of a plan states and the one printer of plans, the schedule of an evaluation tree
 * with its peak memory, and number formatting.
 */
import { fmtValue } from '../../core/errors.js'
import { JacobianShapeError } from '../matrix.js'

/**
 * Neighbouring factors of a Jacobian chain whose dimensions do not match (J_i.cols ≠ J_{i-1}.rows),
 * or a chain with no factor. The message names the factor indices and their shapes.
 *
 * @example
 * import { chainFromFactors, denseJacobian, matrix, ChainShapeError } from 'dualtape/linalg'
 * try { chainFromFactors([denseJacobian(matrix(3, 2)), denseJacobian(matrix(4, 5))]) } catch (e) {
 *   console.log(e instanceof ChainShapeError) // true: J2 takes 5 inputs but J1 gives 3
 * }
 */
export class ChainShapeError extends JacobianShapeError {
  override name = 'ChainShapeError'
}

/**
 * The widths n_0 … n_L of a chain J_L ⋯ J_1 given in application order (shapes[0] is J_1, of
 * shape n_1 × n_0), after checking that J_i.cols = n_{i-1} = J_{i-1}.rows for every i.
 */
export function chainWidths(
  shapes: readonly { readonly rows: number; readonly cols: number }[],
  what: string,
): number[] {
  if (shapes.length === 0) throw new ChainShapeError(`${what}: a chain needs at least one factor`)
  const widths = [shapes[0]!.cols]
  shapes.forEach((s, t) => {
    if (t > 0) {
      const prev = shapes[t - 1]!
      if (s.cols !== prev.rows) {
        throw new ChainShapeError(
          `${what}: J${t + 1} (index ${t}) is ${s.rows}×${s.cols} and takes ${s.cols} inputs, but ` +
            `J${t} (index ${t - 1}) is ${prev.rows}×${prev.cols} and gives ${prev.rows} outputs; ` +
            `J${t + 1}.cols must equal J${t}.rows`,
        )
      }
    }
    widths.push(s.rows)
  })
  return widths
}

/**
 * Throws a `ChainShapeError` unless two width lists are equal (a plan made for another chain).
 */
export function checkSameWidths(planned: readonly number[], actual: readonly number[], what: string): void {
  if (planned.length !== actual.length || planned.some((w, t) => w !== actual[t])) {
    throw new ChainShapeError(
      `${what}: the plan was made for a chain of widths [${planned.join(', ')}], not [${actual.join(', ')}]`,
    )
  }
}

/**
 * The evaluation order of a tree (children before parents) and its peak memory: the most
 * numbers held at once by results not yet consumed, when a node's result is kept until its parent
 * is computed. For two children the order with the lower peak is taken:
 *
 *   peak(n) = min over orders (a, b) of max(peak(a), size(a) + peak(b), size(a) + size(b) + size(n))
 *
 * Iterative, so a chain of any length is scheduled without deep recursion.
 */
export function schedule<N extends object>(
  root: N,
  children: (n: N) => readonly N[],
  size: (n: N) => number,
): { readonly order: readonly N[]; readonly peak: number } {
  const peak = new Map<N, number>()
  const firstChildren = new Map<N, readonly N[]>()
  for (const n of postOrder(root, children)) {
    const cs = children(n)
    const own = size(n)
    if (cs.length === 0) {
      peak.set(n, own)
      firstChildren.set(n, cs)
      continue
    }
    const costOf = (ord: readonly N[]): number => {
      let held = 0
      let p = 0
      for (const c of ord) {
        p = Math.max(p, held + peak.get(c)!)
        held += size(c)
      }
      return Math.max(p, held + own)
    }
    let best = cs
    let bestPeak = costOf(cs)
    if (cs.length === 2) {
      const swapped = [cs[1]!, cs[0]!]
      const p = costOf(swapped)
      if (p < bestPeak) {
        best = swapped
        bestPeak = p
      }
    }
    peak.set(n, bestPeak)
    firstChildren.set(n, best)
  }
  // Emit in the chosen order: a node after all its children.
  const order: N[] = []
  const stack: { node: N; expanded: boolean }[] = [{ node: root, expanded: false }]
  while (stack.length > 0) {
    const top = stack.pop()!
    if (top.expanded) {
      order.push(top.node)
      continue
    }
    stack.push({ node: top.node, expanded: true })
    const cs = firstChildren.get(top.node)!
    for (let t = cs.length - 1; t >= 0; t--) stack.push({ node: cs[t]!, expanded: false })
  }
  return { order, peak: peak.get(root)! }
}

/**
 * The nodes of a tree, children before parents, left to right (iterative).
 */
export function postOrder<N>(root: N, children: (n: N) => readonly N[]): N[] {
  const out: N[] = []
  const stack: { node: N; expanded: boolean }[] = [{ node: root, expanded: false }]
  while (stack.length > 0) {
    const top = stack.pop()!
    if (top.expanded) {
      out.push(top.node)
      continue
    }
    stack.push({ node: top.node, expanded: true })
    const cs = children(top.node)
    for (let t = cs.length - 1; t >= 0; t--) stack.push({ node: cs[t]!, expanded: false })
  }
  return out
}

/**
 * A count for humans: exact below a million, three significant digits above.
 */
export function fmtCount(x: number): string {
  return Math.abs(x) < 1e6 ? String(Math.round(x * 100) / 100) : x.toExponential(2)
}

/**
 * A strategy a user passed, for error messages: a string in quotes, anything else as JSON.
 */
export const fmtStrategy = (s: unknown): string => (typeof s === 'string' ? `'${s}'` : fmtValue(s))

/**
 * A duration in nanoseconds for humans, three significant digits: `420 ns`, `76.3 µs`, `5.31 ms`.
 */
export function fmtTime(ns: number): string {
  const three = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
  if (ns < 1e3) return `${three(ns)} ns`
  if (ns < 1e6) return `${three(ns / 1e3)} µs`
  if (ns < 1e9) return `${three(ns / 1e6)} ms`
  return `${three(ns / 1e9)} s`
}

/**
 * `, predicted 5.31 ms` for a whole plan (the model named unless it is the default), `, 76.3 µs`
 * for a step; nothing under the flop model, whose time is the flop count.
 */
export function timeText(model: string, ns: number, whole: boolean): string {
  if (model === 'flops') return ''
  const named = whole && model !== 'default' ? ` (${model} model)` : ''
  return whole ? `, predicted ${fmtTime(ns)}${named}` : `, ${fmtTime(ns)}`
}

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

/**
 * One step of a plan, in execution order: a product of two factors or earlier results (a plan of
 * a bracketing), or a block of tangent or adjoint sweeps, a dense evaluation or a dense product
 * (a plan of sweeps). Each states the shape of its result, its flops and the time the cost model
 * predicts for it.
 *
 * @example
 * import { chainFromFactors, denseJacobian, diagonalJacobian, matrix, plan, type Step } from 'dualtape/linalg'
 * const s: Step = plan(chainFromFactors([denseJacobian(matrix(2, 3)), diagonalJacobian([1, 2])])).steps[0]!
 * console.log(s.name, s.description, s.flops) // P1 J2 · J1 (diagonal 2×2 · dense 2×3) → dense 2×3 6
 * s.predictedMs > 0 // → true
 */
export interface Step {
  /** `P1`, `P2`, … in execution order. */
  readonly name: string
  /** What the step computes, e.g. `J2 · J1 (diagonal 2×2 · dense 2×3) → dense 2×3`. */
  readonly description: string
  /** The shape of the step's result. */
  readonly rows: number
  readonly cols: number
  readonly flops: number
  /** Time the cost model predicts for the step, in milliseconds. */
  readonly predictedMs: number
}

/** What a plan of either planner states (see `Plan` in chain.ts). */
export interface PlanBase<S extends Step> {
  /** How the plan was chosen: a strategy, or `given` for `planFromTree`. */
  readonly strategy: string
  /** The widths n_0 … n_L of the chain the plan was made for. */
  readonly widths: readonly number[]
  readonly steps: readonly S[]
  /** Flops of the whole accumulation. */
  readonly flops: number
  /** Time the cost model predicts for the whole accumulation, in milliseconds. */
  readonly predictedMs: number
  /** The name of the cost model the plan was made and priced with. */
  readonly model: string
  /** The most numbers held at once by intermediate results (the factors not counted). */
  readonly peakMemory: number
  /** The evaluation as an expression, e.g. `(J4 · J3) · (J2 · J1)` or `adj(J4 J3) · tan(J2 J1)`. */
  readonly expression: string
  /** The expression with the totals, then one line per step (`planText`). */
  toString(): string
}

/**
 * The one printer of plans: the expression with the strategy, flops, predicted time and peak
 * memory, then one line per step with what it computes, its flops and its predicted time.
 */
export function planText(p: Omit<PlanBase<Step>, 'toString'>): string {
  return [
    `${p.expression}    [${p.strategy}: ${fmtCount(p.flops)} flops${timeText(p.model, p.predictedMs * 1e6, true)}, peak ${fmtCount(p.peakMemory)} floats]`,
    ...p.steps.map(
      (s) =>
        `  ${s.name}: ${s.description}, ${fmtCount(s.flops)} flops${timeText(p.model, s.predictedMs * 1e6, false)}`,
    ),
  ].join('\n')
}
