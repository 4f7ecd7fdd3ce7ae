import {
  type Tensor,
  add,
  cos,
  exp,
  grad,
  jvp,
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
  valueAndGrad,
  zeros,
} from '../src/index.js'
import { timeInterleaved } from './timing.js'

/** One line of the engine benchmark. */
export interface EngineRow {
  readonly name: string
  readonly fMs: number
  readonly gradMs: number
  readonly jvpMs: number
  readonly gradRatio: number
  readonly jvpRatio: number
}

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
  const forward = (ps: readonly { w: Tensor; b: Tensor }[], input: Tensor): Tensor => {
    let h = input
    ps.forEach((p, i) => {
      const z = add(matmul(h, p.w), p.b)
      h = i < ps.length - 1 ? tanh(z) : z
    })
    return mean(square(h))
  }
  return { params, x, forward }
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

/**
 * Overhead of the modes against one evaluation, side by side: the MLP (gradient with respect to
 * all parameters; JVP along one direction of the input batch) and the elementwise chain.
 */
export function benchEngine(opts: { quick: boolean }): EngineRow[] {
  const rows: EngineRow[] = []
  const repeats = opts.quick ? 5 : 15
  {
    const { params, x, forward } = makeMlp({ batch: 64, width: 256, layers: 4 })
    const vg = valueAndGrad((ps: typeof params) => forward(ps, x))
    const dx = randn(x.shape, { seed: 99 })
    const [fMs, gradMs, jvpMs] = timeInterleaved(
      [() => forward(params, x), () => vg(params), () => jvp((xx: Tensor) => forward(params, xx), [x], [dx])],
      { repeats },
    )
    rows.push({
      name: 'MLP 64×256, 4 tanh + linear',
      fMs: fMs!,
      gradMs: gradMs!,
      jvpMs: jvpMs!,
      gradRatio: gradMs! / fMs!,
      jvpRatio: jvpMs! / fMs!,
    })
  }
  {
    const n = 10_000
    const x = randn([n], { seed: 5 })
    const dx = randn([n], { seed: 6 })
    const g = grad(elementwiseChain)
    const [fMs, gradMs, jvpMs] = timeInterleaved(
      [() => elementwiseChain(x), () => g(x), () => jvp(elementwiseChain, [x], [dx])],
      {
        repeats,
      },
    )
    rows.push({
      name: '12-op elementwise chain, n = 10,000',
      fMs: fMs!,
      gradMs: gradMs!,
      jvpMs: jvpMs!,
      gradRatio: gradMs! / fMs!,
      jvpRatio: jvpMs! / fMs!,
    })
  }
  {
    const n = 1000
    const chain = (x: Tensor): Tensor => {
      let y = x
      for (let i = 0; i < n; i++) y = tanh(y)
      return y
    }
    const x = zeros([])
    const g = grad(chain)
    const [fMs, gradMs, jvpMs] = timeInterleaved([() => chain(x), () => g(x), () => jvp(chain, [x], [x])], {
      repeats,
    })
    rows.push({
      name: `scalar chain of ${n} tanh (µs per op)`,
      fMs: (fMs! / n) * 1000,
      gradMs: (gradMs! / n) * 1000,
      jvpMs: (jvpMs! / n) * 1000,
      gradRatio: gradMs! / fMs!,
      jvpRatio: jvpMs! / fMs!,
    })
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(benchEngine({ quick: process.argv.includes('--quick') }))
}
