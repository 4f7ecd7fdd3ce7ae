import fc from 'fast-check'
import {
  type ArraySpec,
  type ContractCheck,
  type Domain,
  type OpCase,
  type ShapeOptions,
  arrays,
  broadcastingShapes as broadcastingShapesOf,
  opCase,
  seeds,
  shapes as shapesOf,
} from '../src/check/index.js'
import { Rng } from '../src/core/random.js'
import { broadcastShapes, sizeOf } from '../src/core/shape.js'
import type { OpName, OpParams } from '../src/ops/registry.js'
import type { ReduceParams } from '../src/ops/reduce.js'

// ---------------------------------------------------------------------------------------------
// One sampler per primitive: shapes (broadcasting ones for binary ops, batched ones for
// matmul), values inside the op's domain and away from its kinks and ties, and parameters.
// The table is a mapped type over the op names, so a new op without a sampler fails tsc.
// ---------------------------------------------------------------------------------------------

/** How to generate cases for one op, and the contract laws that do not apply to it (with why). */
export interface Sampler<P> {
  readonly cases: fc.Arbitrary<OpCase<P>>
  readonly skip?: { readonly checks: readonly ContractCheck[]; readonly why: string }
}

const spec = (shape: readonly number[], domain: Domain, seed: number): ArraySpec => ({
  shape,
  domain,
  seed,
})

/** An int32 index tensor of shape `shape` with entries in [0, n). */
const index = (shape: readonly number[], n: number, seed: number): ArraySpec => ({
  shape,
  domain: { indices: Math.max(n, 1) },
  seed,
  dtype: 'int32',
})

/** A seeded permutation of 0 … n−1. */
function permutation(n: number, seed: number): number[] {
  const rng = new Rng(seed)
  const p = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1))
    ;[p[i], p[j]] = [p[j]!, p[i]!]
  }
  return p
}

/** The samplers of every op, over shapes whose axes have at least `minDim` elements (0: some may be empty). */
function makeSamplers(minDim: number): { readonly [K in OpName]: Sampler<OpParams[K]> } {
  const shapes = (o: ShapeOptions = {}) => shapesOf({ minDim, ...o })
  const broadcastingShapes = (o: ShapeOptions = {}, count?: number) =>
    broadcastingShapesOf({ minDim, ...o }, count)
  /** An elementwise op of one input in `domain`, on any shape up to rank 3. */
  const unary = (domain: Domain): Sampler<null> => ({ cases: opCase([arrays(shapes(), domain)]) })

  /** Two inputs of broadcasting shapes, in domains `da` and `db`. */
  const binary = (da: Domain, db: Domain): Sampler<null> => ({
    cases: fc.tuple(broadcastingShapes(), seeds(), seeds()).map(([[a, b], sa, sb]) => ({
      inputs: [spec(a!, da, sa), spec(b!, db, sb)],
      params: null,
    })),
  })

  /** A reduction over a subset of the axes (possibly none, possibly all), with or without keepdims. */
  const reduction = (domain: Domain): Sampler<ReduceParams> => ({
    cases: fc
      .tuple(shapes(), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.boolean(), seeds())
      .map(([shape, pick, keepdims, seed]) => ({
        inputs: [spec(shape, domain, seed)],
        params: { axes: shape.map((_, i) => i).filter((i) => pick[i] === true), keepdims },
      })),
  })

  /** Stacks of n×n matrices in `domain`: batch axes of up to one axis of 2, n from 1 to 4. */
  const matrices = (domain: Domain): fc.Arbitrary<ArraySpec> =>
    fc
      .tuple(shapes({ maxRank: 1, maxDim: 2 }), fc.integer({ min: Math.max(minDim, 1), max: 4 }), seeds())
      .map(([batch, n, seed]) => spec([...batch, n, n], domain, seed))

  /** A [..., n, n] in `domain` and B [..., n, m], their batch axes broadcasting. */
  const systems = (domain: Domain) =>
    fc
      .tuple(
        broadcastingShapes({ maxRank: 1, maxDim: 2 }),
        fc.integer({ min: Math.max(minDim, 1), max: 4 }),
        fc.integer({ min: minDim, max: 3 }),
        seeds(),
        seeds(),
      )
      .map(([[ba, bb], n, m, sa, sb]) => [spec([...ba!, n, n], domain, sa), spec([...bb!, n, m], 'real', sb)])
  /** argmax and argmin along one nonempty axis of distinct values. */
  const positions = (): Sampler<{ readonly axis: number }> => ({
    cases: fc
      .tuple(shapes({ minRank: 1 }), fc.nat(), seeds())
      .filter(([shape, ax]) => shape[ax % shape.length]! > 0)
      .map(([shape, ax, seed]) => ({
        inputs: [spec(shape, 'distinct', seed)],
        params: { axis: ax % shape.length },
        constants: [0],
      })),
  })

  /** Ops whose output is piecewise constant: their derivative is 0 away from ties. */
  const comparison = binary('gridA', 'gridB')

  return {
    neg: unary('real'),
    exp: unary('real'),
    log: unary('positive'),
    // x > -1; away from the pole at -1
    log1p: unary({ lo: -0.5, hi: 3 }),
    expm1: unary('real'),
    sin: unary('real'),
    cos: unary('real'),
    atan: unary('real'),
    // inside (-1, 1), away from the infinite derivatives at ±1
    asin: unary({ lo: -0.8, hi: 0.8 }),
    acos: unary({ lo: -0.8, hi: 0.8 }),
    erf: unary('real'),
    sinh: unary('real'),
    cosh: unary('real'),
    tan: unary({ lo: -1.2, hi: 1.2 }),
    tanh: unary('real'),
    sigmoid: unary('real'),
    softplus: unary('real'),
    logSigmoid: unary('real'),
    sqrt: unary('positive'),
    square: unary('real'),
    // kinks at 0: keep |x| ≥ 1/4
    abs: unary('nonzero'),
    relu: unary('nonzero'),
    sign: unary('nonzero'),
    pow: {
      cases: opCase(
        [arrays(shapes(), 'positive')],
        fc.constantFrom(2, 3, 0.5, -1, -1.5, 1, 0).map((p) => ({ p })),
      ),
    },
    // x > 0 with any exponent (both differentiated), or x < 0 with integer exponents (x only)
    powTensor: {
      cases: fc
        .tuple(broadcastingShapes(), seeds(), seeds(), fc.boolean())
        .map(([[a, b], sa, sb, negative]) =>
          negative
            ? {
                inputs: [spec(a!, { lo: -2, hi: -0.5 }, sa), spec(b!, { indices: 4 }, sb)],
                params: null,
                constants: [1],
              }
            : { inputs: [spec(a!, 'positive', sa), spec(b!, 'real', sb)], params: null },
        ),
    },
    // gridA values never come within 0.19 of the bounds, even multiples of 1/4
    clip: {
      cases: opCase(
        [arrays(shapes(), 'gridA')],
        fc.constantFrom(
          { lo: -0.5, hi: 1 },
          { lo: -1.5, hi: 0 },
          { lo: 0, hi: 0 },
          { lo: -Infinity, hi: 0.5 },
        ),
      ),
    },
    // away from the origin, where atan2 jumps
    atan2: binary('nonzero', 'nonzero'),
    add: binary('real', 'real'),
    sub: binary('real', 'real'),
    mul: binary('real', 'real'),
    div: binary('real', 'nonzero'),
    // the two grids never come within 0.19 of each other: no ties
    maximum: binary('gridA', 'gridB'),
    minimum: binary('gridA', 'gridB'),
    greater: comparison,
    greaterEqual: comparison,
    less: comparison,
    lessEqual: comparison,
    equal: comparison,
    where: {
      cases: fc
        .tuple(broadcastingShapes({}, 3), seeds(), seeds(), seeds())
        .map(([[c, a, b], s0, s1, s2]) => ({
          inputs: [spec(c!, 'mask', s0), spec(a!, 'real', s1), spec(b!, 'real', s2)],
          params: null,
          // the condition is piecewise constant: it is not differentiated
          constants: [0],
        })),
    },
    matmul: {
      cases: fc
        .tuple(
          broadcastingShapes({ maxRank: 2, maxDim: 2 }),
          fc.array(fc.integer({ min: minDim, max: 3 }), { minLength: 3, maxLength: 3 }),
          fc.boolean(),
          fc.boolean(),
          seeds(),
          seeds(),
        )
        .map(([[ba, bb], [n, k, m], transA, transB, sa, sb]) => ({
          inputs: [
            spec([...ba!, ...(transA ? [k!, n!] : [n!, k!])], 'real', sa),
            spec([...bb!, ...(transB ? [m!, k!] : [k!, m!])], 'real', sb),
          ],
          params: { transA, transB },
        })),
    },
    reshape: {
      cases: fc.tuple(shapes(), fc.integer({ min: 0, max: 3 }), seeds()).map(([shape, how, seed]) => {
        const size = sizeOf(shape)
        const to =
          how === 0
            ? [size]
            : how === 1
              ? [...shape].reverse()
              : how === 2
                ? [1, ...shape]
                : shape.length >= 2
                  ? [shape[0]! * shape[1]!, ...shape.slice(2)]
                  : [...shape, 1]
        return { inputs: [spec(shape, 'real', seed)], params: { shape: to } }
      }),
    },
    transpose: {
      cases: fc.tuple(shapes(), seeds(), seeds()).map(([shape, ps, seed]) => ({
        inputs: [spec(shape, 'real', seed)],
        params: { perm: permutation(shape.length, ps) },
      })),
    },
    broadcastTo: {
      cases: fc.tuple(broadcastingShapes(), seeds()).map(([[a, b], seed]) => ({
        inputs: [spec(a!, 'real', seed)],
        params: { shape: broadcastShapes('broadcastTo', a!, b!) },
      })),
    },
    concat: {
      cases: fc
        .tuple(
          shapes({ minRank: 1 }),
          fc.nat(),
          fc.array(fc.tuple(fc.integer({ min: minDim, max: 3 }), seeds()), { minLength: 2, maxLength: 3 }),
        )
        .map(([shape, ax, parts]) => {
          const axis = ax % shape.length
          return {
            inputs: parts.map(([d, seed]) =>
              spec(
                shape.map((s, i) => (i === axis ? d : s)),
                'real',
                seed,
              ),
            ),
            params: { axis },
          }
        }),
    },
    slice: {
      cases: fc
        .tuple(shapes(), fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 3, maxLength: 3 }), seeds())
        .map(([shape, bs, seed]) => {
          // an empty axis has one box: at 0, of size 0
          const begin = shape.map((d, i) => (d === 0 ? 0 : bs[i]![0] % d))
          const size = shape.map((d, i) => (d === 0 ? 0 : 1 + (bs[i]![1] % (d - begin[i]!))))
          return { inputs: [spec(shape, 'real', seed)], params: { begin, size } }
        }),
    },
    pad: {
      cases: fc
        .tuple(
          shapes(),
          fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 2 })), { minLength: 3, maxLength: 3 }),
          seeds(),
        )
        .map(([shape, ws, seed]) => ({
          inputs: [spec(shape, 'real', seed)],
          params: { before: shape.map((_, i) => ws[i]![0]), after: shape.map((_, i) => ws[i]![1]) },
        })),
    },
    cast: {
      cases: fc
        .tuple(
          shapes(),
          fc.constantFrom('float64', 'float32'),
          fc.constantFrom('float64', 'float32'),
          seeds(),
        )
        .map(([shape, from, to, seed]) => ({
          inputs: [{ ...spec(shape, 'real', seed), dtype: from }],
          params: { dtype: to },
        })),
    },
    stopGradient: {
      ...unary('real'),
      skip: {
        checks: ['jvp-fd', 'second-order'],
        why: 'stopGradient is the identity with a derivative defined to be 0, so finite differences do not apply',
      },
    },
    take: {
      cases: fc
        .tuple(shapes({ minRank: 1 }), fc.nat(), shapes({ maxRank: 2, maxDim: 4 }), seeds(), seeds())
        .map(([shape, ax, is, sx, si]) => {
          const axis = ax % shape.length
          const n = shape[axis]!
          return {
            // indices uniform in [0, n): with more of them than n, some repeat
            inputs: [spec(shape, 'real', sx), index(n === 0 ? [0] : is, n, si)],
            params: { axis },
            constants: [1],
          }
        }),
    },
    scatterAdd: {
      cases: fc
        .tuple(shapes({ minRank: 1 }), fc.nat(), shapes({ maxRank: 2, maxDim: 4 }), seeds(), seeds())
        .map(([shape, ax, is, sx, si]) => {
          const axis = ax % shape.length
          const n = shape[axis]!
          const ishape = n === 0 ? [0] : is
          return {
            inputs: [
              spec([...shape.slice(0, axis), ...ishape, ...shape.slice(axis + 1)], 'real', sx),
              index(ishape, n, si),
            ],
            params: { axis, size: n },
            constants: [1],
          }
        }),
    },
    sum: reduction('real'),
    // distinct values: no ties inside a reduction
    max: reduction('distinct'),
    logsumexp: reduction('real'),
    cholesky: { cases: matrices('spd').map((a) => ({ inputs: [a], params: null })) },
    triangularSolve: {
      cases: fc
        .tuple(systems('invertible'), fc.boolean(), fc.boolean())
        .map(([inputs, lower, transA]) => ({ inputs, params: { lower, transA } })),
    },
    solve: {
      cases: fc
        .tuple(systems('invertible'), fc.boolean())
        .map(([inputs, transA]) => ({ inputs, params: { transA } })),
    },
    // log |det| of any invertible matrix; logdet (positive) of positive-definite ones
    logAbsDet: {
      cases: fc
        .tuple(fc.boolean(), matrices('invertible'), matrices('spd'))
        .map(([positive, a, s]) => ({ inputs: [positive ? s : a], params: { positive } })),
    },
    detSign: { cases: matrices('invertible').map((a) => ({ inputs: [a], params: null })) },
    // symmetric with eigenvalues 0.5 apart: the eigenvectors are differentiable
    eigh: { cases: matrices('symmetric').map((a) => ({ inputs: [a], params: null })) },
    min: reduction('distinct'),
    prod: reduction('real'),
    cumsum: {
      cases: fc
        .tuple(shapes({ minRank: 1 }), fc.nat(), fc.boolean(), seeds())
        .map(([shape, ax, reverse, seed]) => ({
          inputs: [spec(shape, 'real', seed)],
          params: { axis: ax % shape.length, reverse },
        })),
    },
    // an int32 result, no derivative: only the shape and mutation laws apply (the input is held constant)
    argmax: positions(),
    argmin: positions(),
  }
}

/** One sampler per op, on shapes of at least one element per axis. */
export const samplers = makeSamplers(1)

/**
 * One sampler per op on zero-size tensors: the same cases with axes of size 0 allowed, and only
 * those where some input holds no element (for the agreement of backends at the edges).
 */
export const emptySamplers = Object.fromEntries(
  Object.entries(makeSamplers(0)).map(([name, s]) => [
    name,
    {
      ...s,
      cases: (s.cases as fc.Arbitrary<OpCase<unknown>>).filter((c) =>
        c.inputs.some((x) => sizeOf(x.shape) === 0),
      ),
    },
  ]),
) as unknown as { readonly [K in OpName]: Sampler<OpParams[K]> }
