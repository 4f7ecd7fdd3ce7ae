import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { propsRuns, propsSeed } from '../src/check/config.js'
import {
  type Tensor,
  type Tree,
  add,
  concat,
  cos,
  grad,
  hessian,
  hvp,
  jacfwd,
  jacrev,
  jvp,
  logsumexp,
  matmul,
  mul,
  randn,
  reshape,
  sin,
  slice,
  sum,
  tanh,
  transpose,
  vjp,
  vmap,
} from '../src/index.js'
import { flatten } from '../src/core/tree.js'

const flattenTree = (t: Tree): Tensor[] => flatten('test', t)[0]

// vmap nested inside and outside every transformation, in the spirit of props/confusion.test.ts:
// each transformation T (jvp, vjp, grad, jacfwd, jacrev, hessian, hvp) of a function of one
// example is checked
// - with vmap inside: T of a function that maps over an inner batch (closing over T's variable)
//   against T of the same function written as a loop;
// - with vmap outside: vmap(T(f)) against T(f) applied to each example in turn;
// - with both: vmap(T(f with an inner vmap)) against the loop of T(loop);
// - with T outside, differentiating the batched argument itself: T of the vmapped function
//   against the per-example results (its Jacobian is block diagonal).

const n = 3
const W = randn([n, n], { seed: 21 })
const V = randn([2, n], { seed: 22 })
/** The inner batch the functions map over. */
const Y = randn([4, n], { seed: 23 })

/** Example k of a batch along axis 0. */
const at = (t: Tensor, k: number): Tensor =>
  reshape(slice(t, [k, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)]), t.shape.slice(1))
const stack = (ts: readonly Tensor[]): Tensor => concat(ts.map((t) => reshape(t, [1, ...t.shape])))
const rows = (t: Tensor): Tensor[] => Array.from({ length: t.shape[0]! }, (_, k) => at(t, k))

/** A scalar of one example and one inner example, and a vector one. */
const e = (x: Tensor, y: Tensor): Tensor =>
  add(sum(mul(tanh(matmul(W, add(x, y))), sin(x))), logsumexp(mul(x, y)))
const ev = (x: Tensor, y: Tensor): Tensor => tanh(matmul(V, mul(x, cos(y))))

type Fn = (x: Tensor) => Tensor

/** Each function twice: summed over the inner batch by vmap, and by a loop. */
const scalarFn = {
  vmapped: (x: Tensor) => sum(vmap((y: Tensor) => e(x, y))(Y)),
  loop: (x: Tensor) =>
    rows(Y)
      .map((y) => e(x, y))
      .reduce((a, b) => add(a, b)),
}
const vectorFn = {
  vmapped: (x: Tensor) => sum(vmap((y: Tensor) => ev(x, y))(Y), 0),
  loop: (x: Tensor) =>
    rows(Y)
      .map((y) => ev(x, y))
      .reduce((a, b) => add(a, b)),
}

/** A transformation of a function of one example, and whether it takes the scalar or the vector one. */
interface Transform {
  readonly name: string
  readonly of: 'scalar' | 'vector'
  readonly t: (f: Fn) => (x: Tensor) => Tree
}

const transforms: readonly Transform[] = [
  { name: 'jvp', of: 'vector', t: (f) => (x) => jvp(f, [x], [cos(x)])[1] },
  {
    name: 'vjp',
    of: 'vector',
    t: (f) => (x) => {
      const [y, pullback] = vjp(f, x)
      return pullback(sin(y))[0]
    },
  },
  { name: 'grad', of: 'scalar', t: (f) => grad(f) },
  { name: 'jacfwd', of: 'vector', t: (f) => jacfwd(f) },
  { name: 'jacrev', of: 'vector', t: (f) => jacrev(f) },
  { name: 'hessian', of: 'scalar', t: (f) => hessian(f) },
  { name: 'hvp', of: 'scalar', t: (f) => (x) => hvp(f)(x, cos(x)) },
]

/** The largest difference between two trees of tensors, relative to 1 + |b|. */
function relDiff(a: Tree, b: Tree): number {
  const xs = flattenTree(a)
  const ys = flattenTree(b)
  expect(xs.length).toBe(ys.length)
  let m = 0
  xs.forEach((x, i) => {
    const y = ys[i]!
    expect(x.shape).toEqual(y.shape)
    const u = x.dataSync()
    const v = y.dataSync()
    for (let j = 0; j < u.length; j++) m = Math.max(m, Math.abs(u[j]! - v[j]!) / (1 + Math.abs(v[j]!)))
  })
  return m
}

/** The per-example results stacked along a new axis 0, leaf by leaf. */
function stackTrees(ts: readonly Tree[]): Tensor {
  const leaves = ts.map((t) => flattenTree(t))
  expect(leaves[0]).toHaveLength(1)
  return stack(leaves.map((l) => l[0]!))
}

const tol = 1e-10
const batches = fc.integer({ min: 1, max: 1000 }).map((seed) => randn([3, n], { seed }))
const run = (p: fc.IPropertyWithHooks<[Tensor]>) => fc.assert(p, { seed: propsSeed(), numRuns: propsRuns(3) })

describe('vmap nested with the transformations', () => {
  for (const tr of transforms) {
    const fns = tr.of === 'scalar' ? scalarFn : vectorFn
    test(`${tr.name}(f with vmap inside) = ${tr.name}(f as a loop)`, () => {
      run(
        fc.property(batches, (xs) => {
          const x = at(xs, 0)
          expect(relDiff(tr.t(fns.vmapped)(x), tr.t(fns.loop)(x))).toBeLessThan(tol)
        }),
      )
    })
    test(`vmap(${tr.name}(f)) = ${tr.name}(f) on each example`, () => {
      run(
        fc.property(batches, (xs) => {
          const want = stackTrees(rows(xs).map(tr.t(fns.loop)))
          expect(relDiff(vmap(tr.t(fns.loop))(xs), want)).toBeLessThan(tol)
        }),
      )
    })
    test(`vmap(${tr.name}(f with vmap inside)) = ${tr.name}(f as a loop) on each example, batch along axis 1`, () => {
      run(
        fc.property(batches, (xs) => {
          const want = stackTrees(rows(xs).map(tr.t(fns.loop)))
          const got = vmap(tr.t(fns.vmapped), { inAxes: 1 })(transpose(xs))
          expect(relDiff(got, want)).toBeLessThan(tol)
        }),
      )
    })
  }

  test('grad, jvp, jacfwd, jacrev and hessian of a vmapped function: per-example blocks', () => {
    run(
      fc.property(batches, (xs) => {
        const b = xs.shape[0]!
        const per = rows(xs)
        // the sum over examples: its gradient holds each example's gradient
        const total = (z: Tensor) => sum(vmap(scalarFn.loop)(z))
        expect(relDiff(grad(total)(xs), stack(per.map(grad(scalarFn.loop))))).toBeLessThan(tol)
        const ts = cos(xs)
        const [, dy] = jvp(vmap(vectorFn.vmapped), [xs], [ts])
        const want = stack(per.map((x, k) => jvp(vectorFn.loop, [x], [at(ts, k)])[1]))
        expect(relDiff(dy, want)).toBeLessThan(tol)
        // Jacobians [b, 2, b, n] and Hessian [b, n, b, n]: example k's block at [k, :, k, :], zeros elsewhere
        const blocks = (j: Tensor, inner: (x: Tensor) => Tensor) => {
          for (let k = 0; k < b; k++) {
            for (let l = 0; l < b; l++) {
              const block = reshape(slice(j, [k, 0, l, 0], [1, j.shape[1]!, 1, n]), [j.shape[1]!, n])
              const ref = k === l ? inner(per[k]!) : mul(block, 0)
              expect(relDiff(block, ref)).toBeLessThan(tol)
            }
          }
        }
        blocks(jacfwd(vmap(vectorFn.vmapped))(xs), jacfwd(vectorFn.loop))
        blocks(jacrev(vmap(vectorFn.loop))(xs), jacrev(vectorFn.loop))
        blocks(hessian(total)(xs), hessian(scalarFn.loop))
      }),
    )
  })
})
