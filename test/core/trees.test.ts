import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { propsRuns, propsSeed } from '../../src/check/config.js'
import {
  DualtapeError,
  type Tensor,
  add,
  grad,
  hessian,
  jacfwd,
  jacobian,
  jacrev,
  jvp,
  mul,
  sin,
  sum,
  tensor,
  valueAndGrad,
  vjp,
  vjpWithAux,
} from '../../src/index.js'

// Trees as JAX's pytrees: any key is data, `__proto__` and `constructor` included, and the
// transformations agree on argnums (a duplicate gets its gradient again) and on trees of inputs
// and outputs (jacfwd, jacrev and hessian give trees of blocks).

const data = (t: unknown): number[] => Array.from((t as Tensor).dataSync())

/** An object with these own keys, as `JSON.parse` makes it (a `__proto__` key is an own property). */
function obj<V>(entries: readonly [string, V][]): Record<string, V> {
  const o: Record<string, V> = {}
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  return o
}

const own = (o: object, k: string): unknown => Object.getOwnPropertyDescriptor(o, k)?.value

describe('duplicate argnums: each listed argnum gets its gradient, in every transformation', () => {
  const f = (a: Tensor, b: Tensor) => sum(mul(mul(a, a), b))
  const a = tensor([1, 2])
  const b = tensor([3, 4])
  // ∂f/∂a = 2ab, ∂f/∂b = a²
  const ga = [6, 16]
  const gb = [1, 4]

  test('grad and valueAndGrad', () => {
    const [g0, g1, g2] = grad(f, { argnums: [0, 1, 0] })(a, b) as Tensor[]
    expect([data(g0), data(g1), data(g2)]).toEqual([ga, gb, ga])
    const [v, gs] = valueAndGrad(f, { argnums: [-2, 0] })(a, b) as [Tensor, Tensor[]]
    expect(v.item()).toBe(19)
    expect(gs.map(data)).toEqual([ga, ga])
  })

  test('jacrev, jacfwd and jacobian', () => {
    for (const jac of [jacrev, jacfwd, jacobian]) {
      const js = jac(f, { argnums: [0, 0, 1] })(a, b) as Tensor[]
      expect(js.map(data)).toEqual([ga, ga, gb])
    }
  })

  test('hessian with duplicates gives equal blocks', () => {
    const H = hessian(f, { argnums: [0, 0] })(a, b) as Tensor[][]
    // ∂²f/∂a² = diag(2b)
    for (const row of H) for (const h of row) expect(data(h)).toEqual([6, 0, 0, 8])
  })
})

describe('hessian with a list of argnums: blocks H[i][j] = ∂²f/∂xᵢ∂xⱼ, as JAX', () => {
  test('two arguments', () => {
    const f = (a: Tensor, b: Tensor) => sum(mul(mul(a, a), b))
    const H = hessian(f, { argnums: [0, 1] })(tensor([1, 2]), tensor([3, 4])) as Tensor[][]
    expect(H.map((row) => row.map((h) => h.shape))).toEqual([
      [
        [2, 2],
        [2, 2],
      ],
      [
        [2, 2],
        [2, 2],
      ],
    ])
    // ∂²/∂a² = diag(2b), ∂²/∂a∂b = diag(2a), ∂²/∂b² = 0
    expect(data(H[0]![0])).toEqual([6, 0, 0, 8])
    expect(data(H[0]![1])).toEqual([2, 0, 0, 4])
    expect(data(H[1]![0])).toEqual([2, 0, 0, 4])
    expect(data(H[1]![1])).toEqual([0, 0, 0, 0])
  })
})

describe('jacfwd, jacrev and hessian take trees, and give trees of blocks as JAX', () => {
  const params = { w: tensor([1, 2]), b: tensor(3) }
  // y = { u: w·b (shape [2]), v: Σw² (shape []) }
  const f = (p: typeof params) => ({ u: mul(p.w, p.b), v: sum(mul(p.w, p.w)) })

  test('the output tree outside, the input tree inside', () => {
    for (const jac of [jacfwd, jacrev, jacobian]) {
      const J = jac(f)(params) as { u: { w: Tensor; b: Tensor }; v: { w: Tensor; b: Tensor } }
      expect(Object.keys(J).sort()).toEqual(['u', 'v'])
      expect(J.u.w.shape).toEqual([2, 2])
      expect(data(J.u.w)).toEqual([3, 0, 0, 3])
      expect(J.u.b.shape).toEqual([2])
      expect(data(J.u.b)).toEqual([1, 2])
      expect(J.v.w.shape).toEqual([2])
      expect(data(J.v.w)).toEqual([2, 4])
      expect(J.v.b.shape).toEqual([])
      expect(data(J.v.b)).toEqual([0])
    }
    expect(data((jacfwd(f, { batched: false })(params) as { u: { w: Tensor } }).u.w)).toEqual([3, 0, 0, 3])
  })

  test('arrays of tensors, with a list of argnums', () => {
    const g = (xs: Tensor[], c: Tensor) => [mul(xs[0]!, c), add(xs[1]!, c)]
    const xs = [tensor([1, 2]), tensor(5)]
    const c = tensor(2)
    for (const jac of [jacfwd, jacrev]) {
      const J = jac(g, { argnums: [0, 1] })(xs, c) as [[Tensor[], Tensor], [Tensor[], Tensor]]
      // ∂(x₀c)/∂x₀ = c I, ∂(x₀c)/∂x₁ = 0, ∂(x₀c)/∂c = x₀
      expect(data(J[0][0][0])).toEqual([2, 0, 0, 2])
      expect(J[0][0][1]!.shape).toEqual([2])
      expect(data(J[0][0][1])).toEqual([0, 0])
      expect(data(J[0][1])).toEqual([1, 2])
      // ∂(x₁ + c)/∂x₀ = 0, /∂x₁ = 1, /∂c = 1
      expect(data(J[1][0][0])).toEqual([0, 0])
      expect(data(J[1][0][1])).toEqual([1])
      expect(data(J[1][1])).toEqual([1])
    }
  })

  test('the Hessian of a function of a tree is a tree of trees', () => {
    // Σw² b + b³
    const h = (p: typeof params) => add(mul(sum(mul(p.w, p.w)), p.b), mul(mul(p.b, p.b), p.b))
    const H = hessian(h)(params) as { w: { w: Tensor; b: Tensor }; b: { w: Tensor; b: Tensor } }
    expect(data(H.w.w)).toEqual([6, 0, 0, 6])
    expect(data(H.w.b)).toEqual([2, 4])
    expect(data(H.b.w)).toEqual([2, 4])
    expect(data(H.b.b)).toEqual([18])
  })
})

describe('keys are data: __proto__ and constructor in trees', () => {
  test('a __proto__ key keeps its gradient and the prototype stays Object.prototype', () => {
    const p = obj([
      ['__proto__', tensor([1, 2])],
      ['w', tensor(3)],
    ])
    const g = grad((q: Record<string, Tensor>) => sum(mul(own(q, '__proto__') as Tensor, q.w!)))(p) as object
    expect(Object.getPrototypeOf(g)).toBe(Object.prototype)
    expect(Object.keys(g).sort()).toEqual(['__proto__', 'w'])
    expect(data(own(g, '__proto__'))).toEqual([3, 3])
    expect(data(own(g, 'w'))).toEqual([3])
  })

  test('the arguments f receives keep the key too', () => {
    const p = JSON.parse('{"__proto__": 0, "constructor": 0}') as Record<string, unknown>
    Object.defineProperty(p, '__proto__', { value: tensor(2), enumerable: true, writable: true })
    Object.defineProperty(p, 'constructor', { value: tensor(5), enumerable: true, writable: true })
    const seen: string[] = []
    const [y, dy] = jvp(
      (q: object) => {
        seen.push(...Object.keys(q))
        expect(Object.getPrototypeOf(q)).toBe(Object.prototype)
        return mul(own(q, '__proto__') as Tensor, own(q, 'constructor') as Tensor)
      },
      [p],
      [
        obj([
          ['__proto__', tensor(1)],
          ['constructor', tensor(0)],
        ]),
      ],
    ) as [Tensor, Tensor]
    expect(seen.sort()).toEqual(['__proto__', 'constructor'])
    expect(y.item()).toBe(10)
    expect(dy.item()).toBe(5)
  })

  test('an aux of {"__proto__": {"isAdmin": true}} is returned as data, not as a prototype', () => {
    const aux = JSON.parse('{"__proto__": {"isAdmin": true}, "constructor": {"x": 1}}') as Record<
      string,
      unknown
    >
    const x = tensor([1, 2])
    const outs = [
      (grad((t: Tensor) => [sum(t), aux], { hasAux: true })(x) as [Tensor, object])[1],
      (jvp((t: Tensor) => [sum(t), aux], [x], [x], { hasAux: true }) as unknown[])[2] as object,
      vjpWithAux((t: Tensor) => [sum(t), aux], x)[2],
    ]
    for (const a of outs) {
      expect((a as { isAdmin?: unknown }).isAdmin).toBeUndefined()
      expect(Object.getPrototypeOf(a)).toBe(Object.prototype)
      expect(own(a, '__proto__')).toEqual({ isAdmin: true })
      expect(own(a, 'constructor')).toEqual({ x: 1 })
    }
  })

  test('outputs and cotangents with such keys', () => {
    const x = tensor([1, 2])
    const f = (t: Tensor) =>
      obj([
        ['__proto__', sin(t)],
        ['constructor', mul(t, 2)],
      ])
    const [y, pullback] = vjp(f, x)
    expect(Object.keys(y).sort()).toEqual(['__proto__', 'constructor'])
    const ct = obj([
      ['__proto__', tensor([0, 0])],
      ['constructor', tensor([1, 1])],
    ])
    expect(data(pullback(ct)[0])).toEqual([2, 2])
    const J = jacrev(f)(x) as object
    expect(Object.keys(J).sort()).toEqual(['__proto__', 'constructor'])
    expect(data(own(J, 'constructor'))).toEqual([2, 0, 0, 2])
  })
})

// ---------------------------------------------------------------------------------------------
// A property: trees with awkward keys and duplicate argnums through every transformation
// ---------------------------------------------------------------------------------------------

type T = Tensor | null | T[] | { [k: string]: T }

const keys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'a', 'b']

/** A tree of small tensors with awkward keys (objects built as JSON.parse builds them). */
const treeArb: fc.Arbitrary<T> = fc.letrec<{ tree: T }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: -5, max: 5 }))
      .map(([n, v]) => (n === 0 ? tensor(v / 2) : tensor(Array.from({ length: n }, (_, i) => v / 2 + i)))),
    fc.constant(null),
    fc.array(tie('tree'), { maxLength: 3 }),
    fc
      .uniqueArray(fc.tuple(fc.constantFrom(...keys), tie('tree')), { maxLength: 3, selector: ([k]) => k })
      .map((es) => obj(es) as { [k: string]: T }),
  ),
})).tree

/** The leaves of a tree in a fixed order, with their paths. */
function leavesOf(t: unknown, path = ''): [string, Tensor][] {
  if (t === null || t === undefined) return []
  if (Array.isArray(t)) return t.flatMap((c, i) => leavesOf(c, `${path}[${i}]`))
  if (Object.getPrototypeOf(t) === Object.prototype)
    return Object.keys(t)
      .sort()
      .flatMap((k) => leavesOf(own(t, k), `${path}.${k}`))
  return [[path, t as Tensor]]
}

/** The structure of a tree: keys as own properties, prototypes, nulls; tensors by shape. */
function structure(t: unknown): unknown {
  if (t === null || t === undefined) return String(t)
  if (Array.isArray(t)) return t.map(structure)
  if (Object.getPrototypeOf(t) === Object.prototype)
    return Object.keys(t)
      .sort()
      .map((k) => [k, structure(own(t, k))])
  if (typeof t === 'object' && t !== null && 'shape' in t) return `T[${(t as Tensor).shape.join(',')}]`
  return `not a tree: ${Object.prototype.toString.call(t)} with prototype ${String(Object.getPrototypeOf(t))}`
}

/** The structure without the shapes of the tensors. */
const skeleton = (t: unknown): unknown => JSON.stringify(structure(t)).replace(/T\[[\d,]*\]/g, 'T')

/** f(...args) = Σ_k (k + 1) Σ leaves² of args[k]: its gradient in args[k] is 2 (k + 1) x. */
const weighted = (...args: unknown[]): Tensor =>
  args.reduce<Tensor>(
    (acc, a, k) => leavesOf(a).reduce((s, [, x]) => add(s, mul(sum(mul(x, x)), k + 1)), acc),
    tensor(0),
  )

/** Runs a call; any error that is not a DualtapeError fails the property. */
function typed<R>(what: string, body: () => R): R {
  try {
    return body()
  } catch (e) {
    if (e instanceof DualtapeError) throw new Error(`${what}: unexpected ${e.name}: ${e.message}`)
    throw new Error(`${what}: untyped ${String(e)}`)
  }
}

test('property: trees with __proto__/constructor keys and duplicate argnums give the right derivatives', () => {
  fc.assert(
    fc.property(
      fc.array(treeArb, { minLength: 1, maxLength: 3 }),
      fc.array(fc.integer({ min: -3, max: 2 }), { minLength: 1, maxLength: 4 }),
      (args, rawArgnums) => {
        const n = args.length
        const argnums = rawArgnums.map((a) => ((a % n) + n) % n)
        const want = (k: number): unknown => structure(args[k])
        const wantGrad = (k: number) =>
          leavesOf(args[k]).map(([p, x]) => [p, data(x).map((v) => 2 * (k + 1) * v)])
        const gotOf = (g: unknown) => leavesOf(g).map(([p, x]) => [p, data(x)])

        const gs = typed('grad', () => grad(weighted, { argnums })(...args)) as unknown[]
        expect(gs.length).toBe(argnums.length)
        gs.forEach((g, i) => {
          expect(structure(g)).toEqual(want(argnums[i]!))
          expect(gotOf(g)).toEqual(wantGrad(argnums[i]!))
        })
        // jacfwd and jacrev of a scalar function: the gradient, block by block
        for (const [name, jac] of [
          ['jacfwd', () => jacfwd(weighted, { argnums })(...args)],
          ['jacrev', () => jacrev(weighted, { argnums })(...args)],
        ] as const) {
          const js = typed(name, jac) as unknown[]
          js.forEach((j, i) => {
            expect(structure(j)).toEqual(want(argnums[i]!))
            expect(gotOf(j)).toEqual(wantGrad(argnums[i]!))
          })
        }
        // jvp along the primals themselves: d f = Σ_k 2 (k + 1) Σ x²
        const [, dy] = typed('jvp', () => jvp(weighted, args, args)) as [Tensor, Tensor]
        expect(dy.item()).toBeCloseTo(2 * weighted(...args).item(), 10)
        // vjp: one cotangent tree per argument, keys intact
        const [, pullback] = typed('vjp', () => vjp(weighted, ...args))
        pullback(tensor(1)).forEach((g, k) => {
          expect(structure(g)).toEqual(want(k))
          expect(gotOf(g)).toEqual(wantGrad(k))
        })
        // the aux comes back as the same data, the keys as own properties
        const [, aux] = typed('grad hasAux', () =>
          grad((...a: unknown[]) => [weighted(...a), args[0]], { hasAux: true })(...args),
        ) as [unknown, unknown]
        expect(structure(aux)).toEqual(want(0))
      },
    ),
    { seed: propsSeed(), numRuns: propsRuns(150) },
  )
})

test('property: hessian with duplicate argnums over trees gives the block structure and values', () => {
  fc.assert(
    fc.property(
      fc.array(treeArb, { minLength: 1, maxLength: 2 }),
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 3 }),
      (args, rawArgnums) => {
        const n = args.length
        const argnums = rawArgnums.map((a) => a % n)
        const H = typed('hessian', () => hessian(weighted, { argnums })(...args)) as unknown[]
        expect(H.length).toBe(argnums.length)
        H.forEach((row, i) => {
          const ai = argnums[i]!
          // row i has the structure of args[ai], each leaf replaced by a list over argnums
          const rowLeaves = leavesOfHessianRow(row, args[ai])
          rowLeaves.forEach(([pi, xi, blocks]) => {
            expect(blocks.length).toBe(argnums.length)
            blocks.forEach((block, j) => {
              const aj = argnums[j]!
              expect(skeleton(block)).toEqual(skeleton(args[aj]))
              for (const [pj, xj] of leavesOf(args[aj])) {
                const b = leavesOf(block).find(([p]) => p === pj)![1]
                expect(b.shape).toEqual([...xi.shape, ...xj.shape])
                const ni = xi.size
                const diag = ai === aj && pi === pj
                const wantBlock = Array.from({ length: ni * xj.size }, (_, k) =>
                  diag && k % (ni + 1) === 0 ? 2 * (ai + 1) : 0,
                )
                expect(data(b)).toEqual(wantBlock)
              }
            })
          })
        })
      },
    ),
    { seed: propsSeed(), numRuns: propsRuns(60) },
  )
})

/** The leaves of `tree` paired with the entries of `row` (a tree shaped like it, lists at the leaves). */
function leavesOfHessianRow(row: unknown, tree: unknown, path = ''): [string, Tensor, unknown[]][] {
  if (tree === null || tree === undefined) {
    expect(row).toBe(tree)
    return []
  }
  if (Array.isArray(tree)) {
    expect(Array.isArray(row)).toBe(true)
    return tree.flatMap((c, i) => leavesOfHessianRow((row as unknown[])[i], c, `${path}[${i}]`))
  }
  if (Object.getPrototypeOf(tree) === Object.prototype) {
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype)
    expect(Object.keys(row as object).sort()).toEqual(Object.keys(tree).sort())
    return Object.keys(tree)
      .sort()
      .flatMap((k) => leavesOfHessianRow(own(row as object, k), own(tree, k), `${path}.${k}`))
  }
  expect(Array.isArray(row)).toBe(true)
  return [[path, tree as Tensor, row as unknown[]]]
}
