// Reference semantics for the API fuzzer: numpy's rules for shapes, broadcasting, reductions and
// layout ops, written directly on flat row-major arrays, independent of the engine's kernels.

/** A reference array: its shape and its values, row-major. */
export interface Ref {
  readonly shape: readonly number[]
  readonly data: readonly number[]
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1)

export const stridesOf = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1)
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!
  return s
}

/** The multi-index of flat index k in shape. */
export const unravel = (k: number, shape: readonly number[]): number[] => {
  const idx = new Array<number>(shape.length)
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = k % shape[i]!
    k = Math.floor(k / shape[i]!)
  }
  return idx
}

const ravel = (idx: readonly number[], shape: readonly number[]): number => {
  let k = 0
  for (let i = 0; i < shape.length; i++) k = k * shape[i]! + idx[i]!
  return k
}

/** numpy broadcasting of two shapes, or null when they do not broadcast. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1
    const db = b[b.length - n + i] ?? 1
    if (da !== db && da !== 1 && db !== 1) return null
    out.push(da === 1 ? db : da)
  }
  return out
}

/** The values of `x` broadcast to `shape` (which must be a broadcast of x's shape). */
export function broadcastTo(x: Ref, shape: readonly number[]): Ref {
  const lead = shape.length - x.shape.length
  const data = Array.from({ length: sizeOf(shape) }, (_, k) => {
    const idx = unravel(k, shape).slice(lead)
    return x.data[
      ravel(
        idx.map((v, i) => (x.shape[i] === 1 ? 0 : v)),
        x.shape,
      )
    ]!
  })
  return { shape: [...shape], data }
}

/** An elementwise function of two arrays with broadcasting (null when the shapes do not broadcast). */
export function zipWith(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref | null {
  const shape = broadcast(a.shape, b.shape)
  if (shape === null) return null
  const A = broadcastTo(a, shape).data
  const B = broadcastTo(b, shape).data
  return { shape, data: A.map((x, i) => f(x, B[i]!)) }
}

export const map = (x: Ref, f: (v: number) => number): Ref => ({ shape: x.shape, data: x.data.map(f) })

/** Reduces `axes` (sorted, distinct) with `combine` from `init`, then `finish(acc, count)`. */
export function reduce(
  x: Ref,
  axes: readonly number[],
  keepdims: boolean,
  init: number,
  combine: (acc: number, v: number) => number,
  finish: (acc: number, count: number) => number = (a) => a,
): Ref {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
  const count = sizeOf(axes.map((a) => x.shape[a]!))
  const acc = new Array<number>(sizeOf(kept)).fill(init)
  x.data.forEach((v, k) => {
    const idx = unravel(k, x.shape).map((j, i) => (axes.includes(i) ? 0 : j))
    const o = ravel(idx, kept)
    acc[o] = combine(acc[o]!, v)
  })
  const shape = keepdims ? kept : x.shape.filter((_, i) => !axes.includes(i))
  return { shape, data: acc.map((a) => finish(a, count)) }
}

/** The maximum, NaN when any element is NaN, -Infinity over no elements (max's identity). */
export const maxOf = (acc: number, v: number): number =>
  Number.isNaN(acc) || Number.isNaN(v) ? NaN : Math.max(acc, v)

/** log Σ exp over the axes, from the maximum m: m + log Σ exp(x - m) (m = ±Infinity handled). */
export function logsumexp(x: Ref, axes: readonly number[], keepdims: boolean): Ref {
  const m = reduce(x, axes, true, -Infinity, maxOf)
  const mb = broadcastTo(m, x.shape).data
  const shifted: Ref = {
    shape: x.shape,
    data: x.data.map((v, i) => (Number.isFinite(mb[i]!) ? Math.exp(v - mb[i]!) : v === mb[i] ? 1 : 0)),
  }
  const s = reduce(shifted, axes, true, 0, (a, v) => a + v)
  const data = s.data.map((v, i) => {
    const mi = m.data[i]!
    if (Number.isNaN(mi)) return NaN
    return Number.isFinite(mi) ? mi + Math.log(v) : mi
  })
  const shape = keepdims ? s.shape : x.shape.filter((_, i) => !axes.includes(i))
  return { shape, data }
}

export function transpose(x: Ref, perm: readonly number[]): Ref {
  const shape = perm.map((p) => x.shape[p]!)
  const data = Array.from({ length: x.data.length }, (_, k) => {
    const idx = unravel(k, shape)
    const src = new Array<number>(perm.length)
    perm.forEach((p, i) => (src[p] = idx[i]!))
    return x.data[ravel(src, x.shape)]!
  })
  return { shape, data }
}

export function slice(x: Ref, begin: readonly number[], size: readonly number[]): Ref {
  const data = Array.from({ length: sizeOf(size) }, (_, k) => {
    const idx = unravel(k, size).map((v, i) => v + begin[i]!)
    return x.data[ravel(idx, x.shape)]!
  })
  return { shape: [...size], data }
}

export function pad(x: Ref, before: readonly number[], after: readonly number[]): Ref {
  const shape = x.shape.map((d, i) => d + before[i]! + after[i]!)
  const data = Array.from({ length: sizeOf(shape) }, (_, k) => {
    const idx = unravel(k, shape).map((v, i) => v - before[i]!)
    return idx.every((v, i) => v >= 0 && v < x.shape[i]!) ? x.data[ravel(idx, x.shape)]! : 0
  })
  return { shape, data }
}

export function concat(xs: readonly Ref[], axis: number): Ref {
  const shape = [...xs[0]!.shape]
  shape[axis] = xs.reduce((a, x) => a + x.shape[axis]!, 0)
  const offsets: number[] = []
  xs.reduce((off, x) => (offsets.push(off), off + x.shape[axis]!), 0)
  const data = Array.from({ length: sizeOf(shape) }, (_, k) => {
    const idx = unravel(k, shape)
    let j = xs.length - 1
    while (offsets[j]! > idx[axis]!) j--
    const src = [...idx]
    src[axis] = idx[axis]! - offsets[j]!
    return xs[j]!.data[ravel(src, xs[j]!.shape)]!
  })
  return { shape, data }
}

/**
 * numpy's matmul: 1-D operands are promoted (and their axis dropped from the result), leading
 * axes broadcast. Null when the shapes do not fit. Also returns Σ|a||b| per element, the scale of
 * its rounding error.
 */
export function matmul(a: Ref, b: Ref): { y: Ref; scale: number[] } | null {
  if (a.shape.length === 0 || b.shape.length === 0) return null
  const A = a.shape.length === 1 ? { shape: [1, a.shape[0]!], data: a.data } : a
  const B = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], data: b.data } : b
  const [m, k] = A.shape.slice(-2) as [number, number]
  const [k2, n] = B.shape.slice(-2) as [number, number]
  if (k !== k2) return null
  const batch = broadcast(A.shape.slice(0, -2), B.shape.slice(0, -2))
  if (batch === null) return null
  const Ab = broadcastTo(A, [...batch, m, k]).data
  const Bb = broadcastTo(B, [...batch, k, n]).data
  const nb = sizeOf(batch)
  const data: number[] = []
  const scale: number[] = []
  for (let q = 0; q < nb; q++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0
        let t = 0
        for (let l = 0; l < k; l++) {
          const x = Ab[q * m * k + i * k + l]!
          const y = Bb[q * k * n + l * n + j]!
          s += x * y
          t += Math.abs(x * y)
        }
        data.push(s)
        scale.push(t)
      }
    }
  }
  let shape = [...batch, m, n]
  if (a.shape.length === 1) shape = [...batch, n]
  if (b.shape.length === 1) shape = a.shape.length === 1 ? [...batch] : [...batch, m]
  return { y: { shape, data }, scale }
}

// the elementwise functions, from their definitions
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)))

export const unary: Readonly<Record<string, (x: number) => number>> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  tanh: Math.tanh,
  sigmoid,
  softplus,
  logSigmoid: (x) => -softplus(-x),
  sqrt: Math.sqrt,
  square: (x) => x * x,
  abs: Math.abs,
  relu: (x) => (Number.isNaN(x) ? x : x > 0 ? x : 0),
  sign: (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0),
}

/** The elementwise binary ops; maximum and minimum propagate NaN, comparisons with NaN are false. */
export const binary: Readonly<Record<string, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  greater: (a, b) => +(a > b),
  greaterEqual: (a, b) => +(a >= b),
  less: (a, b) => +(a < b),
  lessEqual: (a, b) => +(a <= b),
  equal: (a, b) => +(a === b),
}

/** The binary ops whose float64 result is exact (one correctly rounded operation or none). */
export const exactBinary = new Set(Object.keys(binary))

/** The unary ops that are exact in float64 (no rounding, or one correctly rounded operation). */
export const exactUnary = new Set(['neg', 'sqrt', 'square', 'abs', 'relu', 'sign'])

/**
 * Whether `actual` matches `expected` elementwise: the same NaNs and infinities, finite values
 * within `tol` relative to max(|expected|, scale) (tol 0: equal, with 0 = -0).
 */
export function mismatch(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tol: number,
  scale: readonly number[] = [],
): string | null {
  if (actual.length !== expected.length) return `${actual.length} values, expected ${expected.length}`
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!
    const e = expected[i]!
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) return `element ${i}: ${a}, expected ${e}`
      continue
    }
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (a !== e) return `element ${i}: ${a}, expected ${e}`
      continue
    }
    if (Math.abs(a - e) > tol * Math.max(Math.abs(e), scale[i] ?? 0, Number.MIN_VALUE)) {
      return `element ${i}: ${a}, expected ${e} (tolerance ${tol})`
    }
  }
  return null
}
