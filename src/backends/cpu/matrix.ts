import { allocArray, type FloatArray } from '../../core/dtype.js'
import { LinAlgError, fmtShape } from '../../core/errors.js'
import { type Shape, sizeOf } from '../../core/shape.js'
import type { MatrixKernels, Meta } from '../../core/backend.js'
import {
  choleskyInto,
  eighInto,
  luInto,
  luLogAbsDet,
  luSolveInto,
  triangularSolveInto,
} from '../../kernels/dense.js'
import { broadcastStrides, forEachRun } from '../../kernels/layout.js'

// ---------------------------------------------------------------------------------------------
// The matrix kernels of the cpu backend: each matrix of a stack factorized in float64 by the
// loops of src/kernels/dense.ts, stored in the output's dtype. A pivot that fails is a
// LinAlgError naming the op, the stack's shape and the matrix.
// ---------------------------------------------------------------------------------------------

/** "the matrix [3, 3]" or "matrix 2 of the stack [4, 3, 3]". */
function which(shape: Shape, index: number): string {
  return shape.length === 2
    ? `the matrix ${fmtShape(shape)}`
    : `matrix ${index} of the stack ${fmtShape(shape)}`
}

/** Calls `each(matrixIndex, offset)` for every n×n matrix of a stack of shape `shape`. */
function forEachMatrix(shape: Shape, each: (index: number, offset: number) => void): void {
  const n = shape[shape.length - 1]!
  const count = sizeOf(shape.slice(0, -2))
  for (let i = 0; i < count; i++) each(i, i * n * n)
}

/**
 * Calls `each(index, aOffset, bOffset)` for every pair of the batch `out` (the output's batch axes),
 * the operands' batch axes broadcast to it, A's matrices n×n and B's n×m.
 */
function forEachPair(
  ma: Meta,
  mb: Meta,
  batch: Shape,
  each: (index: number, ao: number, bo: number) => void,
): void {
  const n = ma.shape[ma.shape.length - 1]!
  const m = mb.shape[mb.shape.length - 1]!
  if (batch.length === 0) {
    each(0, 0, 0)
    return
  }
  const sa = broadcastStrides(ma.shape.slice(0, -2), batch).map((s) => s * n * n)
  const sb = broadcastStrides(mb.shape.slice(0, -2), batch).map((s) => s * n * m)
  let bi = 0
  forEachRun(batch, [sa, sb], (_o, offs, len, steps) => {
    for (let i = 0; i < len; i++, bi++) each(bi, offs[0]! + i * steps[0]!, offs[1]! + i * steps[1]!)
  })
}

function singular(
  op: string,
  shape: Shape,
  index: number,
  pivot: number,
  a: FloatArray,
  at: number,
): LinAlgError {
  const v = a[at]!
  return Number.isFinite(v)
    ? new LinAlgError(op, 'singular', `${op}: ${which(shape, index)} is singular (pivot ${pivot} is 0)`)
    : new LinAlgError(op, 'not-finite', `${op}: ${which(shape, index)} has entries that are not finite`)
}

/** The LU factors of one matrix, or a LinAlgError for a zero pivot. */
function lu(op: string, a: FloatArray, ao: number, m: Meta, index: number) {
  const n = m.shape[m.shape.length - 1]!
  const f = new Float64Array(n * n)
  const perm = new Int32Array(n)
  const sign = new Float64Array(1)
  const bad = luInto(a, ao, n, f, perm, sign)
  if (bad >= 0) {
    let finite = true
    for (let i = 0; i < n * n; i++) if (!Number.isFinite(a[ao + i]!)) finite = false
    throw finite
      ? new LinAlgError(op, 'singular', `${op}: ${which(m.shape, index)} is singular (pivot ${bad} is 0)`)
      : new LinAlgError(op, 'not-finite', `${op}: ${which(m.shape, index)} has entries that are not finite`)
  }
  return { f, perm, parity: sign[0]!, n }
}

export const matrixKernels: MatrixKernels<FloatArray> = {
  cholesky: (a, m, out) => {
    const n = m.shape[m.shape.length - 1]!
    const l = allocArray(out.dtype, sizeOf(out.shape))
    const work = new Float64Array(n * n)
    forEachMatrix(m.shape, (i, o) => {
      const bad = choleskyInto(a, o, n, work, 0)
      if (bad >= 0) {
        let d = a[o + bad * n + bad]!
        for (let k = 0; k < bad; k++) d -= work[bad * n + k]! ** 2
        throw Number.isFinite(d)
          ? new LinAlgError(
              'cholesky',
              'not-positive-definite',
              `cholesky: ${which(m.shape, i)} is not positive definite (pivot ${bad} is ${d.toPrecision(4).replace(/\.?0+$/, '')})`,
            )
          : new LinAlgError(
              'cholesky',
              'not-finite',
              `cholesky: ${which(m.shape, i)} has entries that are not finite`,
            )
      }
      l.set(work, o)
    })
    return l
  },

  triangularSolve: (a, b, ma, mb, out, lower, transA) => {
    const n = ma.shape[ma.shape.length - 1]!
    const m = out.shape[out.shape.length - 1]!
    const x = allocArray(out.dtype, sizeOf(out.shape))
    const work = new Float64Array(n * m)
    const batch = out.shape.slice(0, -2)
    forEachPair(ma, mb, batch, (i, ao, bo) => {
      const bad = triangularSolveInto(a, ao, n, b, bo, m, work, 0, lower, transA)
      if (bad >= 0) throw singular('triangularSolve', ma.shape, i, bad, a, ao + bad * n + bad)
      x.set(work, i * n * m)
    })
    return x
  },

  solve: (a, b, ma, mb, out, transA) => {
    const n = ma.shape[ma.shape.length - 1]!
    const m = out.shape[out.shape.length - 1]!
    const x = allocArray(out.dtype, sizeOf(out.shape))
    const work = new Float64Array(n * m)
    forEachPair(ma, mb, out.shape.slice(0, -2), (i, ao, bo) => {
      const { f, perm } = lu('solve', a, ao, ma, i)
      luSolveInto(f, perm, n, b, bo, m, work, 0, transA)
      x.set(work, i * n * m)
    })
    return x
  },

  logAbsDet: (a, m, out, positive) => {
    const y = allocArray(out.dtype, sizeOf(out.shape))
    const op = positive ? 'logdet' : 'logAbsDet'
    forEachMatrix(m.shape, (i, o) => {
      const { f, parity, n } = lu(op, a, o, m, i)
      const [s, l] = luLogAbsDet(f, n, parity)
      if (positive && s < 0) {
        throw new LinAlgError(
          op,
          'non-positive-determinant',
          `logdet: ${which(m.shape, i)} has a negative determinant; use slogdet for its sign and log |det|`,
        )
      }
      y[i] = l
    })
    return y
  },

  detSign: (a, m, out) => {
    const n = m.shape[m.shape.length - 1]!
    const y = allocArray(out.dtype, sizeOf(out.shape))
    const f = new Float64Array(n * n)
    const perm = new Int32Array(n)
    const sign = new Float64Array(1)
    forEachMatrix(m.shape, (i, o) => {
      y[i] = luInto(a, o, n, f, perm, sign) >= 0 ? 0 : luLogAbsDet(f, n, sign[0]!)[0]
    })
    return y
  },

  eigh: (a, m, out) => {
    const n = m.shape[m.shape.length - 1]!
    const y = allocArray(out.dtype, sizeOf(out.shape))
    const w = new Float64Array(n)
    const v = new Float64Array(n * n)
    forEachMatrix(m.shape, (i, o) => {
      if (eighInto(a, o, n, w, 0, v, 0) >= 0) {
        throw new LinAlgError(
          'eigh',
          'not-finite',
          `eigh: ${which(m.shape, i)} has entries that are not finite`,
        )
      }
      const p = i * (n + 1) * n
      y.set(w, p)
      y.set(v, p + n)
    })
    return y
  },
}
