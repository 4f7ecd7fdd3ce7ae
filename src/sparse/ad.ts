import { fromData } from '../ops/create.js'
import type { FloatDType } from '../core/dtype.js'
import { checkOptions } from '../core/options.js'
import { ShapeError, ValueError, fmtShape } from '../core/errors.js'
import { isTensor, readConcrete, type Tensor } from '../core/tensor.js'
import { jvp } from '../forward/jvp.js'
import { grad, vjp } from '../reverse/vjp.js'
import { vmap } from '../vmap/vmap.js'
import type { Colouring, ColouringOptions } from './colouring.js'
import { SparsityError } from './errors.js'
import { symmetrize, type SparsityPattern } from './pattern.js'
import {
  checkPattern,
  sparseHessianFromProducts,
  sparseJacobianFromProducts,
  type BatchedProductFn,
  type ProductFn,
  type SparseJacobianMode,
  type SparseJacobianResult,
  type SparseResult,
} from './products.js'
import { hessianSparsity, jacobianSparsity } from '../jacobian/sparsity.js'

// ---------------------------------------------------------------------------------------------
// Sparse Jacobians and Hessians on the engine: the pattern comes from the index-set level (or
// the caller), the colouring from colouring.ts, and the compressed products from the
// engine's own JVP (all colours in one vector-mode pass), VJP and forward-over-reverse HVP.
// ---------------------------------------------------------------------------------------------

/**
 * Options of `sparseJacobian`.
 *
 * - `mode`: `'fwd'` colours columns and evaluates all colours in one vector-mode JVP; `'rev'`
 *   colours rows and evaluates one VJP per colour on a single tape; `'auto'` (the default) takes
 *   the mode with fewer colours, forward on a tie.
 * - `pattern`: a known pattern (output elements × input elements, row-major); detected by index
 *   sets at each call otherwise. A given pattern is checked cheaply against the function
 *   (`checkPattern`: the compressed products against what the pattern predicts, and two more
 *   JVPs, in a random direction s and at ¾s) unless `check: false`.
 * - `colouring`: a colouring of the pattern computed earlier (`colourColumns` for `'fwd'`,
 *   `colourRows` for `'rev'`), to skip the colouring at each call.
 * - `local`: detect the pattern at the point only (see `jacobianSparsity`); default global.
 * - `maxEntries`: the bound of the detection (see `SparsityOptions`).
 * - `ordering`: the vertex order of the colouring (see `ColouringOptions`).
 *
 * @example
 * import { sparseJacobian, bandedPattern, colourColumns, type SparseJacobianAdOptions } from 'dualtape/sparse'
 * import { tensor, slice, pad, sub, type Tensor } from 'dualtape'
 * import * as assert from 'node:assert'
 *
 * // y_i = x_{i-1} - x_{i+1} (zero outside): a known tridiagonal pattern and its colouring, reused
 * const f = (x: Tensor) => { const p = pad(x, [1], [1]); return sub(slice(p, [0], [5]), slice(p, [2], [5])) }
 * const pattern = bandedPattern(5, 1, 1)
 * const options: SparseJacobianAdOptions = { mode: 'fwd', pattern, colouring: colourColumns(pattern) }
 * const r = sparseJacobian(f, options)(tensor([1, 2, 3, 4, 5]))
 * assert.strictEqual(r.products, 3)
 * assert.strictEqual(r.matrix.get(2, 3), -1)
 */
export interface SparseJacobianAdOptions extends ColouringOptions {
  readonly mode?: SparseJacobianMode
  readonly pattern?: SparsityPattern
  readonly colouring?: Colouring
  readonly local?: boolean
  readonly maxEntries?: number
  readonly check?: boolean
}

/**
 * Options of `sparseHessian`.
 *
 * - `pattern`: a known symmetric pattern (n × n); detected by index sets through the gradient
 *   otherwise. A given pattern is checked (`checkPattern`: the compressed products against what
 *   the pattern predicts, and two more Hessian-vector products, in a random direction s and at
 *   ¾s) unless `check: false`.
 * - `colouring`: a star colouring of the pattern computed earlier (`colourStar`).
 * - `local`: detect the pattern at the point only; default global.
 * - `maxEntries`: the bound of the detection (see `SparsityOptions`).
 * - `ordering`: the vertex order of the star colouring.
 *
 * @example
 * import { sparseHessian, bandedPattern, type SparseHessianAdOptions } from 'dualtape/sparse'
 * import { tensor, sum, mul, slice, type Tensor } from 'dualtape'
 * import * as assert from 'node:assert'
 *
 * // f(x) = Σ x_i x_{i+1}: H has ones beside the diagonal
 * const f = (x: Tensor) => sum(mul(slice(x, [0], [4]), slice(x, [1], [4])))
 * const options: SparseHessianAdOptions = { pattern: bandedPattern(5, 1, 1), ordering: 'natural' }
 * const r = sparseHessian(f, options)(tensor([1, 2, 3, 4, 5]))
 * assert.deepStrictEqual(r.matrix.toDense()[1], [1, 0, 1, 0, 0])
 */
export interface SparseHessianAdOptions extends ColouringOptions {
  readonly pattern?: SparsityPattern
  readonly colouring?: Colouring
  readonly local?: boolean
  readonly maxEntries?: number
  readonly check?: boolean
}

const MODES: readonly string[] = ['fwd', 'rev', 'auto']

/** k seeds of length n as one tensor [k, ...shape] of the dtype and backend of `like`. */
function stackSeeds(seeds: readonly Float64Array[], like: Tensor): Tensor {
  const n = like.size
  const data =
    like.dtype === 'float64' ? new Float64Array(seeds.length * n) : new Float32Array(seeds.length * n)
  seeds.forEach((s, i) => data.set(s, i * n))
  return fromData(data, [seeds.length, ...like.shape], like.backend)
}

/** The rows of a [k, ...] tensor as k flat arrays. */
function unstack(t: Tensor, k: number): Float64Array[] {
  const all = readConcrete(t)
  const n = k === 0 ? 0 : all.length / k
  return Array.from({ length: k }, (_, i) => Float64Array.from(all.subarray(i * n, (i + 1) * n)))
}

/** Whether the input or an output seen so far is float32: the precision of the products. */
interface Precision {
  float32: boolean
}

const dtypeOf = (p: Precision): FloatDType => (p.float32 ? 'float32' : 'float64')

/** All seeds s_1 … s_k pushed through one vector-mode JVP of f at x: [J s_1, …, J s_k]. */
function batchedJvpOf(f: (x: Tensor) => Tensor, x: Tensor, precision: Precision) {
  return (seeds: readonly Float64Array[]): Float64Array[] => {
    if (seeds.length === 0) return []
    const [, dy] = jvp(f, [x], [stackSeeds(seeds, x)], { batched: true }) as [Tensor, Tensor]
    if (dy.dtype === 'float32') precision.float32 = true
    return unstack(dy, seeds.length)
  }
}

/**
 * sᵀ·J for a batch of seeds s: f recorded once on a tape (at the first call), and every seed
 * pulled back in one sweep, the pullback batched over the seeds by `vmap`.
 */
function batchedVjpOf(f: (x: Tensor) => Tensor, x: Tensor, precision: Precision) {
  let pullback: ((ct: Tensor) => unknown[]) | null = null
  let y: Tensor | null = null
  return (seeds: readonly Float64Array[]): Float64Array[] => {
    if (seeds.length === 0) return []
    if (pullback === null) {
      ;[y, pullback] = vjp(f, x)
      if (y!.dtype === 'float32') precision.float32 = true
    }
    const pb = pullback
    const rows = vmap((ct: Tensor) => pb(ct)[0] as Tensor)(stackSeeds(seeds, y!)) as Tensor
    return unstack(rows, seeds.length)
  }
}

/** The products a callback returns, kept in order: the compressed products, for the check. */
function recorder() {
  const products: ArrayLike<number>[] = []
  return {
    products,
    single:
      (product: ProductFn): ProductFn =>
      (s) => {
        const b = product(s)
        products.push(b)
        return b
      },
    batched:
      (product: BatchedProductFn): BatchedProductFn =>
      (seeds) => {
        const bs = product(seeds)
        for (const b of bs) products.push(b)
        return bs
      },
  }
}

function checkX(where: string, x: unknown, pattern: SparsityPattern | undefined): asserts x is Tensor {
  if (!isTensor(x)) throw new ValueError(`${where}: x must be a Tensor`)
  if (pattern !== undefined && pattern.nCols !== x.size) {
    throw new ShapeError(
      `${where}: the pattern has ${pattern.nCols} columns but x has shape ${fmtShape(x.shape)} (${x.size} elements)`,
    )
  }
}

/**
 * The Jacobian of f: R^n → R^m at x as a sparse matrix: the pattern (detected by index sets, or
 * given), a colouring that groups structurally orthogonal columns (or rows), one product per
 * colour — all colours of forward mode in a single vector-mode JVP — and recovery. A Jacobian
 * with at most ρ nonzeros per row needs about ρ products instead of n. Inputs and outputs of any
 * shape are flattened row-major. Throws a `SparsityError` for an unknown mode (at once) or for a
 * given pattern that misses nonzeros of f (naming the rows), a `ShapeError` for a pattern whose
 * number of columns is not x's size.
 *
 * @example
 * import { sparseJacobian } from 'dualtape/sparse'
 * import { tensor, sub, slice, tanh, type Tensor } from 'dualtape'
 * import * as assert from 'node:assert'
 *
 * // y_i = tanh(x_{i+1} - x_i): two nonzeros per row, two JVP directions in one pass
 * const f = (x: Tensor) => tanh(sub(slice(x, [1], [-1]), slice(x, [0], [4])))
 * const r = sparseJacobian(f, { mode: 'fwd' })(tensor([1, 2, 4, 7, 11]))
 * assert.strictEqual(r.colours, 2)
 * assert.strictEqual(r.matrix.get(0, 0), -(1 - Math.tanh(1) ** 2))
 */
export function sparseJacobian(
  f: (x: Tensor) => Tensor,
  options: SparseJacobianAdOptions = {},
): (x: Tensor) => SparseJacobianResult {
  if (typeof f !== 'function') throw new ValueError('sparseJacobian: the first argument must be a function')
  checkOptions('sparseJacobian', options)
  if (options.mode !== undefined && !MODES.includes(options.mode)) {
    throw new SparsityError(
      `sparseJacobian: unknown mode '${String(options.mode)}', expected 'fwd', 'rev' or 'auto'`,
    )
  }
  return (x: Tensor) => {
    checkX('sparseJacobian', x, options.pattern)
    const pattern =
      options.pattern ??
      jacobianSparsity(f, x, { local: options.local === true, maxEntries: options.maxEntries })
    const precision: Precision = { float32: x.dtype === 'float32' }
    const batchedJvp = batchedJvpOf(f, x, precision)
    // one tape, pulled back for all colours at once: the rows sᵀ J as one batched pullback
    const batchedVjp = batchedVjpOf(f, x, precision)
    const record = recorder()
    const result = sparseJacobianFromProducts(pattern, {
      ...options,
      mode: options.mode ?? 'auto',
      batchedJvp: record.batched(batchedJvp),
      batchedVjp: record.batched(batchedVjp),
    })
    if (options.pattern !== undefined && options.check !== false) {
      const { matrix, colouring } = result
      const check = { matrix, colouring, products: record.products, dtype: dtypeOf(precision) }
      checkPattern(pattern, (s) => batchedJvp([s])[0]!, check)
    }
    return result
  }
}

/**
 * The detected Hessian pattern, made symmetric: H = Hᵀ, so an entry found in one triangle is a
 * possible nonzero of the other.
 */
function detectHessian(
  f: (x: Tensor) => Tensor,
  x: Tensor,
  options: SparseHessianAdOptions,
): SparsityPattern {
  const pattern = hessianSparsity(f, x, { local: options.local === true, maxEntries: options.maxEntries })
  return pattern.isSymmetric() ? pattern : symmetrize(pattern)
}

/**
 * The Hessian of a scalar f at x as a sparse symmetric matrix: the pattern of ∇f's Jacobian
 * (detected by index sets through the reverse sweep, or given), a star colouring, all
 * Hessian-vector products of the colours in one vector-mode JVP of the gradient (forward over
 * reverse), and direct recovery. Throws a `SparsityError` for a given pattern that is not
 * symmetric or misses nonzeros of H (naming the rows), a `ShapeError` for a pattern whose size is
 * not x's.
 *
 * @example
 * import { sparseHessian } from 'dualtape/sparse'
 * import { tensor, sum, square, sub, slice, type Tensor } from 'dualtape'
 * import * as assert from 'node:assert'
 *
 * // f(x) = Σ (x_{i+1} - x_i)²: a tridiagonal Hessian from 3 Hessian-vector products
 * const f = (x: Tensor) => sum(square(sub(slice(x, [1], [-1]), slice(x, [0], [4]))))
 * const r = sparseHessian(f)(tensor([1, 2, 4, 7, 11]))
 * assert.strictEqual(r.products, 3)
 * assert.deepStrictEqual(r.matrix.toDense()[1], [-2, 4, -2, 0, 0])
 */
export function sparseHessian(
  f: (x: Tensor) => Tensor,
  options: SparseHessianAdOptions = {},
): (x: Tensor) => SparseResult {
  if (typeof f !== 'function') throw new ValueError('sparseHessian: the first argument must be a function')
  checkOptions('sparseHessian', options)
  return (x: Tensor) => {
    checkX('sparseHessian', x, options.pattern)
    const pattern = options.pattern ?? detectHessian(f, x, options)
    // H s = d/dε ∇f(x + ε s): forward over reverse, all seeds in one vector-mode pass
    const precision: Precision = { float32: x.dtype === 'float32' }
    const batchedHvp = batchedJvpOf(grad(f) as (t: Tensor) => Tensor, x, precision)
    const record = recorder()
    const result = sparseHessianFromProducts(pattern, { ...options, batchedHvp: record.batched(batchedHvp) })
    if (options.pattern !== undefined && options.check !== false) {
      const { matrix, colouring } = result
      const check = { matrix, colouring, products: record.products, dtype: dtypeOf(precision) }
      checkPattern(pattern, (s) => batchedHvp([s])[0]!, check)
    }
    return result
  }
}
