/**
 * Logistic regression, the lecture's machine-learning graph: input → model → loss.
 *
 *   L = −log σ(wᵀx),  p = σ(u), u = wᵀx
 *   ū = p̄ · σ(1 − σ) with p̄ = −1/p,  w̄ = ū xᵀ = −(1 − σ(wᵀx)) xᵀ
 *
 * checked against the tape, then trained by gradient descent on two Gaussian clouds made here
 * (labels s = ±1, so the loss of one example is −log σ(s (wᵀx + b)), computed stably as
 * −logSigmoid), with the regularisers of the lecture:
 *
 *   none          L_data
 *   L2            L_data + α‖w‖²                  weight decay: w ← (1 − 2ηα) w − η ∇L_data
 *   L1            L_data + β‖w‖₁                  by subgradient (d|w| = sign w), or by its
 *                                                 proximal step w ← sign(w) max(|w| − ηβ, 0)
 *   elastic net   L_data + α‖w‖² + β‖w‖₁          the same two ways
 *
 * The subgradient of |w| is ±β whatever |w| is, so a weight whose data gradient is small flips
 * around 0 by about ηβ every step and is never exactly zero; the proximal step sets it to zero.
 * Only the informative features should keep a weight: the table counts the others.
 *
 * Run: npx tsx examples/logistic-regression.ts [--steps 300] [--lr 0.5] [--l1 0.05] [--l2 0.05] [--out DIR]
 *
 * @module
 */
import {
  Tensor,
  abs,
  add,
  grad,
  logSigmoid,
  matmul,
  mean,
  mul,
  neg,
  randn,
  relu,
  sign,
  square,
  sub,
  sum,
  tensor,
  valueAndGrad,
  zeros,
} from '../src/index.js'
import { linePlot, renderVegaLite } from '../bench/plot/plot.js'
import { type RunOptions, num, runIfMain, savePicture, table, withDefaults } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  perClass: { kind: 'integer', default: 100, help: 'points in each cloud', min: 2, max: 100000 },
  features: { kind: 'integer', default: 10, help: 'features d', min: 1, max: 1000 },
  informative: { kind: 'integer', default: 2, help: 'features that separate the clouds', min: 1 },
  separation: {
    kind: 'number',
    default: 2,
    help: 'distance between the cloud means along each informative feature',
    min: 0,
  },
  steps: { kind: 'integer', default: 300, help: 'gradient-descent steps', min: 1, max: 1000000 },
  lr: { kind: 'number', default: 0.5, help: 'step size η', min: 0 },
  l1: { kind: 'number', default: 0.05, help: 'β, the weight of ‖w‖₁', min: 0 },
  l2: { kind: 'number', default: 0.05, help: 'α, the weight of ‖w‖²', min: 0 },
  seed: { kind: 'integer', default: 1, help: 'seed of the data' },
} as const

/**
 * Options of {@link main}.
 */
export interface LogisticRegressionOptions extends RunOptions {
  readonly perClass?: number
  readonly features?: number
  readonly informative?: number
  readonly separation?: number
  readonly steps?: number
  readonly lr?: number
  readonly l1?: number
  readonly l2?: number
  readonly seed?: number
}

/**
 * The regularisers compared.
 */
export type Regulariser =
  | 'none'
  | 'L2 (weight decay)'
  | 'L1 (subgradient)'
  | 'L1 (proximal)'
  | 'elastic net (subgradient)'
  | 'elastic net (proximal)'

/**
 * One trained model.
 */
export interface TrainedModel {
  readonly regulariser: Regulariser
  readonly w: readonly number[]
  readonly b: number
  /** The objective (data loss plus penalty) after each step, and before the first. */
  readonly objective: readonly number[]
  readonly dataLoss: number
  readonly accuracy: number
  readonly l1Norm: number
  readonly l2Norm: number
  /** Weights with |w| < 1e-3. */
  readonly zeros: number
  /** max |w| over the features that carry no signal. */
  readonly maxNoiseWeight: number
}

/**
 * The numbers the example prints.
 */
export interface LogisticRegressionResult {
  /** max |tape − closed form| of w̄ = −(1 − σ(wᵀx)) x for one example. */
  readonly singleExampleError: number
  /** max |tape − closed form| of ∇L_data over the data set. */
  readonly dataGradientError: number
  readonly models: readonly TrainedModel[]
  readonly picture: string | null
}

/**
 * Two Gaussian clouds in d dimensions with unit variance, centred at ±(separation/2) on the
 * first `informative` features and at 0 on the others. Labels are s = +1 and s = −1.
 */
export function gaussianClouds(
  perClass: number,
  features: number,
  informative: number,
  separation: number,
  seed: number,
): { readonly x: Tensor; readonly s: Tensor } {
  const z = randn([2 * perClass, features], { seed }).dataSync()
  const labels = new Float64Array(2 * perClass)
  for (let i = 0; i < 2 * perClass; i++) {
    const si = i < perClass ? 1 : -1
    labels[i] = si
    for (let j = 0; j < Math.min(informative, features); j++)
      z[i * features + j] = z[i * features + j]! + (si * separation) / 2
  }
  return { x: tensor(z, [2 * perClass, features]), s: tensor(labels) }
}

/** L_data(w, b) = mean_i −log σ(s_i (x_iᵀw + b)). */
const dataLoss = (w: Tensor, b: Tensor, x: Tensor, s: Tensor): Tensor =>
  neg(mean(logSigmoid(mul(s, add(matmul(x, w), b)))))

const l1 = (w: Tensor): Tensor => sum(abs(w))
const l2 = (w: Tensor): Tensor => sum(square(w))

// prox of t‖·‖₁: soft thresholding, sign(v) max(|v| − t, 0)
const softThreshold = (v: Tensor, t: number): Tensor => mul(sign(v), relu(sub(abs(v), t)))

interface Penalty {
  readonly alpha: number
  readonly beta: number
  readonly proximal: boolean
}

function train(
  regulariser: Regulariser,
  penalty: Penalty,
  data: { readonly x: Tensor; readonly s: Tensor },
  steps: number,
  lr: number,
  informative: number,
): TrainedModel {
  const { alpha, beta, proximal } = penalty
  const d = data.x.shape[1]!
  // the part of the objective that the tape differentiates; a proximal L1 is applied separately
  const smooth = (w: Tensor, b: Tensor): Tensor => {
    let loss = dataLoss(w, b, data.x, data.s)
    if (alpha > 0) loss = add(loss, mul(l2(w), alpha))
    if (beta > 0 && !proximal) loss = add(loss, mul(l1(w), beta))
    return loss
  }
  const objectiveOf = (w: Tensor, b: Tensor): number =>
    dataLoss(w, b, data.x, data.s).item() + alpha * l2(w).item() + beta * l1(w).item()
  const step = valueAndGrad(smooth, { argnums: [0, 1] })
  let w = zeros([d])
  let b = zeros([])
  // objective[k] is the objective at the k-th iterate; the smooth part comes with its gradient
  const objective: number[] = []
  for (let k = 0; k < steps; k++) {
    const [value, [gw, gb]] = step(w, b) as [Tensor, Tensor[]]
    objective.push(value.item() + (proximal ? beta * l1(w).item() : 0))
    w = sub(w, mul(gw!, lr))
    b = sub(b, mul(gb!, lr))
    if (proximal && beta > 0) w = softThreshold(w, lr * beta)
  }
  objective.push(objectiveOf(w, b))
  const wv = Array.from(w.dataSync())
  const u = add(matmul(data.x, w), b).dataSync()
  const s = data.s.dataSync()
  let correct = 0
  for (let i = 0; i < u.length; i++) if (u[i]! * s[i]! > 0) correct++
  return {
    regulariser,
    w: wv,
    b: b.item(),
    objective,
    dataLoss: dataLoss(w, b, data.x, data.s).item(),
    accuracy: correct / u.length,
    l1Norm: wv.reduce((a, v) => a + Math.abs(v), 0),
    l2Norm: Math.sqrt(wv.reduce((a, v) => a + v * v, 0)),
    zeros: wv.filter((v) => Math.abs(v) < 1e-3).length,
    maxNoiseWeight: wv.slice(informative).reduce((a, v) => Math.max(a, Math.abs(v)), 0),
  }
}

const sigma = (u: number): number => 1 / (1 + Math.exp(-u))

/**
 * Checks the lecture's gradient against the tape, trains the six models, prints the table and
 * plots the objective curves.
 */
export async function main(opts: LogisticRegressionOptions = {}): Promise<LogisticRegressionResult> {
  const log = opts.log ?? console.log
  const out = opts.out === undefined ? 'out/examples/logistic-regression' : opts.out
  const o = withDefaults(options, opts)
  const informative = Math.min(o.informative, o.features)

  // one example, as on the slide: L = −log σ(wᵀx), w̄ = −(1 − σ(wᵀx)) x
  const w1 = randn([o.features], { seed: o.seed + 100 })
  const x1 = randn([o.features], { seed: o.seed + 101 })
  const tapeGrad = (grad((w: Tensor) => neg(logSigmoid(matmul(w, x1))))(w1) as Tensor).dataSync()
  const wv1 = Array.from(w1.dataSync())
  const xv1 = x1.dataSync()
  const u1 = wv1.reduce((a, v, i) => a + v * xv1[i]!, 0)
  let singleExampleError = 0
  for (let j = 0; j < o.features; j++) {
    const closed = -(1 - sigma(u1)) * xv1[j]!
    singleExampleError = Math.max(singleExampleError, Math.abs(closed - tapeGrad[j]!))
  }

  const data = gaussianClouds(o.perClass, o.features, informative, o.separation, o.seed)

  // the data-set gradient, by the tape and in closed form: −(1/N) Σ_i (1 − σ(s_i u_i)) s_i x_i
  const wProbe = randn([o.features], { seed: o.seed + 102 })
  const bProbe = tensor(0.3)
  const [gTape] = grad(dataLoss, { argnums: [0] })(wProbe, bProbe, data.x, data.s) as Tensor[]
  const X = data.x.dataSync()
  const S = data.s.dataSync()
  const wp = wProbe.dataSync()
  const N = S.length
  const closed = new Float64Array(o.features)
  for (let i = 0; i < N; i++) {
    let u = 0.3
    for (let j = 0; j < o.features; j++) u += X[i * o.features + j]! * wp[j]!
    const c = (-(1 - sigma(S[i]! * u)) * S[i]!) / N
    for (let j = 0; j < o.features; j++) closed[j] = closed[j]! + c * X[i * o.features + j]!
  }
  const gt = gTape!.dataSync()
  const dataGradientError = closed.reduce((a, v, j) => Math.max(a, Math.abs(v - gt[j]!)), 0)

  const runs: [Regulariser, Penalty][] = [
    ['none', { alpha: 0, beta: 0, proximal: false }],
    ['L2 (weight decay)', { alpha: o.l2, beta: 0, proximal: false }],
    ['L1 (subgradient)', { alpha: 0, beta: o.l1, proximal: false }],
    ['L1 (proximal)', { alpha: 0, beta: o.l1, proximal: true }],
    ['elastic net (subgradient)', { alpha: o.l2, beta: o.l1, proximal: false }],
    ['elastic net (proximal)', { alpha: o.l2, beta: o.l1, proximal: true }],
  ]
  const models = runs.map(([name, p]) => train(name, p, data, o.steps, o.lr, informative))

  const every = Math.max(1, Math.floor(o.steps / 100))
  const rows = models.flatMap((m) =>
    m.objective
      .map((v, k) => ({ step: k, objective: v, regulariser: m.regulariser }))
      .filter((r) => r.step % every === 0 || r.step === o.steps),
  )
  const spec = linePlot({
    title: 'Logistic regression: objective during gradient descent',
    data: rows,
    x: 'step',
    y: 'objective',
    color: 'regulariser',
    points: false,
    xTitle: 'gradient-descent step',
    yTitle: 'data loss + penalty',
  })
  const picture = await savePicture(out, 'loss.svg', await renderVegaLite(spec))

  log('L = −log σ(wᵀx): the tape against the closed form w̄ = −(1 − σ(wᵀx)) x')
  log(`  one example: max |difference| = ${num(singleExampleError, 3)}`)
  log(`  mean over the data set: max |difference| = ${num(dataGradientError, 3)}`)
  log('')
  log(
    `${2 * o.perClass} points, ${o.features} features of which ${informative} informative; ` +
      `${o.steps} steps of size ${o.lr}; α = ${o.l2}, β = ${o.l1}`,
  )
  log(
    table(
      ['regulariser', 'data loss', 'accuracy', '‖w‖₁', '‖w‖₂', '|w| < 1e-3', 'max |w| (noise)'],
      models.map((m) => [
        m.regulariser,
        num(m.dataLoss, 4),
        `${num(100 * m.accuracy, 4)}%`,
        num(m.l1Norm, 4),
        num(m.l2Norm, 4),
        `${m.zeros} of ${o.features}`,
        num(m.maxNoiseWeight, 3),
      ]),
    ),
  )
  if (picture !== null) log(`\nobjective curves: ${picture}`)
  return { singleExampleError, dataGradientError, models, picture }
}

runIfMain(import.meta.url, 'logistic-regression', options, main)
