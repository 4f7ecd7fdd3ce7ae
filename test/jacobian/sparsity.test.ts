import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { materialize, type OpCase } from '../../src/check/index.js'
import { propsRuns, propsSeed } from '../../src/check/config.js'
import { apply } from '../../src/core/op.js'
import type { Tensor } from '../../src/core/tensor.js'
import {
  ValueError,
  add,
  broadcastTo,
  concat,
  defineOp,
  div,
  exp,
  grad,
  greater,
  hessian,
  jacfwd,
  jvp,
  matmul,
  max,
  maximum,
  mul,
  ones,
  pad,
  relu,
  reshape,
  sin,
  slice,
  square,
  stopGradient,
  sub,
  sum,
  tanh,
  tensor,
  uniform,
  where,
} from '../../src/index.js'
import {
  bandedPattern,
  hessianSparsity,
  jacobianSparsity,
  patternFromDense,
  sparseHessian,
  sparseJacobian,
  type SparsityPattern,
} from '../../src/sparse/index.js'
import { registry, type OpName } from '../../src/ops/registry.js'
import { samplers } from '../../props/samplers.js'

// ---------------------------------------------------------------------------------------------
// Sparsity detection against the dense Jacobian: for every primitive of the registry the
// detected pattern must contain every nonzero of jacfwd at random points, and equal the nonzeros
// where the op's derivative vanishes nowhere (elementwise maps away from kinks, layout ops,
// reductions, matmul). Local patterns equal the nonzeros for every op.
// ---------------------------------------------------------------------------------------------

const SEED = propsSeed(20_251_127)

/**
 * The (row, column) positions of the nonzeros of a dense [m, n] matrix; with `cutoff`, those
 * larger than cutoff · max |J| in magnitude.
 */
function nonzeros(J: Tensor, cutoff = 0): boolean[][] {
  const [m, n] = J.shape as [number, number]
  const v = J.dataSync()
  let floor = 0
  for (const x of v) floor = Math.max(floor, cutoff * Math.abs(x))
  return Array.from({ length: m }, (_, i) =>
    Array.from({ length: n }, (_, j) => Math.abs(v[i * n + j]!) > floor),
  )
}

/**
 * The matrix functions' JVP rules are exact in exact arithmetic but not elementwise: where the
 * Jacobian of cholesky is zero (L₂₀ does not depend on A₀₁), L Φ(L⁻¹ dA L⁻ᵀ) leaves a rounding
 * error of order 1e-17. Their nonzeros are the entries above 1e-12 of the largest.
 */
const cutoffOf = (name: OpName): number => (registry[name].structure === 'matrix' ? 1e-12 : 0)

/** Entries that are nonzero in `dense` but missing from `pattern`. */
function missing(pattern: SparsityPattern, dense: readonly (readonly boolean[])[]): [number, number][] {
  const out: [number, number][] = []
  dense.forEach((row, i) => row.forEach((nz, j) => nz && !pattern.has(i, j) && out.push([i, j])))
  return out
}

/**
 * An op case as a function of one flat vector z: the differentiated inputs are consecutive
 * slices of z, the constant ones fixed; the output is flattened.
 */
function asFlatFunction<P>(
  def: (typeof registry)[OpName],
  c: OpCase<P>,
): { f: (z: Tensor) => Tensor; z: Tensor } {
  const inputs = c.inputs.map(materialize)
  const constant = new Set(c.constants ?? [])
  const varying = inputs.filter((_, i) => !constant.has(i))
  const data = varying.flatMap((t) => [...t.dataSync()])
  const z = tensor(data, { dtype: varying[0]!.dtype })
  const f = (zz: Tensor) => {
    let offset = 0
    const args = inputs.map((t, i) => {
      if (constant.has(i)) return t
      const part = reshape(slice(zz, [offset], [t.size]), t.shape)
      offset += t.size
      return part
    })
    return reshape(apply(def as never, args, c.params as never), [-1])
  }
  return { f, z }
}

/** Ops whose derivative vanishes on part of the domain: the global pattern only contains J. */
const ROUTING = new Set<OpName>(['relu', 'maximum', 'minimum', 'where', 'max', 'min', 'clip'])

/** argmax and argmin give int32 index tensors: nothing to differentiate (their pattern is tested with take). */
const INTEGER_VALUED = new Set<OpName>(['argmax', 'argmin'])

const names = (Object.keys(registry) as OpName[]).filter((n) => !INTEGER_VALUED.has(n))

describe('detection on every primitive of the registry', () => {
  for (const name of names) {
    it(`${name}: the global pattern ${ROUTING.has(name) ? 'contains' : 'equals'} the nonzeros of jacfwd, the local one equals them`, () => {
      fc.assert(
        fc.property(samplers[name].cases as fc.Arbitrary<OpCase<unknown>>, (c) => {
          const { f, z } = asFlatFunction(registry[name], c)
          const J = nonzeros(jacfwd(f)(z), cutoffOf(name))
          const global = jacobianSparsity(f, z)
          const local = jacobianSparsity(f, z, { local: true })
          expect(global.shape).toEqual([J.length, z.size])
          expect(missing(global, J)).toEqual([])
          if (!ROUTING.has(name)) expect(global.toDense()).toEqual(J)
          expect(local.toDense()).toEqual(J)
          // a local pattern never holds more than the global one
          expect(missing(global, local.toDense())).toEqual([])
        }),
        { seed: SEED, numRuns: propsRuns(8) },
      )
    })
  }

  for (const name of names) {
    it(`${name}: inside grad, the Hessian pattern of Σ w ⊙ op(z) contains the nonzeros of hessian`, () => {
      fc.assert(
        fc.property(samplers[name].cases as fc.Arbitrary<OpCase<unknown>>, (c) => {
          const { f, z } = asFlatFunction(registry[name], c)
          const y = f(z)
          const w = uniform([y.size], { seed: 7, dtype: y.dtype })
          const h = (zz: Tensor) => sum(mul(w, f(zz)))
          const H = nonzeros(reshape(hessian(h)(z), [z.size, z.size]))
          expect(missing(hessianSparsity(h, z), H)).toEqual([])
          expect(missing(hessianSparsity(h, z, { local: true }), H)).toEqual([])
        }),
        { seed: SEED + 1, numRuns: propsRuns(4) },
      )
    })
  }
})

describe('global and local patterns', () => {
  const x = tensor([1.5, -2, 0.5, -1])

  it('relu: globally the diagonal, locally only where x > 0', () => {
    expect(jacobianSparsity(relu, x).toString()).toBe('x...\n.x..\n..x.\n...x')
    expect(jacobianSparsity(relu, x, { local: true }).toString()).toBe('x...\n....\n..x.\n....')
  })

  it('max routes to the maximal element locally; maximum to the larger operand, both at a tie', () => {
    const m = (t: Tensor) => max(reshape(t, [2, 2]), 1)
    expect(jacobianSparsity(m, x).toString()).toBe('xx..\n..xx')
    expect(jacobianSparsity(m, x, { local: true }).toString()).toBe('x...\n..x.')
    const g = (t: Tensor) => maximum(slice(t, [0], [2]), tensor([0, -2]))
    expect(jacobianSparsity(g, x).toString()).toBe('x...\n.x..')
    // 1.5 > 0 wins; -2 = -2 is a tie, whose derivative is split between the operands
    expect(jacobianSparsity(g, x, { local: true }).toString()).toBe('x...\n.x..')
    expect(jacobianSparsity(g, tensor([-1, -3, 0, 0]), { local: true }).toString()).toBe('....\n....')
  })

  it('where: globally both branches, locally the branch taken', () => {
    const f = (t: Tensor) => where(tensor([1, 0]), slice(t, [0], [2]), slice(t, [2], [2]))
    expect(jacobianSparsity(f, x).toString()).toBe('x.x.\n.x.x')
    expect(jacobianSparsity(f, x, { local: true }).toString()).toBe('x...\n...x')
  })

  it('a condition computed from x is not a structural zero globally', () => {
    const f = (t: Tensor) => where(greater(t, 0), sin(t), 0)
    expect(jacobianSparsity(f, x).toString()).toBe('x...\n.x..\n..x.\n...x')
    expect(jacobianSparsity(f, x, { local: true }).toString()).toBe('x...\n....\n..x.\n....')
  })

  it('multiplication by a zero constant is a structural zero, by a zero value only locally', () => {
    const c = tensor([2, 0, 1, 0])
    expect(jacobianSparsity((t) => mul(t, c), x).toString()).toBe('x...\n....\n..x.\n....')
    expect(jacobianSparsity((t) => mul(c, exp(t)), x).toString()).toBe('x...\n....\n..x.\n....')
    // x ⊙ (x - 0.5): the second factor is 0 at x₂ = 0.5, but varies with x
    const f = (t: Tensor) => mul(slice(t, [0], [3]), slice(sub(t, 0.5), [0], [3]))
    expect(jacobianSparsity(f, x).toString()).toBe('x...\n.x..\n..x.')
    // d(x (x - ½)) = (2x - ½) dx ≠ 0 at x = ½: each factor drops only its own term
    expect(jacobianSparsity(f, x, { local: true }).toString()).toBe('x...\n.x..\n..x.')
    // x₀ · x₁ at x₁ = 0: locally no dependence on x₀
    const g = (t: Tensor) => mul(slice(t, [0], [1]), slice(t, [1], [1]))
    expect(jacobianSparsity(g, tensor([3, 0])).toString()).toBe('xx')
    expect(jacobianSparsity(g, tensor([3, 0]), { local: true }).toString()).toBe('.x')
    // x · stopGradient(x): the constant factor's value changes with x
    const h = (t: Tensor) => mul(t, stopGradient(t))
    expect(jacobianSparsity(h, tensor([0, 1])).toString()).toBe('x.\n.x')
    expect(jacobianSparsity(h, tensor([0, 1]), { local: true }).toString()).toBe('..\n.x')
  })

  it('matmul by a sparse constant matrix has the pattern of the matrix', () => {
    const A = [
      [1, 0, 0, 2],
      [0, 0, 3, 0],
      [0, 4, 0, 5],
    ]
    const f = (t: Tensor) => reshape(matmul(tensor(A), reshape(tanh(t), [4, 1])), [-1])
    expect(jacobianSparsity(f, x).equals(patternFromDense(A))).toBe(true)
    // a zero numerator: d(0 / b) = 0
    expect(jacobianSparsity((t) => div(tensor([0, 1, 0, 1]), t), x).toString()).toBe('....\n.x..\n....\n...x')
  })

  it('layout ops move index sets: pad, slice, concat, transpose, broadcast', () => {
    const f = (t: Tensor) => {
      const m = reshape(t, [2, 2])
      return reshape(concat([pad(slice(m, [0, 1], [2, 1]), [0, 1], [0, 0]), add(m, ones([1, 2]))], 1), [-1])
    }
    expect(jacobianSparsity(f, x).toString()).toBe(
      ['....', '.x..', 'x...', '.x..', '....', '...x', '..x.', '...x'].join('\n'),
    )
  })
})

describe('custom ops', () => {
  const myTanh = defineOp({
    name: 'myTanh',
    impl: ([t]) => tanh(t!),
    jvp: ({ y, dx: [dx] }) => mul(dx!, sub(1, square(y))),
    vjp: ({ ct, y }) => [mul(ct, sub(1, square(y)))],
  })

  it('an op from defineOp counts as dense: each output depends on every input', () => {
    const x = tensor([0.1, 0.2, 0.3])
    expect(jacobianSparsity((t) => myTanh(t), x).toString()).toBe('xxx\nxxx\nxxx')
    // the dependence is dense over the op's inputs, not over all of x
    const f = (t: Tensor) => concat([myTanh(slice(t, [0], [2])), slice(t, [2], [1])])
    expect(jacobianSparsity(f, x).toString()).toBe('xx.\nxx.\n..x')
    // and it contains the true Jacobian
    expect(missing(jacobianSparsity(f, x), nonzeros(jacfwd(f)(x)))).toEqual([])
  })

  it('inside grad its rules are traced like any other ops', () => {
    const x = tensor([0.1, 0.2, 0.3])
    const f = (t: Tensor) => sum(myTanh(t))
    const P = hessianSparsity(f, x)
    expect(missing(P, nonzeros(hessian(f)(x)))).toEqual([])
  })
})

describe('nested use inside grad: Hessian patterns', () => {
  /** f(x) = Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)², the chained Rosenbrock function. */
  const rosenbrock = (n: number) => (x: Tensor) => {
    const a = slice(x, [0], [n - 1])
    const b = slice(x, [1], [n - 1])
    return add(sum(mul(100, square(sub(b, square(a))))), sum(square(sub(1, a))))
  }

  it('chained Rosenbrock is tridiagonal (n = 6 and n = 10,000), matching the dense Hessian', () => {
    const x = uniform([6], { seed: 3, low: -2, high: 2 })
    expect(hessianSparsity(rosenbrock(6), x).equals(bandedPattern(6, 1, 1))).toBe(true)
    expect(patternFromDense(nonzeros(hessian(rosenbrock(6))(x))).equals(bandedPattern(6, 1, 1))).toBe(true)
    const big = uniform([10_000], { seed: 4, low: -2, high: 2 })
    expect(hessianSparsity(rosenbrock(10_000), big).equals(bandedPattern(10_000, 1, 1))).toBe(true)
  })

  it('a separable sum is diagonal', () => {
    const f = (x: Tensor) => sum(add(exp(x), mul(sin(x), square(x))))
    const x = tensor([0.3, -1, 2, 0.7, 1.1])
    expect(hessianSparsity(f, x).equals(bandedPattern(5, 0, 0))).toBe(true)
  })

  it('relu and max inside grad: the global pattern holds at every point, the local one at x', () => {
    const x = tensor([1, -2, 3, -4])
    const r = (t: Tensor) => sum(square(relu(t)))
    expect(hessianSparsity(r, x).equals(bandedPattern(4, 0, 0))).toBe(true)
    expect(hessianSparsity(r, x, { local: true }).toString()).toBe('x...\n....\n..x.\n....')
    // (max x)²: any element may be the maximum
    const m = (t: Tensor) => square(max(t))
    expect(hessianSparsity(m, x).nnz).toBe(16)
    expect(hessianSparsity(m, x, { local: true }).toString()).toBe('....\n....\n..x.\n....')
  })

  it('a linear function has an empty Hessian pattern', () => {
    expect(hessianSparsity((t) => sum(mul(t, 3)), tensor([1, 2])).nnz).toBe(0)
  })

  it('a jvp inside the detected function: the pattern of a directional derivative', () => {
    // d/dε tanh(x + ε v) = tanh'(x) ⊙ v: diagonal
    const f = (t: Tensor) => (jvp(tanh, [t], [tensor([1, 2, 3])]) as [Tensor, Tensor])[1]
    expect(jacobianSparsity(f, tensor([0.1, 0.2, 0.3])).equals(bandedPattern(3, 0, 0))).toBe(true)
    // grad inside: ∇ of Σ x_i x_{i+1}
    const g = grad((t: Tensor) => sum(mul(slice(t, [0], [3]), slice(t, [1], [3])))) as (t: Tensor) => Tensor
    expect(jacobianSparsity(g, tensor([1, 2, 3, 4])).toString()).toBe('.x..\nx.x.\n.x.x\n..x.')
  })
})

describe('errors', () => {
  it('rejects what is not a function or a tensor, and a function that returns no tensor', () => {
    expect(() => jacobianSparsity(1 as never, tensor([1]))).toThrow(ValueError)
    expect(() => jacobianSparsity((t) => t, [1] as never)).toThrow(ValueError)
    expect(() => jacobianSparsity((() => 3) as never, tensor([1]))).toThrow(ValueError)
    expect(() => hessianSparsity(null as never, tensor([1]))).toThrow(ValueError)
  })
})

describe('the bound on the entries of the index sets', () => {
  /** y = x ⊙ Σ x: a dense Jacobian, n² entries. */
  const dense = (x: Tensor) => mul(x, sum(x))
  const x100 = uniform([100], { seed: 1 })

  it('a dense Jacobian past maxEntries is a ValueError naming the op, the sizes and the dense Jacobian', () => {
    expect(() => jacobianSparsity(dense, x100, { maxEntries: 1000 })).toThrow(ValueError)
    expect(() => jacobianSparsity(dense, x100, { maxEntries: 1000 })).toThrow(
      /^jacobianSparsity: the Jacobian of the output of mul \[100\] \(100 elements\) with respect to 100 input elements has at least 10000 possible nonzeros, more than maxEntries = 1000: too dense for sparsity detection; use the dense Jacobian \(jacfwd or jacrev\), or raise maxEntries$/,
    )
    expect(jacobianSparsity(dense, x100, { maxEntries: 10_000 }).nnz).toBe(10_000)
  })

  it('counts exactly: a tridiagonal stencil of 100 holds 298 entries', () => {
    const stencil = (x: Tensor) => {
      const p = pad(x, [1], [1])
      return add(sub(slice(p, [0], [100]), mul(slice(p, [1], [100]), 2)), slice(p, [2], [100]))
    }
    expect(jacobianSparsity(stencil, x100, { maxEntries: 298 }).nnz).toBe(298)
    expect(() => jacobianSparsity(stencil, x100, { maxEntries: 297 })).toThrow(
      /output of add .* at least 29\d/,
    )
    // the input alone holds one entry per element
    expect(() => jacobianSparsity(stencil, x100, { maxEntries: 99 })).toThrow(/the input \[100\]/)
  })

  it('is checked in every kind of rule: moved, summed, multiplied, unions found to overlap less', () => {
    const limit = { maxEntries: 2000 }
    // broadcastTo shares one set among 100 elements: 100 × 100 entries
    expect(() => jacobianSparsity((x) => broadcastTo(reshape(sum(x), [1]), [100]), x100, limit)).toThrow(
      /output of broadcastTo/,
    )
    // an outer product: 100 × 100 elements of 2 entries
    const outer = (x: Tensor) => matmul(reshape(x, [100, 1]), reshape(x, [1, 100]))
    expect(() => jacobianSparsity(outer, x100, limit)).toThrow(/output of matmul \[100, 100\]/)
    // a custom op counts as dense
    const mix = defineOp({
      name: 'mix',
      impl: ([t]) => tanh(t!),
      jvp: ({ y, dx: [dx] }) => mul(dx!, sub(1, square(y))),
      vjp: ({ ct, y }) => [mul(ct, sub(1, square(y)))],
    })
    expect(() => jacobianSparsity((x) => mix(x), x100, limit)).toThrow(/output of mix/)
    // (x ⊙ Σ x[:50]) + Σ x[50:]: the operands' sets hold at most 51 entries, their unions 100, so
    // the count before the unions (5050) passes 8000 and the count while forming them does not
    const halves = (x: Tensor) => add(mul(x, sum(slice(x, [0], [50]))), sum(slice(x, [50], [50])))
    expect(jacobianSparsity(halves, x100, { maxEntries: 10_000 }).nnz).toBe(10_000)
    expect(() => jacobianSparsity(halves, x100, { maxEntries: 8000 })).toThrow(
      /output of add .* at least 80\d\d/,
    )
  })

  it('hessianSparsity names itself and the dense Hessian; sparseJacobian and sparseHessian pass it on', () => {
    const s = (x: Tensor) => square(sum(x))
    expect(() => hessianSparsity(s, x100, { maxEntries: 5000 })).toThrow(
      /^hessianSparsity: .* use the dense Hessian \(hessian\), or raise maxEntries$/,
    )
    expect(hessianSparsity(s, x100, { maxEntries: 10_000 }).nnz).toBe(10_000)
    expect(() => sparseJacobian(dense, { maxEntries: 1000 })(x100)).toThrow(
      /^jacobianSparsity: .*\(jacfwd or jacrev\)/,
    )
    expect(() => sparseHessian(s, { maxEntries: 1000 })(x100)).toThrow(/^hessianSparsity: /)
  })

  it('maxEntries must be a positive integer or Infinity', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10']) {
      expect(() => jacobianSparsity(dense, x100, { maxEntries: bad as number })).toThrow(
        /jacobianSparsity: maxEntries must be a positive integer or Infinity, got /,
      )
    }
    expect(jacobianSparsity(dense, x100, { maxEntries: Infinity }).nnz).toBe(10_000)
  })

  it('n = 20,000, dense: a ValueError at once, before the 4·10⁸ entries are formed', () => {
    const x = uniform([20_000], { seed: 2 })
    const start = performance.now()
    expect(() => jacobianSparsity(dense, x)).toThrow(
      /at least 400000000 possible nonzeros, more than maxEntries = 50000000/,
    )
    expect(() => sparseJacobian(dense)(x)).toThrow(ValueError)
    expect(performance.now() - start).toBeLessThan(10_000)
  })
})
