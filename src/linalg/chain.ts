/**
 * Jacobian chains J = J_L ⋯ J_1 and the order in which to accumulate them.
 *
 * Two kinds of chain share one API:
 * - structured factors (`chainFromFactors`): the question is the bracketing of the products
 *   (`left` = adjoint order, `right` = tangent order, `optimal` = dynamic programming on a cost
 *   model that knows diagonal, permutation, blockRow, … factors); see `chain/bracketing.ts`;
 * - matrix-free factors (`chainFromOperators`), known only through JVP and VJP operators: the
 *   question is which segments to accumulate by tangent or adjoint sweeps and how to combine
 *   them; see `chain/matrixFree.ts`.
 *
 * `plan(chain, strategy?, { model }?)` returns the chosen evaluation with its flops, predicted
 * time and peak memory (an unknown strategy, or something that is not a chain, is a ValueError); `accumulate(chain, strategy | plan)` runs it and returns J as a structured
 * form. Both planners minimise the time a `ChainCostModel` predicts (`chain/cost.ts`): per-call
 * overheads and the rates of the kernels that run each step, measured on this machine
 * (`DEFAULT_CHAIN_COST_MODEL`) or by `calibrateChainCostModel()`; `FLOP_COST_MODEL` counts flops.
 */
import { ValueError } from '../core/errors.js'
import { describe } from '../core/op.js'
import { checkOptions } from '../core/options.js'
import type { JacobianForm } from './structured.js'
import { fmtStrategy } from './chain/common.js'
import {
  accumulateBracketing,
  planBracketing,
  type ChainPlan,
  type ChainStrategy,
  type JacobianChain,
} from './chain/bracketing.js'
import {
  accumulateSweeps,
  planSweeps,
  type MatrixFreePlan,
  type MatrixFreeStrategy,
  type OperatorChain,
} from './chain/matrixFree.js'
import type { PlanOptions } from './chain/cost.js'

export { ChainShapeError } from './chain/common.js'
export {
  DEFAULT_CHAIN_COST_MODEL,
  FLOP_COST_MODEL,
  type ChainCostModel,
  type PlanOptions,
} from './chain/cost.js'
export { calibrateChainCostModel, type CalibrationOptions } from './chain/calibrate.js'
export {
  accumulateBracketing,
  chainFromFactors,
  planBracketing,
  planFromTree,
  type BracketStep,
  type BracketTree,
  type ChainPlan,
  type ChainStrategy,
  type JacobianChain,
  type Operand,
} from './chain/bracketing.js'
export {
  accumulateSweeps,
  chainFromOperators,
  operatorFromForm,
  planFromSweepTree,
  planSweeps,
  type JacobianOperator,
  type MatrixFreePlan,
  type MatrixFreeStrategy,
  type OperatorChain,
  type SweepStep,
  type SweepTree,
} from './chain/matrixFree.js'

/**
 * Plans the accumulation of a chain: for structured factors a bracketing (`left`, `right` or
 * `optimal`, the default), for operators a choice of tangent and adjoint sweeps (`tangent`,
 * `adjoint`, `segments` or `optimal`, the default). `optimal` minimises the time predicted by
 * `opts.model` (default `DEFAULT_CHAIN_COST_MODEL`; `FLOP_COST_MODEL` minimises flops). The
 * plan's `toString()` prints the bracketing with the flops and predicted time of each product.
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
export function plan(chain: JacobianChain, strategy?: ChainStrategy, opts?: PlanOptions): ChainPlan
export function plan(chain: OperatorChain, strategy?: MatrixFreeStrategy, opts?: PlanOptions): MatrixFreePlan
export function plan(
  chain: JacobianChain | OperatorChain,
  strategy?: ChainStrategy | MatrixFreeStrategy,
  opts: PlanOptions = {},
): ChainPlan | MatrixFreePlan {
  checkChain('plan', chain)
  checkStrategy('plan', chain, strategy)
  checkOptions('plan', opts)
  if (chain.kind === 'forms') return planBracketing(chain, (strategy ?? 'optimal') as ChainStrategy, opts)
  return planSweeps(chain, (strategy ?? 'optimal') as MatrixFreeStrategy, opts)
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
export function accumulate(chain: JacobianChain, how?: ChainStrategy | ChainPlan): JacobianForm
export function accumulate(chain: OperatorChain, how?: MatrixFreeStrategy | MatrixFreePlan): JacobianForm
export function accumulate(
  chain: JacobianChain | OperatorChain,
  how?: ChainStrategy | ChainPlan | MatrixFreeStrategy | MatrixFreePlan,
): JacobianForm {
  checkChain('accumulate', chain)
  if (typeof how === 'string' || how === undefined) checkStrategy('accumulate', chain, how)
  else {
    // a plan of this kind of chain: a bracketing for factors, sweeps for operators
    const want = chain.kind === 'forms' ? 'bracketing' : 'sweeps'
    const p = how as Partial<ChainPlan | MatrixFreePlan> | null
    if (
      typeof p !== 'object' ||
      p === null ||
      p.kind !== want ||
      !Array.isArray(p.steps) ||
      !Array.isArray(p.widths)
    ) {
      throw new ValueError(
        `accumulate: expected a strategy or a plan from plan() for ${chain.kind === 'forms' ? 'a chain of factors' : 'a chain of operators'}, got ${describe(how)}` +
          (typeof p === 'object' && p !== null && (p.kind === 'bracketing' || p.kind === 'sweeps')
            ? ` (a plan of ${p.kind})`
            : ''),
      )
    }
  }
  if (chain.kind === 'forms')
    return accumulateBracketing(chain, (how ?? 'optimal') as ChainStrategy | ChainPlan)
  return accumulateSweeps(chain, (how ?? 'optimal') as MatrixFreeStrategy | MatrixFreePlan)
}
