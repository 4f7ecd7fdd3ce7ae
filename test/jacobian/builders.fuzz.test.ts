import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import * as D from '../../src/index.js'
import { ShapeError, type Tensor, ValueError } from '../../src/index.js'
import { type Lin, type PoolFn, jacobianRef, linTol, pool, scaleOf } from '../support/fuzz-functions.js'
import { attempt, check, expectTensor, printTally, props, run, text } from '../support/fuzz-harness.js'
import { type Arg, args, build, refOf, show, tensors } from '../support/fuzz-values.js'

// The API fuzzer (test/support/fuzz-harness.ts) on the Jacobian transformations: jacfwd,
// jacrev, jacobian, hessian and hvp of functions with closed-form derivatives
// (test/support/fuzz-functions.ts).

afterAll(() => printTally('Jacobians'))

describe('Jacobians', () => {
  const single = pool.filter((p) => p.arity === 1)
  const jopts = fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 4 },
    {
      arbitrary: fc.record(
        { argnums: fc.constantFrom<unknown>(0, -1, 1, [0], 'a', null), batched: fc.boolean() },
        { requiredKeys: [] },
      ),
      weight: 2,
    },
    { arbitrary: fc.constantFrom<unknown>(null, 4), weight: 1 },
  )

  test('jacfwd, jacrev and jacobian agree with the closed form, for every shape', () => {
    props(
      fc.tuple(
        fc.constantFrom(...single),
        args(tensors({ special: false })),
        jopts,
        fc.constantFrom('jacfwd', 'jacrev', 'jacobian'),
      ),
      400,
      ([fn, x, opts, name]: [PoolFn, Arg, unknown, 'jacfwd' | 'jacrev' | 'jacobian']) => {
        const what = `${name} ${fn.name} ${show(x)} ${text(opts)}`
        const jac = () =>
          name === 'jacfwd'
            ? D.jacfwd(fn.f, opts as D.JacfwdOptions)
            : name === 'jacrev'
              ? D.jacrev(fn.f, opts as D.JacobianOptions)
              : D.jacobian(fn.f, opts as D.JacobianOptions)
        const out = attempt(what, () => jac()(build(x) as Tensor))
        const o = opts as { argnums?: unknown } | null | undefined
        const bad = opts !== undefined && (opts === null || typeof opts !== 'object')
        const a = o?.argnums
        const aBad =
          a !== undefined && a !== 0 && a !== -1 && !(Array.isArray(a) && a.length === 1 && a[0] === 0)
        // batched is jacfwd's option (jacobian passes it on); jacrev has none such
        const unknownKey = name === 'jacrev' && o !== null && typeof o === 'object' && 'batched' in o
        if (bad || aBad || unknownKey) return check(what, out, { error: ValueError })
        const got = out.ok && Array.isArray(a) ? (out.value as unknown[])[0] : out.ok ? out.value : undefined
        if (x.kind !== 'tensor') {
          // a tree with no tensor (null, [], {}) is a tree: the identity's Jacobian is the same empty tree
          const v = x.value
          const empty =
            v === null ||
            v === undefined ||
            (Array.isArray(v) && v.length === 0 && Object.keys(v).length === 0) ||
            (typeof v === 'object' &&
              Object.getPrototypeOf(v) === Object.prototype &&
              Object.keys(v).length === 0)
          if (!empty || !out.ok) return check(what, out, { error: ValueError })
          expect(got, what).toEqual(v)
          return
        }
        if (!out.ok) throw new Error(`${what}: threw ${out.error.message}`)
        const J = jacobianRef(fn.ref([x]) as Lin, x)
        expectTensor(what, got, { value: J, tol: linTol([x]), scale: scaleOf(refOf(x)) })
      },
    )
  })

  test('hessian and hvp of scalar functions; non-scalar functions are errors naming them', () => {
    const cube = pool.find((p) => p.name === 'sum(x²·x)')!
    props(
      fc.tuple(args(tensors({ special: false, mixed: 0 })), args(tensors({ special: false, mixed: 0 }))),
      200,
      ([x, v]: [Arg, Arg]) => {
        const what = `hessian sum(x³) ${show(x)}`
        const h = attempt(what, () => D.hessian(cube.f)(build(x) as Tensor))
        if (x.kind !== 'tensor') return check(what, h, { error: ValueError })
        const n = x.data.length
        // ∂²Σx³/∂xᵢ∂xⱼ = 6xᵢ [i = j]
        const H = {
          shape: [...x.shape, ...x.shape],
          data: Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 6 * x.data[k / (n + 1)]! : 0)),
        }
        check(what, h, { value: H, tol: 1e-12 })
        const hv = attempt(`hvp ${show(x)} ${show(v)}`, () =>
          D.hvp(cube.f)(build(x) as Tensor, build(v) as Tensor),
        )
        if (v.kind !== 'tensor') return check('hvp', hv, { error: ValueError })
        if (v.shape.join() !== x.shape.join()) return check('hvp', hv, { error: ShapeError })
        check('hvp', hv, {
          value: { shape: x.shape, data: x.data.map((xi, i) => 6 * xi * v.data[i]!) },
          tol: 1e-12,
          scale: scaleOf(refOf(x), refOf(v)),
        })
        if (x.shape.length > 0 && x.data.length > 1) {
          run(`hessian sin ${show(x)}`, () => D.hessian(D.sin)(build(x) as Tensor), { error: ShapeError })
          run(`hvp sin ${show(x)}`, () => D.hvp(D.sin)(build(x) as Tensor, build(x) as Tensor), {
            error: ShapeError,
          })
        }
      },
    )
    run('hessian(3)', () => D.hessian(3 as never), { error: ValueError })
    run('hvp(3)', () => D.hvp(3 as never), { error: ValueError })
    run('jacobian(3)', () => D.jacobian(3 as never), { error: ValueError })
  })
})
