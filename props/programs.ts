import fc from 'fast-check'
import { materialize, seeds, shapes } from '../src/check/index.js'
import { scalarLike } from '../src/ops/create.js'
import type { Tensor } from '../src/core/tensor.js'
import { add, div, mul, sub } from '../src/ops/binary.js'
import { matmul } from '../src/ops/matmul.js'
import { logsumexp, mean, sum } from '../src/ops/reduce.js'
import { broadcastTo, reshape } from '../src/ops/shape.js'
import {
  cos,
  exp,
  log,
  logSigmoid,
  neg,
  pow,
  sigmoid,
  sin,
  softplus,
  sqrt,
  square,
  tan,
  tanh,
} from '../src/ops/unary.js'

// Random programs for the property tests: expression trees over the smooth ops, on arguments whose shapes broadcast
// together, checked by checkGrads in both modes (full Jacobians at order 1, projections at
// order 2; see programs.test.ts). Ops with a restricted domain are guarded (log(1 + x²), exp(tanh x), …) so that every
// program is smooth everywhere; kinks are tested on their own in subgradients.test.ts.

export type UnaryName = keyof typeof unaries
export type BinaryName = keyof typeof binaries

/** A program: a tree whose leaves are arguments or constants. */
export type Expr =
  | { readonly kind: 'arg'; readonly index: number }
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'unary'; readonly op: UnaryName; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryName; readonly left: Expr; readonly right: Expr }
  | {
      readonly kind: 'reduce'
      readonly op: 'sum' | 'mean' | 'logsumexp'
      readonly axis: number
      readonly arg: Expr
    }
  | { readonly kind: 'matmul'; readonly arg: Expr }

const onePlusSquare = (x: Tensor): Tensor => add(scalarLike(x, 1), square(x))

const unaries = {
  neg,
  sin,
  cos,
  tanh,
  sigmoid,
  softplus,
  logSigmoid,
  square,
  expTanh: (x: Tensor) => exp(tanh(x)),
  tanTanh: (x: Tensor) => tan(tanh(x)),
  log1pSquare: (x: Tensor) => log(onePlusSquare(x)),
  sqrt1pSquare: (x: Tensor) => sqrt(onePlusSquare(x)),
  pow1pSquare: (x: Tensor) => pow(onePlusSquare(x), -1.5),
} as const

const binaries = {
  add,
  sub,
  mul,
  divSafe: (a: Tensor, b: Tensor) => div(a, onePlusSquare(b)),
} as const

export const NARGS = 3

const leaves = fc.oneof(
  { weight: 3, arbitrary: fc.nat({ max: NARGS - 1 }).map((index): Expr => ({ kind: 'arg', index })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: -8, max: 8 }).map((k): Expr => ({ kind: 'const', value: k / 4 })),
  },
)

/** Programs whose root is an op (not a bare argument), up to depth 5. */
export const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr; node: Expr }>((tie) => ({
  expr: fc.oneof({ depthSize: 'medium', maxDepth: 5, withCrossShrink: true }, leaves, tie('node')),
  node: fc.oneof(
    { depthSize: 'medium', maxDepth: 5 },
    fc
      .tuple(fc.constantFrom(...(Object.keys(unaries) as UnaryName[])), tie('expr'))
      .map(([op, arg]): Expr => ({ kind: 'unary', op, arg })),
    fc
      .tuple(fc.constantFrom(...(Object.keys(binaries) as BinaryName[])), tie('expr'), tie('expr'))
      .map(([op, left, right]): Expr => ({ kind: 'binary', op, left, right })),
    fc
      .tuple(
        fc.constantFrom('sum' as const, 'mean' as const, 'logsumexp' as const),
        fc.nat({ max: 2 }),
        tie('expr'),
      )
      .map(([op, axis, arg]): Expr => ({ kind: 'reduce', op, axis, arg })),
    tie('expr').map((arg): Expr => ({ kind: 'matmul', arg })),
  ),
})).node

/** Evaluates a program: `w` is the [d, d] matrix argument of the matmul nodes. */
export function evaluate(e: Expr, xs: readonly Tensor[], w: Tensor): Tensor {
  const go = (n: Expr): Tensor => {
    switch (n.kind) {
      case 'arg':
        return xs[n.index]!
      case 'const':
        return scalarLike(w, n.value)
      case 'unary':
        return unaries[n.op](go(n.arg))
      case 'binary':
        return binaries[n.op](go(n.left), go(n.right))
      case 'reduce': {
        const t = go(n.arg)
        if (t.rank === 0) return t
        const f = n.op === 'sum' ? sum : n.op === 'mean' ? mean : logsumexp
        // keepdims, so the result still broadcasts against the other arguments
        return f(t, n.axis % t.rank, true)
      }
      case 'matmul': {
        // t W along the last axis, t first widened to W's size: the shape stays broadcastable
        const d = w.shape[0]!
        let t = go(n.arg)
        if (t.rank === 0) t = reshape(t, [1])
        if (t.shape[t.rank - 1] !== d) t = broadcastTo(t, [...t.shape.slice(0, -1), d])
        return matmul(t, w)
      }
    }
  }
  return go(e)
}

/** The program as a formula, for failure messages. */
export function show(e: Expr): string {
  switch (e.kind) {
    case 'arg':
      return `x${e.index}`
    case 'const':
      return String(e.value)
    case 'unary':
      return `${e.op}(${show(e.arg)})`
    case 'binary':
      return `${e.op}(${show(e.left)}, ${show(e.right)})`
    case 'reduce':
      return `${e.op}(${show(e.arg)}, axis ${e.axis})`
    case 'matmul':
      return `(${show(e.arg)} @ W)`
  }
}

/**
 * A program with its arguments: a common shape of rank 1 to 3, each argument dropping at most
 * one leading axis and turning some axes to 1, so that they broadcast together; and W [d, d].
 */
export const programArb = fc
  .tuple(
    exprArb,
    shapes({ minRank: 1, maxRank: 3, maxDim: 3 }),
    fc.array(fc.tuple(fc.nat({ max: 1 }), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 })), {
      minLength: NARGS,
      maxLength: NARGS,
    }),
    seeds(),
  )
  .map(([expr, full, cuts, seed]) => {
    const argShapes = cuts.map(([drop, ones]) => full.slice(drop).map((n, i) => (ones[i] === true ? 1 : n)))
    const d = full[full.length - 1]!
    const args = [...argShapes, [d, d]].map((shape, i) =>
      materialize({ shape, domain: 'real', seed: seed + i }),
    )
    return { expr, args }
  })
