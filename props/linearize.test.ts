import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type ArraySpec, materialize } from '../src/check/index.js'
import { propsRuns, propsSeed } from '../src/check/config.js'
import { apply } from '../src/core/op.js'
import { Tensor } from '../src/core/tensor.js'
import { ValueError } from '../src/core/errors.js'
import { jvp } from '../src/forward/jvp.js'
import { linearTranspose, linearVjp, linearize } from '../src/linearize/linearize.js'
import { type OpName, registry } from '../src/ops/registry.js'
import { vjp } from '../src/reverse/vjp.js'
import { NARGS, evaluate, programArb, show } from './programs.js'
import { samplers } from './samplers.js'

// linearize, linearTranspose and linearVjp against jvp and the closure tape, on every op of the
// registry and on random programs: the JVP at the point equals jvp's, the transpose equals the
// tape's VJP, and ⟨u, L v⟩ = ⟨Lᵀ u, v⟩ (which has no truncation error). float64 to 1e-12 relative
// to the size of the values; float32 (cast's cases) to 1e-5.

type Fn = (...xs: Tensor[]) => Tensor

const tolOf = (t: Tensor): number => (t.dtype === 'float32' ? 1e-5 : 1e-12)

/** Throws unless a and b have one shape and agree to `tol` relative to the larger of 1 and max |b|. */
function expectClose(a: Tensor, b: Tensor, what: string): void {
  expect(a.shape, what).toEqual(b.shape)
  const x = a.dataSync()
  const y = b.dataSync()
  let scale = 1
  for (const v of y) scale = Math.max(scale, Math.abs(v))
  let worst = 0
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!))
  if (!(worst <= tolOf(b) * scale)) throw new Error(`${what}: max |difference| ${worst} (scale ${scale})`)
}

/** ⟨a, b⟩ in float64, and Σ|aᵢ bᵢ| (the size against which its rounding is measured). */
function inner(a: Tensor, b: Tensor): [number, number] {
  const x = a.dataSync()
  const y = b.dataSync()
  let s = 0
  let m = 0
  for (let i = 0; i < x.length; i++) {
    s += x[i]! * y[i]!
    m += Math.abs(x[i]! * y[i]!)
  }
  return [s, m]
}

/** The adjoint identity ⟨u, L v⟩ = Σᵢ ⟨(Lᵀu)ᵢ, vᵢ⟩, to the tolerance of the output's dtype. */
function expectAdjoint(
  u: Tensor,
  lv: Tensor,
  ltu: readonly Tensor[],
  vs: readonly Tensor[],
  what: string,
): void {
  const [left, lm] = inner(u, lv)
  let right = 0
  let rm = 0
  ltu.forEach((g, i) => {
    const [s, m] = inner(g, vs[i]!)
    right += s
    rm += m
  })
  const tol = Math.max(tolOf(lv), ...vs.map(tolOf)) * Math.max(1, lm, rm)
  if (!(Math.abs(left - right) <= tol)) throw new Error(`${what}: ⟨u, Lv⟩ = ${left} but ⟨Lᵀu, v⟩ = ${right}`)
}

/** A random tensor of the shape and dtype of `like`, from a seed. */
const randomLike = (like: Tensor, seed: number): Tensor =>
  materialize({ shape: like.shape, domain: 'real', seed, dtype: like.dtype })

/** linearize's jvpFn against jvp, linearVjp's pullback against vjp's, and the adjoint identity of the two. */
function checkAll(f: Fn, xs: readonly Tensor[], seed: number, what: string): void {
  const vs = xs.map((x, i) => randomLike(x, seed + 1 + i))
  const [y, jvpFn] = linearize(f, ...xs)
  const [y0, dy0] = jvp(f, xs, vs) as [Tensor, Tensor]
  expectClose(y, y0, `${what}: the value`)
  const dy = jvpFn(...vs)
  expectClose(dy, dy0, `${what}: jvpFn against jvp`)
  // a second call gives the same (the graph is replayed, not consumed)
  expectClose(jvpFn(...vs), dy0, `${what}: jvpFn called again`)
  const u = randomLike(y, seed + 100)
  const [, pullback] = linearVjp(f, ...xs)
  const [, tape] = vjp(f, ...xs)
  const gs = pullback(u) as Tensor[]
  const gs0 = tape(u) as Tensor[]
  gs.forEach((g, i) => expectClose(g, gs0[i]!, `${what}: linearVjp against vjp, argument ${i}`))
  expectAdjoint(u, dy, gs, vs, what)
}

/** The differentiated inputs of an op case and the function of them that applies the op. */
function opFunction(
  name: OpName,
  c: { inputs: readonly ArraySpec[]; params: unknown; constants?: readonly number[] },
) {
  const all = c.inputs.map(materialize)
  const constant = new Set(c.constants ?? [])
  const free = all.map((_, i) => i).filter((i) => !constant.has(i))
  const f: Fn = (...ts) => {
    const args = [...all]
    free.forEach((i, k) => (args[i] = ts[k]!))
    return apply(registry[name] as never, args, c.params as never)
  }
  return { f, all, free }
}

const seed = propsSeed()
const names = Object.keys(registry) as OpName[]

describe(`linearize and linearVjp on every op of the registry (seed ${seed})`, () => {
  for (const name of names) {
    test(name, () => {
      fc.assert(
        fc.property(samplers[name].cases as fc.Arbitrary<never>, fc.nat(), (c, s) => {
          const { f, all, free } = opFunction(name, c)
          // an op with no differentiable input (argmax, argmin: integer results) has nothing to linearize in
          if (free.length === 0) {
            expect(() => linearize(f)).toThrow(ValueError)
            return
          }
          checkAll(
            f,
            free.map((i) => all[i]!),
            s,
            name,
          )
        }),
        { seed, numRuns: propsRuns(8), includeErrorInReport: true },
      )
    })
  }
})

describe(`linearTranspose of every linear op is its VJP (seed ${seed})`, () => {
  const linearOps = names.filter((n) => registry[n].linearity !== undefined)

  test('the linear ops are these', () => {
    expect(linearOps.sort()).toEqual(
      [
        'add',
        'broadcastTo',
        'cast',
        'concat',
        'cumsum',
        'div',
        'matmul',
        'mul',
        'neg',
        'pad',
        'reshape',
        'scatterAdd',
        'slice',
        'solve',
        'sub',
        'sum',
        'take',
        'transpose',
        'triangularSolve',
        'where',
      ].sort(),
    )
  })

  for (const name of linearOps) {
    test(name, () => {
      const lin = registry[name].linearity!
      fc.assert(
        fc.property(samplers[name].cases as fc.Arbitrary<never>, fc.nat(), (c, s) => {
          const { inputs, params, constants } = c as {
            inputs: ArraySpec[]
            params: unknown
            constants?: number[]
          }
          const n = inputs.length
          // the inputs traced: all of them (joint), one of them (each: bilinear), or those listed
          const traced =
            lin === 'joint'
              ? Array.from({ length: n }, (_, i) => i).filter((i) => !(constants ?? []).includes(i))
              : lin === 'each'
                ? [s % n]
                : [...lin]
          const all = inputs.map(materialize)
          const L: Fn = (...ts) => {
            const args = [...all]
            traced.forEach((i, k) => (args[i] = ts[k]!))
            return apply(registry[name] as never, args, params as never)
          }
          const examples = traced.map((i) => all[i]!)
          const vs = examples.map((x, k) => randomLike(x, s + k + 1))
          const lv = L(...vs)
          const u = randomLike(lv, s + 50)
          const ltu = linearTranspose(L, ...examples)(u) as Tensor[]
          const [, tape] = vjp(L, ...examples)
          const want = tape(u) as Tensor[]
          ltu.forEach((g, k) =>
            expectClose(g, want[k]!, `${name}: linearTranspose against vjp, argument ${k}`),
          )
          expectAdjoint(u, lv, ltu, vs, name)
        }),
        { seed: seed + 1, numRuns: propsRuns(15), includeErrorInReport: true },
      )
    })
  }
})

describe(`random programs (seed ${seed})`, () => {
  test('linearize equals jvp, linearVjp equals vjp, and the adjoint identity holds', () => {
    fc.assert(
      fc.property(programArb, fc.nat(), (p, s) => {
        const f: Fn = (...ts) => evaluate(p.expr, ts.slice(0, NARGS), ts[NARGS]!)
        checkAll(f, p.args, s, show(p.expr))
      }),
      { seed: seed + 2, numRuns: propsRuns(40), includeErrorInReport: true },
    )
  })

  test('a jvpFn traced afresh by linearTranspose (not transposed from its graph) passes the checks of constant terms and is the VJP', () => {
    fc.assert(
      fc.property(programArb, fc.nat(), (p, s) => {
        const f: Fn = (...ts) => evaluate(p.expr, ts.slice(0, NARGS), ts[NARGS]!)
        const [y, jvpFn] = linearize(f, ...p.args)
        // a plain closure: linearTranspose cannot know its graph and traces it
        const L: Fn = (...vs) => jvpFn(...vs)
        const u = randomLike(y, s)
        const got = linearTranspose(L, ...p.args)(u) as Tensor[]
        const want = vjp(f, ...p.args)[1](u) as Tensor[]
        got.forEach((g, i) => expectClose(g, want[i]!, `${show(p.expr)}: argument ${i}`))
      }),
      { seed: seed + 3, numRuns: propsRuns(30), includeErrorInReport: true },
    )
  })
})

test('the helpers fail on a wrong value', () => {
  const a = new Tensor([1], 'float64', materialize({ shape: [1], domain: 'real', seed: 1 }).impl)
  const b = randomLike(a, 2)
  expect(() => expectClose(a, b, 'x')).toThrow(/max \|difference\|/)
  expect(() => expectAdjoint(a, b, [b], [b], 'x')).toThrow(/⟨u, Lv⟩/)
})
