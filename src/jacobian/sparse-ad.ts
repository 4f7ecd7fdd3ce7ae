import { fromData } from '../core/create.js'
import { ShapeError, ValueError, fmtShape } from '../core/errors.js'
import { readConcrete, type Tensor } from '../core/tensor.js'
import { jvp } from '../forward/jvp.js'
import { grad, vjp } from '../reverse/vjp.js'
import type { ColouringOptions } from './sparse/colouring.js'
import { SparsityError } from './sparse/errors.js'
import type { SparsityPattern } from './sparse/pattern.js'
import {
  checkPattern,
  sparseHessianFromProducts,
  sparseJacobianFromProducts,
  type SparseJacobianMode,
  type SparseJacobianResult,
  type SparseResult,
} from './sparse/products.js'
import { hessianSparsity, jacobianSparsity } from './sparsity.js'

/** Options of `sparseJacobian`. */
export interface SparseJacobianAdOptions extends ColouringOptions {
  /** 'fwd': column colouring and one vector-mode JVP; 'rev': row colouring and one VJP per colour; 'auto' (default): fewer colours. */
  readonly mode?: SparseJacobianMode
  /** A known pattern (checked cheaply against the function unless `check: false`); detected by index sets otherwise. */
  readonly pattern?: SparsityPattern
  /** Detect the pattern at the point only (see `jacobianSparsity`); default global. */
  readonly local?: boolean
  /** Check a given pattern with one extra random JVP (default true). */
  readonly check?: boolean
}

const MODES = ['fwd', 'rev', 'auto']

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

/**
 * The Jacobian of f: R^n → R^m at x as a sparse matrix: the pattern (detected by index sets, or
 * given), a colouring that groups structurally orthogonal columns (or rows), one product per
 * colour — all colours of forward mode in a single vector-mode JVP — and recovery. A Jacobian
 * with at most p nonzeros per row needs about p JVPs instead of n.
 *
 * @example
 * import { sparseJacobian, tensor, sub, slice, tanh } from 'dualtape'
 * const f = (x) => tanh(sub(slice(x, [1], [-1]), slice(x, [0], [4])))
 * const r = sparseJacobian(f, { mode: 'fwd' })(tensor([1, 2, 4, 7, 11]))
 * r.colours         // 2
 * r.matrix.get(0, 0) // -(1 - tanh(1)²)
 */
export function sparseJacobian(
  f: (x: Tensor) => Tensor,
  options: SparseJacobianAdOptions = {},
): (x: Tensor) => SparseJacobianResult {
  if (typeof f !== 'function') throw new ValueError('sparseJacobian: the first argument must be a function')
  if (options.mode !== undefined && !MODES.includes(options.mode)) {
    throw new SparsityError(
      `sparseJacobian: unknown mode '${String(options.mode)}', expected 'fwd', 'rev' or 'auto'`,
    )
  }
  return (x: Tensor) => {
    const pattern = options.pattern ?? jacobianSparsity(f, x, { local: options.local === true })
    if (pattern.nCols !== x.size) {
      throw new ShapeError(
        `sparseJacobian: the pattern has ${pattern.nCols} columns but x has shape ${fmtShape(x.shape)}`,
      )
    }
    const batchedJvp = (seeds: readonly Float64Array[]) => {
      if (seeds.length === 0) return []
      const [, dy] = jvp(f, [x], [stackSeeds(seeds, x)], { batched: true }) as [Tensor, Tensor]
      return unstack(dy, seeds.length)
    }
    let pullback: ((ct: Tensor) => unknown[]) | null = null
    let y: Tensor | null = null
    const vjpOne = (s: Float64Array) => {
      if (pullback === null) [y, pullback] = vjp(f, x)
      const ct = fromData(
        y!.dtype === 'float64' ? Float64Array.from(s) : Float32Array.from(s),
        y!.shape,
        y!.backend,
      )
      return Float64Array.from(readConcrete(pullback(ct)[0] as Tensor))
    }
    if (options.pattern !== undefined && options.check !== false) {
      checkPattern(pattern, (s) => batchedJvp([s])[0]!)
    }
    return sparseJacobianFromProducts(pattern, {
      ...options,
      mode: options.mode ?? 'auto',
      batchedJvp,
      vjp: vjpOne,
    })
  }
}

/** Options of `sparseHessian`. */
export interface SparseHessianAdOptions extends ColouringOptions {
  /** A known symmetric pattern; detected by index sets through the gradient otherwise. */
  readonly pattern?: SparsityPattern
  readonly local?: boolean
}

/**
 * The Hessian of a scalar f at x as a sparse symmetric matrix: the pattern of ∇f's Jacobian,
 * a star colouring, all Hessian-vector products of the colours in one vector-mode JVP of the
 * gradient (forward over reverse), and direct recovery.
 *
 * @example
 * import { sparseHessian, tensor, sum, square, sub, slice } from 'dualtape'
 * const f = (x) => sum(square(sub(slice(x, [1], [-1]), slice(x, [0], [4]))))
 * sparseHessian(f)(tensor([1, 2, 4, 7, 11])).matrix.get(1, 1) // 4
 */
export function sparseHessian(
  f: (x: Tensor) => Tensor,
  options: SparseHessianAdOptions = {},
): (x: Tensor) => SparseResult {
  if (typeof f !== 'function') throw new ValueError('sparseHessian: the first argument must be a function')
  return (x: Tensor) => {
    const pattern = options.pattern ?? hessianSparsity(f, x, { local: options.local === true })
    const g = grad(f) as (t: Tensor) => Tensor
    const batchedHvp = (seeds: readonly Float64Array[]) => {
      if (seeds.length === 0) return []
      const [, hv] = jvp(g, [x], [stackSeeds(seeds, x)], { batched: true }) as [Tensor, Tensor]
      return unstack(hv, seeds.length)
    }
    return sparseHessianFromProducts(pattern, { ...options, batchedHvp })
  }
}
