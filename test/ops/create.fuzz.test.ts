import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import * as D from '../../src/index.js'
import { BackendError, DTypeError, ShapeError, type Tensor, ValueError } from '../../src/index.js'
import {
  type Expect,
  anyError,
  attempt,
  check,
  ctx,
  either,
  isIntList,
  printTally,
  props,
  rounded,
  run,
} from '../support/fuzz-harness.js'
import * as R from '../support/fuzz-reference.js'
import {
  type Other,
  type TSpec,
  build,
  intLists,
  junk,
  numbers,
  otherBackend,
  refOf,
  shapes,
  tensors,
} from '../support/fuzz-values.js'

// The API fuzzer (test/support/fuzz-harness.ts) on creating tensors: full, zeros, ones, eye,
// arange, zerosLike, onesLike, randn, uniform and tensor, with every kind of options.

afterAll(() => printTally('creating tensors'))

const optionValues = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  {
    arbitrary: fc.record(
      {
        dtype: fc.constantFrom<unknown>('float32', 'float64', 'int8', 3),
        backend: fc.constantFrom<unknown>('cpu', otherBackend, 'nope', 3, null),
      },
      { requiredKeys: [] },
    ),
    weight: 4,
  },
  { arbitrary: fc.constantFrom<unknown>(null, 'float32', 3, [1]), weight: 1 },
)

/** The dtype and backend that options ask for, or the error they give (as create.ts resolves them). */
interface Resolved {
  readonly resolved: true
  readonly dtype: D.DType
  readonly backend: string
}

function resolveOptions(opts: unknown, fallback: D.DType = 'float64'): Resolved | Expect {
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts)))
    return { error: ValueError }
  const o = (opts ?? {}) as { dtype?: unknown; backend?: unknown }
  if (o.backend !== undefined && typeof o.backend !== 'string') return { error: ValueError }
  if (o.backend !== undefined && o.backend !== 'cpu' && o.backend !== otherBackend)
    return { error: BackendError }
  if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'float64') return { error: DTypeError }
  return {
    resolved: true,
    dtype: (o.dtype as D.DType | undefined) ?? fallback,
    backend: (o.backend as string | undefined) ?? 'cpu',
  }
}

const isShape = (s: unknown): s is number[] => isIntList(s, 0) && R.sizeOf(s) <= 2 ** 32 - 1

function created(
  shape: unknown,
  opts: unknown,
  fill: (k: number, n: number) => number,
  first?: Expect | null,
): Expect {
  if (first) return first
  const r = resolveOptions(opts)
  if (!('resolved' in r)) return r
  if (!isShape(shape)) return { error: ValueError }
  const n = R.sizeOf(shape)
  const data = Array.from({ length: n }, (_, k) => fill(k, n))
  return { value: rounded({ shape, data }, r.dtype), dtype: r.dtype, backend: r.backend }
}

describe('creating tensors', () => {
  const shapeArg = fc.oneof(
    { arbitrary: shapes(), weight: 6 },
    { arbitrary: intLists(fc.integer({ min: 0, max: 3 })), weight: 2 },
    { arbitrary: fc.constant([2 ** 20, 2 ** 20, 2 ** 20]), weight: 1 },
  )

  test('full, zeros, ones, eye, arange, zerosLike, onesLike', () => {
    props(
      fc.tuple(
        shapeArg,
        fc.oneof(
          numbers,
          junk.map((j) => j.value),
        ),
        optionValues,
        fc.tuple(numbers, numbers, numbers),
      ),
      800,
      ([shape, value, opts, [a, b, c]]: [unknown, unknown, unknown, [number, number, number]]) => {
        const n = (v: unknown) => (typeof v === 'number' ? v : NaN)
        run(
          ctx('full', [shape, value, opts]),
          () => D.full(shape as number[], value as number, opts as never),
          created(shape, opts, () => n(value), typeof value === 'number' ? null : { error: ValueError }),
        )
        run(
          ctx('zeros', [shape, opts]),
          () => D.zeros(shape as number[], opts as never),
          created(shape, opts, () => 0),
        )
        run(
          ctx('ones', [shape, opts]),
          () => D.ones(shape as number[], opts as never),
          created(shape, opts, () => 1),
        )
        const [rows, cols] = [Math.trunc(a * 2), Math.trunc(b * 2)]
        run(
          ctx('eye', [rows, cols, opts]),
          () => D.eye(rows, cols, opts as never),
          created([rows, cols], opts, (k) => +(Math.floor(k / cols) === k % cols)),
        )
        const steps = (b - a) / c
        const want: Expect =
          !Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c) || c === 0
            ? { error: ValueError }
            : Math.ceil(steps) > 2 ** 32 - 1
              ? { error: ValueError }
              : created([Math.max(0, Math.ceil(steps))], opts, (k) => a + k * c)
        run(ctx('arange', [a, b, c, opts]), () => D.arange(a, b, c, opts as never), want)
        const like = D.tensor([1, 2], { dtype: 'float32', backend: otherBackend })
        const likeShape = shape === undefined ? [2] : shape
        run(
          ctx('zerosLike', [shape]),
          () => D.zerosLike(like, shape as number[]),
          created(likeShape, { dtype: 'float32', backend: otherBackend }, () => 0),
        )
        run(ctx('onesLike', [value]), () => D.onesLike(value as Tensor), { error: ValueError })
      },
    )
  })

  test('randn and uniform: the shape, finite samples, in [low, high) for uniform', () => {
    const ranOpts = fc.oneof(
      optionValues,
      fc.record(
        {
          seed: fc.constantFrom<unknown>(0, 7, -3, 1.5, 'x'),
          low: fc.constantFrom<unknown>(-2, 0, NaN, 'a'),
          high: fc.constantFrom<unknown>(1, 5, Infinity),
        },
        { requiredKeys: [] },
      ),
    )
    props(fc.tuple(shapeArg, ranOpts), 400, ([shape, opts]: [unknown, unknown]) => {
      for (const name of ['randn', 'uniform'] as const) {
        const out = attempt(ctx(name, [shape, opts]), () => D[name](shape as number[], opts as never))
        const o = (typeof opts === 'object' && opts !== null ? opts : {}) as Record<string, unknown>
        const seedBad = o.seed !== undefined && !Number.isInteger(o.seed)
        const [lo, hi] = [o.low ?? 0, o.high ?? 1]
        const rangeBad = name === 'uniform' && (!Number.isFinite(lo) || !Number.isFinite(hi))
        const r = resolveOptions(opts)
        if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
          if (opts !== undefined) check(name, out, { error: ValueError })
          else check(name, out, isShape(shape) ? either : { error: ValueError })
        } else if (seedBad || !('resolved' in r) || rangeBad || !isShape(shape)) check(name, out, anyError)
        else {
          if (!out.ok) throw new Error(`${name}: threw ${out.error.message}`)
          const t = out.value as Tensor
          expect(t.shape).toEqual(shape)
          const data = [...t.dataSync()]
          expect(data.every(Number.isFinite)).toBe(true)
          if (name === 'uniform')
            expect(data.every((v) => v >= (lo as number) && v <= (hi as number))).toBe(true)
        }
      }
    })
  })

  test('tensor from nested arrays, typed arrays, numbers and tensors, with a shape or options', () => {
    const data = fc.oneof(
      { arbitrary: tensors().map((t) => ({ kind: 'nested' as const, t })), weight: 4 },
      { arbitrary: tensors().map((t) => ({ kind: 'typed' as const, t })), weight: 2 },
      { arbitrary: tensors().map((t) => ({ kind: 'tensor' as const, t })), weight: 2 },
      { arbitrary: junk.map((j) => ({ kind: 'junk' as const, j })), weight: 2 },
    )
    const opts = fc.oneof(
      optionValues,
      shapeArg,
      fc.record(
        { shape: shapeArg, dtype: fc.constantFrom<unknown>('float64', 'float32', undefined) },
        { requiredKeys: [] },
      ),
    )
    props(fc.tuple(data, opts), 800, ([d, o]: [{ kind: string; t?: TSpec; j?: Other }, unknown]) => {
      const nest = (t: TSpec): unknown => {
        const go = (off: number, axis: number): unknown => {
          if (axis === t.shape.length) return t.data[off]
          const stride = R.sizeOf(t.shape.slice(axis + 1))
          return Array.from({ length: t.shape[axis]! }, (_, i) => go(off + i * stride, axis + 1))
        }
        return go(0, 0)
      }
      const input =
        d.kind === 'nested'
          ? nest(d.t!)
          : d.kind === 'typed'
            ? (d.t!.dtype === 'float32' ? Float32Array : Float64Array).from(d.t!.data)
            : d.kind === 'tensor'
              ? build(d.t!)
              : d.j!.value
      const opts = Array.isArray(o) ? { shape: o } : o
      let want: Expect = anyError
      const r = resolveOptions(opts, d.kind === 'typed' ? d.t!.dtype : 'float64')
      const shape = (opts as { shape?: unknown } | undefined)?.shape
      if (d.kind === 'junk') {
        const v = d.j!.value
        const tree =
          (Array.isArray(v) && !(v as unknown[]).some((e) => typeof e !== 'number')) ||
          v instanceof Float64Array
        want = tree ? either : anyError
      } else if (d.kind === 'tensor') {
        // a tensor is returned as it is, when the options agree with it: backend, dtype, shape
        const t = d.t!
        const o2 = (opts ?? {}) as { dtype?: unknown; backend?: unknown }
        const b = resolveOptions(
          opts === undefined || typeof opts !== 'object' || opts === null ? opts : { backend: o2.backend },
        )
        want = !('resolved' in b)
          ? b
          : o2.backend !== undefined && o2.backend !== t.backend
            ? { error: BackendError }
            : o2.dtype !== undefined && o2.dtype !== t.dtype
              ? { error: DTypeError }
              : shape !== undefined && !isShape(shape)
                ? { error: ValueError }
                : shape !== undefined && (shape as number[]).join() !== t.shape.join()
                  ? { error: ShapeError }
                  : { value: refOf(t), dtype: t.dtype, backend: t.backend }
      } else if (!('resolved' in r)) want = r
      else if (shape !== undefined && !isShape(shape)) want = { error: ValueError }
      else {
        const t = d.t!
        const target = (shape as number[] | undefined) ?? (d.kind === 'typed' ? [t.data.length] : t.shape)
        const empty = d.kind === 'nested' && t.shape.includes(0) && t.shape.length > 1
        want =
          R.sizeOf(target) !== t.data.length
            ? { error: ShapeError }
            : empty
              ? either
              : {
                  value: rounded({ shape: target, data: t.data }, r.dtype),
                  dtype: r.dtype,
                  backend: r.backend,
                }
      }
      run(ctx('tensor', [d.kind, o]), () => D.tensor(input as number[], o as never), want)
    })
  })
})
