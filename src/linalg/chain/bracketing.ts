/**
 * Jacobian chains J = J_L ⋯ J_1 of structured factors, and the order of their products.
 *
 * J_1 is applied first and has shape n_1 × n_0; J_i has shape n_i × n_{i-1}. Since matrix
 * products are associative, every full bracketing gives the same J, but not at the same cost:
 *
 *   left     ((J_L J_{L-1}) J_{L-2}) ⋯ J_1    from the output side: the adjoint (reverse) sweep
 *   right    J_L (⋯ (J_3 (J_2 J_1)))          from the input side: the tangent (forward) sweep
 *   optimal  the bracketing of least predicted time, by dynamic programming over sub-chains
 *
 * The cost of a product depends on the forms of its operands (diag·dense costs one multiply per
 * entry, identity·X nothing) and on the kernel that runs it (a row times a matrix is a
 * matrix–vector product, several times slower per flop than a matrix–matrix one): `cost.ts` prices
 * each product in time by a `ChainCostModel`, and `FLOP_COST_MODEL` makes that time the flop
 * count. The dynamic program tracks the form of every sub-product,
 * computed symbolically by `productSignature` (a sub-chain of diagonals is diagonal, a
 * permutation times a diagonal is monomial, A·(I ⊗ xᵀ) is A ⊗ xᵀ). It keeps, for every sub-chain,
 * the cheapest bracketing for each form the product can take. With the forms of `structured.ts`
 * the form of a product does not depend on its bracketing, so there is one per sub-chain; keeping
 * one per form keeps the program exact for forms where it would.
 */
import { ValueError } from '../../core/errors.js'
import { productKernelNs, productSignature } from '../product.js'
import { signatureToString, storageOf, type FormSignature, type JacobianForm } from '../structured.js'
import {
  ChainShapeError,
  chainWidths,
  fmtStrategy,
  planText,
  postOrder,
  schedule,
  type PlanBase,
  type Step,
} from './common.js'
import { checkModel, modelOf, stepNs, type ChainCostModel, type PlanOptions } from './cost.js'

// ---------------------------------------------------------------------------------------------
// Chains and bracketing trees
// ---------------------------------------------------------------------------------------------

/**
 * A chain J_L ⋯ J_1 of structured Jacobians. `factors[0]` is J_1 (applied first);
 * `widths[i]` is n_i, so J_i is n_i × n_{i-1}.
 *
 * @example
 * import { chainFromFactors, diagonalJacobian, denseJacobian, matrix } from 'dualtape/linalg'
 * const chain = chainFromFactors([denseJacobian(matrix(3, 5)), diagonalJacobian([1, 2, 3])])
 * console.log(chain.widths) // [5, 3, 3]
 */
export interface JacobianChain {
  readonly kind: 'forms'
  readonly factors: readonly JacobianForm[]
  readonly widths: readonly number[]
}

/**
 * A chain from its factors in application order: `[J_1, J_2, …, J_L]` for J = J_L ⋯ J_1.
 * Throws a `ChainShapeError` naming the factors whose dimensions do not match.
 *
 * @example
 * import { chainFromFactors, denseJacobian, matrix } from 'dualtape/linalg'
 * const chain = chainFromFactors([denseJacobian(matrix(10, 1000)), denseJacobian(matrix(1000, 10))])
 * console.log(chain.widths) // [1000, 10, 1000]
 */
export function chainFromFactors(factors: readonly JacobianForm[]): JacobianChain {
  const widths = chainWidths(factors, 'chainFromFactors')
  return { kind: 'forms', factors: [...factors], widths }
}

/**
 * A full bracketing of a chain: a leaf is factor J_index (1-based); a product is
 * left · right, with `left` the output-side sub-chain.
 *
 * @example
 * import type { BracketTree } from 'dualtape/linalg'
 * // J3 · (J2 · J1)
 * const t: BracketTree = { kind: 'product', left: { kind: 'factor', index: 3 },
 *   right: { kind: 'product', left: { kind: 'factor', index: 2 }, right: { kind: 'factor', index: 1 } } }
 */
export type BracketTree =
  | { readonly kind: 'factor'; readonly index: number }
  | { readonly kind: 'product'; readonly left: BracketTree; readonly right: BracketTree }

/**
 * An operand of a product step: a factor J_index (1-based) or the result of an earlier step
 * (0-based index into `steps`).
 *
 * @example
 * import { chainFromFactors, diagonalJacobian, plan } from 'dualtape/linalg'
 * const chain = chainFromFactors([diagonalJacobian([1]), diagonalJacobian([2]), diagonalJacobian([3])])
 * const p = plan(chain, 'left')
 * console.log(p.steps[1]!.left) // { kind: 'step', index: 0 }
 */
export type Operand =
  { readonly kind: 'factor'; readonly index: number } | { readonly kind: 'step'; readonly index: number }

/**
 * One product of a plan of a bracketing, in execution order: a `Step` with its operands and the
 * forms of its operands and result.
 *
 * @example
 * import { chainFromFactors, diagonalJacobian, denseJacobian, matrix, plan } from 'dualtape/linalg'
 * const s = plan(chainFromFactors([denseJacobian(matrix(2, 3)), diagonalJacobian([1, 2])])).steps[0]!
 * console.log(s.name, s.signature.kind, s.flops) // P1 dense 6
 * s.predictedMs > 0 // → true
 */
export interface BracketStep extends Step {
  readonly left: Operand
  readonly right: Operand
  readonly leftSignature: FormSignature
  readonly rightSignature: FormSignature
  readonly signature: FormSignature
}

/**
 * The strategies of `plan` for structured chains: `left` (from the output side, the adjoint
 * order), `right` (from the input side, the tangent order), `optimal` (least predicted time under
 * the cost model; least flops under `FLOP_COST_MODEL`).
 *
 * @example
 * import { chainFromFactors, diagonalJacobian, plan, type ChainStrategy } from 'dualtape/linalg'
 * const s: ChainStrategy = 'left'
 * console.log(plan(chainFromFactors([diagonalJacobian([1]), diagonalJacobian([2])]), s).expression) // J2 · J1
 */
export type ChainStrategy = 'left' | 'right' | 'optimal'

/**
 * The plan of a bracketing of a chain of structured factors (`kind: 'bracketing'`, one of the two
 * kinds of `Plan`): its tree, the products in execution order, the signatures of the factors it
 * was made for and the form of the result, with flops, predicted time and peak memory (the most
 * numbers held at once by intermediate products, factors not counted).
 *
 * @example
 * import { chainFromFactors, denseJacobian, matrix, plan } from 'dualtape/linalg'
 * const p = plan(
 *   chainFromFactors([
 *     denseJacobian(matrix(10, 1000)),
 *     denseJacobian(matrix(1000, 10)),
 *     denseJacobian(matrix(10, 1000)),
 *   ]),
 * )
 * console.log(p.expression, p.flops) // (J3 · J2) · J1 400000
 * console.log(p.kind, p.model) // bracketing default
 */
export interface BracketingPlan extends PlanBase<BracketStep> {
  readonly kind: 'bracketing'
  /** How the bracketing was chosen: a strategy, or `given` for `planFromTree`. */
  readonly strategy: ChainStrategy | 'given'
  readonly tree: BracketTree
  /** Signatures of J_1 … J_L the plan was made for. */
  readonly factors: readonly FormSignature[]
  readonly result: FormSignature
}

const leaf = (index: number): BracketTree => ({ kind: 'factor', index })
const node = (left: BracketTree, right: BracketTree): BracketTree => ({ kind: 'product', left, right })
const treeChildren = (t: BracketTree): readonly BracketTree[] =>
  t.kind === 'factor' ? [] : [t.left, t.right]

/** The bracketing as text: J_i for a factor, sub-products in parentheses (linear time, iterative). */
function treeExpression(tree: BracketTree): string {
  const parts: string[] = []
  const stack: (string | { t: BracketTree; wrap: boolean })[] = [{ t: tree, wrap: false }]
  while (stack.length > 0) {
    const top = stack.pop()!
    if (typeof top === 'string') {
      parts.push(top)
    } else if (top.t.kind === 'factor') {
      parts.push(`J${top.t.index}`)
    } else {
      // emitted in reverse: ( left · right )
      if (top.wrap) stack.push(')')
      stack.push({ t: top.t.right, wrap: true }, ' · ', { t: top.t.left, wrap: true })
      if (top.wrap) stack.push('(')
    }
  }
  return parts.join('')
}

/**
 * The plan that evaluates a chain in the given bracketing, priced by the cost model of `opts`
 * (default `DEFAULT_CHAIN_COST_MODEL`); `planFromTree` in chain.ts. The tree must hold each factor
 * once, J_L leftmost and J_1 rightmost (a product is never reordered, only bracketed).
 */
export function bracketingPlan(
  chain: JacobianChain,
  tree: BracketTree,
  strategy: BracketingPlan['strategy'],
  opts: PlanOptions,
): BracketingPlan {
  const model = modelOf(opts)
  checkModel(model, 'plan')
  const L = chain.factors.length
  const sigs = chain.factors.map((f) => f.signature)
  // The leaves, read left to right, must be J_L, J_{L-1}, …, J_1.
  const leaves = postOrder(tree, treeChildren).filter((t) => t.kind === 'factor')
  const order = leaves.map((t) => (t.kind === 'factor' ? t.index : 0))
  if (order.length !== L || order.some((ix, t) => ix !== L - t)) {
    throw new ChainShapeError(
      `planFromTree: the leaves of ${treeExpression(tree)} must be J${L} … J1 in that order, each once`,
    )
  }
  const info = new Map<BracketTree, { signature: FormSignature; flops: number; ns: number }>()
  const size = (t: BracketTree): number => (t.kind === 'factor' ? 0 : storageOf(info.get(t)!.signature))
  for (const t of postOrder(tree, treeChildren)) {
    if (t.kind === 'factor') {
      info.set(t, { signature: sigs[t.index - 1]!, flops: 0, ns: 0 })
    } else {
      const a = info.get(t.left)!.signature
      const b = info.get(t.right)!.signature
      const p = productSignature(a, b)
      info.set(t, { ...p, ns: stepNs(model, productKernelNs(model, a, b)) })
    }
  }
  const { order: exec, peak } = schedule(tree, treeChildren, size)
  const stepOf = new Map<BracketTree, number>()
  const steps: BracketStep[] = []
  const operand = (t: BracketTree): Operand =>
    t.kind === 'factor' ? { kind: 'factor', index: t.index } : { kind: 'step', index: stepOf.get(t)! }
  let flops = 0
  let ns = 0
  for (const t of exec) {
    if (t.kind === 'factor') continue
    const p = info.get(t)!
    flops += p.flops
    ns += p.ns
    stepOf.set(t, steps.length)
    const left = operand(t.left)
    const right = operand(t.right)
    const leftSignature = info.get(t.left)!.signature
    const rightSignature = info.get(t.right)!.signature
    steps.push({
      name: `P${steps.length + 1}`,
      description:
        `${operandName(left)} · ${operandName(right)} ` +
        `(${signatureToString(leftSignature)} · ${signatureToString(rightSignature)}) → ${signatureToString(p.signature)}`,
      rows: p.signature.rows,
      cols: p.signature.cols,
      left,
      right,
      leftSignature,
      rightSignature,
      signature: p.signature,
      flops: p.flops,
      predictedMs: p.ns / 1e6,
    })
  }
  const fields = {
    kind: 'bracketing' as const,
    strategy,
    widths: chain.widths,
    factors: sigs,
    tree,
    steps,
    flops,
    predictedMs: ns / 1e6,
    model: model.name,
    peakMemory: peak,
    result: info.get(tree)!.signature,
    expression: treeExpression(tree),
  }
  return { ...fields, toString: () => planText(fields) }
}

function operandName(o: Operand): string {
  return o.kind === 'factor' ? `J${o.index}` : `P${o.index + 1}`
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/** ((J_L J_{L-1}) J_{L-2}) ⋯ J_1: accumulation from the output side (reverse sweep). */
function leftTree(L: number): BracketTree {
  let t = leaf(L)
  for (let i = L - 1; i >= 1; i--) t = node(t, leaf(i))
  return t
}

/** J_L (⋯ (J_2 J_1)): accumulation from the input side (forward sweep). */
function rightTree(L: number): BracketTree {
  let t = leaf(1)
  for (let i = 2; i <= L; i++) t = node(leaf(i), t)
  return t
}

/** A candidate bracketing of a sub-chain: its tree, predicted time, flops and the form of its product. */
interface Candidate {
  readonly tree: BracketTree
  readonly ns: number
  readonly flops: number
  readonly signature: FormSignature
}

/**
 * The bracketing of least predicted time, by dynamic programming on sub-chains J_j ⋯ J_i
 * (matrix-chain order; Griewank & Walther, "Evaluating Derivatives", 2nd ed. 2008, §9 on
 * Jacobian accumulation by chained products; Griewank & Naumann, "Accumulating Jacobians as
 * chained sparse matrix products", Math. Program. 95(3), 2003):
 *
 *   best(i..j, form) = min over i ≤ k < j, forms f, g with form(f · g) = form of
 *                      best(k+1..j, f) + best(i..k, g) + time(f · g)
 *
 * O(L³ · F²) for F forms per sub-chain (a handful in practice). Exact: the time of every later
 * product depends on a sub-product only through its form (kind and shape pick the kernel and
 * its sizes), so keeping the cheapest bracketing per form loses nothing.
 */
function optimalTree(sigs: readonly FormSignature[], model: ChainCostModel): Candidate {
  const L = sigs.length
  // cells[i][j] (0-based, i ≤ j): cheapest candidate per form of J_{j+1} ⋯ J_{i+1}
  const cells: Map<string, Candidate>[][] = []
  for (let i = 0; i < L; i++) {
    cells.push([])
    const s = sigs[i]!
    cells[i]![i] = new Map([[signatureToString(s), { tree: leaf(i + 1), ns: 0, flops: 0, signature: s }]])
  }
  for (let len = 2; len <= L; len++) {
    for (let i = 0; i + len - 1 < L; i++) {
      const j = i + len - 1
      const cell = new Map<string, Candidate>()
      for (let k = i; k < j; k++) {
        // J_{j..k+1} (output side) times J_{k..i} (input side)
        for (const out of cells[k + 1]![j]!.values()) {
          for (const inp of cells[i]![k]!.values()) {
            const p = productSignature(out.signature, inp.signature)
            const c: Candidate = {
              tree: node(out.tree, inp.tree),
              ns: out.ns + inp.ns + stepNs(model, productKernelNs(model, out.signature, inp.signature)),
              flops: out.flops + inp.flops + p.flops,
              signature: p.signature,
            }
            const key = signatureToString(p.signature)
            const prev = cell.get(key)
            if (prev === undefined || better(c, prev)) cell.set(key, c)
          }
        }
      }
      cells[i]![j] = cell
    }
  }
  return cheapest([...cells[0]![L - 1]!.values()])
}

/** Less predicted time; on a tie fewer flops. */
const better = (c: Candidate, than: Candidate): boolean =>
  c.ns < than.ns || (c.ns === than.ns && c.flops < than.flops)

/** Least predicted time, then fewest flops, then least storage of the result. */
function cheapest(cands: readonly Candidate[]): Candidate {
  let best = cands[0]!
  for (const c of cands) {
    if (
      better(c, best) ||
      (c.ns === best.ns && c.flops === best.flops && storageOf(c.signature) < storageOf(best.signature))
    ) {
      best = c
    }
  }
  return best
}

/**
 * The bracketing of a chain chosen by `strategy` (default `optimal`) with its flops, predicted
 * time and peak memory. `left` is the adjoint order, `right` the tangent order, `optimal` the
 * fastest of all bracketings under the cost model of `opts` (default `DEFAULT_CHAIN_COST_MODEL`;
 * `FLOP_COST_MODEL` gives the bracketing of least flops).
 *
 * @example
 * import { chainFromFactors, denseJacobian, matrix, planBracketing } from 'dualtape/linalg'
 * const hourglass = chainFromFactors([
 *   denseJacobian(matrix(10, 1000)),
 *   denseJacobian(matrix(1000, 10)),
 *   denseJacobian(matrix(10, 1000)),
 *   denseJacobian(matrix(1000, 10)),
 * ])
 * console.log(planBracketing(hourglass, 'left').flops, planBracketing(hourglass).flops) // 60000000 20400000
 */
export function planBracketing(
  chain: JacobianChain,
  strategy: ChainStrategy = 'optimal',
  opts: PlanOptions = {},
): BracketingPlan {
  const L = chain.factors.length
  const model = modelOf(opts)
  checkModel(model, 'plan')
  switch (strategy) {
    case 'left':
      return bracketingPlan(chain, leftTree(L), 'left', opts)
    case 'right':
      return bracketingPlan(chain, rightTree(L), 'right', opts)
    case 'optimal': {
      const best = optimalTree(
        chain.factors.map((f) => f.signature),
        model,
      )
      return bracketingPlan(chain, best.tree, 'optimal', opts)
    }
    default:
      throw new ValueError(
        `planBracketing: unknown strategy ${fmtStrategy(strategy)} for a chain of factors (left, right or optimal)`,
      )
  }
}

// ---------------------------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------------------------

/**
 * Throws a `ChainShapeError` unless a plan of a bracketing was made for factors of the forms of
 * this chain's (the part of `checkPlan`, in chain.ts, that only a bracketing has).
 */
export function checkBracketingPlan(chain: JacobianChain, p: BracketingPlan, where: string): void {
  chain.factors.forEach((f, t) => {
    if (signatureToString(f.signature) !== signatureToString(p.factors[t]!)) {
      throw new ChainShapeError(
        `${where}: the plan was made for J${t + 1} of form ${signatureToString(p.factors[t]!)}, ` +
          `the chain has ${f.describe()}`,
      )
    }
  })
}

/**
 * Evaluates the chain's product with a plan checked by `checkPlan` and returns J in the form the
 * plan predicts (`accumulate` in chain.ts).
 */
export function runBracketing(chain: JacobianChain, p: BracketingPlan): JacobianForm {
  if (p.steps.length === 0) return chain.factors[0]!
  // Each intermediate is consumed once; dropping it then keeps memory at the planned peak.
  const results: (JacobianForm | undefined)[] = []
  const take = (o: Operand): JacobianForm => {
    if (o.kind === 'factor') return chain.factors[o.index - 1]!
    const r = results[o.index]!
    results[o.index] = undefined
    return r
  }
  for (const s of p.steps) {
    const left = take(s.left)
    results.push(left.mul(take(s.right)))
  }
  return results[results.length - 1]!
}
