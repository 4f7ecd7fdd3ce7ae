import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import * as D from '../../src/index.js'
import {
  BackendError,
  DTypeError,
  ShapeError,
  type Tensor,
  TransformError,
  ValueError,
} from '../../src/index.js'
import { type Case, linTol, scalarRef, scaleOf, transformCase } from '../support/fuzz-functions.js'
import {
  type Expect,
  anyError,
  attempt,
  check,
  either,
  expectTensor,
  printTally,
  props,
  run,
  text,
} from '../support/fuzz-harness.js'
import { build, otherBackend, refOf, show } from '../support/fuzz-values.js'

// The API fuzzer (test/support/fuzz-harness.ts) on reverse mode: vjp, grad and valueAndGrad of
// functions with closed-form derivatives (test/support/fuzz-functions.ts), with matching and
// spoiled cotangents, options and argnums; escaped tracers; wrong uses of the transformations
// that TypeScript refuses, as JavaScript callers could make them.

afterAll(() => printTally('vjp, grad and valueAndGrad'))

describe('transformations', () => {
  test('vjp: the pullback of a matching cotangent gives the closed form; a spoiled one an error', () => {
    props(transformCase, 600, (c: Case) => {
      const lin = c.fn.ref(c.xs)
      const what = `vjp ${c.fn.name} ${c.xs.map(show)} cotangent ${c.spoil ?? 'matching'}`
      const traced = attempt(what, () => D.vjp(c.fn.f, ...(c.xs.map(build) as Tensor[])))
      if (!('out' in lin)) return check(what, traced, lin)
      if (!traced.ok) throw new Error(`${what}: threw ${traced.error.message}`)
      const [y, pullback] = traced.value as [Tensor, D.Pullback]
      expectTensor(`${what} (output)`, y, {
        value: lin.out,
        tol: linTol(c.xs),
        scale: scaleOf(...c.xs.map(refOf)),
      })
      let ct: unknown = build(c.ct)
      let want: Expect
      const outShape = lin.out.shape
      if (c.spoil === 'junk') {
        ct = c.junk.value
        want = { error: [ValueError, ShapeError] }
      } else if (c.spoil === 'nest' || c.spoil === 'count') {
        ct = [ct]
        want = { error: ShapeError }
      } else if (c.spoil === 'dtype') {
        ct = D.cast(ct as Tensor, c.ct.dtype === 'float32' ? 'float64' : 'float32')
        want = { error: DTypeError }
      } else if (c.spoil === 'backend') {
        const backend = c.ct.backend === 'cpu' ? otherBackend : 'cpu'
        ct = D.tensor(Float64Array.from(c.ct.data), { shape: outShape, dtype: c.ct.dtype, backend })
        want = { error: BackendError }
      } else if (c.spoil === 'shape') {
        ct = D.reshape(ct as Tensor, [...outShape, 1])
        want = { error: ShapeError }
      } else want = either
      const out = attempt(`${what} pullback`, () => pullback(ct as never))
      if (!('either' in want)) return check(`${what} pullback`, out, want)
      if (!out.ok) throw new Error(`${what} pullback: threw ${out.error.message}`)
      const gs = out.value as Tensor[]
      const refs = lin.vjp(refOf(c.ct))
      expect(gs.length).toBe(c.xs.length)
      gs.forEach((g, i) =>
        expectTensor(`${what} cotangent ${i}`, g, {
          value: refs[i]!,
          tol: linTol(c.xs),
          scale: scaleOf(...c.xs.map(refOf), refOf(c.ct)),
        }),
      )
    })
  })

  test('grad and valueAndGrad: options, argnums and non-scalar outputs', () => {
    const options = fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 3 },
      {
        arbitrary: fc.record(
          {
            argnums: fc.oneof(
              fc.integer({ min: -3, max: 2 }),
              fc.array(fc.integer({ min: -2, max: 2 }), { maxLength: 2 }),
              fc.constantFrom<unknown>('0', null, 1.5),
            ),
          },
          { requiredKeys: [] },
        ),
        weight: 3,
      },
      { arbitrary: fc.constantFrom<unknown>(null, 'x', 3, [0]), weight: 1 },
    )
    props(
      fc.tuple(transformCase, options, fc.boolean()),
      500,
      ([c, opts, withValue]: [Case, unknown, boolean]) => {
        const name = withValue ? 'valueAndGrad' : 'grad'
        const what = `${name} ${c.fn.name} ${c.xs.map(show)} ${text(opts)}`
        const made = attempt(what, () =>
          withValue ? D.valueAndGrad(c.fn.f, opts as D.GradOptions) : D.grad(c.fn.f, opts as D.GradOptions),
        )
        const optsBad =
          opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))
        if (optsBad) return check(what, made, { error: ValueError })
        if (!made.ok) throw new Error(`${what}: threw ${made.error.message}`)
        const argnums = (opts as { argnums?: unknown } | undefined)?.argnums
        const n = c.xs.length
        const list =
          argnums === undefined
            ? [0]
            : typeof argnums === 'number'
              ? [argnums]
              : Array.isArray(argnums)
                ? argnums
                : null
        const out = attempt(what, () => (made.value as (...a: unknown[]) => unknown)(...c.xs.map(build)))
        if (
          list === null ||
          list.length === 0 ||
          list.some((a) => !Number.isInteger(a) || a < -n || a >= n)
        ) {
          return check(what, out, { error: ValueError })
        }
        const lin = c.fn.ref(c.xs)
        if (!('out' in lin)) return check(what, out, lin)
        if (lin.out.shape.length !== 0) return check(what, out, { error: ShapeError })
        if (!out.ok) throw new Error(`${what}: threw ${out.error.message}`)
        const gs = lin.vjp(scalarRef(1))
        const value = withValue ? (out.value as unknown[])[1] : out.value
        const got = typeof argnums === 'number' || argnums === undefined ? [value] : (value as unknown[])
        const idx = list.map((a) => (a < 0 ? a + n : a))
        got.forEach((g, i) =>
          expectTensor(`${what} gradient ${i}`, g, {
            value: gs[idx[i]!]!,
            tol: linTol(c.xs),
            scale: scaleOf(...c.xs.map(refOf)),
          }),
        )
      },
    )
  })

  test('an escaped tracer is a TransformError naming the op', () => {
    let leaked: Tensor | null = null
    D.grad((x: Tensor) => ((leaked = x), D.sum(x)))(D.tensor([1, 2]))
    run('sin(escaped tracer)', () => D.sin(leaked!), { error: TransformError })
    D.jvp((x: Tensor) => ((leaked = D.mul(x, 2)), x), [D.tensor(1)], [D.tensor(1)])
    run('add(escaped dual)', () => D.add(leaked!, 1), { error: TransformError })
  })

  test('elementwiseGrad, vjpWithAux and hasAux', () => {
    run('elementwiseGrad(3)', () => D.elementwiseGrad(3 as never), { error: ValueError })
    run('elementwiseGrad(sin)(junk)', () => D.elementwiseGrad(D.sin)('x' as never), { error: ValueError })
    // wrong uses that TypeScript refuses, checked at run time for JavaScript callers
    // @ts-expect-error: f returns no [output, aux]
    run('vjpWithAux without aux', () => D.vjpWithAux((x: Tensor) => x, D.tensor(1)), {
      error: ValueError,
    })
    // @ts-expect-error: f returns no [output, aux]
    run('grad hasAux without aux', () => D.grad((x: Tensor) => D.sum(x), { hasAux: true })(D.tensor([1])), {
      error: ValueError,
    })
    // @ts-expect-error: f returns no [output, aux]
    run('jvp hasAux without aux', () => D.jvp(D.sin, [D.tensor(1)], [D.tensor(1)], { hasAux: true }), {
      error: ValueError,
    })
    // @ts-expect-error: options must be an object
    run('jvp options null', () => D.jvp(D.sin, [D.tensor(1)], [D.tensor(1)], null), {
      error: ValueError,
    })
    run('jvp primals not an array', () => D.jvp(D.sin, D.tensor(1) as never, [D.tensor(1)]), {
      error: ValueError,
    })
    run('jvp batched scalar tangent', () => D.jvp(D.sin, [D.tensor(1)], [D.tensor(1)], { batched: true }), {
      error: ShapeError,
    })
    run(
      'jvp batched sizes differ',
      () => D.jvp(D.mul, [D.tensor(1), D.tensor(1)], [D.ones([2]), D.ones([3])], { batched: true }),
      { error: ShapeError },
    )
    run('grad of a function', () => D.grad(3 as never), { error: ValueError })
    // @ts-expect-error: f must return a Tensor
    run('grad returns a string', () => D.grad((_x: Tensor) => 'x')(D.tensor(1)), anyError)
  })
})
