/** The workloads of the engine benchmarks (the overhead and peers suites time them). */
import {
  type Tensor,
  add,
  cos,
  exp,
  matmul,
  mean,
  mul,
  randn,
  sigmoid,
  sin,
  softplus,
  square,
  sum,
  tanh,
} from '../src/index.js'

/** The MLP of the engine issue: tanh layers of width `width`, a final linear layer, loss = mean of squares. */
export function makeMlp(opts: { batch: number; width: number; layers: number; seed?: number }) {
  const { batch, width, layers } = opts
  const seed = opts.seed ?? 1
  const scale = 1 / Math.sqrt(width)
  const params = Array.from({ length: layers + 1 }, (_, i) => ({
    w: mul(randn([width, width], { seed: seed + 2 * i }), scale),
    b: mul(randn([width], { seed: seed + 2 * i + 1 }), 0.1),
  }))
  const x = randn([batch, width], { seed: seed + 1000 })
  return { params, x, forward: mlpLoss }
}

/** The MLP's loss: tanh(h W + b) layer by layer, the last layer linear, then the mean of squares. */
export function mlpLoss(ps: readonly { w: Tensor; b: Tensor }[], input: Tensor): Tensor {
  let h = input
  ps.forEach((p, i) => {
    const z = add(matmul(h, p.w), p.b)
    h = i < ps.length - 1 ? tanh(z) : z
  })
  return mean(square(h))
}

/** A chain of 12 elementwise ops on a vector of length n, followed by a sum. */
export function elementwiseChain(x: Tensor): Tensor {
  let y = x
  for (let i = 0; i < 2; i++) {
    y = sin(y)
    y = mul(y, 1.5)
    y = tanh(y)
    y = exp(y)
    y = softplus(y)
    y = sigmoid(cos(y))
  }
  return sum(y)
}
