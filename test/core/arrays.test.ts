import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { propsRuns, propsSeed } from '../../src/check/config.js'
import {
  Tensor,
  arange,
  broadcastTo,
  concat,
  defineOp,
  full,
  grad,
  jvp,
  matmul,
  mul,
  ones,
  pad,
  randn,
  reshape,
  slice,
  sum,
  tensor,
  transpose,
  uniform,
  vjp,
  zeros,
  zerosLike,
} from '../../src/index.js'

// An op keeps no array its caller still holds: shapes and parameters are copied where they enter
// the engine, and what a tensor exposes (its shape) is frozen. Changing an array after the call
// changes nothing that was computed or recorded from it.

describe('ops copy the arrays they keep', () => {
  test('one shape array reused in a loop: every reshape keeps its own shape', () => {
    const shape = [0, 0]
    const made: Tensor[] = []
    for (const [r, c] of [
      [2, 3],
      [3, 2],
      [1, 6],
    ] as const) {
      shape[0] = r
      shape[1] = c
      made.push(reshape(arange(6), shape))
    }
    expect(made.map((t) => t.shape)).toEqual([
      [2, 3],
      [3, 2],
      [1, 6],
    ])
    // the products of the earlier tensors are still right (no NaN rows)
    expect(matmul(made[0]!, ones([3, 1])).toArray()).toEqual([[3], [12]])
    expect(matmul(made[1]!, ones([2, 1])).toArray()).toEqual([[1], [5], [9]])
  })

  test('broadcastTo keeps its own shape', () => {
    const shape = [2, 2]
    const b = broadcastTo(tensor([1, 2]), shape)
    shape[0] = 5
    expect(b.shape).toEqual([2, 2])
    expect(sum(b).item()).toBe(6)
  })

  test('a pad recorded on the tape keeps its widths', () => {
    const before = [1]
    const after = [1]
    const [, pullback] = vjp((x: Tensor) => pad(x, before, after), tensor([5, 6]))
    before[0] = 0
    after[0] = 2
    expect((pullback(tensor([1, 2, 3, 4]))[0] as Tensor).toArray()).toEqual([2, 3])
  })

  test('reshape, slice, transpose and sum recorded on the tape keep their parameters', () => {
    const shape = [1, 2]
    const begin = [1]
    const size = [2]
    const perm = [1, 0]
    const axes = [0]
    const f = (x: Tensor) => {
      const y = sum(transpose(reshape(slice(x, begin, size), shape), perm), axes)
      shape[0] = 4
      begin[0] = 0
      size[0] = 1
      perm.reverse()
      axes[0] = 1
      return sum(mul(y, tensor([10, 20])))
    }
    const g = grad(f)(tensor([1, 2, 3, 4]))
    // y = x₁ + x₂ (shape [1]), broadcast against [10, 20]
    expect(g.toArray()).toEqual([0, 30, 30, 0])
    // and the same through the forward mode
    begin[0] = 1
    size[0] = 2
    perm.reverse()
    axes[0] = 0
    const [, dy] = jvp(
      (x: Tensor) => sum(mul(transpose(reshape(slice(x, begin, size), [1, 2]), perm), 2)),
      [tensor([1, 2, 3, 4])],
      [tensor([1, 1, 1, 1])],
    )
    expect(dy.item()).toBe(4)
  })

  test('creation functions copy their shape', () => {
    const shapes = Array.from({ length: 9 }, () => [2])
    const made = [
      zeros(shapes[0]!),
      ones(shapes[1]!),
      full(shapes[2]!, 3),
      randn(shapes[3]!, { seed: 1 }),
      uniform(shapes[4]!, { seed: 1 }),
      tensor([1, 2], { shape: shapes[5]! }),
      tensor(new Float64Array([1, 2]), shapes[6]!),
      zerosLike(tensor([[1]]), shapes[7]!),
      concat([tensor([1]), tensor([2])], 0),
    ]
    for (const s of shapes) s.push(7)
    expect(made.map((t) => t.shape)).toEqual(made.map(() => [2]))
  })

  test('the caller’s arrays are copied, not frozen', () => {
    const shape = [2, 3]
    reshape(arange(6), shape)
    const before = [1]
    pad(tensor([1]), before, [0])
    shape.push(1)
    before.push(1)
    expect(Object.isFrozen(shape) || Object.isFrozen(before)).toBe(false)
  })
})

describe('what a tensor exposes is frozen', () => {
  test('Tensor.shape cannot be reassigned or changed in place', () => {
    const t = reshape(arange(6), [2, 3])
    expect(() => {
      ;(t as { shape: unknown }).shape = [6]
    }).toThrow(TypeError)
    expect(() => (t.shape as number[]).push(1)).toThrow(TypeError)
    expect(() => {
      ;(t.shape as number[])[0] = 3
    }).toThrow(TypeError)
    expect(() => {
      ;(t as { dtype: unknown }).dtype = 'float32'
    }).toThrow(TypeError)
    expect(t.shape).toEqual([2, 3])
    expect(t.dtype).toBe('float64')
  })

  test('shapes of tracers and of results of every kind are frozen', () => {
    const seen: Tensor[] = []
    grad((x: Tensor) => {
      const y = reshape(x, [2, 2])
      seen.push(x, y)
      return sum(y)
    })(tensor([1, 2, 3, 4]))
    jvp(
      (x: Tensor) => {
        seen.push(x)
        return x
      },
      [tensor([1])],
      [tensor([1])],
    )
    seen.push(randn([2], { seed: 3 }), matmul(ones([2, 2]), ones([2, 1])))
    for (const t of seen) expect(Object.isFrozen(t.shape)).toBe(true)
  })
})

describe('custom-op parameters are held as a frozen copy', () => {
  const scale = defineOp<{ k: number; w: number[]; nested: { c: number[] } }>({
    name: 'scaleBy',
    impl: ([x], { k, w, nested }) => mul(mul(x!, k * w[0]!), nested.c[0]!),
    jvp: ({ dx: [dx], params: { k, w, nested } }) => mul(mul(dx!, k * w[0]!), nested.c[0]!),
    vjp: ({ ct, params: { k, w, nested } }) => [mul(mul(ct, k * w[0]!), nested.c[0]!)],
  })

  test('changing the params after the forward pass does not reach the pullback', () => {
    const params = { k: 2, w: [3], nested: { c: [1] } }
    const [y, pullback] = vjp((x: Tensor) => scale.withParams(params)(x), tensor([1, 1]))
    params.k = 100
    params.w[0] = 100
    params.nested.c[0] = 100
    expect((y as Tensor).toArray()).toEqual([6, 6])
    expect((pullback(tensor([1, 1]))[0] as Tensor).toArray()).toEqual([6, 6])
  })

  test('rules see frozen params; the caller’s object stays writable', () => {
    let frozen: boolean[] = []
    const probe = defineOp<{ w: number[] }>({
      name: 'probe',
      impl: ([x]) => mul(x!, 1),
      jvp: ({ dx: [dx], params }) => {
        frozen = [Object.isFrozen(params), Object.isFrozen(params.w)]
        return dx!
      },
      vjp: ({ ct }) => [ct],
    })
    const params = { w: [1] }
    jvp((x: Tensor) => probe.withParams(params)(x), [tensor([1])], [tensor([1])])
    expect(frozen).toEqual([true, true])
    params.w.push(2)
    expect(params.w).toEqual([1, 2])
  })

  test('cycles, shared values and __proto__ keys: copied once each, in bounded time', () => {
    let seen: unknown = null
    const look = defineOp<unknown>({
      name: 'look',
      impl: ([x], p) => {
        seen = p
        return mul(x!, 1)
      },
      jvp: ({ dx: [dx] }) => dx!,
      vjp: ({ ct }) => [ct],
    })
    const cyclic: unknown[] = [1]
    cyclic.push({ back: cyclic })
    // 2⁴⁰ paths through 40 shared levels
    let shared: unknown = [7]
    for (let i = 0; i < 40; i++) shared = [shared, shared]
    const params = JSON.parse('{"__proto__": {"isAdmin": true}, "w": [1]}') as Record<string, unknown>
    Object.assign(params, { cyclic, shared })
    expect(
      look
        .withParams(params)(tensor([3]))
        .toArray(),
    ).toEqual([3])
    const p = seen as Record<string, unknown>
    // (not `expect(p).not.toBe(params)`: on a mismatch vitest compares the two deeply, 2⁴⁰ paths)
    expect(p === params).toBe(false)
    expect(Object.keys(p)).toEqual(['__proto__', 'w', 'cyclic', 'shared'])
    expect((p as { isAdmin?: boolean }).isAdmin).toBeUndefined()
    const c = p.cyclic as [number, { back: unknown }]
    expect(c).not.toBe(cyclic)
    expect(c[1].back).toBe(c)
    expect(Object.isFrozen(c) && Object.isFrozen(c[1])).toBe(true)
  })

  test('tensors, functions and class instances in params are kept as they are', () => {
    const t = tensor([2])
    const f = (v: number) => v * 3
    let got: unknown[] = []
    const keep = defineOp<{ t: Tensor; f: (v: number) => number }>({
      name: 'keep',
      impl: ([x], p) => {
        got = [p.t, p.f]
        return mul(x!, p.t)
      },
      jvp: ({ dx: [dx], params: p }) => mul(dx!, p.t),
      vjp: ({ ct, params: p }) => [mul(ct, p.t)],
    })
    expect(
      keep
        .withParams({ t, f })(tensor([4]))
        .toArray(),
    ).toEqual([8])
    expect(got[0]).toBe(t)
    expect(got[1]).toBe(f)
  })
})

describe('property: one caller array reused for every parameter', () => {
  type Step = 'reshape' | 'transpose' | 'pad' | 'slice' | 'broadcastTo'
  /**
   * A chain of shape ops on a vector whose parameters all come from `arr`: either fresh arrays,
   * or one array the caller rewrites for each call and scribbles over after it.
   */
  const program =
    (steps: readonly Step[], arr: (v: number[]) => number[], scribble: () => void) =>
    (x: Tensor): Tensor => {
      let y = x
      for (const s of steps) {
        const m = y.shape[0]!
        const n = () => m
        if (s === 'reshape') {
          y = reshape(y, arr([1, n()]))
          scribble()
          y = reshape(y, arr([n()]))
        } else if (s === 'transpose') {
          y = transpose(reshape(y, arr([1, n()])), arr([1, 0]))
          scribble()
          y = reshape(y, arr([n()]))
        } else if (s === 'pad') {
          y = pad(y, arr([1]), [2])
        } else if (s === 'slice' && n() >= 2) {
          y = slice(y, arr([1]), [n() - 1])
        } else if (s === 'broadcastTo') {
          y = sum(broadcastTo(y, arr([2, n()])), arr([0]))
        }
        scribble()
      }
      return sum(mul(y, arange(y.shape[0]!)))
    }

  test('values, gradients, JVPs and pullbacks run later are those of fresh arrays', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<Step>('reshape', 'transpose', 'pad', 'slice', 'broadcastTo'), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: -3, max: 9 }),
        (steps, junk) => {
          const shared: number[] = []
          const reuse = (v: number[]) => {
            shared.length = 0
            shared.push(...v)
            return shared
          }
          const scribble = () => shared.fill(junk)
          const fresh = program(
            steps,
            (v) => [...v],
            () => undefined,
          )
          const reused = program(steps, reuse, scribble)
          const x = tensor([0.5, -1, 2])
          expect(reused(x).item()).toBe(fresh(x).item())
          expect(grad(reused)(x).toArray()).toEqual(grad(fresh)(x).toArray())
          const t: [Tensor] = [tensor([1, 2, 3])]
          expect(jvp(reused, [x], t)[1].item()).toBe(jvp(fresh, [x], t)[1].item())
          const [, pbReused] = vjp(reused, x)
          const [, pbFresh] = vjp(fresh, x)
          shared.fill(junk + 1)
          expect((pbReused(tensor(1.5))[0] as Tensor).toArray()).toEqual(
            (pbFresh(tensor(1.5))[0] as Tensor).toArray(),
          )
        },
      ),
      { seed: propsSeed(), numRuns: propsRuns(100) },
    )
  })
})
