import type { FloatArray } from '../core/dtype.js'
import { allocArray } from '../core/dtype.js'
import { type Shape, sizeOf, stridesOf } from '../core/shape.js'
import type { Meta } from '../core/backend.js'

/**
 * Strides of `shape` read as if broadcast to `out` (0 on stretched and missing axes),
 * aligned to the axes of `out`.
 */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const st = stridesOf(shape)
  const r = new Array<number>(out.length).fill(0)
  const off = out.length - shape.length
  for (let i = 0; i < shape.length; i++) r[off + i] = shape[i] === 1 ? 0 : st[i]!
  return r
}

/**
 * Visits every element of `out` in row-major order, calling `inner(outOff, offs, n, steps)` once
 * per run of the last axis, where offs[j] is the offset into argument j for the run's start and
 * steps[j] its stride along the last axis.
 */
export function forEachRun(
  out: Shape,
  argStrides: readonly (readonly number[])[],
  inner: (outOff: number, offs: readonly number[], n: number, steps: readonly number[]) => void,
): void {
  const rank = out.length
  const nArgs = argStrides.length
  if (rank === 0) {
    inner(0, new Array<number>(nArgs).fill(0), 1, new Array<number>(nArgs).fill(0))
    return
  }
  const last = out[rank - 1]!
  if (sizeOf(out) === 0) return
  const steps = argStrides.map((s) => s[rank - 1]!)
  const idx = new Array<number>(rank - 1).fill(0)
  const offs = new Array<number>(nArgs).fill(0)
  const runs = sizeOf(out) / last
  for (let r = 0; r < runs; r++) {
    inner(r * last, offs, last, steps)
    // odometer over the outer axes, keeping offs in step
    for (let ax = rank - 2; ax >= 0; ax--) {
      idx[ax]!++
      for (let j = 0; j < nArgs; j++) offs[j]! += argStrides[j]![ax]!
      if (idx[ax]! < out[ax]!) break
      for (let j = 0; j < nArgs; j++) offs[j]! -= argStrides[j]![ax]! * out[ax]!
      idx[ax] = 0
    }
  }
}

/** Copies `x` broadcast to `out`. */
export function broadcastCopy(x: FloatArray, m: Meta, out: Meta): FloatArray {
  const y = allocArray(out.dtype, sizeOf(out.shape))
  forEachRun(out.shape, [broadcastStrides(m.shape, out.shape)], (o, offs, n, steps) => {
    const s = steps[0]!
    let p = offs[0]!
    for (let i = 0; i < n; i++, p += s) y[o + i] = x[p]!
  })
  return y
}

/** Permutes axes: out axis i is input axis perm[i]. */
export function transposeCopy(x: FloatArray, m: Meta, perm: readonly number[], out: Meta): FloatArray {
  const st = stridesOf(m.shape)
  const permStrides = perm.map((p) => st[p]!)
  const y = allocArray(out.dtype, sizeOf(out.shape))
  if (out.shape.length === 2 && perm[0] === 1) {
    // blocked 2-D transpose, cache friendly
    const R = out.shape[0]!
    const C = out.shape[1]!
    const B = 32
    for (let i0 = 0; i0 < R; i0 += B)
      for (let j0 = 0; j0 < C; j0 += B) {
        const iMax = Math.min(R, i0 + B)
        const jMax = Math.min(C, j0 + B)
        for (let i = i0; i < iMax; i++) for (let j = j0; j < jMax; j++) y[i * C + j] = x[j * R + i]!
      }
    return y
  }
  forEachRun(out.shape, [permStrides], (o, offs, n, steps) => {
    const s = steps[0]!
    let p = offs[0]!
    for (let i = 0; i < n; i++, p += s) y[o + i] = x[p]!
  })
  return y
}

/** The box of `x` starting at `begin` with the shape of `out`. */
export function sliceCopy(x: FloatArray, m: Meta, begin: readonly number[], out: Meta): FloatArray {
  const st = stridesOf(m.shape)
  let base = 0
  for (let i = 0; i < begin.length; i++) base += begin[i]! * st[i]!
  const y = allocArray(out.dtype, sizeOf(out.shape))
  forEachRun(out.shape, [st], (o, offs, n) => {
    const p = base + offs[0]!
    for (let i = 0; i < n; i++) y[o + i] = x[p + i]!
  })
  return y
}

/** Writes `x` into a zero tensor of shape `out` at offset `before` on each axis. */
export function padCopy(x: FloatArray, m: Meta, before: readonly number[], out: Meta): FloatArray {
  const ost = stridesOf(out.shape)
  let base = 0
  for (let i = 0; i < before.length; i++) base += before[i]! * ost[i]!
  const y = allocArray(out.dtype, sizeOf(out.shape))
  // visit the runs of x; map each to its place in y
  forEachRun(m.shape, [ost], (o, offs, n) => {
    const p = base + offs[0]!
    for (let i = 0; i < n; i++) y[p + i] = x[o + i]!
  })
  return y
}

/** Concatenates along `axis`. */
export function concatCopy(
  xs: readonly FloatArray[],
  ms: readonly Meta[],
  axis: number,
  out: Meta,
): FloatArray {
  const y = allocArray(out.dtype, sizeOf(out.shape))
  const outer = sizeOf(out.shape.slice(0, axis))
  const inner = sizeOf(out.shape.slice(axis + 1))
  const rowOut = out.shape[axis]! * inner
  let colOff = 0
  for (let j = 0; j < xs.length; j++) {
    const x = xs[j]!
    const w = ms[j]!.shape[axis]! * inner
    for (let o = 0; o < outer; o++) {
      const src = o * w
      const dst = o * rowOut + colOff
      for (let i = 0; i < w; i++) y[dst + i] = x[src + i]!
    }
    colOff += w
  }
  return y
}
