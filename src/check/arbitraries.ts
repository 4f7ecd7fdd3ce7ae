import fc from 'fast-check'
import { tensor } from '../ops/create.js'
import type { DType } from '../core/dtype.js'
import { Rng } from '../core/random.js'
import { type Shape, sizeOf } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import { ValueError, fmtShape } from '../core/errors.js'

// ---------------------------------------------------------------------------------------------
// Inputs for op contracts, as plain data: a shape, a value domain and a seed. A failing case
// prints as that data, shrinking makes the shapes small, and the values are drawn from the seed
// inside the domain, so kinks and ties stay out of reach of the finite-difference steps.
// ---------------------------------------------------------------------------------------------

/**
 * Where the values of a generated tensor lie:
 * - `real`: uniform in [-2, 2];
 * - `positive`: uniform in [0.5, 3] (log, sqrt, fractional powers);
 * - `nonzero`: ±[0.25, 2] (away from the kinks of abs, relu, sign at 0);
 * - `distinct`: pairwise at least 0.2 apart (no ties for max reductions);
 * - `gridA` / `gridB`: odd / even multiples of 1/4 in [-2, 2], jittered by at most 0.03, so a
 *   gridA tensor and a gridB tensor never come within 0.19 of each other (no ties for
 *   maximum, minimum and comparisons);
 * - `mask`: 0 or 1 (a condition for `where`);
 * - `{ indices: n }`: integers uniform in [0, n), repeats included (int32 index tensors, for `take`);
 * - `{ lo, hi }`: uniform in [lo, hi];
 * - matrices, for shapes [..., n, n] (each matrix of the stack drawn on its own), well away from
 *   the matrices the matrix functions cannot take: `spd`, symmetric positive definite
 *   (B Bᵀ / n + I, B uniform in [-1, 1]: eigenvalues in [1, n + 1]); `invertible`, a diagonal of
 *   ±[1.5, 2.5] plus entries uniform in ±1/n (each row diagonally dominant by more than 1/2, so
 *   ‖A⁻¹‖∞ < 2; determinants of either sign); `symmetric`, Q diag(λ) Qᵀ with Q a random rotation and
 *   eigenvalues at least 0.5 apart (for eigh).
 *
 * @example
 * import { specValues, type Domain } from 'dualtape/check'
 * const domain: Domain = { lo: 1, hi: 2 }
 * specValues({ shape: [4], domain, seed: 0 }).every((v) => v >= 1 && v <= 2) // → true
 */
export type Domain =
  | 'real'
  | 'mask'
  | 'positive'
  | 'nonzero'
  | 'distinct'
  | 'gridA'
  | 'gridB'
  | 'spd'
  | 'invertible'
  | 'symmetric'
  | { readonly lo: number; readonly hi: number }
  | { readonly indices: number }

/**
 * A generated tensor as data: its values are drawn from `seed` inside `domain`.
 *
 * @example
 * import { materialize, type ArraySpec } from 'dualtape/check'
 * const spec: ArraySpec = { shape: [2, 2], domain: 'nonzero', seed: 5, dtype: 'float32' }
 * materialize(spec).dtype // → 'float32'
 * // the values come from the seed: the same spec gives the same tensor
 * JSON.stringify(materialize(spec).toArray()) === JSON.stringify(materialize(spec).toArray()) // → true
 */
export interface ArraySpec {
  readonly shape: Shape
  readonly domain: Domain
  readonly seed: number
  /** float64 by default. */
  readonly dtype?: DType
}

/**
 * One application of an op: its inputs, its parameters, and which inputs are held constant.
 *
 * @example
 * import { checkContract, type OpCase } from 'dualtape/check'
 * import * as E from 'fp-ts/lib/Either.js'
 * const c: OpCase<null> = {
 *   inputs: [
 *     { shape: [3], domain: 'real', seed: 1 },
 *     { shape: [3], domain: 'real', seed: 2 },
 *   ],
 *   params: null,
 * }
 * E.isRight(checkContract('mul', c, 0)) // → true
 */
export interface OpCase<P> {
  readonly inputs: readonly ArraySpec[]
  readonly params: P
  /** Indices of inputs that are not differentiated (a `where` condition, say). */
  readonly constants?: readonly number[]
}

/**
 * The values of a spec, row-major.
 *
 * @example
 * import { specValues } from 'dualtape/check'
 * specValues({ shape: [3], domain: 'positive', seed: 0 }).every((v) => v >= 0.5) // true
 */
export function specValues(spec: ArraySpec): Float64Array {
  const n = sizeOf(spec.shape)
  const rng = new Rng(spec.seed)
  const out = new Float64Array(n)
  const d = spec.domain
  const jitter = (): number => (rng.uniform() * 2 - 1) * 0.03
  if (d === 'distinct') {
    // a random permutation of a grid with spacing 0.3, centred on 0, jittered by ≤ 0.05
    const perm = Array.from({ length: n }, (_, i) => i)
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1))
      ;[perm[i], perm[j]] = [perm[j]!, perm[i]!]
    }
    for (let i = 0; i < n; i++) out[i] = (perm[i]! - (n - 1) / 2) * 0.3 + (rng.uniform() * 2 - 1) * 0.05
    return out
  }
  if (d === 'spd' || d === 'invertible' || d === 'symmetric') {
    const k = spec.shape[spec.shape.length - 1] ?? 0
    if (spec.shape.length < 2 || k !== spec.shape[spec.shape.length - 2]) {
      throw new ValueError(
        `specValues: the domain '${d}' needs a shape [..., n, n], got ${fmtShape(spec.shape)}`,
      )
    }
    for (let o = 0; o < n; o += k * k) matrixValues(d, k, rng, out, o)
    return out
  }
  for (let i = 0; i < n; i++) {
    const r = rng.uniform()
    if (d === 'real') out[i] = -2 + 4 * r
    else if (d === 'mask') out[i] = r < 0.5 ? 0 : 1
    else if (d === 'positive') out[i] = 0.5 + 2.5 * r
    else if (d === 'nonzero') out[i] = (rng.uniform() < 0.5 ? -1 : 1) * (0.25 + 1.75 * r)
    else if (d === 'gridA') out[i] = (2 * Math.floor(r * 8) - 7) * 0.25 + jitter()
    else if (d === 'gridB') out[i] = (2 * Math.floor(r * 9) - 8) * 0.25 + jitter()
    else if ('indices' in d) out[i] = Math.min(d.indices - 1, Math.floor(r * d.indices))
    else out[i] = d.lo + (d.hi - d.lo) * r
  }
  return out
}

/** One n×n matrix of a matrix domain, written at `o`. */
function matrixValues(
  d: 'spd' | 'invertible' | 'symmetric',
  n: number,
  rng: Rng,
  out: Float64Array,
  o: number,
): void {
  const b = Array.from({ length: n * n }, () => 2 * rng.uniform() - 1)
  if (d === 'invertible') {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) out[o + i * n + j] = b[i * n + j]! / n
      out[o + i * n + i] = (rng.uniform() < 0.5 ? -1 : 1) * (1.5 + rng.uniform())
    }
    return
  }
  if (d === 'spd') {
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = i === j ? 1 : 0
        for (let p = 0; p < n; p++) s += (b[i * n + p]! * b[j * n + p]!) / n
        out[o + i * n + j] = s
      }
    return
  }
  // Q from Gram–Schmidt on the columns of B + 2I (independent), then Q diag(λ) Qᵀ
  const q = b.map((v, i) => v + (i % (n + 1) === 0 ? 2 : 0))
  for (let c = 0; c < n; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0
      for (let r = 0; r < n; r++) dot += q[r * n + c]! * q[r * n + p]!
      for (let r = 0; r < n; r++) q[r * n + c]! -= dot * q[r * n + p]!
    }
    let norm = 0
    for (let r = 0; r < n; r++) norm += q[r * n + c]! ** 2
    for (let r = 0; r < n; r++) q[r * n + c]! /= Math.sqrt(norm)
  }
  const lam = Array.from({ length: n }, (_, i) => (i - (n - 1) / 2) * 0.8 + 0.1 * rng.uniform())
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let p = 0; p < n; p++) s += q[i * n + p]! * lam[p]! * q[j * n + p]!
      out[o + i * n + j] = s
    }
}

/**
 * The tensor a spec describes.
 *
 * @example
 * import { materialize } from 'dualtape/check'
 * materialize({ shape: [2, 3], domain: 'positive', seed: 1 }).shape // [2, 3]
 */
export function materialize(spec: ArraySpec): Tensor {
  return tensor(specValues(spec), { shape: spec.shape, dtype: spec.dtype ?? 'float64' })
}

/**
 * Options of `shapes`.
 *
 * @example
 * import { shapes, type ShapeOptions } from 'dualtape/check'
 * import fc from 'fast-check'
 * const options: ShapeOptions = { minRank: 1, maxRank: 1, minDim: 4, maxDim: 4 }
 * fc.sample(shapes(options), 2) // → [[4], [4]]
 */
export interface ShapeOptions {
  readonly minRank?: number
  readonly maxRank?: number
  /** Largest size of an axis (sizes start at `minDim`, 1 by default). */
  readonly maxDim?: number
  readonly minDim?: number
}

/**
 * Shapes with ranks in [minRank, maxRank] (0 and 3 by default) and sizes in [minDim, maxDim]
 * (1 and 3). They shrink towards low rank and size 1.
 *
 * @example
 * import { shapes } from 'dualtape/check'
 * import fc from 'fast-check'
 * fc.sample(shapes({ minRank: 2, maxRank: 2 }), 1)[0].length // 2
 */
export function shapes(o: ShapeOptions = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: o.minDim ?? 1, max: o.maxDim ?? 3 }), {
    minLength: o.minRank ?? 0,
    maxLength: o.maxRank ?? 3,
  })
}

/**
 * A seed for the values of a spec (it shrinks to 0).
 *
 * @example
 * import { seeds } from 'dualtape/check'
 * import fc from 'fast-check'
 * const spec = fc.tuple(fc.constant([2, 2]), seeds()).map(([shape, seed]) => ({ shape, domain: 'real', seed }))
 */
export const seeds = (): fc.Arbitrary<number> => fc.integer({ min: 0, max: 0x7fffffff })

/**
 * Specs of a given shape arbitrary and domain.
 *
 * @example
 * import { arrays, shapes } from 'dualtape/check'
 * const positiveMatrices = arrays(shapes({ minRank: 2, maxRank: 2 }), 'positive')
 */
export function arrays(
  shape: fc.Arbitrary<Shape>,
  domain: Domain = 'real',
  dtype?: DType,
): fc.Arbitrary<ArraySpec> {
  return fc
    .tuple(shape, seeds())
    .map(([s, seed]): ArraySpec =>
      dtype === undefined ? { shape: s, domain, seed } : { shape: s, domain, seed, dtype },
    )
}

/**
 * `count` shapes (2 by default) that broadcast together: a common shape, each operand dropping
 * some leading axes and turning some others to 1. Shrinks towards small, equal shapes.
 *
 * @example
 * import { broadcastingShapes } from 'dualtape/check'
 * import fc from 'fast-check'
 * const [a, b] = fc.sample(broadcastingShapes(), 1)[0] // e.g. [2, 1, 3] and [3]
 */
export function broadcastingShapes(o: ShapeOptions = {}, count = 2): fc.Arbitrary<number[][]> {
  const side = fc.record({ drop: fc.nat({ max: 3 }), ones: fc.array(fc.boolean(), { maxLength: 3 }) })
  const sides = fc.array(side, { minLength: count, maxLength: count })
  return fc.tuple(shapes(o), sides).map(([full, ss]) =>
    ss.map((s) => {
      const kept = full.slice(Math.min(s.drop, full.length))
      const off = full.length - kept.length
      return kept.map((d, i) => (s.ones[i + off] === true ? 1 : d))
    }),
  )
}

/**
 * An op case from one arbitrary per input and an arbitrary of the parameters (null by default).
 *
 * @example
 * import { opCase, arrays, shapes } from 'dualtape/check'
 * const cases = opCase([arrays(shapes(), 'positive')]) // one positive input, params null
 */
export function opCase(inputs: readonly fc.Arbitrary<ArraySpec>[]): fc.Arbitrary<OpCase<null>>
export function opCase<P>(
  inputs: readonly fc.Arbitrary<ArraySpec>[],
  params: fc.Arbitrary<P>,
): fc.Arbitrary<OpCase<P>>
export function opCase<P>(
  inputs: readonly fc.Arbitrary<ArraySpec>[],
  params?: fc.Arbitrary<P>,
): fc.Arbitrary<OpCase<P>> {
  const p = params ?? (fc.constant(null) as unknown as fc.Arbitrary<P>)
  return fc.tuple(fc.tuple(...inputs), p).map(([xs, ps]): OpCase<P> => ({ inputs: xs, params: ps }))
}
