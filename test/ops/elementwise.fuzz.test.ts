import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import * as D from '../../src/index.js'
import { NanError, ShapeError, type Tensor, ValueError } from '../../src/index.js'
import {
  type Expect,
  asSpecs,
  attempt,
  check,
  ctx,
  inexact,
  mixed,
  printTally,
  props,
  rounded,
  run,
  valueArg,
} from '../support/fuzz-harness.js'
import * as R from '../support/fuzz-reference.js'
import {
  type Arg,
  type Other,
  type TSpec,
  args,
  build,
  junk,
  numbers,
  partnerShape,
  refOf,
  shapes,
  tensorOf,
  tensors,
} from '../support/fuzz-values.js'

// The API fuzzer (test/support/fuzz-harness.ts) on the elementwise ops: unary ops, pow, binary
// ops with numpy broadcasting, where, and the op named by NaN checking.

afterAll(() => printTally('elementwise ops'))

const unaryNames = Object.keys(R.unary)
const binaryNames = Object.keys(R.binary)

function unaryExpect(op: string, x: Arg, p?: number): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  const f = op === 'pow' ? (v: number) => Math.pow(v, p!) : R.unary[op]!
  const exact = R.exactUnary.has(op)
  return {
    value: rounded(R.map(refOf(x), f), x.dtype),
    tol: exact ? 0 : op === 'pow' ? inexact(x.dtype) : x.dtype === 'float32' ? 2 ** -22 : 1e-14,
    dtype: x.dtype,
    backend: x.backend,
  }
}

function binaryExpect(op: string, list: readonly Arg[]): Expect {
  const specs = asSpecs(op, list)
  if (!Array.isArray(specs)) return specs as Expect
  const [a, b] = specs as [TSpec, TSpec]
  const y = R.zipWith(refOf(a), refOf(b), R.binary[op]!)
  if (y === null) return { error: ShapeError }
  return mixed([a, b]) ?? { value: rounded(y, a.dtype), dtype: a.dtype, backend: a.backend }
}

function whereExpect(list: readonly Arg[]): Expect {
  const specs = asSpecs('where', list)
  if (!Array.isArray(specs)) return specs as Expect
  const [c, a, b] = specs as [TSpec, TSpec, TSpec]
  const ca = R.broadcast(c.shape, a.shape)
  if (ca === null || R.broadcast(ca, b.shape) === null) return { error: ShapeError }
  const bad = mixed([a, b], [c, a, b])
  if (bad !== null) return bad
  const pick = R.zipWith(
    refOf(c),
    R.zipWith(refOf(a), refOf(b), (u, v) => u + v * 0)!,
    () => 0,
  )!
  const shape = pick.shape
  const C = R.broadcastTo(refOf(c), shape).data
  const A = R.broadcastTo(refOf(a), shape).data
  const B = R.broadcastTo(refOf(b), shape).data
  // a nonzero condition (NaN included) picks a
  return { value: { shape, data: C.map((v, i) => (v !== 0 ? A[i]! : B[i]!)) }, dtype: a.dtype }
}

/** Two tensors whose shapes broadcast most of the time, or a tensor and a number, or junk. */
const binaryArgs: fc.Arbitrary<Arg[]> = shapes().chain((s) =>
  partnerShape(s).chain((s2) =>
    fc
      .tuple(args(tensorOf(s), true), args(tensorOf(s2), true))
      .chain(([a, b]) => fc.boolean().map((swap) => (swap ? [b, a] : [a, b]))),
  ),
)

describe('elementwise ops', () => {
  test('unary ops and pow: values (NaN and ±Infinity included) or an error naming the op', () => {
    props(
      fc.tuple(fc.constantFrom(...unaryNames, 'pow'), args(tensors()), numbers),
      800,
      ([op, x, p]: [string, Arg, number]) => {
        const fn = (D as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!
        const list = op === 'pow' ? [x, p] : [x]
        run(ctx(op, list), () => fn(...list.map(valueArg)), unaryExpect(op, x, p))
      },
    )
  })

  test('pow with an exponent that is not a number', () => {
    props(fc.tuple(args(tensors()), junk), 30, ([x, p]: [Arg, Other]) => {
      run(ctx('pow', [x, p]), () => D.pow(build(x) as Tensor, p.value as number), { error: ValueError })
    })
  })

  test('binary ops broadcast like numpy; shapes, dtypes and backends that do not fit are errors', () => {
    props(fc.tuple(fc.constantFrom(...binaryNames), binaryArgs), 1200, ([op, list]: [string, Arg[]]) => {
      const fn = (D as unknown as Record<string, (a: unknown, b: unknown) => unknown>)[op]!
      run(ctx(op, list), () => fn(valueArg(list[0]), valueArg(list[1])), binaryExpect(op, list))
    })
  })

  test('where broadcasts all three; the condition picks where it is nonzero', () => {
    const arb = shapes().chain((s) =>
      fc.tuple(
        args(tensorOf(s), true),
        partnerShape(s).chain((t) => args(tensorOf(t), true)),
        partnerShape(s).chain((t) => args(tensorOf(t), true)),
      ),
    )
    props(arb, 600, (list: Arg[]) => {
      run(
        ctx('where', list),
        () => D.where(...(list.map(valueArg) as [Tensor, Tensor, Tensor])),
        whereExpect(list),
      )
    })
  })

  test('with NaN checking on, the op that makes a NaN or an infinity from finite inputs is named', () => {
    props(
      fc.tuple(
        fc.constantFrom(...unaryNames),
        tensors({ special: false, mixed: 0 }).map((t) => ({
          ...t,
          data: t.data.map((v) => v * 400),
        })),
      ),
      400,
      ([op, x]: [string, TSpec]) => {
        const fn = (D as unknown as Record<string, (a: unknown) => Tensor>)[op]!
        const want = unaryExpect(op, x) as { value: R.Ref }
        const bad = want.value.data.some((v) => !Number.isFinite(v))
        const out = attempt(ctx(`withNanCheck ${op}`, [x]), () => D.withNanCheck(() => fn(build(x))))
        if (bad) {
          check(op, out, { error: NanError })
          expect((out as { error: Error }).error.message).toMatch(
            new RegExp(`^${op} produced (NaN|-?Infinity) at element`),
          )
        } else check(op, out, want)
      },
    )
  })
})
