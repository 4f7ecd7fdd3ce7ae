/**
 * Sparse Jacobians and Hessians against dense ones.
 *
 * - A banded map R^n → R^n, y_i = tanh(x_{i-1} - 2 x_i + x_{i+1}) (zero outside): its Jacobian
 *   is tridiagonal, so column colouring needs 3 colours for any n. Dense `jacfwd` carries n
 *   tangent directions through one vector-mode pass (n² work and an n×n float64 matrix);
 *   `sparseJacobian` detects the pattern by index sets, colours it, and carries 3 directions.
 * - The chained Rosenbrock function Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)²: its Hessian is
 *   tridiagonal; star colouring needs 3 colours, so 3 Hessian-vector products (one vector-mode
 *   JVP of the gradient with 3 directions) give all of it.
 *
 * Times are CPU medians of interleaved rounds (`timeSideBySide`, after a warm-up until stable):
 * every function of a row runs once per round, so load on the machine affects them alike.
 *
 * Run: `npx tsx bench/sparse.ts [--quick]`.
 */
import {
  type SparsityPattern,
  colourColumns,
  colourStar,
  hessianSparsity,
  jacobianSparsity,
  sparseHessian,
  sparseJacobian,
} from '../src/sparse/index.js'
import {
  type Tensor,
  add,
  hessian,
  jacfwd,
  mul,
  pad,
  slice,
  square,
  sub,
  sum,
  tanh,
  uniform,
} from '../src/index.js'
import type { TimingPlan } from './measure/rounds.js'
import { TIMING_PLANS } from './measure/session.js'
import { timeSideBySide } from './timing.js'

/** One line of the sparse benchmark. */
export interface SparseRow {
  readonly name: string
  readonly n: number
  /** Colours, hence products (JVP directions or HVPs). */
  readonly colours: number
  readonly lowerBound: number
  /** The whole sparse evaluation: detection, colouring, the products, recovery. */
  readonly sparseMs: number
  /** The sparse evaluation with the pattern and colouring reused: the products and recovery. */
  readonly reusedMs: number
  /** Detection of the pattern alone. */
  readonly detectMs: number
  /** The dense reference (jacfwd or hessian), null where it was not run. */
  readonly denseMs: number | null
  /**
   * The whole sparse evaluation timed in the same rounds as the dense one: it pays for the
   * collection of the dense run's garbage (gigabytes at n = 10,000), so it is the slower figure.
   */
  readonly sparseBesideDenseMs: number | null
  /** denseMs / sparseBesideDenseMs: the conservative speed-up. */
  readonly speedup: number | null
  /** denseMs / sparseMs: the speed-up with each timed among its own kind. */
  readonly speedupAlone: number | null
  /**
   * The largest difference from the dense reference, or where there is none the largest relative
   * difference from the closed form.
   */
  readonly maxDiff: number
  /** Timed rounds of the sparse functions, and of the dense one. */
  readonly repeats: number
  readonly denseRepeats: number | null
}

/** y_i = tanh(x_{i-1} - 2 x_i + x_{i+1}), with x_{-1} = x_n = 0. */
export function stencil(x: Tensor): Tensor {
  const n = x.size
  const p = pad(x, [1], [1])
  return tanh(add(sub(slice(p, [0], [n]), mul(slice(p, [1], [n]), 2)), slice(p, [2], [n])))
}

/** f(x) = Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)², the chained Rosenbrock function. */
export function rosenbrock(x: Tensor): Tensor {
  const n = x.size
  const a = slice(x, [0], [n - 1])
  const b = slice(x, [1], [n - 1])
  return add(sum(mul(square(sub(b, square(a))), 100)), sum(square(sub(1, a))))
}

/** max |D - S| over all entries, D dense row-major [m, n], S sparse (zero outside its pattern). */
function maxDiffDense(D: ArrayLike<number>, n: number, p: SparsityPattern, values: Float64Array): number {
  let worst = 0
  for (let i = 0; i < p.nRows; i++) {
    const row = i * n
    let q = p.rowPtr[i]!
    const end = p.rowPtr[i + 1]!
    for (let j = 0; j < n; j++) {
      let s = 0
      if (q < end && p.colIdx[q] === j) s = values[q++]!
      worst = Math.max(worst, Math.abs(D[row + j]! - s))
    }
  }
  return worst
}

/** The quick timing plan with exactly `rounds` rounds. */
const roundsOf = (rounds: number): TimingPlan => ({
  ...TIMING_PLANS.quick,
  rounds: { min: rounds, max: rounds, budgetMs: 0 },
})

/**
 * Times the sparse evaluations among themselves, then (where `dense` is given) the whole sparse
 * evaluation and the dense one side by side, keeping the dense result of the last call.
 */
function timeRow(
  full: () => unknown,
  reused: () => unknown,
  detect: () => unknown,
  dense: (() => Tensor) | null,
  repeats: number,
  denseRepeats: number,
) {
  const [sparseMs, reusedMs, detectMs] = timeSideBySide([full, reused, detect], roundsOf(repeats)).map(
    (t) => t.cpu.median,
  )
  let D: Tensor | null = null
  let denseMs: number | null = null
  let sparseBesideDenseMs: number | null = null
  if (dense !== null) {
    const both = timeSideBySide(
      [
        () => {
          D = null // let the previous matrix go first
          D = dense()
        },
        full,
      ],
      // a dense Jacobian takes seconds: one call to warm up
      { ...roundsOf(denseRepeats), warmup: { ...TIMING_PLANS.quick.warmup, minMs: 0, maxMs: 0 } },
    )
    denseMs = both[0]!.cpu.median
    sparseBesideDenseMs = both[1]!.cpu.median
  }
  return {
    sparseMs: sparseMs!,
    reusedMs: reusedMs!,
    detectMs: detectMs!,
    denseMs,
    sparseBesideDenseMs,
    speedup: denseMs === null ? null : denseMs / sparseBesideDenseMs!,
    speedupAlone: denseMs === null ? null : denseMs / sparseMs!,
    dense: D as Tensor | null,
    repeats,
    denseRepeats: dense === null ? null : denseRepeats,
  }
}

function jacobianRow(n: number, withDense: boolean, repeats: number, denseRepeats: number): SparseRow {
  const x = uniform([n], { seed: 1, low: -1, high: 1 })
  const full = sparseJacobian(stencil, { mode: 'fwd' })
  const first = full(x)
  const pattern = first.matrix.pattern
  const reused = sparseJacobian(stencil, {
    mode: 'fwd',
    pattern,
    colouring: colourColumns(pattern),
    check: false,
  })
  const jac = jacfwd(stencil)
  const { dense, ...times } = timeRow(
    () => full(x),
    () => reused(x),
    () => jacobianSparsity(stencil, x),
    withDense ? () => jac(x) as Tensor : null,
    repeats,
    denseRepeats,
  )
  return {
    name: 'tridiagonal stencil + tanh, R^n → R^n: sparseJacobian (fwd) vs jacfwd',
    n,
    colours: first.colours,
    lowerBound: first.lowerBound,
    ...times,
    maxDiff:
      dense === null
        ? stencilMaxDiff(stencil(x).dataSync(), pattern, first.matrix.values)
        : maxDiffDense(dense.dataSync(), n, pattern, first.matrix.values),
  }
}

/** The closed-form stencil Jacobian: with y = stencil(x), J_ii = -2 (1 - y_i²), J_{i,i±1} = 1 - y_i². */
function stencilMaxDiff(y: ArrayLike<number>, p: SparsityPattern, values: Float64Array): number {
  let worst = 0
  for (let i = 0; i < p.nRows; i++) {
    const d = 1 - y[i]! ** 2
    for (let q = p.rowPtr[i]!; q < p.rowPtr[i + 1]!; q++) {
      const j = p.colIdx[q]!
      const exact = j === i ? -2 * d : Math.abs(j - i) === 1 ? d : 0
      worst = Math.max(worst, Math.abs(values[q]! - exact) / Math.max(1, Math.abs(exact)))
    }
  }
  return worst
}

/** The closed-form Rosenbrock Hessian: H_ii = 1200 x_i² - 400 x_{i+1} + 2 + 200 [i > 0], H_{i,i+1} = -400 x_i. */
function rosenbrockMaxDiff(x: ArrayLike<number>, p: SparsityPattern, values: Float64Array): number {
  const n = x.length
  let worst = 0
  for (let i = 0; i < n; i++) {
    for (let q = p.rowPtr[i]!; q < p.rowPtr[i + 1]!; q++) {
      const j = p.colIdx[q]!
      const exact =
        j === i
          ? (i < n - 1 ? 1200 * x[i]! ** 2 - 400 * x[i + 1]! + 2 : 0) + (i > 0 ? 200 : 0)
          : Math.abs(j - i) === 1
            ? -400 * x[Math.min(i, j)]!
            : 0
      worst = Math.max(worst, Math.abs(values[q]! - exact) / Math.max(1, Math.abs(exact)))
    }
  }
  return worst
}

function hessianRow(n: number, withDense: boolean, repeats: number): SparseRow {
  const x = uniform([n], { seed: 2, low: -1.5, high: 1.5 })
  const full = sparseHessian(rosenbrock)
  const first = full(x)
  const pattern = first.matrix.pattern
  const reused = sparseHessian(rosenbrock, { pattern, colouring: colourStar(pattern), check: false })
  const hess = hessian(rosenbrock)
  const { dense, ...times } = timeRow(
    () => full(x),
    () => reused(x),
    () => hessianSparsity(rosenbrock, x),
    withDense ? () => hess(x) as Tensor : null,
    repeats,
    repeats,
  )
  return {
    name: 'chained Rosenbrock Hessian: sparseHessian (star colouring) vs hessian',
    n,
    colours: first.colours,
    lowerBound: first.lowerBound,
    ...times,
    maxDiff:
      dense === null
        ? rosenbrockMaxDiff(x.dataSync(), pattern, first.matrix.values)
        : maxDiffDense(dense.dataSync(), n, pattern, first.matrix.values),
  }
}

/**
 * The sparse benchmark. Quick: the Jacobian against dense jacfwd at n = 1000 and 2000, the
 * sparse Jacobian and Hessian alone at n = 10,000 (checked against their closed forms). Full:
 * dense jacfwd also at 4000 and 10,000 (an 800 MB matrix, about a minute and 5.6 GB of memory
 * per call), and the dense Hessian at n = 1000.
 */
export function benchSparse(opts: { quick: boolean }): SparseRow[] {
  const rows: SparseRow[] = []
  const repeats = opts.quick ? 3 : 7
  for (const n of opts.quick ? [1000, 2000] : [1000, 2000, 4000]) {
    rows.push(jacobianRow(n, true, repeats, opts.quick ? 3 : 5))
  }
  rows.push(jacobianRow(10_000, !opts.quick, repeats, 3))
  if (!opts.quick) rows.push(hessianRow(1000, true, repeats))
  rows.push(hessianRow(10_000, false, repeats))
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = benchSparse({ quick: process.argv.includes('--quick') })
  const fmt = (v: number | null, digits = 1) => (v === null ? '—' : v.toFixed(digits))
  console.table(
    rows.map((r) => ({
      name: r.name,
      n: r.n,
      colours: `${r.colours} (bound ${r.lowerBound})`,
      'sparse ms': fmt(r.sparseMs),
      'reused ms': fmt(r.reusedMs),
      'detect ms': fmt(r.detectMs),
      'dense ms': fmt(r.denseMs),
      'sparse beside dense ms': fmt(r.sparseBesideDenseMs),
      speedup: r.speedup === null ? '—' : `${r.speedup.toFixed(0)}×`,
      'speedup alone': r.speedupAlone === null ? '—' : `${r.speedupAlone.toFixed(0)}×`,
      'max diff': r.maxDiff.toExponential(1),
      repeats: `${r.repeats}${r.denseRepeats === null ? '' : ` / ${r.denseRepeats}`}`,
    })),
  )
}
