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
 * Times are medians of interleaved rounds (`timeInterleaved`): every function of a row runs once
 * per round, so load on the machine affects them alike.
 *
 * Run: `npx tsx bench/sparse.ts [--quick]`.
 */
import {
  type SparsityPattern,
  type Tensor,
  add,
  colourColumns,
  colourStar,
  hessian,
  hessianSparsity,
  jacfwd,
  jacobianSparsity,
  mul,
  pad,
  slice,
  sparseHessian,
  sparseJacobian,
  square,
  sub,
  sum,
  tanh,
  uniform,
} from '../src/index.js'
import { timeInterleaved } from './timing.js'

/** One line of the sparse benchmark. */
export interface SparseRow {
  readonly name: string
  readonly n: number
  /** Colours, hence products (JVP directions or HVPs). */
  readonly colours: number
  readonly lowerBound: number
  /** The dense reference (jacfwd or hessian), null where it was not run. */
  readonly denseMs: number | null
  /** The whole sparse evaluation: detection, colouring, the products, recovery. */
  readonly sparseMs: number
  /** The sparse evaluation with the pattern and colouring reused: the products and recovery. */
  readonly reusedMs: number
  /** Detection of the pattern alone. */
  readonly detectMs: number
  /** denseMs / sparseMs. */
  readonly speedup: number | null
  /** The largest difference from the dense (or closed-form) reference. */
  readonly maxDiff: number
  /** Timed rounds per function. */
  readonly repeats: number
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

function jacobianRow(n: number, withDense: boolean, repeats: number): SparseRow {
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
  const dense = jacfwd(stencil)
  // the dense Jacobian of the last timed call is kept for the comparison
  let D: Tensor | null = null
  const fns: (() => unknown)[] = [() => full(x), () => reused(x), () => jacobianSparsity(stencil, x)]
  if (withDense) {
    fns.push(() => {
      D = null // let the previous matrix go first
      D = dense(x) as Tensor
    })
  }
  const [sparseMs, reusedMs, detectMs, denseMs] = timeInterleaved(fns, { warmup: withDense ? 0 : 1, repeats })
  const maxDiff =
    D === null ? Number.NaN : maxDiffDense((D as Tensor).dataSync(), n, pattern, first.matrix.values)
  return {
    name: 'tridiagonal stencil + tanh, R^n → R^n (jacfwd vs sparseJacobian fwd)',
    n,
    colours: first.colours,
    lowerBound: first.lowerBound,
    denseMs: denseMs ?? null,
    sparseMs: sparseMs!,
    reusedMs: reusedMs!,
    detectMs: detectMs!,
    speedup: denseMs === undefined ? null : denseMs / sparseMs!,
    maxDiff,
    repeats,
  }
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
      worst = Math.max(worst, Math.abs(values[q]! - exact))
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
  const dense = hessian(rosenbrock)
  let D: Tensor | null = null
  const fns: (() => unknown)[] = [() => full(x), () => reused(x), () => hessianSparsity(rosenbrock, x)]
  if (withDense) {
    fns.push(() => {
      D = null // let the previous matrix go first
      D = dense(x) as Tensor
    })
  }
  const [sparseMs, reusedMs, detectMs, denseMs] = timeInterleaved(fns, { warmup: 1, repeats })
  const maxDiff =
    D === null
      ? rosenbrockMaxDiff(x.dataSync(), pattern, first.matrix.values)
      : maxDiffDense((D as Tensor).dataSync(), n, pattern, first.matrix.values)
  return {
    name: 'chained Rosenbrock Hessian (hessian vs sparseHessian, star colouring)',
    n,
    colours: first.colours,
    lowerBound: first.lowerBound,
    denseMs: denseMs ?? null,
    sparseMs: sparseMs!,
    reusedMs: reusedMs!,
    detectMs: detectMs!,
    speedup: denseMs === undefined ? null : denseMs / sparseMs!,
    maxDiff,
    repeats,
  }
}

/**
 * The sparse benchmark. Quick: the Jacobian against dense jacfwd at n = 1000 and 2000, the
 * sparse Jacobian and Hessian alone at n = 10,000. Full: dense jacfwd also at 4000 and 10,000
 * (an 800 MB matrix; about a minute per call), and the dense Hessian at n = 1000.
 */
export function benchSparse(opts: { quick: boolean }): SparseRow[] {
  const rows: SparseRow[] = []
  const repeats = opts.quick ? 3 : 5
  for (const n of opts.quick ? [1000, 2000] : [1000, 2000, 4000]) rows.push(jacobianRow(n, true, repeats))
  rows.push(jacobianRow(10_000, !opts.quick, opts.quick ? repeats : 3))
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
      'dense ms': fmt(r.denseMs),
      'sparse ms': fmt(r.sparseMs),
      'reused ms': fmt(r.reusedMs),
      'detect ms': fmt(r.detectMs),
      speedup: r.speedup === null ? '—' : `${r.speedup.toFixed(0)}×`,
      'max diff': r.maxDiff.toExponential(1),
      repeats: r.repeats,
    })),
  )
}
