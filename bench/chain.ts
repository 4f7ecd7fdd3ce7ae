/**
 * Jacobian chain accumulation: every strategy of `plan` on chains of structured factors (dense D
 * and diagonal d: `left`, `right`, `optimal`) and on matrix-free operator chains (the same kinds
 * of factor seen only through their JVP and VJP: `tangent`, `adjoint`, `segments`, `optimal`),
 * with the time the cost model predicts beside the time measured.
 *
 * `chainCases(size, model?)` builds the cases, each strategy with its plan made once and a `run`
 * thunk that accumulates the chain with it; the chain suite (`dualtape bench chain`, in
 * bench/suites/chain.ts) times them side by side, with whether the plan `plan(chain)` chooses is
 * within 1.2× of the fastest strategy.
 */
import { denseJacobian, diagonalJacobian, type JacobianForm } from '../src/linalg/structured.js'
import {
  DEFAULT_CHAIN_COST_MODEL,
  accumulate,
  chainFromFactors,
  chainFromOperators,
  operatorFromForm,
  plan,
  type ChainCostModel,
  type JacobianChain,
  type OperatorChain,
} from '../src/linalg/index.js'

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

/**
 * One chain of the benchmark with every strategy that applies to it, each planned once.
 */
export interface ChainCase {
  /** e.g. `hourglass`, `operators hourglass`; unique among the cases. */
  readonly name: string
  /** The name, the widths n_0 → … → n_L and the factor kinds (D dense, d diagonal). */
  readonly shape: string
  readonly kind: 'structured' | 'matrix-free'
  /** The chain itself, for planning it under another model. */
  readonly chain: JacobianChain | OperatorChain
  readonly strategies: readonly CaseStrategy[]
}

/**
 * One strategy of a case: its plan's predicted time and flops, and `run`, one accumulation with
 * the precomputed plan (self-contained, cheap to call repeatedly).
 */
export interface CaseStrategy {
  /** `left`/`right`/`optimal` (structured) or `tangent`/`adjoint`/`segments`/`optimal`. */
  readonly strategy: string
  readonly predictedMs: number
  readonly predictedFlops: number
  /** The plan's expression. */
  readonly expression: string
  readonly run: () => unknown
}

/** Deterministic values in [-1, 1) from a linear congruential generator. */
function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 31 - 1
  }
}

const randomDense = (rows: number, cols: number, next: () => number): JacobianForm =>
  denseJacobian({ rows, cols, data: Float64Array.from({ length: rows * cols }, next) })

const randomDiagonal = (n: number, next: () => number): JacobianForm =>
  diagonalJacobian(Array.from({ length: n }, () => next()))

/**
 * The factors of an MLP-like chain over the widths: a dense W_i (n_i × n_{i-1}) per layer,
 * followed by a diagonal (an elementwise activation) after every layer but the last.
 */
function mlpFactors(widths: readonly number[], seed: number): JacobianForm[] {
  const next = lcg(seed)
  const factors: JacobianForm[] = []
  for (let t = 1; t < widths.length; t++) {
    factors.push(randomDense(widths[t]!, widths[t - 1]!, next))
    if (t < widths.length - 1) factors.push(randomDiagonal(widths[t]!, next))
  }
  return factors
}

/** Dense factors only, one per layer. */
function denseFactors(widths: readonly number[], seed: number): JacobianForm[] {
  const next = lcg(seed)
  return widths.slice(1).map((w, t) => randomDense(w, widths[t]!, next))
}

/** What a case is made of, before planning. */
interface CaseSpec {
  readonly name: string
  readonly kind: 'structured' | 'matrix-free'
  readonly factors: readonly JacobianForm[]
}

/** The chains of each size: `smoke` tiny, `quick` the MLP-like chains at half width. */
function specs(size: 'full' | 'quick' | 'smoke'): CaseSpec[] {
  const smoke = size === 'smoke'
  const s = size === 'full' ? 1 : size === 'quick' ? 0.5 : 0.05
  const w = (x: number): number => Math.max(2, Math.round(x * s))
  // the two hourglasses of the issue keep their size in quick mode
  const big = (x: number): number => (smoke ? Math.max(2, Math.round(x / 25)) : x)
  const next = lcg(99)
  const randomWidths = Array.from({ length: 7 }, () => w(10 + Math.floor(((next() + 1) / 2) * 390)))
  const hg = [big(1000), big(10), big(1000), big(10), big(1000)]
  const mf = (x: number): number => (smoke ? Math.max(2, Math.round(x / 15)) : x)
  const structured = (name: string, factors: readonly JacobianForm[]): CaseSpec => ({
    name,
    kind: 'structured',
    factors,
  })
  const operators = (name: string, factors: readonly JacobianForm[]): CaseSpec => ({
    name: `operators ${name}`,
    kind: 'matrix-free',
    factors,
  })
  return [
    structured('hourglass', denseFactors(hg, 1)),
    structured('constant', mlpFactors([w(300), w(300), w(300), w(300)], 2)),
    structured('widening', mlpFactors([w(8), w(32), w(128), w(512)], 3)),
    structured('narrowing', mlpFactors([w(512), w(128), w(32), w(8)], 4)),
    structured('hourglass mlp', mlpFactors([w(500), w(16), w(500), w(16), w(500)], 5)),
    structured('random', mlpFactors(randomWidths, 6)),
    // a funnel to a scalar loss: from the left every product is a row times a matrix (gemv)
    structured('loss', mlpFactors([w(300), w(300), w(300), w(30), 1], 12)),
    operators('hourglass', denseFactors([mf(300), mf(10), mf(300), mf(10), mf(300)], 7)),
    operators('widening', mlpFactors([mf(10), mf(50), mf(200), mf(300)], 8)),
    operators('narrowing', mlpFactors([mf(300), mf(200), mf(50), mf(10)], 9)),
    operators('mlp', mlpFactors([mf(100), mf(100), mf(100), mf(100)], 10)),
    operators('loss', mlpFactors([mf(300), mf(300), mf(30), 1], 11)),
  ]
}

const kindLetters = (factors: readonly JacobianForm[]): string =>
  factors.map((f) => (f.kind === 'dense' ? 'D' : 'd')).join('')

const STRUCTURED = ['left', 'right', 'optimal'] as const
const MATRIX_FREE = ['tangent', 'adjoint', 'segments', 'optimal'] as const

/**
 * The benchmark's chains, each with every strategy planned under `model` (default
 * `DEFAULT_CHAIN_COST_MODEL`, the model `plan(chain)` uses): structured chains (the hourglass
 * 1000→10→1000→10→1000 of dense factors; constant, widening, narrowing, hourglass and random
 * MLP-like chains of dense and diagonal factors, and a funnel to a scalar loss) and matrix-free chains of the same kinds of
 * factor seen as operators (an hourglass 300→10→300→10→300, widening, narrowing, a square MLP and
 * a funnel to one output). `smoke` is tiny (milliseconds for every run of every case); `quick`
 * halves the widths of the MLP-like structured chains.
 */
export function chainCases(
  size: 'full' | 'quick' | 'smoke',
  model: ChainCostModel = DEFAULT_CHAIN_COST_MODEL,
): ChainCase[] {
  return specs(size).map((spec) => {
    const planned: { chain: JacobianChain | OperatorChain; strategies: CaseStrategy[] } =
      spec.kind === 'structured' ? structuredCase(spec.factors, model) : operatorCase(spec.factors, model)
    return {
      name: spec.name,
      shape: `${spec.name} ${planned.chain.widths.join('→')} [${kindLetters(spec.factors)}]`,
      kind: spec.kind,
      ...planned,
    }
  })
}

/** A chain of the factors, with each structured strategy planned under `model`. */
function structuredCase(factors: readonly JacobianForm[], model: ChainCostModel) {
  const chain = chainFromFactors(factors)
  const strategies = STRUCTURED.map((s): CaseStrategy => {
    const p = plan(chain, s, { model })
    const run = (): unknown => accumulate(chain, p)
    return { strategy: s, predictedMs: p.predictedMs, predictedFlops: p.flops, expression: p.expression, run }
  })
  return { chain, strategies }
}

/** The factors as operators, with each matrix-free strategy planned under `model`. */
function operatorCase(factors: readonly JacobianForm[], model: ChainCostModel) {
  const chain = chainFromOperators(factors.map((f) => operatorFromForm(f)))
  const strategies = MATRIX_FREE.map((s): CaseStrategy => {
    const p = plan(chain, s, { model })
    const run = (): unknown => accumulate(chain, p)
    return { strategy: s, predictedMs: p.predictedMs, predictedFlops: p.flops, expression: p.expression, run }
  })
  return { chain, strategies }
}
