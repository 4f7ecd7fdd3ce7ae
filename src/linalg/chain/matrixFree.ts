/**
 * Matrix-free Jacobian chains: J = J_L ⋯ J_1 where no J_i is available as a matrix, only as a
 * `LinearMap`: its tangent model v ↦ J_i v (`matvec`, a JVP) and its adjoint model u ↦ uᵀ J_i
 * (`vecmat`, a VJP), each at a given cost per application.
 *
 * A sub-chain J_i ⋯ J_j (the "segment" j..i, of shape n_i × n_{j-1}) can be accumulated
 *
 *   tangent   by n_{j-1} tangent sweeps, one per column of I:          n_{j-1} · Σ_{l=j..i} matvecCost_l
 *   adjoint   by n_i adjoint sweeps, one per row of I:                 n_i · Σ_{l=j..i} vecmatCost_l
 *   dense     when j = i and J_i can be evaluated as a matrix:         denseCost_i
 *   product   as (J_i ⋯ J_{k+1}) · (J_k ⋯ J_j), both accumulated:      + 2 n_i n_k n_{j-1}
 *
 * and, with matrix-free products, by sweeping an accumulated part instead of unit vectors:
 *
 *   tangent of J_i ⋯ J_{k+1} applied to the n_{j-1} columns of J_k ⋯ J_j:   + n_{j-1} · Σ_{l=k+1..i} matvecCost_l
 *   adjoint of J_k ⋯ J_j applied to the n_i rows of J_i ⋯ J_{k+1}:           + n_i · Σ_{l=j..k} vecmatCost_l
 *
 * Choosing the cheapest combination is the matrix-free Jacobian chain product problem of
 * U. Naumann, "Matrix-free Jacobian chaining" (arXiv:2406.11862, 2024), which builds on
 * U. Naumann, "Optimal accumulation of Jacobian matrices by elimination methods on the dual
 * computational graph", Math. Program. 99 (2004), and "Optimal Jacobian accumulation is
 * NP-complete", Math. Program. 112 (2008). For a chain the problem has optimal substructure, and
 * the dynamic program below solves it in O(L³). Tape memory for the adjoint sweeps is taken to
 * be unlimited (no checkpointing).
 *
 * The costs above count flops (`flops` of a plan). The planner minimises time instead, priced by a
 * `ChainCostModel` (`cost.ts`): an operator application costs a fixed `sweepCallUs` plus its
 * stated cost at `jvpGflops` or `vjpGflops`, every sweep gathers and scatters a vector, and a dense product runs
 * at the gemm rate, which for dense operators is several times the rate of their JVPs and VJPs
 * (matrix–vector products). Under `FLOP_COST_MODEL` the time is the flop count above.
 */
import { ValueError } from '../../core/errors.js'
import { identityMatrix, matmulMatrix, type Matrix } from '../matrix.js'
import { DenseJacobian, type JacobianForm, type LinearMap } from '../structured.js'
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
import {
  FLOP_COST_MODEL,
  checkModel,
  gemmNs,
  jvpNs,
  modelOf,
  stepNs,
  sweepsNs,
  vjpNs,
  type ChainCostModel,
  type PlanOptions,
} from './cost.js'

// ---------------------------------------------------------------------------------------------
// Operators and chains
// ---------------------------------------------------------------------------------------------

/**
 * A Jacobian J (rows × cols) available only as a linear map: its tangent model `matvec` (a JVP) and
 * its adjoint model `vecmat` (a VJP), with the cost of one application of each (in flops, or any
 * unit shared by the whole chain). `dense`, when given, evaluates J as a matrix at the stated
 * cost. A structured form is an operator as it is (without a dense evaluation).
 *
 * @example
 * import type { JacobianOperator } from 'dualtape/linalg'
 * // J = 3 I on R²
 * const op: JacobianOperator = {
 *   rows: 2, cols: 2, matvecCost: 2, vecmatCost: 2,
 *   matvec: (v) => v.map((x) => 3 * x), vecmat: (u) => u.map((x) => 3 * x),
 * }
 */
export interface JacobianOperator extends LinearMap {
  /** Evaluates J as a matrix at the stated cost, when it can be. */
  readonly dense?: { readonly cost: number; readonly evaluate: () => Matrix }
  /**
   * J·v for `count` vectors at once: `vs` holds them one after another (each of length `cols`),
   * the result the products (each of length `rows`). Where every operator of a tangent sweep has
   * it, the sweep pushes all its columns through in one call (`operatorChain`'s: one batched JVP).
   */
  readonly matvecs?: (vs: Float64Array, count: number) => Float64Array
  /**
   * uᵀ·J for `count` vectors at once: `us` holds them one after another (each of length `rows`),
   * the result the products (each of length `cols`). Where every operator of an adjoint sweep has
   * it, the sweep pulls all its rows back in one call (`operatorChain`'s: one batched pullback).
   */
  readonly vecmats?: (us: Float64Array, count: number) => Float64Array
}

/**
 * A chain J_L ⋯ J_1 of operators, `operators[0]` = J_1 applied first, J_i of shape n_i × n_{i-1}.
 *
 * @example
 * import { chainFromOperators, operatorFromForm, diagonalJacobian } from 'dualtape/linalg'
 * console.log(chainFromOperators([operatorFromForm(diagonalJacobian([1, 2]))]).widths) // [2, 2]
 */
export interface OperatorChain {
  readonly kind: 'operators'
  readonly operators: readonly JacobianOperator[]
  readonly widths: readonly number[]
}

/**
 * A chain from operators in application order `[J_1, …, J_L]`; throws a `ChainShapeError` naming
 * neighbours whose dimensions do not match.
 *
 * @example
 * import { chainFromOperators, operatorFromForm, denseJacobian, matrix } from 'dualtape/linalg'
 * const chain = chainFromOperators([
 *   operatorFromForm(denseJacobian(matrix(3, 4))),
 *   operatorFromForm(denseJacobian(matrix(2, 3))),
 * ])
 * console.log(chain.widths) // [4, 3, 2]
 */
export function chainFromOperators(operators: readonly JacobianOperator[]): OperatorChain {
  const widths = chainWidths(operators, 'chainFromOperators')
  return { kind: 'operators', operators: [...operators], widths }
}

/**
 * A structured form as an operator of unknown structure: its `matvec` and `vecmat` at their flop
 * counts, nothing else of it visible to the planner. `denseCost`, when given, also offers the form
 * as a matrix at that cost.
 *
 * @example
 * import { operatorFromForm, diagonalJacobian } from 'dualtape/linalg'
 * const op = operatorFromForm(diagonalJacobian([1, 2, 3]))
 * console.log(op.matvecCost, op.matvec(new Float64Array([1, 1, 1]))) // 3 Float64Array [1, 2, 3]
 */
export function operatorFromForm(
  form: JacobianForm,
  opts: { readonly denseCost?: number } = {},
): JacobianOperator {
  const base = {
    rows: form.rows,
    cols: form.cols,
    matvec: (v: Float64Array) => form.matvec(v),
    vecmat: (u: Float64Array) => form.vecmat(u),
    matvecCost: form.matvecCost,
    vecmatCost: form.vecmatCost,
  }
  return opts.denseCost === undefined
    ? base
    : { ...base, dense: { cost: opts.denseCost, evaluate: () => form.toDense() } }
}

// ---------------------------------------------------------------------------------------------
// Sweep trees and plans
// ---------------------------------------------------------------------------------------------

/**
 * How a segment of the chain is accumulated (factors 1-based):
 * `tangent`: J_hi ⋯ J_lo · S by one tangent sweep per column of S, where S is the seed's result
 * (the segment just below lo) or the identity;
 * `adjoint`: S · J_hi ⋯ J_lo by one adjoint sweep per row of S, where S is the seed's result
 * (the segment just above hi) or the identity;
 * `dense`: J_index evaluated as a matrix; `product`: left · right of two accumulated segments.
 *
 * @example
 * import type { SweepTree } from 'dualtape/linalg'
 * // (adjoint sweeps through J4 J3) · (tangent sweeps through J2 J1)
 * const t: SweepTree = { kind: 'product',
 *   left: { kind: 'adjoint', lo: 3, hi: 4, seed: null }, right: { kind: 'tangent', lo: 1, hi: 2, seed: null } }
 */
export type SweepTree =
  | { readonly kind: 'tangent'; readonly lo: number; readonly hi: number; readonly seed: SweepTree | null }
  | { readonly kind: 'adjoint'; readonly lo: number; readonly hi: number; readonly seed: SweepTree | null }
  | { readonly kind: 'dense'; readonly index: number }
  | { readonly kind: 'product'; readonly left: SweepTree; readonly right: SweepTree }

/**
 * The strategies of `plan` for operator chains: one tangent sweep per input (`tangent`), one
 * adjoint sweep per output (`adjoint`), the cheapest split into segments each accumulated in
 * tangent or adjoint mode and combined by dense products (`segments`), or the cheapest
 * evaluation that may also sweep accumulated segments through tangent or adjoint models
 * (`optimal`, the default). "Cheapest" is the least predicted time under the cost model
 * (`plan(chain, strategy, { model })`).
 *
 * @example
 * import { chainFromOperators, operatorFromForm, denseJacobian, matrix, plan } from 'dualtape/linalg'
 * import type { MatrixFreeStrategy } from 'dualtape/linalg'
 * const s: MatrixFreeStrategy = 'adjoint'
 * console.log(plan(chainFromOperators([operatorFromForm(denseJacobian(matrix(1, 5)))]), s).flops) // 10
 */
export type MatrixFreeStrategy = 'tangent' | 'adjoint' | 'segments' | 'optimal'

/**
 * One step of a plan of sweeps, in execution order: a `Step` with the node of the sweep tree it
 * evaluates.
 *
 * @example
 * import { chainFromOperators, operatorFromForm, denseJacobian, matrix, plan } from 'dualtape/linalg'
 * const s = plan(chainFromOperators([operatorFromForm(denseJacobian(matrix(1, 5)))])).steps[0]!
 * console.log(s.description) // adjoint sweeps through J1, 1 row of I → 1×5
 */
export interface SweepStep extends Step {
  readonly node: SweepTree
}

/**
 * The plan of the sweeps that accumulate an operator chain (`kind: 'sweeps'`, one of the two kinds
 * of `Plan`): its sweep tree, the steps in execution order, with flops (in the operators' units),
 * predicted time and peak memory (the most numbers held at once in accumulated segments). In the
 * expression, `tan(J4 J3)[X]` sweeps the columns of X, `[X]adj(J2 J1)` its rows.
 *
 * @example
 * import { chainFromOperators, operatorFromForm, denseJacobian, matrix, plan } from 'dualtape/linalg'
 * const ops = [operatorFromForm(denseJacobian(matrix(1, 100)))]
 * const p = plan(chainFromOperators(ops))
 * console.log(p.expression, p.flops) // adj(J1) 200: one adjoint sweep for the one output
 * p.predictedMs < 0.01 // → true
 */
export interface SweepPlan extends PlanBase<SweepStep> {
  readonly kind: 'sweeps'
  /** How the sweeps were chosen: a strategy, or `given` for `planFromTree`. */
  readonly strategy: MatrixFreeStrategy | 'given'
  readonly tree: SweepTree
}

const sweepChildren = (t: SweepTree): readonly SweepTree[] =>
  t.kind === 'product'
    ? [t.left, t.right]
    : (t.kind === 'tangent' || t.kind === 'adjoint') && t.seed
      ? [t.seed]
      : []

/** Factors J_hi … J_lo as text, output side first. */
const names = (lo: number, hi: number): string =>
  Array.from({ length: hi - lo + 1 }, (_, t) => `J${hi - t}`).join(' ')

/** What `analyse` finds for a node of a sweep tree. */
interface NodeInfo {
  readonly from: number
  readonly to: number
  readonly rows: number
  readonly cols: number
  readonly flops: number
  readonly ns: number
  readonly text: string
}

/** Cost, time, covered range and result shape of every node; throws on a tree that does not fit the chain. */
function analyse(chain: OperatorChain, tree: SweepTree, model: ChainCostModel): Map<SweepTree, NodeInfo> {
  const n = chain.widths
  const ops = chain.operators
  const L = ops.length
  const info = new Map<SweepTree, NodeInfo>()
  const bad = (why: string): never => {
    throw new ChainShapeError(`matrix-free plan: ${why}`)
  }
  const inRange = (lo: number, hi: number): void => {
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && 1 <= lo && lo <= hi && hi <= L)) {
      bad(`segment J${lo}..J${hi} is not within J1..J${L}`)
    }
  }
  const sum = (lo: number, hi: number, cost: (op: JacobianOperator) => number): number => {
    let s = 0
    for (let l = lo; l <= hi; l++) s += cost(ops[l - 1]!)
    return s
  }
  for (const t of postOrder(tree, sweepChildren)) {
    switch (t.kind) {
      case 'dense': {
        inRange(t.index, t.index)
        const d = ops[t.index - 1]!.dense
        if (d === undefined) bad(`J${t.index} has no dense evaluation`)
        info.set(t, {
          from: t.index,
          to: t.index,
          rows: n[t.index]!,
          cols: n[t.index - 1]!,
          flops: d!.cost,
          ns: denseNs(model, d!.cost, n[t.index]!, n[t.index - 1]!),
          text: `J${t.index}`,
        })
        break
      }
      case 'tangent': {
        inRange(t.lo, t.hi)
        const s = t.seed === null ? null : info.get(t.seed)!
        if (s !== null && s.to !== t.lo - 1)
          bad(`the seed of tangent sweeps through J${t.lo}.. must end at J${t.lo - 1}`)
        const q = s === null ? n[t.lo - 1]! : s.cols
        const body = `tan(${names(t.lo, t.hi)})`
        info.set(t, {
          from: s === null ? t.lo : s.from,
          to: t.hi,
          rows: n[t.hi]!,
          cols: q,
          flops: q * sum(t.lo, t.hi, (op) => op.matvecCost),
          ns: stepNs(
            model,
            sweepsNs(
              model,
              q,
              sum(t.lo, t.hi, (op) => jvpNs(model, op.matvecCost)),
              n[t.lo - 1]!,
              n[t.hi]!,
              s === null,
            ),
          ),
          text: s === null ? body : `${body}[${s.text}]`,
        })
        break
      }
      case 'adjoint': {
        inRange(t.lo, t.hi)
        const s = t.seed === null ? null : info.get(t.seed)!
        if (s !== null && s.from !== t.hi + 1)
          bad(`the seed of adjoint sweeps through ..J${t.hi} must start at J${t.hi + 1}`)
        const q = s === null ? n[t.hi]! : s.rows
        const body = `adj(${names(t.lo, t.hi)})`
        info.set(t, {
          from: t.lo,
          to: s === null ? t.hi : s.to,
          rows: q,
          cols: n[t.lo - 1]!,
          flops: q * sum(t.lo, t.hi, (op) => op.vecmatCost),
          ns: stepNs(
            model,
            sweepsNs(
              model,
              q,
              sum(t.lo, t.hi, (op) => vjpNs(model, op.vecmatCost)),
              n[t.hi]!,
              n[t.lo - 1]!,
              s === null,
            ),
          ),
          text: s === null ? body : `[${s.text}]${body}`,
        })
        break
      }
      case 'product': {
        const a = info.get(t.left)!
        const b = info.get(t.right)!
        if (b.to + 1 !== a.from)
          bad(`a product's left part must start at J${b.to + 1}, right after its right part`)
        const wrap = (x: SweepTree, s: string): string => (x.kind === 'product' ? `(${s})` : s)
        info.set(t, {
          from: b.from,
          to: a.to,
          rows: a.rows,
          cols: b.cols,
          // C = A·B, A: n_i × n_k, B: n_k × n_{j-1}
          flops: 2 * a.rows * a.cols * b.cols,
          ns: stepNs(model, gemmNs(model, a.rows, a.cols, b.cols)),
          text: `${wrap(t.left, a.text)} · ${wrap(t.right, b.text)}`,
        })
        break
      }
    }
  }
  const root = info.get(tree)!
  if (root.from !== 1 || root.to !== L) bad(`the plan covers J${root.from}..J${root.to}, not J1..J${L}`)
  return info
}

/** Nanoseconds of a dense evaluation of stated cost `cost` giving a rows × cols matrix. */
const denseNs = (model: ChainCostModel, cost: number, rows: number, cols: number): number =>
  stepNs(model, jvpNs(model, cost) + rows * cols * model.writeNs)

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`

function describe(t: SweepTree, rows: number, cols: number): string {
  const what = ((): string => {
    switch (t.kind) {
      case 'tangent':
        return `tangent sweeps through ${names(t.lo, t.hi)}, ${plural(cols, 'column')} of ${t.seed === null ? 'I' : 'the seed'}`
      case 'adjoint':
        return `adjoint sweeps through ${names(t.lo, t.hi)}, ${plural(rows, 'row')} of ${t.seed === null ? 'I' : 'the seed'}`
      case 'dense':
        return `J${t.index} evaluated densely`
      case 'product':
        return 'dense product'
    }
  })()
  return `${what} → ${rows}×${cols}`
}

/**
 * The plan that accumulates an operator chain by the given sweep tree, priced by the cost model
 * of `opts`; `planFromTree` in chain.ts. Throws a `ChainShapeError` when the tree's segments do
 * not tile J_1 … J_L.
 */
export function sweepPlan(
  chain: OperatorChain,
  tree: SweepTree,
  strategy: SweepPlan['strategy'],
  opts: PlanOptions,
): SweepPlan {
  const model = modelOf(opts)
  checkModel(model, 'plan')
  const info = analyse(chain, tree, model)
  const { order, peak } = schedule(tree, sweepChildren, (t) => info.get(t)!.rows * info.get(t)!.cols)
  const steps: SweepStep[] = order.map((t, k) => {
    const x = info.get(t)!
    return {
      name: `P${k + 1}`,
      node: t,
      description: describe(t, x.rows, x.cols),
      rows: x.rows,
      cols: x.cols,
      flops: x.flops,
      predictedMs: x.ns / 1e6,
    }
  })
  const flops = steps.reduce((s, x) => s + x.flops, 0)
  const ns = order.reduce((s, t) => s + info.get(t)!.ns, 0)
  const fields = {
    kind: 'sweeps' as const,
    strategy,
    widths: chain.widths,
    tree,
    steps,
    flops,
    predictedMs: ns / 1e6,
    model: model.name,
    peakMemory: peak,
    expression: info.get(tree)!.text,
  }
  return { ...fields, toString: () => planText(fields) }
}

// ---------------------------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------------------------

/**
 * The fastest sweep tree by dynamic programming over segments j..i (1-based), after
 * U. Naumann, "Matrix-free Jacobian chaining", arXiv:2406.11862 (2024), §3, with flops replaced
 * by the times of the cost model:
 *
 *   C(j, i) = min { sweeps(n_{j-1}, T(j, i)),  sweeps(n_i, A(j, i)),  dense_i if j = i,
 *                   min_{j ≤ k < i} C(j, k) + C(k+1, i) + gemm(n_i, n_k, n_{j-1}),
 *                   min_{j ≤ k < i} C(j, k) + sweeps(n_{j-1}, T(k+1, i))   (matrix-free products only),
 *                   min_{j ≤ k < i} C(k+1, i) + sweeps(n_i, A(j, k)) }     (matrix-free products only)
 *
 * with T(j, i) = Σ_{l=j..i} time(jvp_l) and A(j, i) = Σ_{l=j..i} time(vjp_l) the time of one sweep,
 * sweeps(q, S) the time of q of them with their gathers and scatters (`sweepsNs`), gemm the dense
 * product (`gemmNs`). Under `FLOP_COST_MODEL`, sweeps(q, S) = q·S and gemm = 2 n_i n_k n_{j-1}: the
 * recurrence of the paper. Every option's time depends on the segments only through j, k and i,
 * so the recurrence is exact. Ties go to the first option listed. O(L³) time, O(L²) memory.
 */
function optimalSweeps(chain: OperatorChain, matrixFreeProducts: boolean, model: ChainCostModel): SweepTree {
  const n = chain.widths
  const ops = chain.operators
  const L = ops.length
  const tp = [0]
  const ap = [0]
  ops.forEach((op, t) => {
    tp.push(tp[t]! + jvpNs(model, op.matvecCost))
    ap.push(ap[t]! + vjpNs(model, op.vecmatCost))
  })
  // q sweeps of time `per` each, from vectors of `inLength` to vectors of `outLength`
  const sweeps = (q: number, per: number, inLength: number, outLength: number, identity: boolean): number =>
    stepNs(model, sweepsNs(model, q, per, inLength, outLength, identity))
  const T = (j: number, i: number): number => tp[i]! - tp[j - 1]!
  const A = (j: number, i: number): number => ap[i]! - ap[j - 1]!
  const cost: number[][] = Array.from({ length: L + 2 }, () => [])
  const best: SweepTree[][] = Array.from({ length: L + 2 }, () => [])
  for (let len = 1; len <= L; len++) {
    for (let j = 1; j + len - 1 <= L; j++) {
      const i = j + len - 1
      let c = sweeps(n[j - 1]!, T(j, i), n[j - 1]!, n[i]!, true)
      let t: SweepTree = { kind: 'tangent', lo: j, hi: i, seed: null }
      const consider = (c2: number, t2: () => SweepTree): void => {
        if (c2 < c) {
          c = c2
          t = t2()
        }
      }
      consider(sweeps(n[i]!, A(j, i), n[i]!, n[j - 1]!, true), () => ({
        kind: 'adjoint',
        lo: j,
        hi: i,
        seed: null,
      }))
      const d = ops[i - 1]!.dense
      if (len === 1 && d !== undefined) {
        consider(denseNs(model, d.cost, n[i]!, n[j - 1]!), () => ({ kind: 'dense', index: i }))
      }
      for (let k = j; k < i; k++) {
        const lower = cost[j]![k]!
        const upper = cost[k + 1]![i]!
        consider(lower + upper + stepNs(model, gemmNs(model, n[i]!, n[k]!, n[j - 1]!)), () => ({
          kind: 'product',
          left: best[k + 1]![i]!,
          right: best[j]![k]!,
        }))
        if (matrixFreeProducts) {
          consider(lower + sweeps(n[j - 1]!, T(k + 1, i), n[k]!, n[i]!, false), () => ({
            kind: 'tangent',
            lo: k + 1,
            hi: i,
            seed: best[j]![k]!,
          }))
          consider(upper + sweeps(n[i]!, A(j, k), n[k]!, n[j - 1]!, false), () => ({
            kind: 'adjoint',
            lo: j,
            hi: k,
            seed: best[k + 1]![i]!,
          }))
        }
      }
      cost[j]![i] = c
      best[j]![i] = t
    }
  }
  return best[1]![L]!
}

/**
 * Plans the accumulation of an operator chain (default `optimal`) under the cost model of `opts`
 * (default `DEFAULT_CHAIN_COST_MODEL`; `FLOP_COST_MODEL` minimises flops).
 *
 * @example
 * import { chainFromOperators, operatorFromForm, denseJacobian, matrix, planSweeps, FLOP_COST_MODEL } from 'dualtape/linalg'
 * // 1000 inputs, 10 in the middle, 1000 outputs: neither sweep direction alone is cheap
 * const chain = chainFromOperators([
 *   operatorFromForm(denseJacobian(matrix(10, 1000))),
 *   operatorFromForm(denseJacobian(matrix(1000, 10))),
 * ])
 * const p = planSweeps(chain)
 * console.log(p.expression, p.flops) // tan(J2) · adj(J1) 20400000: 10 sweeps each way, then a gemm
 * console.log(planSweeps(chain, 'optimal', { model: FLOP_COST_MODEL }).expression) // tan(J2)[adj(J1)]
 * console.log(planSweeps(chain, 'tangent').flops) // 40000000
 */
export function planSweeps(
  chain: OperatorChain,
  strategy: MatrixFreeStrategy = 'optimal',
  opts: PlanOptions = {},
): SweepPlan {
  const L = chain.operators.length
  const model = modelOf(opts)
  checkModel(model, 'plan')
  switch (strategy) {
    case 'tangent':
      return sweepPlan(chain, { kind: 'tangent', lo: 1, hi: L, seed: null }, 'tangent', opts)
    case 'adjoint':
      return sweepPlan(chain, { kind: 'adjoint', lo: 1, hi: L, seed: null }, 'adjoint', opts)
    case 'segments':
      return sweepPlan(chain, optimalSweeps(chain, false, model), 'segments', opts)
    case 'optimal':
      return sweepPlan(chain, optimalSweeps(chain, true, model), 'optimal', opts)
    default:
      throw new ValueError(
        `planSweeps: unknown strategy ${fmtStrategy(strategy)} for a chain of operators (tangent, adjoint, segments or optimal)`,
      )
  }
}

// ---------------------------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------------------------

/** `out` after checking that an operator returned a vector of the length its shape promises. */
function applied(out: Float64Array, len: number, what: string): Float64Array {
  if (out.length !== len)
    throw new ChainShapeError(`${what} returned a vector of length ${out.length}, expected ${len}`)
  return out
}

/**
 * Throws a `ChainShapeError` unless the sweep tree of a plan tiles this chain and every dense
 * evaluation it asks for exists (the part of `checkPlan`, in chain.ts, that only sweeps have).
 */
export function checkSweepPlan(chain: OperatorChain, p: SweepPlan): void {
  analyse(chain, p.tree, FLOP_COST_MODEL)
}

/**
 * Accumulates an operator chain with a plan checked by `checkPlan` and returns J as a dense form
 * (`accumulate` in chain.ts).
 */
export function runSweeps(chain: OperatorChain, p: SweepPlan): DenseJacobian {
  const n = chain.widths
  const ops = chain.operators
  const results = new Map<SweepTree, Matrix>()
  // Each accumulated segment is consumed once; dropping it then keeps memory at the planned peak.
  const take = (t: SweepTree): Matrix => {
    const m = results.get(t)!
    results.delete(t)
    return m
  }
  for (const { node: t } of p.steps) {
    let out: Matrix
    switch (t.kind) {
      case 'dense': {
        out = ops[t.index - 1]!.dense!.evaluate()
        if (out.rows !== n[t.index] || out.cols !== n[t.index - 1]) {
          throw new ChainShapeError(
            `J${t.index}.dense.evaluate() returned ${out.rows}×${out.cols}, expected ${n[t.index]}×${n[t.index - 1]}`,
          )
        }
        break
      }
      case 'tangent': {
        // column c of J_hi ⋯ J_lo S: push column c of S through the tangent models, all columns
        // at once where every operator of the span takes a batch
        const s = t.seed === null ? identityMatrix(n[t.lo - 1]!) : take(t.seed)
        const rows = n[t.hi]!
        const data = new Float64Array(rows * s.cols)
        if (s.cols > 1 && ops.slice(t.lo - 1, t.hi).every((o) => o.matvecs !== undefined)) {
          // the columns of S, one after another
          let vs: Float64Array = new Float64Array(s.rows * s.cols)
          for (let c = 0; c < s.cols; c++)
            for (let r = 0; r < s.rows; r++) vs[c * s.rows + r] = s.data[r * s.cols + c]!
          for (let l = t.lo; l <= t.hi; l++)
            vs = applied(ops[l - 1]!.matvecs!(vs, s.cols), n[l]! * s.cols, `J${l}.matvecs`)
          for (let c = 0; c < s.cols; c++)
            for (let r = 0; r < rows; r++) data[r * s.cols + c] = vs[c * rows + r]!
        } else {
          for (let c = 0; c < s.cols; c++) {
            let v: Float64Array = new Float64Array(s.rows)
            for (let r = 0; r < s.rows; r++) v[r] = s.data[r * s.cols + c]!
            for (let l = t.lo; l <= t.hi; l++) v = applied(ops[l - 1]!.matvec(v), n[l]!, `J${l}.matvec`)
            for (let r = 0; r < rows; r++) data[r * s.cols + c] = v[r]!
          }
        }
        out = { rows, cols: s.cols, data }
        break
      }
      case 'adjoint': {
        // row r of S J_hi ⋯ J_lo: pull row r of S back through the adjoint models, all rows at
        // once where every operator of the span takes a batch
        const s = t.seed === null ? identityMatrix(n[t.hi]!) : take(t.seed)
        const cols = n[t.lo - 1]!
        if (s.rows > 1 && ops.slice(t.lo - 1, t.hi).every((o) => o.vecmats !== undefined)) {
          // the rows of S are one after another already
          let us: Float64Array = new Float64Array(s.data)
          for (let l = t.hi; l >= t.lo; l--)
            us = applied(ops[l - 1]!.vecmats!(us, s.rows), n[l - 1]! * s.rows, `J${l}.vecmats`)
          out = { rows: s.rows, cols, data: us }
          break
        }
        const data = new Float64Array(s.rows * cols)
        for (let r = 0; r < s.rows; r++) {
          let u: Float64Array = s.data.slice(r * s.cols, (r + 1) * s.cols)
          for (let l = t.hi; l >= t.lo; l--) u = applied(ops[l - 1]!.vecmat(u), n[l - 1]!, `J${l}.vecmat`)
          data.set(u, r * cols)
        }
        out = { rows: s.rows, cols, data }
        break
      }
      case 'product': {
        const a = take(t.left)
        out = matmulMatrix(a, take(t.right))
        break
      }
    }
    results.set(t, out)
  }
  return new DenseJacobian(results.get(p.tree)!)
}
