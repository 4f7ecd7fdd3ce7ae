import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Backend, type Meta, cpuBackend, registerBackend } from '../../src/backends/index.js'
import {
  BackendError,
  DTypeError,
  DualtapeError,
  ShapeError,
  type Tensor,
  TransformError,
  ValueError,
  add,
  backendNames,
  cast,
  defineOp,
  grad,
  hessian,
  jacfwd,
  jacobian,
  jacrev,
  jvp,
  mul,
  onesLike,
  sum,
  tensor,
  valueAndGrad,
  vjp,
} from '../../src/index.js'
import {
  accumulate,
  chainFromFactors,
  chainFromOperators,
  denseJacobian,
  matrix,
  operatorFromForm,
  plan,
  planBracketing,
  planSweeps,
} from '../../src/linalg/index.js'
import { jacobianSparsity } from '../../src/sparse/index.js'
import type { FloatArray } from '../../src/core/dtype.js'

// Every error is a DualtapeError whose message begins with the function or op and says what was
// expected: unknown strategies, broken custom-op rules, malformed backends, async functions given
// to a transformation, and transformations nested deeper than the call stack allows.

/** The error `body` throws (fails if it returns). */
function thrown(body: () => unknown): Error {
  try {
    body()
  } catch (e) {
    return e as Error
  }
  throw new Error('expected an error, got a result')
}

/** Expects a DualtapeError of class `cls` whose message begins with `start`. */
function expectTyped(body: () => unknown, cls: new (...a: never[]) => DualtapeError, start: RegExp): Error {
  const e = thrown(body)
  expect(e, `${e.name}: ${e.message}`).toBeInstanceOf(cls)
  expect(e.message).toMatch(start)
  return e
}

describe('plan and accumulate: unknown strategies and non-chains are ValueErrors', () => {
  const chain = chainFromFactors([denseJacobian(matrix(2, 3)), denseJacobian(matrix(4, 2))])
  const ops = chainFromOperators(chain.factors.map((f) => operatorFromForm(f)))

  test('an unknown strategy names the function and the strategies', () => {
    expectTyped(
      () => plan(chain, 'sideways' as never),
      ValueError,
      /^plan: unknown strategy 'sideways'.*left, right or optimal/,
    )
    expectTyped(
      () => plan(ops, 'left' as never),
      ValueError,
      /^plan: unknown strategy 'left'.*tangent, adjoint, segments or optimal/,
    )
    expectTyped(() => accumulate(chain, 'sideways' as never), ValueError, /^accumulate: unknown strategy/)
    expectTyped(() => accumulate(ops, 3 as never), ValueError, /^accumulate: /)
    expectTyped(() => planBracketing(chain, 'x' as never), ValueError, /^planBracketing: unknown strategy/)
    expectTyped(() => planSweeps(ops, 'x' as never), ValueError, /^planSweeps: unknown strategy/)
  })

  test('something that is not a chain, or not a plan', () => {
    for (const bad of [42, null, undefined, 'chain', {}, { kind: 'forms' }, []]) {
      expectTyped(() => plan(bad as never), ValueError, /^plan: .*chainFromFactors or chainFromOperators/)
      expectTyped(
        () => accumulate(bad as never),
        ValueError,
        /^accumulate: .*chainFromFactors or chainFromOperators/,
      )
    }
    expectTyped(() => accumulate(chain, {} as never), ValueError, /^accumulate: .*a strategy or a plan/)
    expectTyped(() => accumulate(chain, null as never), ValueError, /^accumulate: .*a strategy or a plan/)
    // a plan of the other kind of chain
    expectTyped(() => accumulate(chain, plan(ops) as never), ValueError, /^accumulate: /)
    expectTyped(() => plan(chain, 'left', 5 as never), ValueError, /^plan: /)
    // the right things still work
    expect(accumulate(chain, plan(chain, 'left')).toDense().rows).toBe(4)
  })
})

describe('custom ops with broken rules: typed errors that name the op', () => {
  const x = tensor([1, 2])
  type Spec = Parameters<typeof defineOp<null>>[0]
  const bad = (over: Partial<Record<keyof Spec, unknown>>) =>
    defineOp({
      name: 'broken',
      impl: ([a]) => mul(a!, 2),
      jvp: ({ dx: [d] }) => mul(d!, 2),
      vjp: ({ ct }) => [mul(ct, 2)],
      ...(over as Partial<Spec>),
    })
  const gradOf = (op: (t: Tensor) => Tensor) => () => grad((t: Tensor) => sum(op(t)))(x)
  const jvpOf = (op: (t: Tensor) => Tensor) => () => jvp(op, [x], [onesLike(x)])

  test('a VJP rule that returns too few cotangents (a silent zero before), or not an array', () => {
    expectTyped(
      gradOf(bad({ vjp: () => [] })),
      ValueError,
      /^broken: its VJP rule must return an array of 1 cotangent.*got an array of 0/,
    )
    expectTyped(
      gradOf(bad({ vjp: () => undefined })),
      ValueError,
      /^broken: its VJP rule must return an array/,
    )
    expectTyped(
      gradOf(bad({ vjp: ({ ct }: { ct: Tensor }) => ct })),
      ValueError,
      /^broken: its VJP rule must return an array/,
    )
    expectTyped(
      gradOf(bad({ vjp: ({ ct }: { ct: Tensor }) => [ct, ct] })),
      ValueError,
      /^broken: .*got an array of 2/,
    )
  })

  test('a VJP rule whose entry is not a Tensor, or of another dtype', () => {
    expectTyped(
      gradOf(bad({ vjp: () => [1] })),
      ValueError,
      /^broken: its VJP rule returned number 1 for input 0/,
    )
    expectTyped(
      gradOf(bad({ vjp: () => [undefined] })),
      ValueError,
      /^broken: its VJP rule returned undefined for input 0/,
    )
    expectTyped(
      gradOf(bad({ vjp: ({ ct }: { ct: Tensor }) => [cast(ct, 'float32')] })),
      DTypeError,
      /^broken: its VJP rule returned a float32 cotangent for input 0, which is float64/,
    )
  })

  test('a JVP rule that returns no Tensor, or one of another dtype', () => {
    expectTyped(
      jvpOf(bad({ jvp: () => undefined })),
      ValueError,
      /^broken: its JVP rule must return the output tangent.*got undefined/,
    )
    expectTyped(jvpOf(bad({ jvp: () => 3 })), ValueError, /^broken: its JVP rule must return/)
    expectTyped(
      jvpOf(bad({ jvp: ({ dx: [d] }: { dx: Tensor[] }) => cast(d!, 'float32') })),
      DTypeError,
      /^broken: its JVP rule returned a float32 tangent for a float64 output/,
    )
    // under grad of jvp too (the rule's result feeds a tape)
    expectTyped(
      () => grad((t: Tensor) => sum(jvp(bad({ jvp: () => [] }), [t], [t])[1] as Tensor))(x),
      ValueError,
      /^broken: its JVP rule/,
    )
  })

  test('a shape rule or a raw kernel that returns the wrong thing', () => {
    const raw = (over: Record<string, unknown>) =>
      defineOp({
        name: 'rawBroken',
        raw: ([d]: Float64Array[]) => d!,
        shape: ([m]: Meta[]) => m!,
        jvp: ({ dx: [d] }: { dx: Tensor[] }) => d!,
        vjp: ({ ct }: { ct: Tensor }) => [ct],
        ...over,
      } as never) as (t: Tensor) => Tensor
    expectTyped(
      () => raw({ shape: () => 42 })(x),
      ValueError,
      /^rawBroken: its shape rule must return \{ shape, dtype \}/,
    )
    expectTyped(() => raw({ shape: () => ({}) })(x), ValueError, /^rawBroken: its shape rule/)
    expectTyped(
      () => raw({ shape: () => ({ shape: [2], dtype: 'int8' }) })(x),
      ValueError,
      /^rawBroken: its shape rule/,
    )
    expectTyped(
      () => raw({ raw: () => undefined })(x),
      ValueError,
      /^rawBroken: its raw kernel must return a Float64Array/,
    )
    expectTyped(
      () => raw({ raw: () => [1, 2] })(x),
      ValueError,
      /^rawBroken: its raw kernel must return a Float64Array/,
    )
    // float32 data for a float64 output
    expectTyped(
      () => raw({ raw: () => Float32Array.of(1, 2) })(x),
      DTypeError,
      /^rawBroken: its raw kernel returned float32 data/,
    )
    expect(Array.from(raw({})(x).dataSync())).toEqual([1, 2])
  })
})

describe('registerBackend checks the backend it is given', () => {
  test('an empty object, a missing kernel, a bad name are BackendErrors; nothing is registered', () => {
    const before = backendNames()
    expectTyped(() => registerBackend({} as never), BackendError, /^registerBackend: /)
    expectTyped(() => registerBackend(null as never), BackendError, /^registerBackend: /)
    expectTyped(() => registerBackend({ ...cpuBackend, name: '' }), BackendError, /^registerBackend: .*name/)
    expectTyped(
      () =>
        registerBackend({
          ...cpuBackend,
          name: 'partial',
          kernels: { ...cpuBackend.kernels, exp: undefined },
        } as never),
      BackendError,
      /^registerBackend: the backend 'partial' lacks the kernel exp/,
    )
    expectTyped(
      () => registerBackend({ ...cpuBackend, name: 'noread', readSync: 1 } as never),
      BackendError,
      /readSync/,
    )
    expectTyped(
      () => registerBackend({ ...cpuBackend, name: 'nodt', dtypes: ['int8'] } as never),
      BackendError,
      /dtypes/,
    )
    expect(backendNames()).toEqual(before)
  })
})

describe('an async function given to a transformation', () => {
  let unhandled: unknown[] = []
  const record = (e: unknown) => unhandled.push(e)
  beforeAll(() => {
    process.on('unhandledRejection', record)
  })
  afterAll(() => {
    process.off('unhandledRejection', record)
  })

  test('is a ValueError, and its promise never becomes an unhandled rejection', async () => {
    unhandled = []
    const x = tensor([1, 2])
    // after the await, the tracer is dead: the promise rejects with a TransformError
    const f = async (t: Tensor) => {
      await null
      return sum(mul(t, t))
    }
    const calls: [string, () => unknown][] = [
      // @ts-expect-error: f returns a Promise
      ['grad', () => grad(f)(x)],
      // @ts-expect-error: f returns a Promise
      ['valueAndGrad', () => valueAndGrad(f, { hasAux: true })(x)],
      // @ts-expect-error: f returns a Promise
      ['jvp', () => jvp(f, [x], [x])],
      // @ts-expect-error: f returns a Promise
      ['vjp', () => vjp(f, x)],
      // @ts-expect-error: f returns a Promise
      ['jacfwd', () => jacfwd(f)(x)],
      // @ts-expect-error: f returns a Promise
      ['jacrev', () => jacrev(f)(x)],
      // @ts-expect-error: f returns a Promise
      ['hessian', () => hessian(f)(x)],
      ['jacobianSparsity', () => jacobianSparsity(f as never, x)],
    ]
    for (const [name, call] of calls) {
      const e = expectTyped(call, ValueError, new RegExp(`^\\w+: the function returned a Promise`))
      expect(e.message, name).toMatch(/synchronously/)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(unhandled).toEqual([])
  })
})

describe('nesting deeper than the call stack allows', () => {
  // a function nested `n` times in grad (or jvp) whose derivatives stay cheap
  const nestGrad = (n: number) => {
    let f = (x: Tensor): Tensor => sum(mul(x, x))
    for (let i = 0; i < n; i++) {
      const g = f
      f = (x: Tensor) => sum(grad(g)(x) as Tensor)
    }
    return f
  }
  const nestJvp = (n: number) => {
    let f = (x: Tensor): Tensor => mul(x, 2)
    for (let i = 0; i < n; i++) {
      const g = f
      f = (x: Tensor) => (jvp(g, [x], [onesLike(x)]) as [Tensor, Tensor])[1]
    }
    return f
  }

  test('is a TransformError that says how deep, not a RangeError; the engine works after it', () => {
    for (const [name, nest, n] of [
      ['vjp', nestGrad, 5000],
      ['jvp', nestJvp, 10000],
    ] as const) {
      const e = expectTyped(
        () => nest(n)(tensor(0.5)),
        TransformError,
        new RegExp(`^${name}: the call stack ran out`),
      )
      const depth = Number(/inside (\d+) nested/.exec(e.message)?.[1])
      expect(depth).toBeGreaterThan(10)
      expect(depth).toBeLessThanOrEqual(n)
      expect(e.cause).toBeInstanceOf(RangeError)
    }
    // a shallow nesting still works, and the levels are consistent
    expect((nestGrad(3)(tensor(0.5)) as Tensor).item()).toBe(0)
    expect(nestJvp(3)(tensor(0.5)).item()).toBe(0)
    expect(grad((t: Tensor) => sum(mul(t, t)))(tensor([3])).dataSync()[0]).toBe(6)
  })

  test('a function that recurses without end inside grad is a TransformError too', () => {
    const forever = (t: Tensor): Tensor => forever(t)
    expectTyped(
      () => grad(forever)(tensor(1)),
      TransformError,
      /^vjp: the call stack ran out inside 1 nested transformation /,
    )
  })
})

test('a ShapeError still names shapes', () => {
  expectTyped(() => jvp((t: Tensor) => t, [tensor([1])], [tensor([1, 2])]), ShapeError, /^jvp: .*\[2\]/)
})

describe('a kernel output of another shape than the op gives', () => {
  test('is a BackendError naming the op, the backend and both shapes, where the backend can tell', () => {
    // a backend that reports a wrong shape for every handle, as tf.broadcastTo(t, [0]) did
    const lying: Backend<FloatArray> = { ...cpuBackend, name: 'lying-shapes', shapeOf: () => [1] }
    registerBackend(lying)
    const x = tensor([1, 2], { backend: 'lying-shapes' })
    expect(() => add(x, x)).toThrow(BackendError)
    expect(() => add(x, x)).toThrow(
      "add: the lying-shapes backend's kernel returned a tensor of shape [1], expected [2]",
    )
  })
})

describe('unknown options, as JavaScript callers can pass them', () => {
  const f = (x: Tensor) => sum(mul(x, x))
  const x = tensor([1, 2])
  test('a misspelt option is a ValueError naming the nearest known one, in every transformation', () => {
    const cases: [string, () => unknown, string][] = [
      [
        'grad',
        () => grad(f, { argnum: 0 } as never)(x),
        "grad: unknown option 'argnum' (did you mean 'argnums'?); the options are 'argnums', 'hasAux'",
      ],
      [
        'valueAndGrad',
        () => valueAndGrad(f, { hasaux: true } as never)(x),
        "valueAndGrad: unknown option 'hasaux' (did you mean 'hasAux'?)",
      ],
      [
        'jvp',
        () => jvp(f, [x], [x], { batch: true } as never),
        "jvp: unknown option 'batch' (did you mean 'batched'?)",
      ],
      [
        'jacfwd',
        () => jacfwd(f, { argnum: 0 } as never)(x),
        "jacfwd: unknown option 'argnum' (did you mean 'argnums'?)",
      ],
      [
        'jacrev',
        () => jacrev(f, { batched: true } as never)(x),
        "jacrev: unknown option 'batched'; the options are 'argnums'",
      ],
      [
        'hessian',
        () => hessian(f, { colour: 'red' } as never)(x),
        "hessian: unknown option 'colour'; the options are 'argnums'",
      ],
    ]
    for (const [name, call, message] of cases) {
      expect(call, name).toThrow(ValueError)
      expect(call, name).toThrow(message)
    }
  })
  test('the known options still work, and jacobian passes batched on to forward mode only', () => {
    expect(grad(f, { argnums: 0 })(x).toArray()).toEqual([2, 4])
    expect((jacobian((v: Tensor) => mul(v, 2), { batched: true } as never)(x) as Tensor).toArray()).toEqual([
      [2, 0],
      [0, 2],
    ])
    // three inputs, one output: jacobian picks reverse mode, which takes no batched
    expect((jacobian(f, { batched: true } as never)(tensor([1, 2, 3])) as Tensor).toArray()).toEqual([
      2, 4, 6,
    ])
  })
})
