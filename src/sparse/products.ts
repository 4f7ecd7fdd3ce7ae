/**
 * Sparse Jacobians and Hessians from matrix-free products.
 *
 * The derivative engine is reached only through callbacks on Float64Array: a JVP s ↦ J·s, a VJP
 * s ↦ sᵀ·J, or a Hessian-vector product s ↦ H·s, each optionally batched (all seeds in one call,
 * for an engine that pushes several tangents at once). The functions here colour the pattern,
 * evaluate one product per colour, and decompress.
 *
 * @module
 */

import type { FloatDType } from '../core/dtype.js'
import { colourColumns, colourRows, colourStar, type Colouring, type ColouringOptions } from './colouring.js'
import { decompressColumns, decompressRows, decompressStar, seedVectors } from './decompress.js'
import { SparsityError } from './errors.js'
import { SparseMatrix } from './matrix.js'
import type { SparsityPattern } from './pattern.js'

// ---------------------------------------------------------------------------------------------
// types
// ---------------------------------------------------------------------------------------------

/**
 * A matrix-free product: a JVP (s of length n ↦ J·s of length m), a VJP (s of length m ↦ sᵀ·J
 * of length n) or a Hessian-vector product (s ↦ H·s). It may keep the seed it receives.
 *
 * @example
 * import type { ProductFn } from 'dualtape/sparse'
 *
 * // J = diag(2, 3)
 * const jvp: ProductFn = (s) => Float64Array.of(2 * s[0]!, 3 * s[1]!)
 * jvp(Float64Array.of(1, 1))
 */
export type ProductFn = (seed: Float64Array) => ArrayLike<number>

/**
 * A batched product: all seeds at once, one result per seed, in order.
 *
 * @example
 * import type { BatchedProductFn } from 'dualtape/sparse'
 *
 * const batchedJvp: BatchedProductFn = (seeds) => seeds.map((s) => Float64Array.of(2 * s[0]!, 3 * s[1]!))
 * batchedJvp([Float64Array.of(1, 1)])
 */
export type BatchedProductFn = (seeds: readonly Float64Array[]) => readonly ArrayLike<number>[]

/**
 * How a sparse Jacobian is compressed: `'fwd'` colours columns and calls the JVP, `'rev'` colours
 * rows and calls the VJP, `'auto'` colours both (where both products are given) and takes the one
 * with fewer colours, forward mode on a tie.
 *
 * @example
 * import type { SparseJacobianMode } from 'dualtape/sparse'
 *
 * const mode: SparseJacobianMode = 'rev'
 * void mode
 */
export type SparseJacobianMode = 'fwd' | 'rev' | 'auto'

/**
 * Options of `sparseJacobianFromProducts`.
 *
 * - `mode`: see `SparseJacobianMode`; the default is `'auto'`, or the mode of `colouring`.
 * - `jvp` / `batchedJvp`: J·s for forward mode (the batched one is preferred when both are given).
 * - `vjp` / `batchedVjp`: sᵀ·J for reverse mode.
 * - `colouring`: a colouring computed earlier by `colourColumns` or `colourRows`, to reuse it
 *   across many evaluations with the same pattern (it is checked in O(nnz)).
 * - `ordering`: the vertex order of the colouring (see `ColouringOptions`).
 *
 * @example
 * import { sparseJacobianFromProducts, bandedPattern, type SparseJacobianOptions } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const options: SparseJacobianOptions = { mode: 'fwd', jvp: (s) => s.map((v) => 2 * v) }
 * assert.strictEqual(sparseJacobianFromProducts(bandedPattern(4, 0, 0), options).matrix.get(3, 3), 2)
 */
export interface SparseJacobianOptions extends ColouringOptions {
  readonly mode?: SparseJacobianMode
  readonly jvp?: ProductFn
  readonly vjp?: ProductFn
  readonly batchedJvp?: BatchedProductFn
  readonly batchedVjp?: BatchedProductFn
  readonly colouring?: Colouring
}

/**
 * The result of a sparse Jacobian or Hessian evaluation: the matrix, the number of colours, the
 * colouring's lower bound, the number of product vectors evaluated (one per colour), and the
 * colouring itself (reuse it through the `colouring` option).
 *
 * @example
 * import { sparseHessianFromProducts, bandedPattern, type SparseResult } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const r: SparseResult = sparseHessianFromProducts(bandedPattern(3, 0, 0), (s) => s)
 * assert.strictEqual(r.products, 1)
 */
export interface SparseResult {
  readonly matrix: SparseMatrix
  readonly colours: number
  readonly lowerBound: number
  readonly products: number
  readonly colouring: Colouring
}

/**
 * The result of `sparseJacobianFromProducts`: a `SparseResult` and the mode that was used.
 *
 * @example
 * import { sparseJacobianFromProducts, bandedPattern, type SparseJacobianResult } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const r: SparseJacobianResult = sparseJacobianFromProducts(bandedPattern(3, 0, 0), { vjp: (s) => s })
 * assert.strictEqual(r.mode, 'rev')
 */
export interface SparseJacobianResult extends SparseResult {
  readonly mode: 'fwd' | 'rev'
}

/**
 * Options of `sparseHessianFromProducts`: the Hessian-vector product (plain or batched), and
 * optionally a star colouring to reuse and the vertex order.
 *
 * @example
 * import { sparseHessianFromProducts, bandedPattern, type SparseHessianOptions } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const options: SparseHessianOptions = { batchedHvp: (seeds) => seeds, ordering: 'smallest-last' }
 * assert.strictEqual(sparseHessianFromProducts(bandedPattern(3, 0, 0), options).matrix.get(1, 1), 1)
 */
export interface SparseHessianOptions extends ColouringOptions {
  readonly hvp?: ProductFn
  readonly batchedHvp?: BatchedProductFn
  readonly colouring?: Colouring
}

// ---------------------------------------------------------------------------------------------
// evaluation
// ---------------------------------------------------------------------------------------------

const MODES: readonly string[] = ['fwd', 'rev', 'auto']

/** Evaluates one product per seed and checks their number and lengths. */
function evaluate(
  where: string,
  name: string,
  seeds: Float64Array[],
  single: ProductFn | undefined,
  batched: BatchedProductFn | undefined,
  expected: number,
  expectation: string,
): readonly ArrayLike<number>[] {
  const inputLength = seeds[0]?.length ?? 0
  const outputs = batched !== undefined ? batched(seeds) : seeds.map((s) => single!(s))
  if (outputs.length !== seeds.length) {
    throw new SparsityError(
      `${where}: batched ${name} returned ${outputs.length} vectors for ${seeds.length} seeds`,
    )
  }
  outputs.forEach((b) => {
    if (b === null || typeof b !== 'object' || typeof b.length !== 'number' || b.length !== expected) {
      const got = b === null || typeof b !== 'object' ? String(b) : `a vector of length ${String(b.length)}`
      throw new SparsityError(
        `${where}: ${name} returned ${got} for a seed of length ${inputLength}, but ${expectation} has length ${expected}`,
      )
    }
  })
  return outputs
}

function shapeText(pattern: SparsityPattern): string {
  return `${pattern.nRows}×${pattern.nCols}`
}

/**
 * A sparse Jacobian from JVPs or VJPs: colour the columns (forward) or rows (reverse) of the
 * pattern, evaluate one product per colour on the seed vectors, decompress. The pattern must
 * contain every structural nonzero of J (see `checkPattern`). Throws a `SparsityError` for an
 * unknown mode, a missing product for the chosen mode, a colouring that does not fit, or a product
 * whose length does not match the pattern's shape (J·s has length nRows, sᵀ·J length nCols).
 *
 * @example
 * import { sparseJacobianFromProducts, bandedPattern } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * // f(x)_i = x_{i-1} - 2 x_i + x_{i+1}: J is tridiagonal, 3 JVPs for any n
 * const n = 6
 * const jvp = (s: Float64Array) => s.map((v, i) => (s[i - 1] ?? 0) - 2 * v + (s[i + 1] ?? 0))
 * const r = sparseJacobianFromProducts(bandedPattern(n, 1, 1), { mode: 'fwd', jvp })
 * assert.strictEqual(r.products, 3)
 * assert.strictEqual(r.matrix.get(2, 1), 1)
 * assert.strictEqual(r.matrix.get(2, 2), -2)
 */
export function sparseJacobianFromProducts(
  pattern: SparsityPattern,
  options: SparseJacobianOptions,
): SparseJacobianResult {
  const where = 'sparseJacobianFromProducts'
  const { colouring: given } = options
  const requested = options.mode ?? 'auto'
  if (!MODES.includes(requested)) {
    throw new SparsityError(`${where}: unknown mode '${String(requested)}', expected 'fwd', 'rev' or 'auto'`)
  }
  const hasFwd = options.jvp !== undefined || options.batchedJvp !== undefined
  const hasRev = options.vjp !== undefined || options.batchedVjp !== undefined

  let mode: 'fwd' | 'rev'
  let colouring: Colouring
  if (given !== undefined) {
    if (given.kind === 'star') {
      throw new SparsityError(`${where}: a star colouring is for Hessians (sparseHessianFromProducts)`)
    }
    mode = given.kind === 'column' ? 'fwd' : 'rev'
    if (requested !== 'auto' && requested !== mode) {
      throw new SparsityError(
        `${where}: mode '${requested}' does not match a colouring of kind '${given.kind}'`,
      )
    }
    colouring = given
  } else if (requested === 'auto') {
    if (!hasFwd && !hasRev) throw new SparsityError(`${where}: give jvp, batchedJvp, vjp or batchedVjp`)
    const byColumns = hasFwd ? colourColumns(pattern, options) : undefined
    const byRows = hasRev ? colourRows(pattern, options) : undefined
    if (byColumns !== undefined && (byRows === undefined || byColumns.count <= byRows.count)) {
      mode = 'fwd'
      colouring = byColumns
    } else {
      mode = 'rev'
      colouring = byRows!
    }
  } else {
    mode = requested as 'fwd' | 'rev'
    colouring = mode === 'fwd' ? colourColumns(pattern, options) : colourRows(pattern, options)
  }
  if (mode === 'fwd' && !hasFwd) throw new SparsityError(`${where}: mode 'fwd' needs jvp or batchedJvp`)
  if (mode === 'rev' && !hasRev) throw new SparsityError(`${where}: mode 'rev' needs vjp or batchedVjp`)

  const seedLength = mode === 'fwd' ? pattern.nCols : pattern.nRows
  if (colouring.colour.length !== seedLength) {
    throw new SparsityError(
      `${where}: the colouring colours ${colouring.colour.length} ${mode === 'fwd' ? 'columns' : 'rows'}, ` +
        `the pattern is ${shapeText(pattern)}`,
    )
  }
  const seeds = seedVectors(colouring)
  let matrix: SparseMatrix
  if (mode === 'fwd') {
    const products = evaluate(
      where,
      'jvp',
      seeds,
      options.jvp,
      options.batchedJvp,
      pattern.nRows,
      `J·s for a ${shapeText(pattern)} pattern`,
    )
    matrix = decompressColumns(pattern, colouring, products)
  } else {
    const products = evaluate(
      where,
      'vjp',
      seeds,
      options.vjp,
      options.batchedVjp,
      pattern.nCols,
      `sᵀ·J for a ${shapeText(pattern)} pattern`,
    )
    matrix = decompressRows(pattern, colouring, products)
  }
  return {
    matrix,
    colours: colouring.count,
    lowerBound: colouring.lowerBound,
    products: seeds.length,
    colouring,
    mode,
  }
}

/**
 * A sparse symmetric Hessian from Hessian-vector products: star-colour the (square, symmetric)
 * pattern, evaluate H·s_c for each colour c, recover each H_ij directly (`decompressStar`). The
 * second argument is the product itself or `SparseHessianOptions`. Throws a `SparsityError` for a
 * pattern that is not symmetric, a missing product, or a product of the wrong length.
 *
 * @example
 * import { sparseHessianFromProducts, bandedPattern } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * // f(x) = Σ_i (x_{i+1} - x_i)²: H is tridiagonal with 2 or 4 on the diagonal and -2 beside it
 * const n = 5
 * const hvp = (s: Float64Array) =>
 *   s.map((v, i) => (i > 0 ? 2 * (v - s[i - 1]!) : 0) + (i < n - 1 ? 2 * (v - s[i + 1]!) : 0))
 * const r = sparseHessianFromProducts(bandedPattern(n, 1, 1), hvp)
 * assert.strictEqual(r.colours, 3)
 * assert.deepStrictEqual(r.matrix.toDense()[1], [-2, 4, -2, 0, 0])
 */
export function sparseHessianFromProducts(
  pattern: SparsityPattern,
  products: ProductFn | SparseHessianOptions,
): SparseResult {
  const where = 'sparseHessianFromProducts'
  const options: SparseHessianOptions = typeof products === 'function' ? { hvp: products } : products
  if (options.hvp === undefined && options.batchedHvp === undefined) {
    throw new SparsityError(`${where}: give hvp or batchedHvp`)
  }
  if (!pattern.isSymmetric()) {
    throw new SparsityError(
      `${where}: a Hessian pattern must be square and symmetric, got a ${shapeText(pattern)} pattern that is not; ` +
        'symmetrize(pattern) gives P ∪ Pᵀ',
    )
  }
  const colouring = options.colouring ?? colourStar(pattern, options)
  if (colouring.colour.length !== pattern.nCols) {
    throw new SparsityError(
      `${where}: the colouring colours ${colouring.colour.length} columns, the pattern is ${shapeText(pattern)}`,
    )
  }
  const seeds = seedVectors(colouring)
  const hs = evaluate(
    where,
    'hvp',
    seeds,
    options.hvp,
    options.batchedHvp,
    pattern.nRows,
    `H·s for a ${shapeText(pattern)} pattern`,
  )
  const matrix = decompressStar(pattern, colouring, hs)
  return {
    matrix,
    colours: colouring.count,
    lowerBound: colouring.lowerBound,
    products: seeds.length,
    colouring,
  }
}

// ---------------------------------------------------------------------------------------------
// checking a pattern against the function
// ---------------------------------------------------------------------------------------------

/**
 * Options of `checkPattern`.
 *
 * - `mode`: `'fwd'` (the default: `product` is a JVP, rows are compared) or `'rev'` (`product` is
 *   a VJP, columns are compared).
 * - `matrix`: the decompressed matrix to check; by default it is computed from `product` with
 *   `sparseJacobianFromProducts`. Pass the result of `sparseHessianFromProducts` to check a
 *   Hessian pattern with its HVP in `'fwd'` mode.
 * - `colouring`, `products`: with `matrix`, the colouring and the compressed products (one per
 *   colour, in order) it was recovered from, to compare them too; without them only the random
 *   direction is compared. Without `matrix`, checkPattern has its own.
 * - `seed`: the seed of the pseudo-random direction (default 1).
 * - `dtype`: the precision the products are computed in, `'float64'` (the default) or
 *   `'float32'`; it sets the default tolerances.
 * - `rtol`, `atol`: entry k of a product y agrees with M's prediction ŷ when
 *   |y_k - ŷ_k| ≤ atol + rtol·S + 32·R. S is the scale of the products, the largest
 *   |y_k| + Σ_l |M_kl s_l| over all entries compared; R is their rounding as measured, the
 *   largest |J·(¾s)/¾ - J·s| (terms that cancel inside f round at their own size, which no entry
 *   of M shows). The defaults are rtol = 2⁸ ε, ε the machine epsilon of `dtype` (2⁻⁵² or
 *   2⁻²³), and atol = its smallest normal number (2⁻¹⁰²² or 2⁻¹²⁶).
 *
 * @example
 * import type { CheckPatternOptions } from 'dualtape/sparse'
 *
 * const options: CheckPatternOptions = { mode: 'rev', dtype: 'float32' }
 * void options
 */
export interface CheckPatternOptions {
  readonly mode?: 'fwd' | 'rev'
  readonly matrix?: SparseMatrix
  readonly colouring?: Colouring
  readonly products?: readonly ArrayLike<number>[]
  readonly seed?: number
  readonly dtype?: FloatDType
  readonly rtol?: number
  readonly atol?: number
}

/** Machine epsilon and the smallest normal number of each dtype. */
const PRECISION: { readonly [D in FloatDType]: { readonly eps: number; readonly tiny: number } } = {
  float64: { eps: 2 ** -52, tiny: 2 ** -1022 },
  float32: { eps: 2 ** -23, tiny: 2 ** -126 },
}

/** The default rtol in units of machine epsilon. */
const RTOL_IN_EPS = 2 ** 8

/** The direction is evaluated again scaled by ¾, which rounds differently; the difference is rounding. */
const RESCALE = 0.75

/** How many times the measured rounding an entry may differ by. */
const ROUNDING_FACTOR = 32

/**
 * The compressed products a matrix was recovered from, and their colouring: B_c = J s_c for
 * column and star colourings, s_cᵀ J for row colourings.
 */
interface CompressedProducts {
  readonly colouring: Colouring
  readonly products: readonly ArrayLike<number>[]
}

/**
 * One computed product b against M's prediction p, entry by entry along rows (b = J·s) or
 * columns (b = sᵀ·J), with the size of the terms summed into each entry of p.
 */
interface Comparison {
  readonly alongRows: boolean
  readonly name: string
  readonly computed: ArrayLike<number>
  readonly predicted: Float64Array
  readonly size: Float64Array
}

/** A small 32-bit generator (mulberry32): uniform in [0, 1). */
function uniform(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** M·s (or sᵀ·M) and Σ_l |M_kl s_l| (or Σ_l |s_l M_lk|), the size of the terms of each entry. */
function direction(
  matrix: SparseMatrix,
  s: Float64Array,
  alongRows: boolean,
  computed: ArrayLike<number>,
): Comparison {
  const abs = new SparseMatrix(matrix.pattern, matrix.values.map(Math.abs))
  const absS = s.map(Math.abs)
  return {
    alongRows,
    name: alongRows ? 'J·s' : 'sᵀ·J',
    computed,
    predicted: alongRows ? matrix.matvec(s) : matrix.rmatvec(s),
    size: alongRows ? abs.matvec(absS) : abs.rmatvec(absS),
  }
}

/**
 * The compressed products against M: B_c = M s_c (column and star colourings) or s_cᵀ M (row
 * colourings). Where row i has no nonzero of the pattern in colour c, M predicts B_c[i] = 0, and
 * a nonzero that the pattern misses shows there on its own, not summed with the row's entries.
 */
function compressedComparisons(
  matrix: SparseMatrix,
  { colouring, products }: CompressedProducts,
): Comparison[] {
  const { colour, count, kind } = colouring
  const alongRows = kind !== 'row'
  const length = alongRows ? matrix.nRows : matrix.nCols
  const predicted = Array.from({ length: count }, () => new Float64Array(length))
  const size = Array.from({ length: count }, () => new Float64Array(length))
  const { rowPtr, colIdx } = matrix.pattern
  const values = matrix.values
  // (M s_c)_i = Σ_{colour(j) = c} M_ij; (s_cᵀ M)_j = Σ_{colour(i) = c} M_ij
  for (let i = 0; i < matrix.nRows; i++) {
    for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) {
      const j = colIdx[p]!
      const c = alongRows ? colour[j]! : colour[i]!
      const k = alongRows ? i : j
      predicted[c]![k]! += values[p]!
      size[c]![k]! += Math.abs(values[p]!)
    }
  }
  return products.map((computed, c) => ({
    alongRows,
    name: `${alongRows ? 'J·s' : 'sᵀ·J'} of colour ${c}`,
    computed,
    predicted: predicted[c]!,
    size: size[c]!,
  }))
}

/** The rounding of a product as measured: the largest |b'_k / ¾ - b_k|, b' the product at ¾s. */
function roundingOf(b: ArrayLike<number>, rescaled: ArrayLike<number>): number {
  let rounding = 0
  for (let k = 0; k < b.length; k++) {
    const d = Math.abs(rescaled[k]! / RESCALE - b[k]!)
    if (d > rounding && d < Infinity) rounding = d
  }
  return rounding
}

/** The scale of the products: the largest |b_k| + Σ|terms of k| over every entry compared. */
function scaleOf(comparisons: readonly Comparison[]): number {
  let scale = 0
  for (const { computed, size } of comparisons) {
    for (let k = 0; k < size.length; k++) {
      const v = Math.abs(computed[k]!) + size[k]!
      // a NaN or an infinity disagrees on its own; it sets no scale for the other entries
      if (v > scale && v < Infinity) scale = v
    }
  }
  return scale
}

/** "n of m rows disagree: …" for the disagreements along one axis, or null when there are none. */
function summary(bad: ReadonlyMap<number, string>, total: number, what: string): string | null {
  if (bad.size === 0) return null
  const ks = [...bad.keys()].sort((a, b) => a - b)
  const shown = ks
    .slice(0, 5)
    .map((k) => `${k} (${bad.get(k)})`)
    .join(', ')
  return `${bad.size} of ${total} ${what} disagree: ${shown}${bad.size > 5 ? ', …' : ''}`
}

/** The `colouring` and `products` options, checked against the matrix they come with. */
function givenProducts(
  where: string,
  matrix: SparseMatrix,
  options: CheckPatternOptions,
): CompressedProducts | undefined {
  const { colouring, products } = options
  if (colouring === undefined && products === undefined) return undefined
  if (colouring === undefined || products === undefined) {
    throw new SparsityError(`${where}: give colouring and products together`)
  }
  const byRows = colouring.kind === 'row'
  const coloured = byRows ? matrix.nRows : matrix.nCols
  if (colouring.colour.length !== coloured) {
    throw new SparsityError(
      `${where}: the colouring colours ${colouring.colour.length} ${byRows ? 'rows' : 'columns'}, ` +
        `the matrix is ${matrix.nRows}×${matrix.nCols}`,
    )
  }
  const length = byRows ? matrix.nCols : matrix.nRows
  if (products.length !== colouring.count) {
    throw new SparsityError(
      `${where}: ${colouring.count} colours need ${colouring.count} products, got ${products.length}`,
    )
  }
  products.forEach((b, c) => {
    if (b?.length !== length) {
      throw new SparsityError(`${where}: product ${c} has length ${String(b?.length)}, expected ${length}`)
    }
  })
  return { colouring, products }
}

/**
 * A cheap consistency check between a pattern and the function behind `product`. M, the matrix
 * decompressed from the compressed products B_c, predicts every entry of them: where row i has no
 * nonzero of the pattern in colour c, (B_c)_i must vanish. Then the product in a pseudo-random
 * direction s (entries ±[0.5, 1.5)) is compared with M·s (or sᵀ·M). A nonzero J_ik
 * outside the pattern either shows alone in a compressed product, or is folded into another entry
 * J_ij of its row (or dropped), and row i of M·s then differs from J·s by J_ik (s_k - s_j) (or
 * J_ik s_k), which a random s makes nonzero almost surely. Agreement is up to rounding: the
 * direction is also evaluated at ¾s, and J·(¾s)/¾ - J·s, zero but for rounding, measures it
 * (see `CheckPatternOptions`). A missing nonzero is found when it is above that rounding, in
 * float32 as in float64; one below it is indistinguishable from rounding in any product. Throws a
 * `SparsityError` naming the rows (columns in `'rev'` mode) that disagree; returns M when all
 * agree.
 *
 * @example
 * import { checkPattern, patternFromRows, SparsityError } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * // f(x) = (x0 x1, x1 + x2): J = [[x1, x0, 0], [0, 1, 1]] at x = (2, 3, ·)
 * const jvp = (s: Float64Array) => Float64Array.of(3 * s[0]! + 2 * s[1]!, s[1]! + s[2]!)
 * checkPattern(patternFromRows(3, [[0, 1], [1, 2]]), jvp)
 * // a pattern that forgets J_01
 * assert.throws(() => checkPattern(patternFromRows(3, [[0], [1, 2]]), jvp), SparsityError)
 */
export function checkPattern(
  pattern: SparsityPattern,
  product: ProductFn,
  options: CheckPatternOptions = {},
): SparseMatrix {
  const where = 'checkPattern'
  const mode = options.mode ?? 'fwd'
  if (mode !== 'fwd' && mode !== 'rev') {
    throw new SparsityError(`${where}: unknown mode '${String(mode)}', expected 'fwd' or 'rev'`)
  }
  const dtype = options.dtype ?? 'float64'
  if (dtype !== 'float64' && dtype !== 'float32') {
    throw new SparsityError(`${where}: unknown dtype '${String(dtype)}', expected 'float64' or 'float32'`)
  }
  let matrix = options.matrix
  let compressed: CompressedProducts | undefined
  if (matrix === undefined) {
    const products: ArrayLike<number>[] = []
    const record: ProductFn = (s) => {
      const b = product(s)
      products.push(b)
      return b
    }
    const r = sparseJacobianFromProducts(
      pattern,
      mode === 'fwd' ? { mode, jvp: record } : { mode, vjp: record },
    )
    matrix = r.matrix
    compressed = { colouring: r.colouring, products }
  }
  if (matrix.nRows !== pattern.nRows || matrix.nCols !== pattern.nCols) {
    throw new SparsityError(
      `${where}: the matrix is ${matrix.nRows}×${matrix.nCols}, the pattern ${shapeText(pattern)}`,
    )
  }
  compressed ??= givenProducts(where, matrix, options)
  const rtol = options.rtol ?? RTOL_IN_EPS * PRECISION[dtype].eps
  const atol = options.atol ?? PRECISION[dtype].tiny
  const random = uniform(options.seed ?? 1)
  const fwd = mode === 'fwd'
  const inLength = fwd ? pattern.nCols : pattern.nRows
  const outLength = fwd ? pattern.nRows : pattern.nCols
  // the direction as the product will see it: rounded to float32 when it computes in float32
  const round = dtype === 'float32' ? Math.fround : (v: number) => v
  const s = Float64Array.from({ length: inLength }, () => round((random() < 0.5 ? -1 : 1) * (0.5 + random())))
  const rescaled = s.map((v) => round(RESCALE * v))

  const [y, yRescaled] = evaluate(
    where,
    fwd ? 'jvp' : 'vjp',
    [s, rescaled],
    product,
    undefined,
    outLength,
    `${fwd ? 'J·s' : 'sᵀ·J'} for a ${shapeText(pattern)} pattern`,
  )
  const comparisons = [direction(matrix, s, fwd, y!)].concat(
    compressed === undefined ? [] : compressedComparisons(matrix, compressed),
  )
  const tolerance = atol + rtol * scaleOf(comparisons) + ROUNDING_FACTOR * roundingOf(y!, yRescaled!)
  const badRows = new Map<number, string>()
  const badColumns = new Map<number, string>()
  for (const { alongRows, name, computed, predicted, size } of comparisons) {
    const bad = alongRows ? badRows : badColumns
    for (let k = 0; k < size.length; k++) {
      const b = computed[k]!
      const p = predicted[k]!
      if (!(Math.abs(b - p) <= tolerance) && !bad.has(k)) bad.set(k, `${name} = ${b}, decompressed = ${p}`)
    }
  }
  const found = [summary(badRows, pattern.nRows, 'rows'), summary(badColumns, pattern.nCols, 'columns')]
  if (badRows.size + badColumns.size > 0) {
    const what =
      badRows.size > 0 && badColumns.size > 0 ? 'rows and columns' : badRows.size > 0 ? 'rows' : 'columns'
    throw new SparsityError(
      `${where}: ${found.filter((p) => p !== null).join('; ')}; ` +
        `the function has nonzeros outside the ${shapeText(pattern)} pattern in these ${what}`,
    )
  }
  return matrix
}
