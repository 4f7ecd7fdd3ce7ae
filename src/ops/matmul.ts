import { ShapeError, fmtShape } from '../core/errors.js'
import { apply, type BatchArgs, type OpDef } from '../core/op.js'
import { broadcastShapes, sizeOf } from '../core/shape.js'
import { alignBatched } from './batching.js'
import type { Tensor } from '../core/tensor.js'
import { add } from './binary.js'
import { reshape, transpose } from './shape.js'
import { asTensor, sameDType } from './util.js'

/**
 * A tangent with `b` batch axes, given the leading axes that align it with the output's batch
 * axes under broadcasting: [k, ...s] becomes [k, 1, …, 1, ...s].
 */
export function lift(dx: Tensor, b: number, xRank: number, outRank: number): Tensor {
  if (b === 0 || xRank === outRank) return dx
  return reshape(dx, [
    ...dx.shape.slice(0, b),
    ...new Array<number>(outRank - xRank).fill(1),
    ...dx.shape.slice(b),
  ])
}

/** Whether each operand enters transposed (its last two axes swapped), as in BLAS. */
export interface MatmulParams {
  readonly transA: boolean
  readonly transB: boolean
}

/** The last two axes of an operand as it enters the product. */
const rowsCols = (shape: readonly number[], t: boolean): [number, number] => {
  const r = shape[shape.length - 2]!
  const c = shape[shape.length - 1]!
  return t ? [c, r] : [r, c]
}

const mm = (a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor =>
  apply(matmulOp, [a, b], { transA, transB })

// In vector mode a tangent of a matrix operand is a stack [k, r, c] of k directions. Against an
// unbatched partner the k products share that partner, so they fold into one large product
// instead of k small ones.

/** [k, m, n] · op(B) = ([k·m, n] · op(B)) viewed as [k, m, p]. */
function foldLeft(da: Tensor, bm: Tensor, transB: boolean): Tensor {
  const [k, m, n] = da.shape as [number, number, number]
  const p = transB ? bm.shape[0]! : bm.shape[1]!
  return reshape(mm(reshape(da, [k * m, n]), bm, false, transB), [k, m, p])
}

/** op(A) · op(dB_i) for each i: op(A) · [n, k·p] with the directions side by side, then regrouped. */
function foldRight(a: Tensor, db: Tensor, transA: boolean, transB: boolean): Tensor {
  const k = db.shape[0]!
  // op(dB_i)[q, j] = dB[i, q, j], or dB[i, j, q] when transposed: gather to [n, k, p]
  const side = transpose(db, transB ? [2, 0, 1] : [1, 0, 2])
  const [n, , p] = side.shape as [number, number, number]
  const prod = mm(a, reshape(side, [n, k * p]), transA, false)
  const m = prod.shape[0]!
  return transpose(reshape(prod, [m, k, p]), [1, 0, 2])
}

/**
 * The batching rule (vmap). A batch of left operands against one right matrix is one product:
 * the stacked rows `[size·…·m, k] · op(B)`, so that a batch of matrix–vector products becomes one
 * matrix–matrix product. Otherwise the batch axis becomes the outermost batch axis of a stacked
 * product, the batched operands padded with axes of size 1 so that their batch axes align.
 */
function matmulBatch(a: BatchArgs<MatmulParams>): Tensor {
  const {
    x: [xa, xb],
    batched: [ba, bb],
    meta: [ma, mb],
    params: { transA, transB },
    size,
    out,
  } = a
  if (ba! && !bb! && !transA && mb!.shape.length === 2) {
    const k = ma!.shape[ma!.shape.length - 1]!
    const rows = (size * sizeOf(ma!.shape)) / Math.max(k, 1)
    if (k > 0) return reshape(mm(reshape(xa!, [rows, k]), xb!, false, transB), [size, ...out.shape])
  }
  const [ya, yb] = alignBatched(a, out.shape.length)
  return mm(ya!, yb!, transA, transB)
}

export const matmulOp: OpDef<MatmulParams> = {
  name: 'matmul',
  structure: 'matmul',
  linearity: 'each',
  batch: matmulBatch,
  shape: ([a, b], { transA, transB }) => {
    const sa = a!.shape
    const sb = b!.shape
    if (sa.length < 2 || sb.length < 2)
      throw new ShapeError(`matmul: operands must have rank ≥ 2, got ${fmtShape(sa)} and ${fmtShape(sb)}`)
    const [m, ka] = rowsCols(sa, transA)
    const [kb, n] = rowsCols(sb, transB)
    if (ka !== kb) {
      const ta = transA ? 'ᵀ' : ''
      const tb = transB ? 'ᵀ' : ''
      throw new ShapeError(
        `matmul: inner dimensions differ: ${fmtShape(sa)}${ta} @ ${fmtShape(sb)}${tb} (${ka} ≠ ${kb})`,
      )
    }
    const batch = broadcastShapes('matmul', sa.slice(0, -2), sb.slice(0, -2))
    return { shape: [...batch, m, n], dtype: sameDType('matmul', [a!, b!]) }
  },
  kernel: (be, [ha, hb], [ma, mb], { transA, transB }, out) =>
    be.kernels.matmul(ha, hb, ma!, mb!, out, transA, transB),
  // d(A B) = dA B + A dB
  jvp: ({ x: [a, bm], dx: [da, db], y, b, params: { transA, transB } }) => {
    const plain = b === 1 && a!.rank === 2 && bm!.rank === 2
    const left =
      da == null
        ? null
        : plain && !transA
          ? foldLeft(da, bm!, transB)
          : mm(lift(da, b, a!.rank, y.rank), bm!, transA, transB)
    const right =
      db == null
        ? null
        : plain
          ? foldRight(a!, db, transA, transB)
          : mm(a!, lift(db, b, bm!.rank, y.rank), transA, transB)
    return left === null ? right! : right === null ? left : add(left, right)
  },
  // C = A B: Ā = C̄ Bᵀ, B̄ = Aᵀ C̄ (with the transposes folded into the flags; summed over
  // broadcast batch axes by apply)
  vjp: ({ ct, x: [a, b], wants, params: { transA, transB } }) => {
    const ga = !wants[0]
      ? null
      : transA
        ? transB
          ? mm(b!, ct, true, true)
          : mm(b!, ct, false, true)
        : mm(ct, b!, false, !transB)
    const gb = !wants[1]
      ? null
      : transB
        ? transA
          ? mm(ct, a!, true, true)
          : mm(ct, a!, true, false)
        : mm(a!, ct, !transA, false)
    return [ga, gb]
  },
}

/**
 * The matrix product, numpy-style: 2-D operands multiply as matrices; higher ranks are stacks
 * of matrices whose leading (batch) axes broadcast; a 1-D operand is a vector (its axis is
 * dropped from the result).
 * @example
 * import { matmul, tensor } from 'dualtape'
 * matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])).toArray() // [[17], [39]]
 * matmul(tensor([[1, 2], [3, 4]]), tensor([5, 6])).toArray()     // [17, 39]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const ta = asTensor('matmul', a, 'argument 0')
  const tb = asTensor('matmul', b, 'argument 1')
  if (ta.rank === 0 || tb.rank === 0) {
    throw new ShapeError(
      `matmul: operands must have rank ≥ 1, got ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}`,
    )
  }
  const a2 = ta.rank === 1 ? reshape(ta, [1, ta.shape[0]!]) : ta
  const b2 = tb.rank === 1 ? reshape(tb, [tb.shape[0]!, 1]) : tb
  const ka = ta.shape[ta.rank - 1]!
  const kb = tb.rank === 1 ? tb.shape[0]! : tb.shape[tb.rank - 2]!
  if (ka !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: ${fmtShape(ta.shape)} @ ${fmtShape(tb.shape)} (${ka} ≠ ${kb})`,
    )
  }
  const y = mm(a2, b2, false, false)
  if (ta.rank > 1 && tb.rank > 1) return y
  const s = y.shape
  const out =
    ta.rank === 1 && tb.rank === 1
      ? []
      : ta.rank === 1
        ? [...s.slice(0, -2), s[s.length - 1]!]
        : s.slice(0, -1)
  return reshape(y, out)
}

/**
 * The inner product of two vectors (and the matrix–vector or matrix–matrix product for rank 2).
 * @example
 * import { dot, tensor } from 'dualtape'
 * dot(tensor([1, 2]), tensor([3, 4])).item() // 11
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  const ta = asTensor('dot', a, 'argument 0')
  const tb = asTensor('dot', b, 'argument 1')
  if (ta.rank < 1 || ta.rank > 2 || tb.rank < 1 || tb.rank > 2) {
    throw new ShapeError(
      `dot: operands must be vectors or matrices, got ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}; use matmul for stacks`,
    )
  }
  return matmul(ta, tb)
}
