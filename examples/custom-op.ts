/**
 * A custom op with its own derivative rules, checked with checkGrads.
 *
 * log Σ exp(x) overflows for x ≈ 1000 when computed as written; the stable form subtracts the
 * maximum first: lse(x) = m + log Σ exp(x − m). Its derivative is the softmax, which the rules
 * compute from the output y (pᵢ = exp(xᵢ − y)) rather than differentiating through the max.
 *
 * Run: npx tsx examples/custom-op.ts
 */
import { pathToFileURL } from 'node:url'
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

/** The same op with a tempting mistake: the VJP weights by exp(x − max x), forgetting to normalise. */
export const unnormalisedLogsumexp = defineOp({
  name: 'unnormalisedLogsumexp',
  impl: ([x]) => stableLogsumexp(x!),
  jvp: ({ x: [x], dx: [dx], y }) => sum(mul(dx!, softmaxFrom(x!, y)), -1),
  vjp: ({ ct, x: [x] }) => [mul(keepLast(ct), exp(sub(x!, max(x!, -1, true))))],
})

/** Checks an op's first and second derivatives at `x`, in both modes. */
export function checkLogsumexp(op: (x: Tensor) => Tensor, x: Tensor): E.Either<CheckReport, CheckReport> {
  return checkGrads((t) => op(t), [x], { order: 2 })
}

function main(): void {
  const big = tensor([1000, 1000, 1000])
  console.log(
    'lse([1000, 1000, 1000]) =',
    stableLogsumexp(big).item(),
    '(1000 + log 3 =',
    1000 + Math.log(3),
    ')',
  )
  console.log('its gradient:', (grad((t: Tensor) => stableLogsumexp(t))(big) as Tensor).toArray())

  const x = tensor([
    [0.5, -1.2, 2.0],
    [3.1, 0.0, -0.4],
  ])
  const show = (r: E.Either<CheckReport, CheckReport>): string =>
    formatReport(E.isRight(r) ? r.right : r.left)
  console.log('\nthe stable op with its rules:')
  console.log(show(checkLogsumexp(stableLogsumexp, x)))
  console.log('\nthe same op with an unnormalised VJP:')
  console.log(show(checkLogsumexp(unnormalisedLogsumexp, x)))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main()
