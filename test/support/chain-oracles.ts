/**
 * Test oracles of the chain planners: every bracketing of a chain of structured factors and every
 * sweep tree of an operator chain, and the cheapest plan found by pricing each of them separately
 * (no dynamic program). Exponential in the length of the chain: for checking `plan(chain,
 * 'optimal')` and `plan(chain, 'segments')` on chains of about ten factors (brackets) or five
 * operators (sweeps) or fewer.
 */
import { ValueError } from '../../src/core/errors.js'
import {
  planFromTree,
  type BracketTree,
  type BracketingPlan,
  type JacobianChain,
  type SweepPlan,
  type OperatorChain,
  type PlanOptions,
  type SweepTree,
} from '../../src/linalg/index.js'

const leaf = (index: number): BracketTree => ({ kind: 'factor', index })
const node = (left: BracketTree, right: BracketTree): BracketTree => ({ kind: 'product', left, right })

/**
 * Every full bracketing of a chain of L factors: Catalan(L − 1) of them (132 for L = 7, 4862 for
 * L = 10, 1.8 million for L = 14, the largest L accepted).
 */
export function allBracketings(L: number): BracketTree[] {
  if (!Number.isInteger(L) || L < 1 || L > 14) {
    throw new ValueError(`allBracketings: L must be an integer from 1 to 14, got ${String(L)}`)
  }
  // trees[i][j]: all bracketings of J_j ⋯ J_i (1-based)
  const trees: BracketTree[][][] = []
  for (let len = 1; len <= L; len++) {
    for (let i = 1; i + len - 1 <= L; i++) {
      const j = i + len - 1
      ;(trees[i] ??= [])[j] =
        len === 1
          ? [leaf(i)]
          : Array.from({ length: j - i }, (_, t) => i + t).flatMap((k) =>
              trees[k + 1]![j]!.flatMap((out) => trees[i]![k]!.map((inp) => node(out, inp))),
            )
    }
  }
  return trees[1]?.[L] ?? []
}

/**
 * The cheapest plan under the cost model of `opts` found by pricing every bracketing separately,
 * ties going to the first enumerated.
 */
export function bruteForceBracketing(chain: JacobianChain, opts: PlanOptions = {}): BracketingPlan {
  let best: BracketingPlan | null = null
  for (const t of allBracketings(chain.factors.length)) {
    const p = planFromTree(chain, t, opts)
    if (best === null || p.predictedMs < best.predictedMs) best = p
  }
  return best!
}

/**
 * Every sweep tree of an L-factor chain (`matrixFreeProducts` as in `optimal`, otherwise as in
 * `segments`); `hasDense(i)` says whether J_i may be evaluated densely.
 */
export function allSweepTrees(
  L: number,
  matrixFreeProducts: boolean,
  hasDense: (i: number) => boolean = () => false,
): SweepTree[] {
  const memo = new Map<string, SweepTree[]>()
  const trees = (j: number, i: number): SweepTree[] => {
    const key = `${j},${i}`
    const hit = memo.get(key)
    if (hit) return hit
    const out: SweepTree[] = [
      { kind: 'tangent', lo: j, hi: i, seed: null },
      { kind: 'adjoint', lo: j, hi: i, seed: null },
    ]
    if (j === i && hasDense(i)) out.push({ kind: 'dense', index: i })
    for (let k = j; k < i; k++) {
      for (const upper of trees(k + 1, i)) {
        for (const lower of trees(j, k)) out.push({ kind: 'product', left: upper, right: lower })
      }
      if (matrixFreeProducts) {
        for (const lower of trees(j, k)) out.push({ kind: 'tangent', lo: k + 1, hi: i, seed: lower })
        for (const upper of trees(k + 1, i)) out.push({ kind: 'adjoint', lo: j, hi: k, seed: upper })
      }
    }
    memo.set(key, out)
    return out
  }
  return L === 0 ? [] : trees(1, L)
}

/** The fastest plan under the cost model of `opts`, found by pricing every sweep tree separately. */
export function bruteForceSweeps(
  chain: OperatorChain,
  matrixFreeProducts = true,
  opts: PlanOptions = {},
): SweepPlan {
  const trees = allSweepTrees(
    chain.operators.length,
    matrixFreeProducts,
    (i) => chain.operators[i - 1]!.dense !== undefined,
  )
  let best: SweepPlan | null = null
  for (const t of trees) {
    const p = planFromTree(chain, t, opts)
    if (best === null || p.predictedMs < best.predictedMs) best = p
  }
  return best!
}
