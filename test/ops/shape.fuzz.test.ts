import fc from 'fast-check'
import { afterAll, describe, test } from 'vitest'
import * as D from '../../src/index.js'
import { DTypeError, ShapeError, type Tensor, ValueError } from '../../src/index.js'
import {
  type Expect,
  ctx,
  inexact,
  isIntList,
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
  type TSpec,
  args,
  axes,
  build,
  intLists,
  junk,
  partnerShape,
  refOf,
  shapes,
  tensorOf,
  tensors,
} from '../support/fuzz-values.js'

// The API fuzzer (test/support/fuzz-harness.ts) on the layout ops: reshape, transpose,
// broadcastTo, slice, pad, concat, matmul, dot, cast and stopGradient.

afterAll(() => printTally('layout ops'))

function reshapeExpect(x: Arg, shape: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  if (!isIntList(shape, -1)) return { error: ValueError }
  const n = R.sizeOf(x.shape)
  const unknowns = shape.filter((d) => d === -1).length
  if (unknowns > 1) return { error: ShapeError }
  let target = shape
  if (unknowns === 1) {
    const known = R.sizeOf(shape.filter((d) => d !== -1))
    if (known === 0 || n % known !== 0) return { error: ShapeError }
    target = shape.map((d) => (d === -1 ? n / known : d))
  }
  if (R.sizeOf(target) !== n) return { error: ShapeError }
  return { value: { shape: target, data: x.data }, dtype: x.dtype, backend: x.backend }
}

function transposeExpect(x: Arg, perm: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  const rank = x.shape.length
  if (perm === undefined) perm = Array.from({ length: rank }, (_, i) => rank - 1 - i)
  if (!Array.isArray(perm)) return { error: ValueError }
  const p: number[] = []
  for (const a of [...perm] as unknown[]) {
    if (typeof a !== 'number') return { error: ValueError }
    if (!Number.isInteger(a) || a < -rank || a >= rank) return { error: ShapeError }
    p.push(a < 0 ? a + rank : a)
  }
  if (p.length !== rank || new Set(p).size !== rank) return { error: ShapeError }
  return { value: R.transpose(refOf(x), p), dtype: x.dtype }
}

function broadcastToExpect(x: Arg, shape: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  if (!isIntList(shape, 0)) return { error: ValueError }
  if (R.sizeOf(shape) > 2 ** 32 - 1) return { error: ValueError }
  const b = R.broadcast(x.shape, shape)
  if (b === null || b.length !== shape.length || b.some((d, i) => d !== shape[i]))
    return { error: ShapeError }
  return { value: R.broadcastTo(refOf(x), shape), dtype: x.dtype }
}

function sliceExpect(x: Arg, begin: unknown, size: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  const s = x.shape
  if (!Array.isArray(begin) || begin.length !== s.length) return { error: ShapeError }
  if (size !== undefined && (!Array.isArray(size) || size.length !== s.length)) return { error: ShapeError }
  const b = [...begin] as unknown[]
  const sz = ((size as unknown[] | undefined) ?? s.map(() => -1)).map((v, i) =>
    v === -1 ? s[i]! - (b[i] as number) : v,
  )
  const ok = b.every(
    (v, i) =>
      Number.isInteger(v) &&
      (v as number) >= 0 &&
      Number.isInteger(sz[i]) &&
      (sz[i] as number) >= 0 &&
      (v as number) + (sz[i] as number) <= s[i]!,
  )
  const identity = b.every((v) => v === 0) && sz.every((v, i) => v === s[i])
  if (!ok && !identity) return { error: ShapeError }
  return { value: R.slice(refOf(x), b as number[], sz as number[]), dtype: x.dtype }
}

function padExpect(x: Arg, before: unknown, after: unknown): Expect {
  if (x.kind !== 'tensor') return { error: ValueError }
  if (!Array.isArray(before) || !Array.isArray(after)) return { error: ShapeError }
  const r = x.shape.length
  const all = [...before, ...after] as unknown[]
  if (before.length === r && after.length === r && all.every((v) => v === 0)) {
    return { value: refOf(x), dtype: x.dtype }
  }
  if (
    before.length !== r ||
    after.length !== r ||
    !all.every((v) => Number.isInteger(v) && (v as number) >= 0)
  ) {
    return { error: ShapeError }
  }
  const shape = x.shape.map((d, i) => d + (before[i] as number) + (after[i] as number))
  if (R.sizeOf(shape) > 2 ** 32 - 1) return { error: ValueError }
  return { value: R.pad(refOf(x), before as number[], after as number[]), dtype: x.dtype }
}

function concatExpect(list: readonly Arg[], axis: Arg): Expect {
  if (list.length === 0 || list.some((a) => a.kind !== 'tensor')) return { error: ValueError }
  const ts = list as TSpec[]
  const first = ts[0]!
  const r = first.shape.length
  if (r === 0) return { error: ShapeError }
  const a = axis.kind === 'tensor' ? null : axis.value === undefined ? 0 : axis.value
  if (typeof a !== 'number') return { error: ValueError }
  if (!Number.isInteger(a) || a < -r || a >= r) return { error: ShapeError }
  const ax = a < 0 ? a + r : a
  if (ts.length === 1) return { value: refOf(first) }
  if (ts.some((t) => t.dtype !== first.dtype)) return { error: DTypeError }
  const fits = ts.every(
    (t) => t.shape.length === r && t.shape.every((d, i) => i === ax || d === first.shape[i]),
  )
  if (!fits) return { error: ShapeError }
  return mixed(ts) ?? { value: R.concat(ts.map(refOf), ax), dtype: first.dtype }
}

function matmulExpect(a: Arg, b: Arg, dot: boolean): Expect {
  if (a.kind !== 'tensor' || b.kind !== 'tensor') return { error: ValueError }
  const ra = a.shape.length
  const rb = b.shape.length
  if (dot && (ra < 1 || ra > 2 || rb < 1 || rb > 2)) return { error: ShapeError }
  const y = R.matmul(refOf(a), refOf(b))
  if (y === null) return { error: ShapeError }
  return (
    mixed([a, b]) ?? {
      value: y.y,
      tol: inexact(a.dtype),
      scale: y.scale,
      dtype: a.dtype,
      backend: a.backend,
    }
  )
}

describe('layout ops', () => {
  const rank = fc.integer({ min: 0, max: 3 })

  test('reshape, with -1 inferred', () => {
    const shape = fc.oneof(
      intLists(rank, -1, 6),
      fc.constant([-1]),
      fc.constant([2, -1]),
      fc.constant([-1, -1]),
    )
    props(fc.tuple(args(tensors()), shape), 600, ([x, s]: [Arg, unknown]) => {
      run(ctx('reshape', [x, s]), () => D.reshape(build(x) as Tensor, s as number[]), reshapeExpect(x, s))
    })
  })

  test('transpose by any permutation (negative axes allowed)', () => {
    const perm = fc.oneof(
      fc.constant(undefined),
      rank.chain((n) => fc.shuffledSubarray([0, 1, 2], { minLength: n, maxLength: n })),
      intLists(rank, -3, 3),
    )
    props(fc.tuple(args(tensors()), perm), 600, ([x, p]: [Arg, unknown]) => {
      run(
        ctx('transpose', [x, p]),
        () => D.transpose(build(x) as Tensor, p as number[]),
        transposeExpect(x, p),
      )
    })
  })

  test('broadcastTo', () => {
    const arb = tensors().chain((x) =>
      fc.tuple(
        args(fc.constant(x)),
        fc.oneof(partnerShape(x.shape), intLists(rank, -1, 3), fc.constant([2 ** 20, 2 ** 20])),
      ),
    )
    props(arb, 600, ([x, s]: [Arg, unknown]) => {
      run(
        ctx('broadcastTo', [x, s]),
        () => D.broadcastTo(build(x) as Tensor, s as number[]),
        broadcastToExpect(x, s),
      )
    })
  })

  test('slice (size -1: to the end) and pad', () => {
    const arb = tensors().chain((x) => {
      const n = fc.constant(x.shape.length)
      return fc.tuple(
        args(fc.constant(x)),
        intLists(n, -1, 3),
        fc.oneof(fc.constant(undefined), intLists(n, -1, 3)),
        intLists(n, 0, 2),
        fc.oneof(intLists(n, 0, 2), fc.constant(x.shape.map(() => 2 ** 40))),
      )
    })
    props(arb, 600, ([x, b, s, pb, pa]: [Arg, unknown, unknown, unknown, unknown]) => {
      run(
        ctx('slice', [x, b, s]),
        () => D.slice(build(x) as Tensor, b as number[], s as number[]),
        sliceExpect(x, b, s),
      )
      run(
        ctx('pad', [x, pb, pa]),
        () => D.pad(build(x) as Tensor, pb as number[], pa as number[]),
        padExpect(x, pb, pa),
      )
    })
  })

  test('concat along any axis; dtypes, backends and the other axes must agree', () => {
    const arb = shapes()
      .filter((s) => s.length > 0)
      .chain((s) =>
        fc.tuple(
          fc.array(
            fc.oneof(
              {
                arbitrary: fc
                  .integer({ min: 0, max: 2 })
                  .chain((d) => tensorOf(s.map((v, i) => (i === 0 ? d : v)))),
                weight: 4,
              },
              { arbitrary: tensors(), weight: 1 },
              { arbitrary: junk, weight: 1 },
            ),
            { maxLength: 3 },
          ),
          fc.oneof(
            {
              arbitrary: fc.constant<Arg>({ kind: 'other', value: undefined, label: 'undefined' }),
              weight: 3,
            },
            { arbitrary: axes, weight: 1 },
          ),
        ),
      )
    props(arb, 600, ([list, axis]: [Arg[], Arg]) => {
      run(
        ctx('concat', [...list, axis]),
        () => D.concat(list.map(build) as Tensor[], valueArg(axis) as number),
        concatExpect(list, axis),
      )
    })
    run('concat(a number)', () => D.concat(3 as never), { error: ValueError })
  })

  test('matmul and dot, numpy-style (vectors promoted, stacks broadcast)', () => {
    const arb = fc
      .tuple(
        fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 1 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 5 }),
      )
      .chain(([batch, m, k, n, ra, rb, mutate]) => {
        const sa = ra === 0 ? [] : ra === 1 ? [k] : [...batch, m, k]
        const sb = rb === 0 ? [] : rb === 1 ? [mutate === 0 ? k + 1 : k] : [k, n]
        return fc.tuple(args(tensorOf(sa, { special: false })), args(tensorOf(sb, { special: false })))
      })
    props(arb, 600, ([a, b]: [Arg, Arg]) => {
      run(
        ctx('matmul', [a, b]),
        () => D.matmul(build(a) as Tensor, build(b) as Tensor),
        matmulExpect(a, b, false),
      )
      run(ctx('dot', [a, b]), () => D.dot(build(a) as Tensor, build(b) as Tensor), matmulExpect(a, b, true))
    })
  })

  test('cast and stopGradient', () => {
    props(
      fc.tuple(args(tensors()), fc.constantFrom<unknown>('float32', 'float64', 'int32', undefined, 3)),
      400,
      ([x, d]: [Arg, unknown]) => {
        const want: Expect =
          x.kind !== 'tensor'
            ? { error: ValueError }
            : d !== 'float32' && d !== 'float64'
              ? { error: DTypeError }
              : { value: rounded(refOf(x), d), dtype: d }
        run(ctx('cast', [x, d]), () => D.cast(build(x) as Tensor, d as D.FloatDType), want)
        run(
          ctx('stopGradient', [x]),
          () => D.stopGradient(build(x) as Tensor),
          x.kind === 'tensor' ? { value: refOf(x) } : { error: ValueError },
        )
      },
    )
  })
})
