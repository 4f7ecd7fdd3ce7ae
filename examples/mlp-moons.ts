/**
 * A deep model: a multilayer perceptron with two hidden layers (FC + ReLU, FC + ReLU, FC),
 * trained by gradient descent with momentum on two interleaved half-moons made here. The
 * gradient of the loss with respect to every weight comes from one reverse sweep over the tape;
 * the learning algorithm does not change with the model.
 *
 *   logit = W3ᵀ relu(W2ᵀ relu(W1ᵀ x + b1) + b2) + b3,  L = mean −log σ(s · logit)  (s = ±1)
 *   v ← μ v − η ∇L,  θ ← θ + v
 *
 * It prints the loss as training goes and the training accuracy, and draws the loss curve and
 * the decision boundary (a grid coloured by the predicted class, with the data on top).
 *
 * Run: npx tsx examples/mlp-moons.ts [--steps 600] [--hidden 16] [--lr 0.1] [--momentum 0.9] [--out DIR]
 *
 * @module
 */
import {
  type Tensor,
  add,
  logSigmoid,
  matmul,
  mean,
  mul,
  neg,
  randn,
  relu,
  reshape,
  sub,
  tensor,
  valueAndGrad,
  zeros,
} from '../src/index.js'
import { Rng } from '../src/core/random.js'
import { linePlot, renderVegaLite, scatterPlot, type PlotRow } from '../bench/plot/plot.js'
import { type RunOptions, num, runIfMain, savePicture, table, withDefaults } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  points: {
    kind: 'integer',
    default: 200,
    help: 'points in the data set (half per moon)',
    min: 4,
    max: 100000,
  },
  noise: {
    kind: 'number',
    default: 0.1,
    help: 'standard deviation of the noise added to each point',
    min: 0,
  },
  hidden: { kind: 'integer', default: 16, help: 'units in each hidden layer', min: 1, max: 1024 },
  steps: { kind: 'integer', default: 600, help: 'gradient-descent steps (full batch)', min: 1, max: 1000000 },
  lr: { kind: 'number', default: 0.1, help: 'step size η', min: 0 },
  momentum: { kind: 'number', default: 0.9, help: 'momentum μ (0: plain gradient descent)', min: 0, max: 1 },
  seed: { kind: 'integer', default: 0, help: 'seed of the data and of the initial weights' },
  grid: {
    kind: 'integer',
    default: 60,
    help: 'cells per side of the decision-boundary grid',
    min: 2,
    max: 400,
  },
} as const

/**
 * Options of {@link main}.
 */
export interface MlpMoonsOptions extends RunOptions {
  readonly points?: number
  readonly noise?: number
  readonly hidden?: number
  readonly steps?: number
  readonly lr?: number
  readonly momentum?: number
  readonly seed?: number
  readonly grid?: number
}

/**
 * The weights of the network.
 */
export interface MlpParams {
  readonly w1: Tensor
  readonly b1: Tensor
  readonly w2: Tensor
  readonly b2: Tensor
  readonly w3: Tensor
  readonly b3: Tensor
}

/**
 * The numbers the example prints.
 */
export interface MlpMoonsResult {
  /** The loss before each step and after the last. */
  readonly losses: readonly number[]
  /** The fraction of training points classified correctly after training. */
  readonly accuracy: number
  readonly params: number
  readonly pictures: readonly string[]
}

/**
 * Two interleaved half-circles (scikit-learn's `make_moons`): label +1 on the upper moon
 * (cos t, sin t), −1 on the lower one (1 − cos t, ½ − sin t), t evenly spaced in [0, π], plus
 * Gaussian noise.
 */
export function twoMoons(
  points: number,
  noise: number,
  seed: number,
): { readonly x: Tensor; readonly s: Tensor } {
  const rng = new Rng(seed)
  const upper = Math.ceil(points / 2)
  const lower = points - upper
  const x = new Float64Array(points * 2)
  const s = new Float64Array(points)
  for (let i = 0; i < points; i++) {
    const isUpper = i < upper
    const k = isUpper ? i : i - upper
    const t = (Math.PI * k) / Math.max(1, (isUpper ? upper : lower) - 1)
    x[2 * i] = (isUpper ? Math.cos(t) : 1 - Math.cos(t)) + noise * rng.normal()
    x[2 * i + 1] = (isUpper ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * rng.normal()
    s[i] = isUpper ? 1 : -1
  }
  return { x: tensor(x, [points, 2]), s: tensor(s) }
}

/**
 * He initialisation (weights ~ N(0, 2/fan_in), biases 0) of a 2 → h → h → 1 network.
 */
export function initParams(hidden: number, seed: number): MlpParams {
  const he = (rows: number, cols: number, k: number): Tensor =>
    mul(randn([rows, cols], { seed: seed * 7919 + k }), Math.sqrt(2 / rows))
  return {
    w1: he(2, hidden, 1),
    b1: zeros([hidden]),
    w2: he(hidden, hidden, 2),
    b2: zeros([hidden]),
    w3: he(hidden, 1, 3),
    b3: zeros([1]),
  }
}

/**
 * The network's logit for each row of x: FC + ReLU, FC + ReLU, FC.
 */
export function logits(p: MlpParams, x: Tensor): Tensor {
  const h1 = relu(add(matmul(x, p.w1), p.b1))
  const h2 = relu(add(matmul(h1, p.w2), p.b2))
  const out = add(matmul(h2, p.w3), p.b3)
  return reshape(out, [x.shape[0]!])
}

/** L = mean_i −log σ(s_i logit_i). */
const loss = (p: MlpParams, x: Tensor, s: Tensor): Tensor => neg(mean(logSigmoid(mul(s, logits(p, x)))))

const keys = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'] as const

/**
 * Trains the network, prints the loss every so often and the final accuracy, and draws the loss
 * curve and the decision boundary.
 */
export async function main(opts: MlpMoonsOptions = {}): Promise<MlpMoonsResult> {
  const log = opts.log ?? console.log
  const out = opts.out === undefined ? 'out/examples/mlp-moons' : opts.out
  const o = withDefaults(options, opts)

  const data = twoMoons(o.points, o.noise, o.seed)
  let params = initParams(o.hidden, o.seed)
  let velocity = Object.fromEntries(keys.map((k) => [k, zeros(params[k].shape)])) as unknown as MlpParams
  const step = valueAndGrad(loss)
  const losses: number[] = []
  const every = Math.max(1, Math.floor(o.steps / 10))
  const progress: string[][] = []
  for (let k = 0; k < o.steps; k++) {
    const [value, g] = step(params, data.x, data.s) as [Tensor, MlpParams]
    losses.push(value.item())
    // v ← μ v − η ∇L,  θ ← θ + v
    velocity = Object.fromEntries(
      keys.map((key) => [key, sub(mul(velocity[key], o.momentum), mul(g[key], o.lr))]),
    ) as unknown as MlpParams
    params = Object.fromEntries(
      keys.map((key) => [key, add(params[key], velocity[key])]),
    ) as unknown as MlpParams
    if (k % every === 0) progress.push([String(k), num(losses[k]!, 4)])
  }
  losses.push(loss(params, data.x, data.s).item())
  progress.push([String(o.steps), num(losses[o.steps]!, 4)])

  const predicted = logits(params, data.x).dataSync()
  const labels = data.s.dataSync()
  let correct = 0
  for (let i = 0; i < o.points; i++) if (predicted[i]! * labels[i]! > 0) correct++
  const accuracy = correct / o.points
  const nParams = keys.reduce((a, key) => a + params[key].size, 0)

  // pictures
  const pictures: string[] = []
  const lossSpec = linePlot({
    title: `MLP on two moons: training loss (${o.momentum > 0 ? `momentum ${o.momentum}` : 'plain'} GD)`,
    data: losses.map((v, k) => ({ step: k, loss: v })),
    x: 'step',
    y: 'loss',
    points: false,
    logY: true,
    xTitle: 'gradient-descent step',
    yTitle: 'mean −log σ(s · logit)',
  })
  const xs = data.x.dataSync()
  const className = (v: number): string => (v > 0 ? 'upper moon (+1)' : 'lower moon (−1)')
  const points: PlotRow[] = Array.from({ length: o.points }, (_, i) => ({
    x1: xs[2 * i]!,
    x2: xs[2 * i + 1]!,
    class: className(labels[i]!),
  }))
  const bounds = (j: number): [number, number] => {
    let lo = Infinity
    let hi = -Infinity
    for (let i = 0; i < o.points; i++) {
      lo = Math.min(lo, xs[2 * i + j]!)
      hi = Math.max(hi, xs[2 * i + j]!)
    }
    return [lo - 0.3, hi + 0.3]
  }
  const [lo1, hi1] = bounds(0)
  const [lo2, hi2] = bounds(1)
  const cells: number[][] = []
  for (let a = 0; a < o.grid; a++) {
    for (let b = 0; b < o.grid; b++) {
      cells.push([lo1 + ((hi1 - lo1) * (a + 0.5)) / o.grid, lo2 + ((hi2 - lo2) * (b + 0.5)) / o.grid])
    }
  }
  const gridLogits = logits(params, tensor(cells)).dataSync()
  const background: PlotRow[] = cells.map(([g1, g2], i) => ({
    x1: g1!,
    x2: g2!,
    class: className(gridLogits[i]!),
  }))
  const boundarySpec = scatterPlot({
    title: `Decision boundary (training accuracy ${num(100 * accuracy, 4)}%)`,
    data: points,
    background,
    x: 'x1',
    y: 'x2',
    color: 'class',
    // a square plot, so that each grid cell is a square of side 420/grid pixels
    width: 420,
    height: 420,
    backgroundSize: Math.max(4, Math.round((420 / o.grid) ** 2)),
  })
  for (const [file, spec] of [
    ['loss.svg', lossSpec],
    ['decision-boundary.svg', boundarySpec],
  ] as const) {
    const p = await savePicture(out, file, await renderVegaLite(spec))
    if (p !== null) pictures.push(p)
  }

  log(
    `MLP 2 → ${o.hidden} → ${o.hidden} → 1 (FC + ReLU twice, ${nParams} weights) on ${o.points} two-moons points ` +
      `(noise ${o.noise}, seed ${o.seed})`,
  )
  log(`gradient descent: ${o.steps} full-batch steps, η = ${o.lr}, momentum μ = ${o.momentum}`)
  log(table(['step', 'loss'], progress))
  log(`training accuracy: ${num(100 * accuracy, 4)}% (${correct} of ${o.points})`)
  if (pictures.length > 0) log(`\npictures: ${pictures.join(', ')}`)
  return { losses, accuracy, params: nParams, pictures }
}

runIfMain(import.meta.url, 'mlp-moons', options, main)
