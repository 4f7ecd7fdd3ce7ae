import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import * as D from '../../src/index.js'
import { ShapeError, type Tensor, ValueError } from '../../src/index.js'
import { type Expect, ctx, inexact, printTally, props, run, valueArg } from '../support/fuzz-harness.js'
import * as R from '../support/fuzz-reference.js'
import { type Arg, args, axes, build, refOf, tensors } from '../support/fuzz-values.js'

// The API fuzzer (test/support/fuzz-harness.ts) on the reductions: sum, max, mean and logsumexp.

afterAll(() => printTally('reductions'))

/** numpy's axis rules: undefined is all axes; negative counts from the end; no repeats. */
function axesOf(rank: number, axis: Arg): number[] | Expect {
  const v = axis.kind === 'tensor' ? null : axis.value
  if (v === undefined) return Array.from({ length: rank }, (_, i) => i)
  if (typeof v !== 'number' && !Array.isArray(v)) return { error: ValueError }
  const list: unknown[] = typeof v === 'number' ? [v] : [...(v as unknown[])]
  if (rank === 0 && list.length > 0) return { error: ShapeError }
  const out: number[] = []
  for (const a of list) {
    if (typeof a !== 'number') return { error: ValueError }
    if (!Number.isInteger(a) || a < -rank || a >= rank) return { error: ShapeError }
    out.push(a < 0 ? a + rank : a)
  }
  if (new Set(out).size !== out.length) return { error: ShapeError }
  return out.sort((a, b) => a - b)
}

function reduceExpect(op: string, x: Arg, axis: Arg, keepdims: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  const ax = axesOf(x.shape.length, axis)
  if (!Array.isArray(ax)) return ax
  const kd = keepdims === true
  const r = refOf(x)
  const abs = R.reduce(R.map(r, Math.abs), ax, kd, 0, (a, v) => a + v)
  const common = { dtype: x.dtype, backend: x.backend }
  switch (op) {
    case 'sum':
      return {
        ...common,
        value: R.reduce(r, ax, kd, 0, (a, v) => a + v),
        tol: inexact(x.dtype),
        scale: abs.data,
      }
    case 'mean':
      return {
        ...common,
        value: R.reduce(
          r,
          ax,
          kd,
          0,
          (a, v) => a + v,
          (a, n) => a / n,
        ),
        tol: inexact(x.dtype),
        scale: R.reduce(
          R.map(r, Math.abs),
          ax,
          kd,
          0,
          (a, v) => a + v,
          (a, n) => a / n,
        ).data,
      }
    case 'max':
      return { ...common, value: R.reduce(r, ax, kd, -Infinity, R.maxOf) }
    default: {
      const big = R.reduce(R.map(r, Math.abs), ax, kd, 1, R.maxOf)
      return { ...common, value: R.logsumexp(r, ax, kd), tol: inexact(x.dtype), scale: big.data }
    }
  }
}

describe('reductions', () => {
  test('sum, max, mean and logsumexp over any axes, zero-size axes included', () => {
    props(
      fc.tuple(
        fc.constantFrom('sum', 'max', 'mean', 'logsumexp'),
        args(tensors()),
        axes,
        fc.constantFrom<unknown>(undefined, true, false, 1, 'yes'),
      ),
      1000,
      ([op, x, axis, kd]: [string, Arg, Arg, unknown]) => {
        const fn = (D as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!
        run(ctx(op, [x, axis, kd]), () => fn(build(x), valueArg(axis), kd), reduceExpect(op, x, axis, kd))
      },
    )
  })

  test('over no elements: sum 0, max and logsumexp -Infinity (their identities), mean NaN (0/0)', () => {
    const e = D.zeros([2, 0])
    expect(D.sum(e, 1).toArray()).toEqual([0, 0])
    expect(D.max(e, 1).toArray()).toEqual([-Infinity, -Infinity])
    expect(D.logsumexp(e, 1).toArray()).toEqual([-Infinity, -Infinity])
    expect(D.mean(e, 1).toArray()).toEqual([NaN, NaN])
    expect((D.grad((x: Tensor) => D.sum(D.max(x, 1)))(e) as Tensor).shape).toEqual([2, 0])
  })
})
