import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import * as Ck from '../../src/check/index.js'
import { type Tensor } from '../../src/index.js'
import { type PoolFn, pool } from '../support/fuzz-functions.js'
import { attempt, printTally, props, text } from '../support/fuzz-harness.js'
import { type Arg, type TSpec, args, build, show, tensors } from '../support/fuzz-values.js'

// The API fuzzer (test/support/fuzz-harness.ts) on checking derivatives: checkGrads,
// assertGrads, fdJvp and fdJacobian.

afterAll(() => printTally('checking derivatives'))

describe('checking derivatives', () => {
  test('checkGrads, assertGrads, fdJvp and fdJacobian: a report or an error naming them', () => {
    const copts = fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 3 },
      {
        arbitrary: fc.record(
          {
            order: fc.constantFrom<unknown>(1, 2, 0, 3, 'x'),
            atol: fc.constantFrom<unknown>(1e-6, -1, NaN, 'x'),
            eps: fc.constantFrom<unknown>(1e-3, 0, -1, Infinity),
            modes: fc.constantFrom<unknown>(['fwd'], ['rev'], ['sideways'], 'fwd', []),
            seed: fc.constantFrom<unknown>(1, 1.5, 'x'),
          },
          { requiredKeys: [] },
        ),
        weight: 3,
      },
      { arbitrary: fc.constantFrom<unknown>(null, 3, 'x'), weight: 1 },
    )
    props(
      fc.tuple(
        fc.constantFrom(...pool),
        fc.array(args(tensors({ special: false, mixed: 2 })), { minLength: 1, maxLength: 2 }),
        copts,
      ),
      40,
      ([fn, xs, opts]: [PoolFn, Arg[], unknown]) => {
        const list = xs.map(build) as Tensor[]
        const what = `checkGrads ${fn.name} ${xs.map(show)} ${text(opts)}`
        const r = attempt(what, () => Ck.checkGrads(fn.f, list, opts as never))
        const valid =
          opts === undefined &&
          xs.length === fn.arity &&
          xs.every((x) => x.kind === 'tensor' && x.dtype === 'float64' && x.backend === 'cpu')
        if (valid && 'out' in fn.ref(xs as TSpec[])) {
          if (!r.ok) throw new Error(`${what}: threw ${r.error.message}`)
          expect((r.value as { _tag: string })._tag).toBe('Right')
        }
        attempt(`assertGrads ${what}`, () => Ck.assertGrads(fn.f, list, opts as never))
        attempt(`fdJvp ${what}`, () => Ck.fdJvp(fn.f, list, list, opts as never))
        attempt(`fdJacobian ${what}`, () => Ck.fdJacobian(fn.f, list, opts as never))
      },
    )
  })
})
