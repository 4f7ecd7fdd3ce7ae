/**
 * A small convolutional net trained by gradient descent on generated images: 8×8 pictures of a
 * horizontal or a vertical bar at a random place, in noise. Two convolutions (the second with
 * stride 2), tanh, a spatial mean and a linear layer give two logits; the loss is the cross
 * entropy with the integer labels:
 *
 *   h₁ = tanh(conv2d(x, K₁, same) + b₁)             [N, 4, 8, 8]
 *   h₂ = tanh(conv2d(h₁, K₂, stride 2, same) + b₂)   [N, 4, 4, 4]
 *   z  = mean(h₂ over the pixels) W + c               [N, 2]
 *   L  = crossEntropy(z, labels)
 *
 * Before training, the gradient of L with respect to every parameter is checked against
 * central finite differences and reverse mode against forward mode (`checkGrads`). Then the
 * net trains with momentum and is scored on images it has not seen.
 *
 * Run: npx tsx examples/conv-net.ts [--images 64] [--steps 60] [--lr 0.5] [--seed 0]
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { checkGrads, formatReport } from '../src/check/index.js'
import { conv2d, crossEntropy } from '../src/nn/index.js'
import {
  type Tensor,
  add,
  matmul,
  mean,
  mul,
  randn,
  reshape,
  sub,
  tanh,
  tensor,
  valueAndGrad,
} from '../src/index.js'
import { type RunOptions, num, runIfMain, table, withDefaults } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  images: { kind: 'integer', default: 64, help: 'training images (half of each class)', min: 2, max: 10000 },
  steps: { kind: 'integer', default: 60, help: 'gradient-descent steps', min: 0, max: 100000 },
  lr: { kind: 'number', default: 0.5, help: 'step size η', min: 0 },
  noise: { kind: 'number', default: 0.3, help: 'standard deviation of the pixel noise', min: 0 },
  seed: { kind: 'integer', default: 0, help: 'seed of the images and the initial weights' },
} as const

/**
 * Options of {@link main}.
 */
export interface ConvNetOptions extends RunOptions {
  readonly images?: number
  readonly steps?: number
  readonly lr?: number
  readonly noise?: number
  readonly seed?: number
}

/** The parameters, in the order the loss takes them. */
export type ConvNetParams = readonly [k1: Tensor, b1: Tensor, k2: Tensor, b2: Tensor, w: Tensor, c: Tensor]

/** The 8×8 images [n, 1, 8, 8] and their labels (0: a horizontal bar, 1: a vertical one). */
export function bars(n: number, noise: number, seed: number): { images: Tensor; labels: number[] } {
  const size = 8
  const data = randn([n, 1, size, size], { seed })
    .dataSync()
    .map((v) => v * noise)
  const labels: number[] = []
  let state = seed * 7919 + 17
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
  for (let i = 0; i < n; i++) {
    const label = i % 2
    const at = Math.floor(next() * size)
    for (let j = 0; j < size; j++) {
      const [r, c] = label === 0 ? [at, j] : [j, at]
      data[i * size * size + r * size + c]! += 1
    }
    labels.push(label)
  }
  return { images: tensor(data, [n, 1, size, size]), labels }
}

/** The column of the largest entry in each row of a matrix. */
function argmaxRows(m: Tensor): number[] {
  const [rows, cols] = m.shape as [number, number]
  const d = m.dataSync()
  return Array.from({ length: rows }, (_, i) => {
    let best = 0
    for (let j = 1; j < cols; j++) if (d[i * cols + j]! > d[i * cols + best]!) best = j
    return best
  })
}

/** The logits [n, 2] of the net. */
export function logits(x: Tensor, [k1, b1, k2, b2, w, c]: ConvNetParams): Tensor {
  const h1 = tanh(add(conv2d(x, k1, { padding: 'same' }), reshape(b1, [1, 4, 1, 1])))
  const h2 = tanh(add(conv2d(h1, k2, { stride: 2, padding: 'same' }), reshape(b2, [1, 4, 1, 1])))
  return add(matmul(mean(h2, [2, 3]), w), c)
}

/**
 * What {@link main} computed.
 */
export interface ConvNetResult {
  /** Whether the gradient passed the finite-difference and mode checks. */
  readonly gradientChecked: boolean
  readonly losses: readonly number[]
  readonly trainAccuracy: number
  readonly testAccuracy: number
}

/**
 * Checks the gradient, trains the net and scores it.
 */
export function main(opts: ConvNetOptions = {}): ConvNetResult {
  const log = opts.log ?? console.log
  const o = withDefaults(options, opts)
  const train = bars(o.images, o.noise, o.seed)
  const test = bars(Math.max(2, o.images), o.noise, o.seed + 1000)
  const init = (shape: number[], s: number, scale: number) => mul(randn(shape, { seed: o.seed + s }), scale)
  let params: ConvNetParams = [
    init([4, 1, 3, 3], 1, 0.5),
    init([4], 2, 0.1),
    init([4, 4, 3, 3], 3, 0.3),
    init([4], 4, 0.1),
    init([4, 2], 5, 1),
    init([2], 6, 0.1),
  ]
  const lossOn =
    (x: Tensor, labels: number[]) =>
    (...p: Tensor[]): Tensor =>
      crossEntropy(logits(x, p as unknown as ConvNetParams), labels)

  // the gradient at the start, on four images, against finite differences and the other mode
  const few = bars(4, o.noise, o.seed + 2000)
  const check = checkGrads(lossOn(few.images, few.labels), [...params], { order: 1 })
  const gradientChecked = E.isRight(check)

  const step = valueAndGrad(lossOn(train.images, train.labels), { argnums: [0, 1, 2, 3, 4, 5] })
  const losses: number[] = []
  let velocity: Tensor[] = params.map((p) => mul(p, 0))
  for (let s = 0; s < o.steps; s++) {
    const [value, grads] = step(...params) as [Tensor, Tensor[]]
    losses.push(value.item())
    velocity = velocity.map((v, i) => add(mul(v, 0.9), grads[i]!))
    params = params.map((p, i) => sub(p, mul(velocity[i]!, o.lr))) as unknown as ConvNetParams
  }
  losses.push(lossOn(train.images, train.labels)(...params).item())
  const accuracy = (d: { images: Tensor; labels: number[] }) => {
    const guess = argmaxRows(logits(d.images, params))
    return guess.filter((g, i) => g === d.labels[i]).length / d.labels.length
  }
  const trainAccuracy = accuracy(train)
  const testAccuracy = accuracy(test)

  log(`conv net on ${o.images} images of bars: gradient ${gradientChecked ? 'passes' : 'FAILS'} the checks`)
  if (E.isLeft(check)) log(formatReport(check.left))
  log(
    table(
      ['', 'value'],
      [
        ['loss before', num(losses[0]!, 6)],
        ['loss after', num(losses[losses.length - 1]!, 6)],
        ['training accuracy', `${num(100 * trainAccuracy, 4)}%`],
        ['test accuracy', `${num(100 * testAccuracy, 4)}%`],
      ],
    ),
  )
  return { gradientChecked, losses, trainAccuracy, testAccuracy }
}

runIfMain(import.meta.url, 'conv-net', options, main)
