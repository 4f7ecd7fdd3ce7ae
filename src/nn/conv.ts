import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { checkOptions } from '../core/options.js'
import type { Tensor } from '../core/tensor.js'
import { matmul } from '../ops/matmul.js'
import { concat, pad, reshape, slice } from '../ops/shape.js'
import { asTensor } from '../ops/util.js'

/**
 * Options of `conv1d` and `conv2d`. A number applies to every spatial axis; an array gives one
 * value per spatial axis.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { conv1d, type ConvOptions } from 'dualtape/nn'
 * const opts: ConvOptions = { stride: 2, padding: 'same' }
 * conv1d(tensor([[[1, 2, 3, 4]]]), tensor([[[1, 1, 1]]]), opts).shape // → [1, 1, 2]
 */
export interface ConvOptions {
  /** The step between windows (1 by default). */
  readonly stride?: number | readonly number[]
  /**
   * `'valid'` (no padding, the default), `'same'` (the output has ceil(size / stride) positions;
   * the padding is split evenly, the odd one after, as TensorFlow and JAX do), a number of zeros
   * on both sides of every spatial axis, or one `number | [before, after]` per spatial axis.
   */
  readonly padding?: 'valid' | 'same' | number | readonly (number | readonly [number, number])[]
  /** The spacing between the kernel's taps (1 by default; 2 skips every other input). */
  readonly dilation?: number | readonly number[]
}

/**
 * The one-dimensional convolution (a cross-correlation, as in PyTorch, JAX and TensorFlow:
 * the kernel is not flipped) of `x`, of shape [N, C, L] (or [C, L] for one example), with the
 * kernels `w` of shape [O, C, K]: the result has shape [N, O, L′] (or [O, L′]).
 *
 * A composition of the primitives (strided windows gathered by slices, then one matrix
 * product), so both modes and every backend differentiate it with no rule of its own: its VJP
 * with respect to `x` is the transposed convolution (the slices' cotangents padded back into
 * place and summed), with respect to `w` the correlation of the input with the output cotangent.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { conv1d } from 'dualtape/nn'
 * // a moving sum over windows of 2
 * conv1d(tensor([[1, 2, 3, 4]]), tensor([[[1, 1]]])) // → [[3, 5, 7]]
 */
export function conv1d(x: Tensor, w: Tensor, opts?: ConvOptions): Tensor {
  return convolve('conv1d', 1, x, w, opts)
}

/**
 * The two-dimensional convolution (a cross-correlation: the kernel is not flipped) of `x`, of
 * shape [N, C, H, W] (or [C, H, W] for one image), with kernels `w` of shape [O, C, KH, KW]:
 * the result has shape [N, O, H′, W′] (or [O, H′, W′]). The layouts are PyTorch's and
 * `jax.lax.conv`'s defaults (NCHW, OIHW).
 *
 * A composition of the primitives: for each of the KH·KW kernel taps a strided slice of the
 * padded input, the slices gathered into patches of shape [N, C·KH·KW, H′·W′] and multiplied by
 * the kernels reshaped to [O, C·KH·KW] (im2col). Both modes and every backend differentiate it
 * with no rule of its own; its VJP with respect to `x` is the transposed convolution.
 *
 * @example
 * import { tensor } from 'dualtape'
 * import { conv2d } from 'dualtape/nn'
 * const image = tensor([[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]) // [C = 1, 3, 3]
 * const edge = tensor([[[[1, -1]]]]) // [O = 1, C = 1, 1, 2]: x[i, j] − x[i, j + 1]
 * conv2d(image, edge) // → [[[-1, -1], [-1, -1], [-1, -1]]]
 * conv2d(image, tensor([[[[1]]]]), { stride: 2 }) // → [[[1, 3], [7, 9]]]
 */
export function conv2d(x: Tensor, w: Tensor, opts?: ConvOptions): Tensor {
  return convolve('conv2d', 2, x, w, opts)
}

/** One value per spatial axis from a number or an array of them, each a positive integer. */
function perAxis(op: string, name: string, v: unknown, d: number, dflt: number): number[] {
  if (v === undefined) return new Array<number>(d).fill(dflt)
  const vs = typeof v === 'number' ? new Array<number>(d).fill(v) : Array.isArray(v) ? (v as unknown[]) : null
  if (vs === null || vs.length !== d || !vs.every((n) => Number.isInteger(n) && (n as number) >= 1)) {
    throw new ValueError(
      `${op}: ${name} must be a positive integer or ${d} of them (one per spatial axis), got ${fmtValue(v)}`,
    )
  }
  return vs as number[]
}

/** The zeros before and after each spatial axis. */
function paddingOf(
  op: string,
  padding: ConvOptions['padding'],
  size: readonly number[],
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): [number, number][] {
  const d = size.length
  if (padding === undefined || padding === 'valid') return size.map(() => [0, 0])
  if (padding === 'same') {
    return size.map((n, i) => {
      const out = Math.ceil(n / stride[i]!)
      const total = Math.max((out - 1) * stride[i]! + (kernel[i]! - 1) * dilation[i]! + 1 - n, 0)
      const before = Math.floor(total / 2)
      return [before, total - before]
    })
  }
  const bad = (): never => {
    throw new ValueError(
      `${op}: padding must be 'valid', 'same', a non-negative integer, or ${d} of them (each a number or [before, after]), got ${fmtValue(padding)}`,
    )
  }
  const count = (n: unknown): number => (Number.isInteger(n) && (n as number) >= 0 ? (n as number) : bad())
  if (typeof padding === 'number') return size.map(() => [count(padding), count(padding)])
  if (!Array.isArray(padding) || padding.length !== d) return bad()
  return (padding as readonly unknown[]).map((p): [number, number] => {
    if (typeof p === 'number') return [count(p), count(p)]
    if (Array.isArray(p) && p.length === 2) return [count(p[0]), count(p[1])]
    return bad()
  })
}

/** The convolution over the last `d` axes of x: [N, C, ...spatial] with w: [O, C, ...kernel]. */
function convolve(op: string, d: number, xIn: Tensor, wIn: Tensor, opts?: ConvOptions): Tensor {
  checkOptions(op, opts, ['stride', 'padding', 'dilation'])
  const x0 = asTensor(op, xIn, 'the input')
  const w = asTensor(op, wIn, 'the kernel')
  const names = d === 1 ? '[N, C, L] or [C, L]' : '[N, C, H, W] or [C, H, W]'
  if (x0.rank !== d + 2 && x0.rank !== d + 1) {
    throw new ShapeError(`${op}: the input must have shape ${names}, got ${fmtShape(x0.shape)}`)
  }
  if (w.rank !== d + 2) {
    const k = d === 1 ? '[O, C, K]' : '[O, C, KH, KW]'
    throw new ShapeError(`${op}: the kernel must have shape ${k}, got ${fmtShape(w.shape)}`)
  }
  const single = x0.rank === d + 1
  const x = single ? reshape(x0, [1, ...x0.shape]) : x0
  const [n, c] = x.shape as [number, number]
  const [o, wc] = w.shape as [number, number]
  if (wc !== c) {
    throw new ShapeError(
      `${op}: the input has ${c} channels (shape ${fmtShape(x0.shape)}) but the kernel expects ${wc} (shape ${fmtShape(w.shape)})`,
    )
  }
  const size = x.shape.slice(2)
  const kernel = w.shape.slice(2)
  const stride = perAxis(op, 'stride', opts?.stride, d, 1)
  const dilation = perAxis(op, 'dilation', opts?.dilation, d, 1)
  const pads = paddingOf(op, opts?.padding, size, kernel, stride, dilation)
  const padded = size.map((s, i) => s + pads[i]![0] + pads[i]![1])
  const span = kernel.map((k, i) => (k - 1) * dilation[i]! + 1)
  const out = padded.map((p, i) => Math.floor((p - span[i]!) / stride[i]!) + 1)
  if (out.some((m) => m < 1) || kernel.some((k) => k < 1)) {
    throw new ShapeError(
      `${op}: a kernel of shape ${fmtShape(w.shape)} (dilation ${dilation.join('×')}) does not fit an input of shape ${fmtShape(x0.shape)} padded to ${padded.join('×')}`,
    )
  }
  // room for the last window's full stride, so that every tap is one slice of s·out elements
  const extra = padded.map((p, i) => Math.max(0, (kernel[i]! - 1) * dilation[i]! + stride[i]! * out[i]! - p))
  const anyPad = pads.some(([a, b]) => a + b > 0) || extra.some((e) => e > 0)
  const xp = anyPad
    ? pad(x, [0, 0, ...pads.map(([a]) => a)], [0, 0, ...pads.map(([, b], i) => b + extra[i]!)])
    : x
  const positions = out.reduce((p, m) => p * m, 1)
  const taps: Tensor[] = []
  const tap = new Array<number>(d).fill(0)
  const total = kernel.reduce((p, k) => p * k, 1)
  for (let t = 0; t < total; t++) {
    // the tap's index along each spatial axis, the last fastest (as w's layout)
    let r = t
    for (let i = d - 1; i >= 0; i--) {
      tap[i] = r % kernel[i]!
      r = Math.floor(r / kernel[i]!)
    }
    let window = slice(
      xp,
      [0, 0, ...tap.map((k, i) => k * dilation[i]!)],
      [n, c, ...out.map((m, i) => m * stride[i]!)],
    )
    if (stride.some((s) => s > 1)) {
      // every s-th element: view each axis as [out, s] and keep the first of each s
      const split = out.flatMap((m, i) => [m, stride[i]!])
      window = slice(
        reshape(window, [n, c, ...split]),
        [0, 0, ...split.map(() => 0)],
        [n, c, ...out.flatMap((m) => [m, 1])],
      )
    }
    taps.push(reshape(window, [n, c, 1, positions]))
  }
  const patches = reshape(total === 1 ? taps[0]! : concat(taps, 2), [n, c * total, positions])
  const y = matmul(reshape(w, [o, c * total]), patches)
  return reshape(y, single ? [o, ...out] : [n, o, ...out])
}
