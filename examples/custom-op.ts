/**
 * A custom op with its own derivative rules, checked with checkGrads.
 *
 * log Σ exp(x) overflows for x ≈ 1000 when computed as written; the stable form subtracts the
 * maximum first: lse(x) = m + log Σ exp(x − m), m = max x. Its derivative is the softmax,
 * which the rules compute from the output y (pᵢ = exp(xᵢ − y)) instead of differentiating
 * through the max:
 *
 *   JVP:  d lse = Σᵢ pᵢ dxᵢ          VJP:  x̄ = ȳ p
 *
 * checkGrads then checks both rules, and their own derivatives (order 2), against finite
 * differences and against each other; a variant whose VJP forgets to normalise shows what a
 * failing report looks like.
 *
 * Run: npx tsx examples/custom-op.ts [--order 2] [--seed 0] [--fast]
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { type CheckReport, checkGrads, formatReport } from '../src/check/index.js'
import {
  type Tensor,
  add,
  defineOp,
  exp,
  grad,
  log,
  max,
  mul,
  reshape,
  sub,
  sum,
  tensor,
} from '../src/index.js'
import { type RunOptions, runIfMain, withDefaults } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  order: { kind: 'integer', default: 2, help: 'the order of the check (1 or 2)', min: 1, max: 2 },
  seed: { kind: 'integer', default: 0, help: 'the seed of the random directions' },
  fast: { kind: 'boolean', default: false, help: 'compare projections uᵀ J v instead of full Jacobians' },
} as const

/**
 * Options of {@link main}.
 */
export interface CustomOpOptions extends RunOptions {
  readonly order?: number
  readonly seed?: number
  readonly fast?: boolean
}

/** `t` with a trailing axis of size 1, so that it broadcasts against rows of the input. */
const keepLast = (t: Tensor): Tensor => reshape(t, [...t.shape, 1])

/** softmax along the last axis from x and y = lse(x): pᵢ = exp(xᵢ − y). */
const softmaxFrom = (x: Tensor, y: Tensor): Tensor => exp(sub(x, keepLast(y)))

/**
 * log Σ exp over the last axis, stable for large inputs, with its own rules:
 * d lse = Σᵢ pᵢ dxᵢ (JVP) and x̄ = ȳ p (VJP), p = softmax(x).
 */
export const stableLogsumexp = defineOp({
  name: 'stableLogsumexp',
  impl: ([x]) => {
    const m = max(x!, -1, true)
    return add(reshape(m, m.shape.slice(0, -1)), log(sum(exp(sub(x!, m)), -1)))
  },
  jvp: ({ x: [x], dx: [dx], y }) => sum(mul(dx!, softmaxFrom(x!, y)), -1),
  vjp: ({ ct, x: [x], y }) => [mul(keepLast(ct), softmaxFrom(x!, y))],
})

/**
 * The same op with a tempting mistake: the VJP weights by exp(x − max x), forgetting to divide
 * by Σ exp(x − max x).
 */
export const unnormalisedLogsumexp = defineOp({
  name: 'unnormalisedLogsumexp',
  impl: ([x]) => stableLogsumexp(x!),
  jvp: ({ x: [x], dx: [dx], y }) => sum(mul(dx!, softmaxFrom(x!, y)), -1),
  vjp: ({ ct, x: [x] }) => [mul(keepLast(ct), exp(sub(x!, max(x!, -1, true))))],
})

/**
 * Checks an op of one tensor at `x` in both modes (order 2 by default: the rules and their
 * derivatives).
 */
export function checkLogsumexp(
  op: (x: Tensor) => Tensor,
  x: Tensor,
  opts: { readonly order?: 1 | 2; readonly seed?: number; readonly fast?: boolean } = {},
): E.Either<CheckReport, CheckReport> {
  return checkGrads((t) => op(t), [x], {
    order: opts.order ?? 2,
    seed: opts.seed ?? 0,
    fast: opts.fast ?? false,
  })
}

/**
 * What {@link main} computed.
 */
export interface CustomOpResult {
  /** lse([1000, 1000, 1000]) and its gradient (1000 + log 3 and 1/3 each). */
  readonly big: { readonly value: number; readonly gradient: readonly number[] }
  /** The report on the op with its right rules. */
  readonly stable: CheckReport
  /** The report on the variant with the unnormalised VJP. */
  readonly unnormalised: CheckReport
}

/**
 * Evaluates the op where the naive form overflows, then checks both variants and prints the reports.
 */
export function main(opts: CustomOpOptions = {}): CustomOpResult {
  const log = opts.log ?? console.log
  const o = withDefaults(options, opts)
  const order = o.order === 1 ? 1 : 2
  const big = tensor([1000, 1000, 1000])
  const value = stableLogsumexp(big).item()
  const gradient = (grad((t: Tensor) => stableLogsumexp(t))(big) as Tensor).toArray() as number[]
  log(
    `lse([1000, 1000, 1000]) = ${value} (1000 + log 3 = ${1000 + Math.log(3)}); its gradient: [${gradient.join(', ')}]`,
  )

  const x = tensor([
    [0.5, -1.2, 2.0],
    [3.1, 0.0, -0.4],
  ])
  const settings = { order, seed: o.seed, fast: o.fast } as const
  const report = (r: E.Either<CheckReport, CheckReport>): CheckReport => (E.isRight(r) ? r.right : r.left)
  const stable = report(checkLogsumexp(stableLogsumexp, x, settings))
  const unnormalised = report(checkLogsumexp(unnormalisedLogsumexp, x, settings))
  log('\nthe stable op with its rules:')
  log(formatReport(stable))
  log('\nthe same op with an unnormalised VJP:')
  log(formatReport(unnormalised))
  return { big: { value, gradient }, stable, unnormalised }
}

runIfMain(import.meta.url, 'custom-op', options, main)
