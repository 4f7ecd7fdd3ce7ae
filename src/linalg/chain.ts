/**
 * Jacobian chains J = J_L ⋯ J_1 and the order in which to accumulate them.
 *
 * Two kinds of chain share one API:
 * - structured factors (`chainFromFactors`): the question is the bracketing of the products
 *   (`left` = adjoint order, `right` = tangent order, `optimal` = dynamic programming on a cost
 *   model that knows diagonal, permutation, blockRow, … factors); see `chain/bracketing.ts`;
 * - matrix-free factors (`chainFromOperators`), linear maps known only through their products
 *   with vectors (JVP and VJP): the question is which segments to accumulate by tangent or
 *   adjoint sweeps and how to combine them; see `chain/matrixFree.ts`.
 *
 * `plan(chain, strategy?, { model }?)` returns a `Plan`, one type for both (a bracketing or
 * sweeps: its steps in execution order, flops, predicted time and peak memory, printed by one
 * printer); `planFromTree(chain, tree)` prices an evaluation tree given by hand. An unknown
 * strategy, or something that is not a chain, is a ValueError. `accumulate(chain, strategy |
 * plan)` checks a plan against the chain (one validator, `checkPlan`), runs it and returns J as
 * a structured form. Both planners minimise the time a `ChainCostModel` predicts
 * (`chain/cost.ts`): per-call overheads and the rates of the kernels that run each step, measured
 * on this machine (`DEFAULT_CHAIN_COST_MODEL`) or by `calibrateChainCostModel()`;
 * `FLOP_COST_MODEL` counts flops.
 */
import { ValueError } from '../core/errors.js'
import { describe } from '../core/op.js'
import { checkOptions } from '../core/options.js'
import type { JacobianForm } from './structured.js'
import { checkSameWidths, fmtStrategy } from './chain/common.js'
import {
  bracketingPlan,
  checkBracketingPlan,
  planBracketing,
  runBracketing,
  type BracketTree,
  type BracketingPlan,
  type ChainStrategy,
  type JacobianChain,
} from './chain/bracketing.js'
import {
  checkSweepPlan,
  planSweeps,
  runSweeps,
  sweepPlan,
  type MatrixFreeStrategy,
  type OperatorChain,
  type SweepPlan,
  type SweepTree,
} from './chain/matrixFree.js'
import type { PlanOptions } from './chain/cost.js'

export { ChainShapeError, type Step } from './chain/common.js'
export {
  DEFAULT_CHAIN_COST_MODEL,
  FLOP_COST_MODEL,
  type ChainCostModel,
  type PlanOptions,
} from './chain/cost.js'
export {
  chainFromFactors,
  planBracketing,
  type BracketStep,
  type BracketTree,
  type BracketingPlan,
  type ChainStrategy,
  type JacobianChain,
  type Operand,
} from './chain/bracketing.js'
export {
  chainFromOperators,
  operatorFromForm,
  planSweeps,
  type JacobianOperator,
  type MatrixFreeStrategy,
  type OperatorChain,
  type SweepPlan,
  type SweepStep,
  type SweepTree,
} from './chain/matrixFree.js'

/**
 * A plan of the accumulation of a chain, of either kind: a bracketing of structured factors
 * (`kind: 'bracketing'`) or the sweeps through operators (`kind: 'sweeps'`). Both state their
 * strategy, the chain's widths, their tree, their steps in execution order (each a `Step`), flops,
 * predicted time, cost model, peak memory and expression, and print alike.
 *
 * @example
 * import { chainFromFactors, chainFromOperators, denseJacobian, diagonalJacobian, matrix, plan, type Plan } from 'dualtape/linalg'
 * const d = denseJacobian(matrix(3, 4))
 * const plans: Plan[] = [plan(chainFromFactors([d, diagonalJacobian([1, 2, 3])])), plan(chainFromOperators([d]))]
 * plans.map((p) => p.kind) // → ['bracketing', 'sweeps']
 * plans.map((p) => p.flops) // → [12, 72]
 */
export type Plan = BracketingPlan | SweepPlan

/**
 * Plans the accumulation of a chain: for structured factors a bracketing (`left`, `right` or
 * `optimal`, the default), for operators a choice of tangent and adjoint sweeps (`tangent`,
 * `adjoint`, `segments` or `optimal`, the default). `optimal` minimises the time predicted by
 * `opts.model` (default `DEFAULT_CHAIN_COST_MODEL`; `FLOP_COST_MODEL` minimises flops). The
 * plan's `toString()` prints its expression with the flops and predicted time of each step.
 *
 * @example
 * import { chainFromFactors, denseJacobian, matrix, plan } from 'dualtape/linalg'
 * const chain = chainFromFactors([
 *   denseJacobian(matrix(10, 1000)),
 *   denseJacobian(matrix(1000, 10)),
 *   denseJacobian(matrix(10, 1000)),
 *   denseJacobian(matrix(1000, 10)),
 * ])
 * console.log(plan(chain).expression) // (J4 · (J3 · J2)) · J1
 * console.log(plan(chain, 'left').flops / plan(chain).flops) // ≈ 2.94
 * console.log(plan(chain, 'left').predictedMs / plan(chain).predictedMs) // ≈ 3, in time
 */
export function plan(chain: JacobianChain, strategy?: ChainStrategy, opts?: PlanOptions): BracketingPlan
export function plan(chain: OperatorChain, strategy?: MatrixFreeStrategy, opts?: PlanOptions): SweepPlan
export function plan(
  chain: JacobianChain | OperatorChain,
  strategy?: ChainStrategy | MatrixFreeStrategy,
  opts: PlanOptions = {},
): Plan {
  checkChain('plan', chain)
  checkStrategy('plan', chain, strategy)
  checkOptions('plan', opts)
  if (chain.kind === 'forms') return planBracketing(chain, (strategy ?? 'optimal') as ChainStrategy, opts)
  return planSweeps(chain, (strategy ?? 'optimal') as MatrixFreeStrategy, opts)
}

/**
 * The plan that evaluates a chain by an evaluation tree given by hand, priced by the cost model of
 * `opts` (default `DEFAULT_CHAIN_COST_MODEL`): a bracketing of structured factors (each factor
 * once, J_L leftmost and J_1 rightmost: a product is never reordered, only bracketed) or a sweep
 * tree of an operator chain (its segments tiling J_1 … J_L). A tree that does not fit the chain is
 * a `ChainShapeError`. The plan's strategy is `given`.
 *
 * @example
 * import { chainFromFactors, chainFromOperators, diagonalJacobian, planFromTree } from 'dualtape/linalg'
 * const d = [diagonalJacobian([1, 2]), diagonalJacobian([3, 4])]
 * const bracketing = planFromTree(chainFromFactors(d), { kind: 'product', left: { kind: 'factor', index: 2 }, right: { kind: 'factor', index: 1 } })
 * console.log(bracketing.flops, bracketing.result.kind) // 2 diagonal
 * const sweeps = planFromTree(chainFromOperators(d), { kind: 'tangent', lo: 1, hi: 2, seed: null })
 * console.log(sweeps.expression, sweeps.flops) // tan(J2 J1) 8: two sweeps of 2 + 2 flops
 */
export function planFromTree(chain: JacobianChain, tree: BracketTree, opts?: PlanOptions): BracketingPlan
export function planFromTree(chain: OperatorChain, tree: SweepTree, opts?: PlanOptions): SweepPlan
export function planFromTree(
  chain: JacobianChain | OperatorChain,
  tree: BracketTree | SweepTree,
  opts: PlanOptions = {},
): Plan {
  checkChain('planFromTree', chain)
  checkOptions('planFromTree', opts)
  if (chain.kind === 'forms') return bracketingPlan(chain, tree as BracketTree, 'given', opts)
  return sweepPlan(chain, tree as SweepTree, 'given', opts)
}

const strategies = {
  forms: ['left', 'right', 'optimal'],
  operators: ['tangent', 'adjoint', 'segments', 'optimal'],
} as const

/** Throws a ValueError unless `chain` is a chain made by chainFromFactors or chainFromOperators. */
function checkChain(where: string, chain: unknown): asserts chain is JacobianChain | OperatorChain {
  const c = chain as { kind?: unknown; widths?: unknown; factors?: unknown; operators?: unknown } | null
  const ok =
    typeof c === 'object' &&
    c !== null &&
    Array.isArray(c.widths) &&
    ((c.kind === 'forms' && Array.isArray(c.factors)) ||
      (c.kind === 'operators' && Array.isArray(c.operators)))
  if (!ok) {
    throw new ValueError(
      `${where}: expected a chain made by chainFromFactors or chainFromOperators, got ${describe(chain)}`,
    )
  }
}

/** Throws a ValueError unless `strategy` is undefined or one of the chain's strategies. */
function checkStrategy(where: string, chain: JacobianChain | OperatorChain, strategy: unknown): void {
  if (strategy === undefined) return
  const known: readonly unknown[] = strategies[chain.kind]
  if (!known.includes(strategy)) {
    const what = chain.kind === 'forms' ? 'a chain of factors' : 'a chain of operators'
    throw new ValueError(
      `${where}: unknown strategy ${fmtStrategy(strategy)} for ${what} (${known.slice(0, -1).join(', ')} or ${known.at(-1)})`,
    )
  }
}

/**
 * Accumulates a chain with a strategy or a plan from `plan` and returns J: for structured factors
 * in the form the plan predicts (a chain of diagonals stays diagonal), for operators as a dense
 * form. All strategies give the same matrix up to rounding.
 *
 * @example
 * import { chainFromFactors, reluJacobian, denseJacobian, matrixFromRows, accumulate } from 'dualtape/linalg'
 * // h = ReLU(W x) at a point where the second unit is off: ∂h/∂x = diag(1, 0) · W
 * const w = denseJacobian(matrixFromRows([[1, 2], [3, 4]]))
 * const j = accumulate(chainFromFactors([w, reluJacobian([5, -1])]), 'right')
 * console.log(j.toDense().data) // Float64Array [1, 2, 0, 0]
 */
export function accumulate(chain: JacobianChain, how?: ChainStrategy | BracketingPlan): JacobianForm
export function accumulate(chain: OperatorChain, how?: MatrixFreeStrategy | SweepPlan): JacobianForm
export function accumulate(
  chain: JacobianChain | OperatorChain,
  how?: ChainStrategy | MatrixFreeStrategy | Plan,
): JacobianForm {
  checkChain('accumulate', chain)
  let p: Plan
  if (typeof how === 'string' || how === undefined) {
    checkStrategy('accumulate', chain, how)
    p =
      chain.kind === 'forms'
        ? planBracketing(chain, how as ChainStrategy)
        : planSweeps(chain, how as MatrixFreeStrategy)
  } else {
    checkPlan('accumulate', chain, how)
    p = how
  }
  return chain.kind === 'forms' ? runBracketing(chain, p as BracketingPlan) : runSweeps(chain, p as SweepPlan)
}

/**
 * The one validator of plans: throws unless `how` is a plan of this kind of chain (a ValueError:
 * a bracketing for factors, sweeps for operators) made for this chain (a ChainShapeError: the
 * same widths, and the same forms of the factors for a bracketing, or a sweep tree that tiles the
 * chain with the dense evaluations it asks for).
 */
function checkPlan(where: string, chain: JacobianChain | OperatorChain, how: unknown): asserts how is Plan {
  const want = chain.kind === 'forms' ? 'bracketing' : 'sweeps'
  const p = how as Partial<Plan> | null
  if (
    typeof p !== 'object' ||
    p === null ||
    p.kind !== want ||
    !Array.isArray(p.steps) ||
    !Array.isArray(p.widths)
  ) {
    throw new ValueError(
      `${where}: expected a strategy or a plan from plan() for ${chain.kind === 'forms' ? 'a chain of factors' : 'a chain of operators'}, got ${describe(how)}` +
        (typeof p === 'object' && p !== null && (p.kind === 'bracketing' || p.kind === 'sweeps')
          ? ` (a plan of ${p.kind})`
          : ''),
    )
  }
  checkSameWidths(p.widths, chain.widths, where)
  if (chain.kind === 'forms') checkBracketingPlan(chain, p as BracketingPlan, where)
  else checkSweepPlan(chain, p as SweepPlan)
}
