import { describe, expect, expectTypeOf, test } from 'vitest'
import {
  type GradOptions,
  type JacobianOptions,
  type Pullback,
  type Tangent,
  type Tensor,
  type Tree,
  add,
  elementwiseGrad,
  grad,
  hessian,
  hvp,
  jacfwd,
  jacobian,
  jacrev,
  jvp,
  linearTranspose,
  linearVjp,
  linearize,
  mul,
  sin,
  sum,
  tensor,
  valueAndGrad,
  vjp,
  vjpWithAux,
} from '../../src/index.js'

// The types of the transformations, pinned: `npx tsc --noEmit -p .` checks this file, so a
// result type that drifts fails `expectTypeOf`, and a wrong use that starts to compile fails its
// `@ts-expect-error` (an unused one is an error). The calls also run, so each type is checked
// against the value it describes. Wrong uses sit in functions that are never called.

type Params = { w: Tensor; b: Tensor[] }

const x = tensor([1, 2])
const y = tensor([3, 4])
const params: Params = { w: tensor([1, 2]), b: [tensor(3)] }

/** A scalar function of a tensor and a tree. */
const f2 = (a: Tensor, p: Params) => sum(mul(mul(a, p.w), p.b[0]!))
const sq = (a: Tensor) => sum(mul(a, a))

/** Never called: its body holds wrong uses, for the type checker only. */
const typeOnly = (body: () => void): void => expect(body).toBeTypeOf('function')

describe('grad', () => {
  test('a Tensor argument gives a Tensor, with the parameters of f', () => {
    expectTypeOf(grad(sq)(x)).toEqualTypeOf<Tensor>()
    expectTypeOf(grad(sq)).parameters.toEqualTypeOf<[a: Tensor]>()
    expectTypeOf(grad(f2)).parameters.toEqualTypeOf<[a: Tensor, p: Params]>()
    // an untyped parameter: the type follows the argument of the call
    expectTypeOf(grad((a) => sum(mul(a, a)))(x)).toEqualTypeOf<Tensor>()
    expect(grad(sq)(x).toArray()).toEqual([2, 4])
  })

  test('argnums: an index gives that argument structure, a list a tuple', () => {
    const g1 = grad(f2, { argnums: 1 })(x, params)
    expectTypeOf(g1).toEqualTypeOf<Params>()
    expect(g1.b[0]!.item()).toBe(5)
    expectTypeOf(grad(f2, { argnums: -1 })(x, params)).toEqualTypeOf<Params>()
    expectTypeOf(grad(f2, { argnums: -2 })(x, params)).toEqualTypeOf<Tensor>()
    const [gp, ga, gp2] = grad(f2, { argnums: [1, 0, -1] })(x, params)
    expectTypeOf(gp).toEqualTypeOf<Params>()
    expectTypeOf(ga).toEqualTypeOf<Tensor>()
    expectTypeOf(gp2).toEqualTypeOf<Params>()
    expect(ga.toArray()).toEqual([3, 6])
    // a one-element list is a one-element tuple, as in JAX
    expectTypeOf(grad(sq, { argnums: [0] })(x)).toEqualTypeOf<[Tensor]>()
  })

  test('hasAux: [gradient, aux]; f must return [Tensor, aux]', () => {
    const [g, aux] = grad((a: Tensor) => [sum(a), { note: 'n', t: a }], { hasAux: true })(x)
    expectTypeOf(g).toEqualTypeOf<Tensor>()
    expectTypeOf(aux).toEqualTypeOf<{ note: string; t: Tensor }>()
    expect(aux.note).toBe('n')
    const [gs, label] = grad((a: Tensor, p: Params) => [f2(a, p), 'label'] as const, {
      hasAux: true,
      argnums: [0, 1],
    })(x, params)
    expectTypeOf(gs).toEqualTypeOf<[Tensor, Params]>()
    expectTypeOf(label).toEqualTypeOf<'label'>()
  })

  test('options typed GradOptions (not literal): the union of what they may give', () => {
    const options: GradOptions = { argnums: [0, 1] }
    const g = grad(f2, options)(x, params)
    expectTypeOf(g).toEqualTypeOf<
      Tensor | Params | (Tensor | Params)[] | [Tensor | Params | (Tensor | Params)[], never]
    >()
    const byIndex: number = 1
    expectTypeOf(grad(f2, { argnums: byIndex })(x, params)).toEqualTypeOf<Tensor | Params>()
  })

  test('wrong uses are type errors', () => {
    typeOnly(() => {
      // @ts-expect-error: a misspelt option
      grad(sq, { argnum: 0 })
      // @ts-expect-error: a misspelt option beside a right one
      grad(sq, { argnums: 0, hasaux: true })
      // @ts-expect-error: sq has one argument
      grad(sq, { argnums: 1 })
      // @ts-expect-error: sq has one argument
      grad(sq, { argnums: [0, -2] })
      // @ts-expect-error: f must return a Tensor
      grad((a: Tensor) => `${a.size}`)
      // @ts-expect-error: f must return a Tensor, not a Promise
      grad(async (a: Tensor) => sum(a))
      // @ts-expect-error: [value, aux] without hasAux
      grad((a: Tensor) => [sum(a), 'aux'] as const)
      // @ts-expect-error: hasAux without [value, aux]
      grad(sq, { hasAux: true })
      // @ts-expect-error: the gradient of a Tensor is no string
      const h: string = grad(sq)(x)
      // @ts-expect-error: the arguments of f
      grad(sq)('x')
      // @ts-expect-error: too many arguments
      grad(sq)(x, x)
      // @ts-expect-error: too few arguments
      grad(f2)(x)
      // @ts-expect-error: the gradient has Params' keys only
      void grad(f2, { argnums: 1 })(x, params).v
      void h
    })
  })
})

describe('valueAndGrad', () => {
  test('[value, gradient], or [[value, aux], gradient] with hasAux', () => {
    const [v, g] = valueAndGrad(f2, { argnums: 1 })(x, params)
    expectTypeOf(v).toEqualTypeOf<Tensor>()
    expectTypeOf(g).toEqualTypeOf<Params>()
    const [[v2, aux], gs] = valueAndGrad((a: Tensor, b: Tensor) => [sum(mul(a, b)), 7] as const, {
      hasAux: true,
      argnums: [0, 1],
    })(x, y)
    expectTypeOf(v2).toEqualTypeOf<Tensor>()
    expectTypeOf(aux).toEqualTypeOf<7>()
    expectTypeOf(gs).toEqualTypeOf<[Tensor, Tensor]>()
    expect([v2.item(), aux, gs[1].toArray()]).toEqual([11, 7, [1, 2]])
  })

  test('wrong uses are type errors', () => {
    typeOnly(() => {
      // @ts-expect-error: a misspelt option
      valueAndGrad(sq, { hasaux: true })
      // @ts-expect-error: the value is a Tensor
      const [v]: [number] = valueAndGrad(sq)(x)
      void v
    })
  })
})

describe('jvp and vjp', () => {
  test('jvp: primals and tangents from the parameters, outputs from the result', () => {
    const [yv, dy] = jvp(f2, [x, params], [y, params])
    expectTypeOf(yv).toEqualTypeOf<Tensor>()
    expectTypeOf(dy).toEqualTypeOf<Tensor>()
    const tree = (p: Params) => ({ s: sum(p.w), both: [p.w, p.b[0]!] as [Tensor, Tensor] })
    const [out, dout] = jvp(tree, [params], [params])
    expectTypeOf(out).toEqualTypeOf<{ s: Tensor; both: [Tensor, Tensor] }>()
    expectTypeOf(dout).toEqualTypeOf<{ s: Tensor; both: [Tensor, Tensor] }>()
    const [o, d, aux] = jvp((a: Tensor) => [sin(a), 'aux'] as const, [x], [y], { hasAux: true })
    expectTypeOf(o).toEqualTypeOf<Tensor>()
    expectTypeOf(d).toEqualTypeOf<Tensor>()
    expectTypeOf(aux).toEqualTypeOf<'aux'>()
    // vector mode: the same types, with a leading batch axis at run time
    expectTypeOf(jvp(sin, [x], [tensor([[1, 0]])], { batched: true })).toEqualTypeOf<[Tensor, Tensor]>()
  })

  test('vjp: the pullback takes the output structure and gives one tree per primal', () => {
    const [out, pullback] = vjp(f2, x, params)
    expectTypeOf(out).toEqualTypeOf<Tensor>()
    expectTypeOf(pullback).toEqualTypeOf<Pullback<[Tensor, Params], Tensor>>()
    const [ga, gp] = pullback(tensor(1))
    expectTypeOf(ga).toEqualTypeOf<Tensor>()
    expectTypeOf(gp).toEqualTypeOf<Params>()
    const [o2, pb2] = vjp((p: Params) => ({ y: add(p.w, 1) }), params)
    expectTypeOf(o2).toEqualTypeOf<{ y: Tensor }>()
    expectTypeOf(pb2).parameter(0).toEqualTypeOf<{ y: Tensor }>()
    const [o3, pb3, aux] = vjpWithAux((a: Tensor) => [sum(a), { n: 1 }], x)
    expectTypeOf(o3).toEqualTypeOf<Tensor>()
    expectTypeOf(pb3(tensor(1))).toEqualTypeOf<[Tensor]>()
    expectTypeOf(aux).toEqualTypeOf<{ n: number }>()
  })

  test('wrong uses are type errors', () => {
    typeOnly(() => {
      // @ts-expect-error: a tangent of the wrong structure
      jvp(f2, [x, params], [y, y])
      // @ts-expect-error: one primal per parameter
      jvp(f2, [x], [y])
      // @ts-expect-error: a misspelt option
      jvp(sin, [x], [y], { batch: true })
      // @ts-expect-error: f must return a tree of tensors
      jvp((a: Tensor) => a.size, [x], [y])
      // @ts-expect-error: the primals of f
      vjp(f2, x, x)
      // @ts-expect-error: f must return a tree of tensors
      vjp((a: Tensor) => `${a.size}`, x)
      // @ts-expect-error: vjpWithAux needs [output, aux]
      vjpWithAux(sq, x)
      const [, pullback] = vjp((p: Params) => ({ y: add(p.w, 1) }), params)
      // @ts-expect-error: the cotangent has the output's structure
      pullback(tensor(1))
      // @ts-expect-error: one cotangent tree per primal
      const [, extra] = pullback({ y: x })
      void extra
    })
  })
})

describe('Jacobians and Hessians', () => {
  test('a Tensor function gives a Tensor', () => {
    for (const jac of [jacfwd(sin), jacrev(sin), jacobian(sin)]) expectTypeOf(jac(x)).toEqualTypeOf<Tensor>()
    expectTypeOf(hessian(sq)(x)).toEqualTypeOf<Tensor>()
    expectTypeOf(hvp(sq)(x, y)).toEqualTypeOf<Tensor>()
    expectTypeOf(elementwiseGrad(sin)(x)).toEqualTypeOf<Tensor>()
    expect(hessian(sq)(x).toArray()).toEqual([
      [2, 0],
      [0, 2],
    ])
  })

  test('trees: the output structure outside, the argument structure inside', () => {
    const f = (p: Params) => ({ y: mul(p.w, p.b[0]!), s: [sum(p.w)] as [Tensor] })
    const J = jacfwd(f)(params)
    expectTypeOf(J).toEqualTypeOf<{ y: Params; s: [Params] }>()
    expect(J.y.b[0]!.toArray()).toEqual([1, 2])
    expectTypeOf(jacrev(f)(params)).toEqualTypeOf<{ y: Params; s: [Params] }>()
    expectTypeOf(jacobian(f2, { argnums: [0, 1] })(x, params)).toEqualTypeOf<[Tensor, Params]>()
    const H = hessian(f2, { argnums: [0, 1] })(x, params)
    // H[i][j] = ∂²f/∂xᵢ∂xⱼ: the gradient's structure, with the gradient's structure at each leaf
    expectTypeOf(H).toEqualTypeOf<[[Tensor, Params], { w: [Tensor, Params]; b: [Tensor, Params][] }]>()
    expectTypeOf(hessian(f2, { argnums: 1 })(x, params)).toEqualTypeOf<{ w: Params; b: Params[] }>()
    // a function typed with the wide Tree gives the wide Tree
    const wide = (t: Tree): Tree => t
    expectTypeOf(jacfwd(wide)(x)).toEqualTypeOf<Tree>()
    expectTypeOf<Tangent<Params>>().toEqualTypeOf<Params>()
  })

  test('nested transformations keep their types', () => {
    expectTypeOf(jacfwd(grad(sq))(x)).toEqualTypeOf<Tensor>()
    expectTypeOf(grad((a: Tensor) => sum(grad(sq)(a)))(x)).toEqualTypeOf<Tensor>()
    expectTypeOf(jvp(grad(sq), [x], [y])).toEqualTypeOf<[Tensor, Tensor]>()
    expectTypeOf(jacrev(jacfwd(sin))(x)).toEqualTypeOf<Tensor>()
  })

  test('options typed JacobianOptions (not literal)', () => {
    const options: JacobianOptions = { argnums: 0 }
    expectTypeOf(jacrev(sin, options)(x)).toEqualTypeOf<Tensor | Tensor[]>()
  })

  test('wrong uses are type errors', () => {
    typeOnly(() => {
      // @ts-expect-error: the Hessian of a Tensor is no string
      const h: string = hessian(sq)(x)
      // @ts-expect-error: a misspelt option
      jacfwd(sin, { argnum: 0 })
      // @ts-expect-error: batched is an option of jacfwd only
      jacrev(sin, { batched: false })
      // @ts-expect-error: sin has one argument
      jacobian(sin, { argnums: 1 })
      // @ts-expect-error: f must return a tree of tensors
      jacrev((a: Tensor) => `${a.size}`)
      // @ts-expect-error: hessian needs a scalar Tensor function, not a tree
      hessian((p: Params) => ({ s: sum(p.w) }))
      // @ts-expect-error: the arguments of f
      jacfwd(f2)(x, x)
      // @ts-expect-error: hvp takes a function of one Tensor
      hvp(f2)
      void h
    })
  })
})

describe('linearize, linearTranspose and linearVjp', () => {
  test('jvpFn takes tangents shaped like the primals and returns one shaped like the output', () => {
    const [v, jvpFn] = linearize(f2, x, params)
    expectTypeOf(v).toEqualTypeOf<Tensor>()
    const d = jvpFn(y, { w: y, b: [tensor(1)] })
    expectTypeOf(d).toEqualTypeOf<Tensor>()
    expect(d.item()).toBe(3 * (3 + 8) + 3 * (3 + 8) + (1 * 1 + 2 * 2))
    const [o, jvpTree] = linearize((p: Params) => ({ s: sum(p.w), l: [p.b[0]!] as [Tensor] }), params)
    expectTypeOf(o.l).toEqualTypeOf<[Tensor]>()
    expectTypeOf(jvpTree(params).s).toEqualTypeOf<Tensor>()
    const wrong = () => {
      // @ts-expect-error a tangent for each argument
      jvpFn(y)
      // @ts-expect-error the tangent of a tree is a tree of its structure
      jvpFn(y, y)
    }
    void wrong
  })

  test('the transpose and linearVjp return one cotangent per argument, shaped like it', () => {
    const Lt = linearTranspose((a: Tensor, p: Params) => add(a, p.w), x, params)
    const [ga, gp] = Lt(y)
    expectTypeOf(ga).toEqualTypeOf<Tensor>()
    expectTypeOf(gp).toEqualTypeOf<Tangent<Params>>()
    expect(gp.w.toArray()).toEqual([3, 4])
    const [value, pullback] = linearVjp(f2, x, params)
    expectTypeOf(value).toEqualTypeOf<Tensor>()
    expectTypeOf(pullback).toEqualTypeOf<Pullback<[Tensor, Params], Tensor>>()
  })
})
