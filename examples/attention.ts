/**
 * A multi-head self-attention layer written with einsum and softmax, differentiated in both
 * modes:
 *
 *   Q = einsum('bnd,hdk->bhnk', X, W_q)   (and K, V likewise)
 *   A = softmax(einsum('bhqk,bhmk->bhqm', Q, K) / √k, along m)
 *   Y = einsum('bhqm,bhmk,hkd->bqd', A, V, W_o)
 *   L = mean((Y − T)²)
 *
 * The gradient of L with respect to each weight by reverse mode (one sweep) is compared with
 * forward mode (jacfwd: one JVP per weight entry) and with central finite differences
 * (`checkGrads`). The attention rows sum to 1, and stay finite and exact when the scores are
 * ±1000 (softmax goes through logsumexp).
 *
 * Run: npx tsx examples/attention.ts [--batch 2] [--tokens 5] [--dim 8] [--heads 2] [--seed 0]
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { checkGrads, formatReport } from '../src/check/index.js'
import { softmax } from '../src/nn/index.js'
import { type Tensor, div, einsum, grad, jacfwd, mean, mul, randn, square, sub, sum } from '../src/index.js'
import { type RunOptions, num, runIfMain, table, withDefaults } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  batch: { kind: 'integer', default: 2, help: 'sequences in the batch', min: 1, max: 64 },
  tokens: { kind: 'integer', default: 5, help: 'tokens per sequence', min: 1, max: 256 },
  dim: { kind: 'integer', default: 8, help: 'model width d', min: 1, max: 256 },
  heads: {
    kind: 'integer',
    default: 2,
    help: 'attention heads (each of width d / heads, at least 1)',
    min: 1,
    max: 16,
  },
  seed: { kind: 'integer', default: 0, help: 'seed of the inputs, targets and weights' },
} as const

/**
 * Options of {@link main}.
 */
export interface AttentionOptions extends RunOptions {
  readonly batch?: number
  readonly tokens?: number
  readonly dim?: number
  readonly heads?: number
  readonly seed?: number
}

/** The four weights of the layer. */
export interface AttentionWeights {
  /** [heads, d, k] each. */
  readonly wq: Tensor
  readonly wk: Tensor
  readonly wv: Tensor
  /** [heads, k, d]. */
  readonly wo: Tensor
}

/**
 * The attention weights A, [batch, heads, tokens, tokens]: softmax over the keys of the scaled
 * query–key products.
 */
export function attentionWeights(x: Tensor, wq: Tensor, wk: Tensor): Tensor {
  const q = einsum('bnd,hdk->bhnk', x, wq)
  const k = einsum('bnd,hdk->bhnk', x, wk)
  const scores = div(einsum('bhqk,bhmk->bhqm', q, k), Math.sqrt(wq.shape[2]!))
  return softmax(scores, -1)
}

/** The layer: [batch, tokens, d] → [batch, tokens, d]. */
export function attention(x: Tensor, w: AttentionWeights): Tensor {
  const a = attentionWeights(x, w.wq, w.wk)
  const v = einsum('bnd,hdk->bhnk', x, w.wv)
  return einsum('bhqm,bhmk,hkd->bqd', a, v, w.wo)
}

/**
 * What {@link main} computed.
 */
export interface AttentionResult {
  readonly loss: number
  /** Per weight: max |reverse − forward| and the finite-difference check's verdict. */
  readonly weights: readonly {
    readonly name: keyof AttentionWeights
    readonly shape: readonly number[]
    readonly modeDiff: number
    readonly fdPassed: boolean
  }[]
  /** max |Σ_m A[…, m] − 1| over every row. */
  readonly rowSumError: number
  /** With the scores scaled to ±1000: whether A and its gradient are finite. */
  readonly bigScoresFinite: boolean
  /** The finite-difference report, printed. */
  readonly report: string
}

const flat = (t: Tensor): number[] => Array.from(t.dataSync())

/**
 * Builds the layer, compares the two modes' gradients and checks them against finite differences.
 */
export function main(opts: AttentionOptions = {}): AttentionResult {
  const log = opts.log ?? console.log
  const o = withDefaults(options, opts)
  const k = Math.max(1, Math.floor(o.dim / o.heads))
  const x = randn([o.batch, o.tokens, o.dim], { seed: o.seed })
  const target = randn([o.batch, o.tokens, o.dim], { seed: o.seed + 1 })
  const scale = 1 / Math.sqrt(o.dim)
  const init = (shape: number[], s: number) => mul(randn(shape, { seed: o.seed + s }), scale)
  const w: AttentionWeights = {
    wq: init([o.heads, o.dim, k], 2),
    wk: init([o.heads, o.dim, k], 3),
    wv: init([o.heads, o.dim, k], 4),
    wo: init([o.heads, k, o.dim], 5),
  }
  const names = ['wq', 'wk', 'wv', 'wo'] as const
  const lossOf = (wq: Tensor, wk: Tensor, wv: Tensor, wo: Tensor): Tensor =>
    mean(square(sub(attention(x, { wq, wk, wv, wo }), target)))
  const args = names.map((n) => w[n]) as [Tensor, Tensor, Tensor, Tensor]
  const loss = lossOf(...args).item()
  const rev = grad(lossOf, { argnums: [0, 1, 2, 3] })(...args) as Tensor[]
  const weights = names.map((name, i) => {
    const fwd = jacfwd((wi: Tensor) => lossOf(...(args.map((a, j) => (j === i ? wi : a)) as typeof args)))(
      args[i]!,
    )
    const r = flat(rev[i]!)
    const f = flat(fwd)
    const modeDiff = r.reduce((m, v, j) => Math.max(m, Math.abs(v - f[j]!)), 0)
    return { name, shape: args[i]!.shape, modeDiff, fdPassed: false }
  })
  const check = checkGrads(lossOf, args)
  const passed = E.isRight(check)
  const report = formatReport(E.isRight(check) ? check.right : check.left)
  const a = attentionWeights(x, w.wq, w.wk)
  const rowSumError = flat(sum(a, -1)).reduce((m, v) => Math.max(m, Math.abs(v - 1)), 0)
  // scores of ±1000: weights 1000× larger make the products ~1000
  const big = (wq: Tensor) => sum(square(attentionWeights(x, mul(wq, 1000 / scale), w.wk)))
  const bigScoresFinite = [
    ...flat(attentionWeights(x, mul(w.wq, 1000 / scale), w.wk)),
    ...flat(grad(big)(w.wq) as Tensor),
  ].every(Number.isFinite)

  log(`attention: batch ${o.batch}, ${o.tokens} tokens, width ${o.dim}, ${o.heads} heads of width ${k}`)
  log(`loss = ${num(loss, 10)}`)
  log(
    table(
      ['weight', 'shape', 'max |reverse − forward|', 'finite differences'],
      weights.map((r) => [r.name, `[${r.shape.join(', ')}]`, num(r.modeDiff, 3), passed ? 'pass' : 'FAIL']),
    ),
  )
  log(
    `attention rows sum to 1 within ${num(rowSumError, 3)}; at scores of ±1000: ${bigScoresFinite ? 'finite' : 'NOT finite'}`,
  )
  log(report)
  return {
    loss,
    weights: weights.map((r) => ({ ...r, fdPassed: passed })),
    rowSumError,
    bigScoresFinite,
    report,
  }
}

runIfMain(import.meta.url, 'attention', options, main)
