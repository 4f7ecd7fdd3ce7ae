// Float64 results of the transformations, as the hex of their bits, for test/core/determinism.test.ts:
// computed there in its own process and, by running this file as a script, in a child process.

import { pathToFileURL } from 'node:url'
import {
  type Tensor,
  add,
  grad,
  hessian,
  hvp,
  jacfwd,
  jacrev,
  jvp,
  logsumexp,
  matmul,
  mean,
  mul,
  randn,
  sin,
  sub,
  slice,
  sum,
  tanh,
  vjp,
} from '../../src/index.js'
import { sparseJacobian } from '../../src/sparse/index.js'

const bits = (t: Tensor): string => Buffer.from(t.dataSync().buffer).toString('hex')

/** A two-layer network with enough elements that the blocked matmul and long sums are used. */
const W1 = randn([48, 64], { seed: 11 })
const W2 = randn([8, 48], { seed: 12 })
const net = (x: Tensor): Tensor => matmul(W2, tanh(matmul(W1, x)))
const loss = (x: Tensor): Tensor => add(logsumexp(net(x)), mean(mul(x, x)))
const diff = (x: Tensor): Tensor => sin(sub(slice(x, [1], [-1]), slice(x, [0], [x.size - 1])))

/** Each case's name and the bits of its float64 result. */
export function results(): Record<string, string> {
  const x = randn([64], { seed: 13 })
  const v = randn([64], { seed: 14 })
  const [y, dy] = jvp(net, [x], [v]) as [Tensor, Tensor]
  const [, pullback] = vjp(net, x)
  const [gx] = pullback(randn([8], { seed: 15 })) as Tensor[]
  const small = randn([6], { seed: 16 })
  return {
    'jvp output': bits(y),
    'jvp tangent': bits(dy),
    'vjp cotangent': bits(gx!),
    grad: bits(grad(loss)(x) as Tensor),
    jacfwd: bits(jacfwd(net)(x) as Tensor),
    jacrev: bits(jacrev(net)(x) as Tensor),
    hessian: bits(hessian((t: Tensor) => sum(mul(tanh(t), t)))(small) as Tensor),
    hvp: bits(hvp(loss)(x, v)),
    'sparse Jacobian': Buffer.from(
      Float64Array.from(sparseJacobian(diff)(small).matrix.toDense().flat()).buffer,
    ).toString('hex'),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(results()))
}
