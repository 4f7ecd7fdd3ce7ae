import { ShapeError, fmtShape } from '../core/errors.js'
import { apply, type OpDef } from '../core/op.js'
import { broadcastShapes } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import { add } from './binary.js'
import { reshape, transpose } from './shape.js'
import { asTensor, sameDType } from './util.js'

/** Swaps the last two axes. */
const mT = (t: Tensor): Tensor => {
  const r = t.rank
  return transpose(t, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2])
}

/**
 * A tangent with `b` batch axes, given the leading axes that align it with the output's batch
 * axes under broadcasting: [k, ...s] becomes [k, 1, …, 1, ...s].
 */
function lift(dx: Tensor, b: number, xRank: number, outRank: number): Tensor {
  if (b === 0 || xRank === outRank) return dx
  return reshape(dx, [...dx.shape.slice(0, b), ...new Array<number>(outRank - xRank).fill(1), ...dx.shape.slice(b)])
}

export const matmulOp: OpDef<null> = {
  name: 'matmul',
  shape: ([a, b]) => {
    const sa = a!.shape
    const sb = b!.shape
    if (sa.length < 2 || sb.length < 2) throw new ShapeError(`matmul: operands must have rank ≥ 2, got ${fmtShape(sa)} and ${fmtShape(sb)}`)
    if (sa[sa.length - 1] !== sb[sb.length - 2]) {
      throw new ShapeError(
        `matmul: inner dimensions differ: ${fmtShape(sa)} @ ${fmtShape(sb)} (${sa[sa.length - 1]} ≠ ${sb[sb.length - 2]})`,
      )
    }
    const batch = broadcastShapes('matmul', sa.slice(0, -2), sb.slice(0, -2))
    return { shape: [...batch, sa[sa.length - 2]!, sb[sb.length - 1]!], dtype: sameDType('matmul', [a!, b!]) }
  },
  kernel: (be, [ha, hb], [ma, mb], _p, out) => be.kernels.matmul(ha, hb, ma!, mb!, out),
  // d(A B) = dA B + A dB
  jvp: ({ x: [a, bm], dx: [da, db], y, b }) => {
    const left = da == null ? null : matmul(lift(da, b, a!.rank, y.rank), bm!)
    const right = db == null ? null : matmul(a!, lift(db, b, bm!.rank, y.rank))
    return left === null ? right! : right === null ? left : add(left, right)
  },
  // Ā = Ȳ Bᵀ, B̄ = Aᵀ Ȳ (summed over broadcast batch axes by apply)
  vjp: ({ ct, x: [a, bm], wants }) => [wants[0] ? matmul(ct, mT(bm!)) : null, wants[1] ? matmul(mT(a!), ct) : null],
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
    throw new ShapeError(`matmul: operands must have rank ≥ 1, got ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}`)
  }
  const a2 = ta.rank === 1 ? reshape(ta, [1, ta.shape[0]!]) : ta
  const b2 = tb.rank === 1 ? reshape(tb, [tb.shape[0]!, 1]) : tb
  if (ta.rank === 1 && tb.rank >= 2 && ta.shape[0] !== tb.shape[tb.rank - 2]) {
    throw new ShapeError(`matmul: inner dimensions differ: ${fmtShape(ta.shape)} @ ${fmtShape(tb.shape)}`)
  }
  const y = apply(matmulOp, [a2, b2], null)
  if (ta.rank > 1 && tb.rank > 1) return y
  const s = y.shape
  const out = ta.rank === 1 && tb.rank === 1 ? [] : ta.rank === 1 ? [...s.slice(0, -2), s[s.length - 1]!] : s.slice(0, -1)
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
    throw new ShapeError(`dot: operands must be vectors or matrices, got ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}; use matmul for stacks`)
  }
  return matmul(ta, tb)
}
