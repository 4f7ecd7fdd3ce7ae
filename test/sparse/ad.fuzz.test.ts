import fc from 'fast-check'
import { afterAll, describe, test } from 'vitest'
import * as D from '../../src/index.js'
import * as La from '../../src/linalg/index.js'
import * as Sp from '../../src/sparse/index.js'
import { type Tensor, ValueError } from '../../src/index.js'
import { type Lin, type PoolFn, jacobianRef, pool, scaleOf } from '../support/fuzz-functions.js'
import {
  type Expect,
  anyError,
  attempt,
  check,
  either,
  printTally,
  props,
  run,
  text,
} from '../support/fuzz-harness.js'
import * as R from '../support/fuzz-reference.js'
import { type Arg, args, build, junk, refOf, show, tensors } from '../support/fuzz-values.js'

// The API fuzzer (test/support/fuzz-harness.ts) on sparse Jacobians and Hessians and sparsity
// patterns, and on the traced chains and local Jacobians of dualtape/linalg.

afterAll(() => printTally('sparse Jacobians and traced chains'))

describe('Jacobians', () => {
  const single = pool.filter((p) => p.arity === 1)

  test('sparse Jacobians and Hessians, sparsity patterns and traced chains', () => {
    const sopts = fc.oneof(
      fc.constant(undefined),
      fc.record(
        { mode: fc.constantFrom<unknown>('fwd', 'rev', 'auto', 'sideways'), local: fc.boolean() },
        { requiredKeys: [] },
      ),
    )
    const elementwise = [D.sin, D.relu, (x: Tensor) => D.mul(x, 2), (x: Tensor) => D.sum(D.mul(x, x))]
    props(
      fc.tuple(
        fc.constantFrom(...single),
        args(tensors({ special: false, mixed: 0 })),
        sopts,
        fc.array(
          fc.oneof(
            fc.constantFrom(...elementwise),
            junk.map((j) => j.value),
          ),
          { maxLength: 3 },
        ),
      ),
      80,
      ([fn, x, opts, layers]: [PoolFn, Arg, unknown, unknown[]]) => {
        const mode = (opts as { mode?: unknown } | undefined)?.mode
        const what = `sparseJacobian ${fn.name} ${show(x)} ${text(opts)}`
        const out = attempt(what, () => Sp.sparseJacobian(fn.f, opts as never)(build(x) as Tensor))
        if (mode === 'sideways' || x.kind !== 'tensor') check(what, out, anyError)
        else {
          if (!out.ok) throw new Error(`${what}: threw ${out.error.message}`)
          const J = jacobianRef(fn.ref([x]) as Lin, x)
          const dense = (out.value as Sp.SparseJacobianResult).matrix.toDense().flat()
          const bad = R.mismatch(dense, J.data as number[], 1e-12, scaleOf(refOf(x)))
          if (bad !== null) throw new Error(`${what}: ${bad}`)
        }
        run(
          `jacobianSparsity ${fn.name} ${show(x)}`,
          () => Sp.jacobianSparsity(fn.f, build(x) as Tensor),
          x.kind === 'tensor' ? either : { error: ValueError },
        )
        if (fn.scalar) {
          const hs = attempt(`sparseHessian ${fn.name} ${show(x)}`, () =>
            Sp.sparseHessian(fn.f, opts as never)(build(x) as Tensor),
          )
          check('sparseHessian', hs, x.kind === 'tensor' ? either : anyError)
        }
        const chainWant: Expect =
          layers.length === 0 || x.kind !== 'tensor' || layers.some((l) => typeof l !== 'function')
            ? { error: ValueError }
            : either
        run(
          `traceChain ${layers.length} layers ${show(x)}`,
          () => La.traceChain(layers as La.Layer[], build(x) as Tensor),
          chainWant,
        )
        run(
          `operatorChain ${layers.length} layers ${show(x)}`,
          () => La.operatorChain(layers as La.Layer[], build(x) as Tensor),
          chainWant,
        )
        run(
          `localJacobian ${fn.name} ${show(x)}`,
          () => La.localJacobian(fn.f, build(x) as Tensor),
          x.kind === 'tensor' ? either : { error: ValueError },
        )
      },
    )
    run('countFlops(3)', () => La.countFlops(3 as never), { error: ValueError })
    run('withNanCheck(3)', () => D.withNanCheck(3 as never), { error: ValueError })
  })
})
