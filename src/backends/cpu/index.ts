import { allocArray, allocUnfilled, type FloatArray } from '../../core/dtype.js'
import { BackendError, ValueError } from '../../core/errors.js'
import { type Shape, shapesEqual, sizeOf } from '../../core/shape.js'
import type { Backend, BinaryKernelName, Kernels, Meta, UnaryKernelName } from '../../core/backend.js'
import { derivMulKernel, derivMulNumber } from './derivative.js'
import { binaryLoops, unaryLoop } from './elementwise.js'
import { binaryFns, unaryFns } from './scalar.js'
import { matrixKernels } from './matrix.js'
import {
  broadcastCopy,
  broadcastStrides,
  concatCopy,
  forEachRun,
  padCopy,
  sliceCopy,
  transposeCopy,
} from '../../kernels/layout.js'
import { fastGemm } from '../../kernels/wasm/index.js'
import type { FloatArray as GemmArray } from '../../kernels/matmul.js'

// ---------------------------------------------------------------------------------------------
// elementwise
// ---------------------------------------------------------------------------------------------

function unaryKernel(name: UnaryKernelName) {
  const loop = unaryLoop(name, unaryFns[name])
  return (x: FloatArray, m: Meta): FloatArray => {
    const y = allocArray(m.dtype, x.length)
    loop(x, y)
    return y
  }
}

/**
 * Whether `shape` broadcast to `out` is repeated along leading axes only: its shape less leading
 * ones is a suffix of out's (then its element j meets out's elements j, j + len, j + 2·len, …).
 */
function repeatsAlongLeading(shape: Shape, out: Shape): boolean {
  let lead = 0
  while (lead < shape.length && shape[lead] === 1) lead++
  const rest = shape.length - lead
  if (rest > out.length) return false
  for (let i = 0; i < rest; i++) if (shape[lead + i] !== out[out.length - rest + i]) return false
  return true
}

function binaryKernel(name: BinaryKernelName) {
  const loops = binaryLoops(name, binaryFns[name])
  return (a: FloatArray, b: FloatArray, ma: Meta, mb: Meta, out: Meta): FloatArray => {
    const n = sizeOf(out.shape)
    const y = allocArray(out.dtype, n)
    if (n === 0) return y
    if (a.length === n && b.length === n && shapesEqual(ma.shape, mb.shape)) loops.same(a, b, y, n)
    else if (a.length === n && repeatsAlongLeading(mb.shape, out.shape)) loops.rowB(a, b, y, n, b.length)
    else if (b.length === n && repeatsAlongLeading(ma.shape, out.shape)) loops.rowA(a, b, y, n, a.length)
    else {
      const sa = broadcastStrides(ma.shape, out.shape)
      const sb = broadcastStrides(mb.shape, out.shape)
      forEachRun(out.shape, [sa, sb], (o, offs, len, steps) =>
        loops.run(a, offs[0]!, steps[0]!, b, offs[1]!, steps[1]!, y, o, len),
      )
    }
    return y
  }
}

// ---------------------------------------------------------------------------------------------
// reductions: move the reduced axes last, then reduce contiguous blocks
// ---------------------------------------------------------------------------------------------

type BlockReducer = (x: FloatArray, off: number, len: number) => number

function reduceKernel(
  block: BlockReducer,
  leading: ((x: FloatArray, outer: number, inner: number, y: FloatArray) => void) | null,
) {
  return (x: FloatArray, m: Meta, axes: readonly number[], out: Meta): FloatArray => {
    const rank = m.shape.length
    const nOut = sizeOf(out.shape)
    const y = allocArray(out.dtype, nOut)
    const nRed = axes.reduce((acc, a) => acc * m.shape[a]!, 1)
    // reduced axes form a prefix: out[j] = reduce_i x[i*inner + j]
    const isPrefix = axes.every((a, i) => a === i)
    if (leading !== null && isPrefix && axes.length > 0 && axes.length < rank) {
      leading(x, nRed, nOut, y)
      return y
    }
    const isSuffix = axes.every((a, i) => a === rank - axes.length + i)
    let src = x
    if (!isSuffix) {
      const kept = Array.from({ length: rank }, (_, i) => i).filter((i) => !axes.includes(i))
      const perm = [...kept, ...axes]
      src = transposeCopy(x, m, perm, { shape: perm.map((p) => m.shape[p]!), dtype: m.dtype })
    }
    for (let j = 0; j < nOut; j++) y[j] = block(src, j * nRed, nRed)
    return y
  }
}

const sumBlock: BlockReducer = (x, off, len) => {
  let s = 0
  for (let i = 0; i < len; i++) s += x[off + i]!
  return s
}

const maxBlock: BlockReducer = (x, off, len) => {
  let mx = -Infinity
  for (let i = 0; i < len; i++) {
    const v = x[off + i]!
    if (v > mx || Number.isNaN(v)) mx = v
    if (Number.isNaN(mx)) return NaN
  }
  return mx
}

const minBlock: BlockReducer = (x, off, len) => {
  let mn = Infinity
  for (let i = 0; i < len; i++) {
    const v = x[off + i]!
    if (v < mn || Number.isNaN(v)) mn = v
    if (Number.isNaN(mn)) return NaN
  }
  return mn
}

const prodBlock: BlockReducer = (x, off, len) => {
  let p = 1
  for (let i = 0; i < len; i++) p *= x[off + i]!
  return p
}

// log Σ e^x = m + log Σ e^(x - m), m = max x
const logsumexpBlock: BlockReducer = (x, off, len) => {
  const mx = maxBlock(x, off, len)
  if (!Number.isFinite(mx)) return mx
  let s = 0
  for (let i = 0; i < len; i++) s += Math.exp(x[off + i]! - mx)
  return mx + Math.log(s)
}

function sumLeading(x: FloatArray, outer: number, inner: number, y: FloatArray): void {
  for (let i = 0; i < outer; i++) {
    const o = i * inner
    for (let j = 0; j < inner; j++) y[j]! += x[o + j]!
  }
}

function maxLeading(x: FloatArray, outer: number, inner: number, y: FloatArray): void {
  y.fill(-Infinity)
  for (let i = 0; i < outer; i++) {
    const o = i * inner
    for (let j = 0; j < inner; j++) {
      const v = x[o + j]!
      if (v > y[j]! || Number.isNaN(v)) y[j] = v
    }
  }
}

// ---------------------------------------------------------------------------------------------
// matmul: batch axes broadcast, each pair multiplied by the packed gemm
// ---------------------------------------------------------------------------------------------

function matmulKernel(
  a: GemmArray,
  b: GemmArray,
  ma: Meta,
  mb: Meta,
  out: Meta,
  transA: boolean,
  transB: boolean,
): FloatArray {
  const ra = ma.shape.length
  const m = out.shape[out.shape.length - 2]!
  const n = out.shape[out.shape.length - 1]!
  const k = transA ? ma.shape[ra - 2]! : ma.shape[ra - 1]!
  // element (i, p) of op(A) and (p, j) of op(B): a transpose is a swap of strides
  const [aRs, aCs] = transA ? [1, m] : [k, 1]
  const [bRs, bCs] = transB ? [1, k] : [n, 1]
  // matmul is a float op: apply gives it no int32 tensor
  const y = allocUnfilled(out.dtype, sizeOf(out.shape)) as GemmArray
  const batch: Shape = out.shape.slice(0, -2)
  const nb = sizeOf(batch)
  if (nb === 0 || m === 0 || n === 0) return y
  const sa = broadcastStrides(ma.shape.slice(0, -2), batch).map((s) => s * m * k)
  const sb = broadcastStrides(mb.shape.slice(0, -2), batch).map((s) => s * k * n)
  if (batch.length === 0) {
    fastGemm(m, n, k, a, 0, aRs, aCs, b, 0, bRs, bCs, y, 0)
    return y
  }
  let bi = 0
  forEachRun(batch, [sa, sb], (_o, offs, len, steps) => {
    for (let i = 0; i < len; i++, bi++) {
      fastGemm(
        m,
        n,
        k,
        a,
        offs[0]! + i * steps[0]!,
        aRs,
        aCs,
        b,
        offs[1]! + i * steps[1]!,
        bRs,
        bCs,
        y,
        bi * m * n,
      )
    }
  })
  return y
}

// ---------------------------------------------------------------------------------------------
// indexing
// ---------------------------------------------------------------------------------------------

/** The sizes before `axis`, of `axis`, and after it. */
function around(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))]
}

/** Every index in [0, n): the ops check before their kernels run, so this is a last guard. */
function checkIndices(op: string, idx: FloatArray, n: number): void {
  for (let j = 0; j < idx.length; j++) {
    const v = idx[j]!
    if (!(v >= 0 && v < n)) {
      throw new ValueError(`${op}: index ${v} at position ${j} is out of range for an axis of size ${n}`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// scans and positions along one axis
// ---------------------------------------------------------------------------------------------

function cumsumKernel(x: FloatArray, m: Meta, axis: number, reverse: boolean, out: Meta): FloatArray {
  const y = allocArray(out.dtype, x.length)
  const [outer, n, inner] = around(m.shape, axis)
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0
      for (let k = 0; k < n; k++) {
        const p = (o * n + (reverse ? n - 1 - k : k)) * inner + i
        s += x[p]!
        y[p] = s
      }
    }
  }
  return y
}

/** The kernel of argmax (`better(v, w)`: v beats w) or argmin: the first winner, a NaN beating all. */
function argKernel(better: (v: number, w: number) => boolean) {
  return (x: FloatArray, m: Meta, axis: number, out: Meta): FloatArray => {
    const y = allocArray(out.dtype, sizeOf(out.shape))
    const [outer, n, inner] = around(m.shape, axis)
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0
        let w = x[o * n * inner + i]!
        for (let k = 1; k < n && w === w; k++) {
          const v = x[(o * n + k) * inner + i]!
          if (v !== v || better(v, w)) {
            best = k
            w = v
          }
        }
        y[o * inner + i] = best
      }
    }
    return y
  }
}

// ---------------------------------------------------------------------------------------------
// the backend
// ---------------------------------------------------------------------------------------------

const unaryNames: readonly UnaryKernelName[] = Object.keys(unaryFns) as UnaryKernelName[]
const binaryNames: readonly BinaryKernelName[] = Object.keys(binaryFns) as BinaryKernelName[]

const kernels: Kernels<FloatArray> = {
  ...(Object.fromEntries(unaryNames.map((k) => [k, unaryKernel(k)])) as {
    [K in UnaryKernelName]: (x: FloatArray, m: Meta) => FloatArray
  }),
  ...(Object.fromEntries(binaryNames.map((k) => [k, binaryKernel(k)])) as {
    [K in BinaryKernelName]: (a: FloatArray, b: FloatArray, ma: Meta, mb: Meta, out: Meta) => FloatArray
  }),
  pow: (x, m, p) => {
    const y = allocArray(m.dtype, x.length)
    if (p === 2) for (let i = 0; i < x.length; i++) y[i] = x[i]! * x[i]!
    else for (let i = 0; i < x.length; i++) y[i] = Math.pow(x[i]!, p)
    return y
  },
  clip: (x, m, lo, hi) => {
    const y = allocArray(m.dtype, x.length)
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!
      y[i] = v < lo ? lo : v > hi ? hi : v
    }
    return y
  },
  derivMul: (op, x, y, ct, _m, ctMeta, p) => derivMulKernel(op, x, y, ct, p, ctMeta.dtype),
  where: (c, a, b, mc, ma, mb, out) => {
    const y = allocArray(out.dtype, sizeOf(out.shape))
    const s = [mc, ma, mb].map((mm) => broadcastStrides(mm.shape, out.shape))
    forEachRun(out.shape, s, (o, offs, len, steps) => {
      let pc = offs[0]!
      let pa = offs[1]!
      let pb = offs[2]!
      for (let i = 0; i < len; i++, pc += steps[0]!, pa += steps[1]!, pb += steps[2]!) {
        y[o + i] = c[pc]! !== 0 ? a[pa]! : b[pb]!
      }
    })
    return y
  },
  matmul: matmulKernel as Kernels<FloatArray>['matmul'],
  transpose: transposeCopy,
  // row-major data does not change under reshape
  reshape: (x) => x,
  broadcastTo: broadcastCopy,
  sum: reduceKernel(sumBlock, sumLeading),
  max: reduceKernel(maxBlock, maxLeading),
  min: reduceKernel(minBlock, null),
  prod: reduceKernel(prodBlock, null),
  logsumexp: reduceKernel(logsumexpBlock, null),
  concat: concatCopy,
  slice: sliceCopy,
  pad: padCopy,
  cast: (x, _m, out) => (out.dtype === 'float64' ? Float64Array.from(x) : Float32Array.from(x)),
  ...matrixKernels,
  cumsum: cumsumKernel,
  argmax: argKernel((v, w) => v > w),
  argmin: argKernel((v, w) => v < w),
  take: (x, idx, m, _mi, axis, out) => {
    const y = allocArray(out.dtype, sizeOf(out.shape))
    const [outer, n, inner] = around(m.shape, axis)
    const k = idx.length
    checkIndices('take', idx, n)
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const src = (o * n + idx[j]!) * inner
        const dst = (o * k + j) * inner
        for (let i = 0; i < inner; i++) y[dst + i] = x[src + i]!
      }
    }
    return y
  },
  scatterAdd: (u, idx, _m, _mi, axis, out) => {
    const y = allocArray(out.dtype, sizeOf(out.shape))
    const [outer, n, inner] = around(out.shape, axis)
    const k = idx.length
    checkIndices('scatterAdd', idx, n)
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const dst = (o * n + idx[j]!) * inner
        const src = (o * k + j) * inner
        for (let i = 0; i < inner; i++) y[dst + i]! += u[src + i]!
      }
    }
    return y
  },
}

/**
 * The default backend: TypeScript kernels on Float64Array (float64) and Float32Array (float32),
 * matrix products in WebAssembly SIMD where the engine has it. Data is read synchronously.
 *
 * @example
 * import { cpuBackend } from 'dualtape/backends'
 * import { tensor } from 'dualtape'
 * cpuBackend.name // → 'cpu'
 * tensor([1, 2]).backend === cpuBackend // → true: the default backend
 */
export const cpuBackend: Backend<FloatArray> = {
  name: 'cpu',
  dtypes: ['float64', 'float32'],
  syncRead: true,
  fromArray: (data, m) => {
    const want = m.dtype === 'float64' ? Float64Array : m.dtype === 'float32' ? Float32Array : Int32Array
    if (!(data instanceof want))
      throw new BackendError(`cpu: data of dtype ${m.dtype} must be a ${want.name}`)
    return data
  },
  readSync: (h) => h,
  read: async (h) => h,
  dispose: () => {},
  kernels,
  derivMulNumber,
}
