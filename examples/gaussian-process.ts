/**
 * The log marginal likelihood of a Gaussian process and its gradient with respect to the
 * hyperparameters, through the Cholesky factorization (Rasmussen and Williams, "Gaussian
 * Processes for Machine Learning", algorithm 2.1 and eq. 5.9):
 *
 *   K   = σ_f² exp(−(xᵢ − xⱼ)² / (2ℓ²)) + σ_n² I      an RBF kernel plus noise
 *   L   = cholesky(K),  z = L⁻¹ y                        one triangular solve
 *   log p(y | x, θ) = −½ zᵀz − Σ log Lᵢᵢ − (n/2) log 2π
 *
 * with θ = (log ℓ, log σ_f², log σ_n²). The gradient comes from reverse mode (grad), from forward
 * mode (jacfwd, one JVP per hyperparameter), from central finite differences with Richardson
 * extrapolation, and from the closed form ∂/∂θⱼ = ½ tr((α αᵀ − K⁻¹) ∂K/∂θⱼ), α = K⁻¹ y; then a
 * few steps of gradient ascent fit θ to data drawn from a known function.
 *
 * Run: npx tsx examples/gaussian-process.ts [--points 40] [--steps 60] [--lr 0.02] [--seed 1]
 *
 * @module
 */
import {
  type Tensor,
  add,
  div,
  exp,
  grad,
  jacfwd,
  mul,
  neg,
  reshape,
  slice,
  square,
  sub,
  sum,
  tensor,
  transpose,
  valueAndGrad,
} from '../src/index.js'
import { fdJvp } from '../src/check/index.js'
import { Rng } from '../src/core/random.js'
import { cholesky, choleskyLogdet, inv, triangularSolve } from '../src/matrix/index.js'
import { type RunOptions, num, runIfMain, table, withDefaults } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  points: { kind: 'integer', default: 40, help: 'training points n', min: 2, max: 2000 },
  steps: { kind: 'integer', default: 60, help: 'gradient-ascent steps on θ', min: 0, max: 100000 },
  lr: { kind: 'number', default: 0.02, help: 'step size of the ascent', min: 0 },
  seed: { kind: 'integer', default: 1, help: 'seed of the data' },
} as const

/**
 * Options of {@link main}.
 */
export interface GaussianProcessOptions extends RunOptions {
  readonly points?: number
  readonly steps?: number
  readonly lr?: number
  readonly seed?: number
}

/**
 * Training data: inputs uniform in [−3, 3] and targets sin(x) + 0.3 x with Gaussian noise of
 * standard deviation 0.1.
 */
export function gpData(n: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed)
  const xs = Array.from({ length: n }, () => -3 + 6 * rng.uniform())
  const ys = xs.map((v) => Math.sin(v) + 0.3 * v + 0.1 * rng.normal())
  return { x: tensor(xs), y: tensor(ys) }
}

/** The three hyperparameters of θ = (log ℓ, log σ_f², log σ_n²) as scalars. */
const unpack = (theta: Tensor): [Tensor, Tensor, Tensor] => {
  const part = (i: number) => reshape(slice(theta, [i], [1]), [])
  return [part(0), part(1), part(2)]
}

/** The squared distances (xᵢ − xⱼ)² as an n×n matrix. */
const sqDist = (x: Tensor): Tensor => {
  const n = x.shape[0]!
  const col = reshape(x, [n, 1])
  return square(sub(col, transpose(col)))
}

/** K(θ) = σ_f² exp(−D / (2ℓ²)) + σ_n² I. */
export function rbfKernel(theta: Tensor, x: Tensor): Tensor {
  const [logEll, logSf2, logSn2] = unpack(theta)
  const n = x.shape[0]!
  const d = sqDist(x)
  const ell2 = exp(mul(logEll, 2))
  const eye = tensor(
    Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0)),
    [n, n],
  )
  return add(mul(exp(logSf2), exp(neg(div(d, mul(ell2, 2))))), mul(exp(logSn2), eye))
}

/** log p(y | x, θ) = −½ yᵀ K⁻¹ y − ½ log det K − (n/2) log 2π, through L = cholesky(K). */
export function logMarginalLikelihood(theta: Tensor, x: Tensor, y: Tensor): Tensor {
  const n = x.shape[0]!
  const l = cholesky(rbfKernel(theta, x))
  const z = triangularSolve(l, y)
  const quad = sum(square(z))
  return sub(neg(add(mul(quad, 0.5), mul(choleskyLogdet(l), 0.5))), (n / 2) * Math.log(2 * Math.PI))
}

/**
 * The closed form ∂ log p/∂θⱼ = ½ tr((α αᵀ − K⁻¹) ∂K/∂θⱼ), α = K⁻¹ y, with ∂K/∂ log ℓ = K_f ∘ D/ℓ²,
 * ∂K/∂ log σ_f² = K_f and ∂K/∂ log σ_n² = σ_n² I (K_f the noise-free part).
 */
export function closedFormGradient(theta: number[], x: Tensor, y: Tensor): number[] {
  const [logEll, logSf2, logSn2] = theta as [number, number, number]
  const n = x.shape[0]!
  const kInv = inv(rbfKernel(tensor(theta), x)).dataSync()
  const yv = y.dataSync()
  const xv = x.dataSync()
  const alpha = Array.from({ length: n }, (_, i) => {
    let s = 0
    for (let j = 0; j < n; j++) s += kInv[i * n + j]! * yv[j]!
    return s
  })
  const ell2 = Math.exp(2 * logEll)
  const sf2 = Math.exp(logSf2)
  const sn2 = Math.exp(logSn2)
  const g = [0, 0, 0]
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const d = (xv[i]! - xv[j]!) ** 2
      const kf = sf2 * Math.exp(-d / (2 * ell2))
      // ½ (α αᵀ − K⁻¹)ᵢⱼ (∂K/∂θ)ⱼᵢ, ∂K symmetric
      const w = 0.5 * (alpha[i]! * alpha[j]! - kInv[i * n + j]!)
      g[0]! += w * kf * (d / ell2)
      g[1]! += w * kf
      if (i === j) g[2]! += w * sn2
    }
  return g
}

/**
 * The numbers the example prints.
 */
export interface GaussianProcessResult {
  readonly theta0: readonly number[]
  readonly logLikelihood0: number
  /** The gradient at θ₀ by reverse mode, forward mode, finite differences and the closed form. */
  readonly reverse: readonly number[]
  readonly forward: readonly number[]
  readonly finiteDifferences: readonly number[]
  /** The error estimate of each finite-difference component. */
  readonly fdError: readonly number[]
  readonly closedForm: readonly number[]
  /** The objective after each ascent step, and before the first. */
  readonly trajectory: readonly number[]
  readonly theta: readonly number[]
}

/**
 * Computes the gradient of the log marginal likelihood four ways, then fits θ by gradient ascent.
 */
export function main(opts: GaussianProcessOptions = {}): GaussianProcessResult {
  const log = opts.log ?? console.log
  const o = withDefaults(options, opts)
  const { x, y } = gpData(o.points, o.seed)
  const theta0 = [Math.log(0.5), Math.log(0.5), Math.log(0.1)]
  const f = (t: Tensor) => logMarginalLikelihood(t, x, y)
  const t0 = tensor(theta0)
  const logLikelihood0 = f(t0).item()
  const reverse = [...(grad(f)(t0) as Tensor).dataSync()]
  const forward = [...jacfwd(f)(t0).dataSync()]
  const fd = [0, 1, 2].map((j) => fdJvp(f, [t0], [tensor([0, 1, 2].map((k) => (k === j ? 1 : 0)))]))
  const finiteDifferences = fd.map((e) => e.value[0]!)
  const fdError = fd.map((e) => e.error[0]!)
  const closedForm = closedFormGradient(theta0, x, y)

  let theta = t0
  const trajectory = [logLikelihood0]
  const step = valueAndGrad(f)
  for (let s = 0; s < o.steps; s++) {
    const [, g] = step(theta) as [Tensor, Tensor]
    theta = add(theta, mul(g, o.lr))
    trajectory.push(f(theta).item())
  }

  const names = ['log ℓ', 'log σ_f²', 'log σ_n²']
  log(`Gaussian process, RBF kernel, n = ${o.points}: log p(y | x, θ) through cholesky and triangularSolve`)
  log(`log p at θ₀ = (${theta0.map((v) => num(v, 4)).join(', ')}): ${num(logLikelihood0, 10)}\n`)
  log(
    table(
      ['∂ log p / ∂', 'reverse (grad)', 'forward (jacfwd)', 'finite differences', 'closed form (R&W 5.9)'],
      names.map((name, j) => [
        name,
        num(reverse[j]!, 12),
        num(forward[j]!, 12),
        `${num(finiteDifferences[j]!, 12)} ± ${num(fdError[j]!, 1)}`,
        num(closedForm[j]!, 12),
      ]),
    ),
  )
  const fitted = [...theta.dataSync()]
  log(
    `\n${o.steps} steps of gradient ascent (step ${o.lr}): log p ${num(logLikelihood0, 8)} → ${num(trajectory[trajectory.length - 1]!, 8)}`,
  )
  log(
    `fitted: ℓ = ${num(Math.exp(fitted[0]!), 4)}, σ_f² = ${num(Math.exp(fitted[1]!), 4)}, σ_n² = ${num(Math.exp(fitted[2]!), 4)}`,
  )
  return {
    theta0,
    logLikelihood0,
    reverse,
    forward,
    finiteDifferences,
    fdError,
    closedForm,
    trajectory,
    theta: fitted,
  }
}

runIfMain(import.meta.url, 'gaussian-process', options, main)
