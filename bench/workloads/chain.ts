/**
 * The chain suite's workload, as a setup function for a host (bench/measure/host.ts): the cost
 * model calibrated in the host's own process, the cases of bench/chain.ts planned under it, and
 * one subject per distinct plan of each case: its strategies, the plan `plan(chain)` makes with
 * no options (the default model), and the plan of least flops (what `plan` chose before it
 * counted time), each accumulating the chain once.
 */
import {
  DEFAULT_CHAIN_COST_MODEL,
  FLOP_COST_MODEL,
  accumulate,
  calibrateChainCostModel,
  plan,
  planFromTree,
  type ChainCostModel,
  type JacobianChain,
  type OperatorChain,
} from '../../src/linalg/index.js'
import { chainCases } from '../chain.js'
import type { Setup } from '../measure/host.js'

/** A plan of a case: which strategy it is, what the model predicts, and its subject. */
export interface ChainEntry {
  /** `left`, `right`, `optimal`, `tangent`, `adjoint`, `segments`, `plan()` or `least flops`. */
  readonly strategy: string
  readonly expression: string
  /** Predicted under the calibrated model. */
  readonly predictedMs: number
  readonly predictedFlops: number
  /** The subject that runs it (plans with the same expression share one). */
  readonly subject: string
}

/** A case as the suite reads it. */
export interface ChainCaseInfo {
  readonly name: string
  readonly shape: string
  readonly kind: 'structured' | 'matrix-free'
  /** The strategies, then `plan()` and `least flops`. */
  readonly entries: readonly ChainEntry[]
  /** The strategy `plan()`'s plan equals, or `plan()` when it equals none of them. */
  readonly chosenEquals: string
}

/** What the setup tells the suite. */
export interface ChainInfo {
  readonly model: ChainCostModel
  readonly calibrated: boolean
  readonly cases: readonly ChainCaseInfo[]
}

/** A plan of a chain by its bracketing or sweep tree, priced by `model`, ready to run. */
function replan(
  chain: JacobianChain | OperatorChain,
  byModel: ChainCostModel,
  model: ChainCostModel,
): { expression: string; ms: number; flops: number; run: () => unknown } {
  if (chain.kind === 'forms') {
    const p = planFromTree(chain, plan(chain, 'optimal', { model: byModel }).tree, { model })
    return { expression: p.expression, ms: p.predictedMs, flops: p.flops, run: () => accumulate(chain, p) }
  }
  const p = planFromTree(chain, plan(chain, 'optimal', { model: byModel }).tree, { model })
  return { expression: p.expression, ms: p.predictedMs, flops: p.flops, run: () => accumulate(chain, p) }
}

/**
 * The cost model of this machine, calibrated in the host's process (no subjects; the model is the
 * info). The default model at the smoke size, whose microsecond runs would calibrate nothing.
 */
export function chainCalibration(size: 'full' | 'quick' | 'smoke'): Setup {
  return { subjects: {}, info: size === 'smoke' ? DEFAULT_CHAIN_COST_MODEL : calibrateChainCostModel() }
}

/**
 * The chain cases of a size with a subject per distinct plan, every case planned under `model`
 * (calibrated once, by `chainCalibration`, so that every process of the host plans alike).
 */
export function chainSetup(size: 'full' | 'quick' | 'smoke', model: ChainCostModel): Setup {
  const calibrated = model.name !== DEFAULT_CHAIN_COST_MODEL.name
  const subjects: Record<string, () => unknown> = {}
  const cases = chainCases(size, model).map((c): ChainCaseInfo => {
    const entries: ChainEntry[] = []
    const add = (
      strategy: string,
      p: { expression: string; ms: number; flops: number; run: () => unknown },
    ): void => {
      // plans with the same expression are the same computation: one subject
      const same = entries.find((e) => e.expression === p.expression)
      const subject = same?.subject ?? `${c.name}/${entries.length}`
      if (same === undefined) subjects[subject] = p.run
      entries.push({
        strategy,
        expression: p.expression,
        predictedMs: p.ms,
        predictedFlops: p.flops,
        subject,
      })
    }
    for (const s of c.strategies) {
      add(s.strategy, { expression: s.expression, ms: s.predictedMs, flops: s.predictedFlops, run: s.run })
    }
    const byDefault = replan(c.chain, DEFAULT_CHAIN_COST_MODEL, model)
    add('plan()', byDefault)
    add('least flops', replan(c.chain, FLOP_COST_MODEL, model))
    const equals = entries.find((e) => e.strategy !== 'plan()' && e.expression === byDefault.expression)
    return {
      name: c.name,
      shape: c.shape,
      kind: c.kind,
      entries,
      chosenEquals: equals?.strategy ?? 'plan()',
    }
  })
  const info: ChainInfo = { model, calibrated, cases }
  return { subjects, info }
}
