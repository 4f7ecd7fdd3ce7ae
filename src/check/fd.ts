import type { DType } from '../core/dtype.js'
import { ShapeError, ValueError, fmtShape } from '../core/errors.js'
import { checkOptions } from '../core/options.js'
import { type Shape, shapesEqual, sizeOf } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import {
  type TensorFn,
  anyFloat32,
  callChecked,
  checkArgs,
  checkPositive,
  fromLike,
  maxAbs,
  read,
  unitRoundoff,
} from './util.js'

// ---------------------------------------------------------------------------------------------
// The finite-difference oracle. The central difference
//   D(h) = (f(x + h v) - f(x - h v)) / 2h = J v + c₁ h² + c₂ h⁴ + …
// has an even error series, so Richardson extrapolation over h, h/2, h/4, … removes one power
// of h² per column of the tableau:
//   A[i][0] = D(h / 2ⁱ),   A[i][j] = A[i][j-1] + (A[i][j-1] - A[i-1][j-1]) / (4ʲ - 1).
// The estimate is the last diagonal entry; the difference between the last two diagonal entries
// bounds its truncation error (it is the error of the less accurate one), and the rounding error
// of f, magnified by 1/h, is added to it.
// ---------------------------------------------------------------------------------------------

/**
 * Options of the finite-difference oracle.
 *
 * @example
 * import { fdJvp, type FdOptions } from 'dualtape/check'
 * import { sin, tensor } from 'dualtape'
 * // a larger first step, extrapolated over more levels
 * const options: FdOptions = { eps: 2 ** -5, levels: 5 }
 * fdJvp(sin, [tensor([1])], [tensor([1])], options).value // → [0.5403023059]: cos 1
 */
export interface FdOptions {
  /**
   * The first step, relative to the input scale max(1, |x|∞) and to |v|∞: h₀ = eps · scale / |v|∞.
   * Default 2⁻⁷ in float64, 2⁻⁴ when float32 is involved.
   */
  readonly eps?: number
  /** How many steps h₀, h₀/2, …, h₀/2^(levels−1) are extrapolated (at least 2). Default 4 (float64), 3 (float32). */
  readonly levels?: number
}

/**
 * A finite-difference estimate with its error bar, elementwise.
 *
 * @example
 * import { fdJvp, type FdEstimate } from 'dualtape/check'
 * import { mul, tensor, type Tensor } from 'dualtape'
 * const estimate: FdEstimate = fdJvp((x: Tensor) => mul(x, x), [tensor([3])], [tensor([1])])
 * estimate.value // → [6]
 * estimate.error[0]! < 1e-9 // → true
 */
export interface FdEstimate {
  /** The shape of the differentiated function's output. */
  readonly shape: Shape
  /** The extrapolated derivative, row-major. */
  readonly value: Float64Array
  /** An estimate of |value − exact|, elementwise: extrapolation difference plus rounding. */
  readonly error: Float64Array
  /** The steps used (the first may have been reduced where f was not finite at a probe). */
  readonly steps: readonly number[]
  /** The precision the function was evaluated in. */
  readonly dtype: DType
}

/**
 * One column of derivatives per input element: the finite-difference Jacobian of one argument.
 *
 * @example
 * import { fdJacobian, type FdJacobian } from 'dualtape/check'
 * import { mul, tensor, type Tensor } from 'dualtape'
 * const [j]: FdJacobian[] = fdJacobian((x: Tensor) => mul(x, x), [tensor([1, 3])])
 * j!.outShape // → [2]
 * j!.inShape // → [2]
 * j!.value // → [2, 0, 0, 6]: row-major, J[i, j] = ∂yᵢ/∂xⱼ
 */
export interface FdJacobian {
  /** Output shape (rows) and argument shape (columns). */
  readonly outShape: Shape
  readonly inShape: Shape
  /** J[i, j] = ∂yᵢ/∂xⱼ, row-major: value[i * inSize + j]. */
  readonly value: Float64Array
  readonly error: Float64Array
  readonly dtype: DType
}

/**
 * The default first step (relative) and number of extrapolation levels for a precision.
 *
 * @example
 * import { fdDefaults } from 'dualtape/check'
 * fdDefaults('float64') // { eps: 2⁻⁷, levels: 4 }
 */
export function fdDefaults(dtype: DType): Required<FdOptions> {
  return dtype === 'float32' ? { eps: 2 ** -4, levels: 3 } : { eps: 2 ** -7, levels: 4 }
}

/**
 * The Richardson tableau's result: the estimate, the extrapolation error estimate, and the tableau.
 *
 * @example
 * import { richardson, type Extrapolated } from 'dualtape/check'
 * // d/dx eˣ at 0 from central differences with h = 0.5, 0.25, 0.125, 0.0625
 * const r: Extrapolated = richardson((h) => [(Math.exp(h) - Math.exp(-h)) / (2 * h)], 0.5, 4)
 * r.value // → [1.0000000]
 * r.tableau.length // → 4
 */
export interface Extrapolated {
  readonly value: Float64Array
  readonly error: Float64Array
  /** tableau[i][j]: row i from step h₀/2ⁱ, column j after j extrapolations. */
  readonly tableau: readonly (readonly Float64Array[])[]
}

/**
 * Richardson extrapolation of an even-order difference quotient: given `central(h)` (a vector
 * whose error is a series in h²), evaluates it at h₀, h₀/2, … and extrapolates. The error
 * estimate is |A[n−1][n−1] − A[n−2][n−2]| elementwise.
 *
 * @example
 * import { richardson } from 'dualtape/check'
 * // d/dx sin x at x = 1 from central differences
 * const { value, error } = richardson((h) => [(Math.sin(1 + h) - Math.sin(1 - h)) / (2 * h)], 0.1, 4)
 * Math.abs(value[0] - Math.cos(1)) < 1e-10 // true, and error[0] is of that order
 */
export function richardson(central: (h: number) => ArrayLike<number>, h0: number, levels = 4): Extrapolated {
  checkPositive('richardson', 'h0', h0)
  if (!Number.isInteger(levels) || levels < 2) {
    throw new ValueError(`richardson: levels must be an integer ≥ 2, got ${String(levels)}`)
  }
  const tableau: Float64Array[][] = []
  for (let i = 0; i < levels; i++) {
    const row: Float64Array[] = [Float64Array.from(central(h0 / 2 ** i))]
    for (let j = 1; j <= i; j++) {
      const prev = row[j - 1]!
      const up = tableau[i - 1]![j - 1]!
      const k = 4 ** j - 1
      row.push(prev.map((v, e) => v + (v - up[e]!) / k))
    }
    tableau.push(row)
  }
  const n = levels - 1
  const value = tableau[n]![n]!
  const before = tableau[n - 1]![n - 1]!
  const error = value.map((v, e) => Math.abs(v - before[e]!))
  return { value, error, tableau }
}

/**
 * The central-difference quotient of F along a direction and the magnitude of the probes.
 * `F` maps flat input data (one array per argument) to flat output data.
 */
type FlatFn = (xs: readonly Float64Array[]) => Float64Array

/**
 * Richardson-extrapolated directional derivative of a flat function, with rounding error added.
 * Where a probe is not finite (the step left f's domain) the first step is cut by 8. Where the
 * extrapolation error dominates the rounding error (f varies on a scale smaller than the step),
 * the scheme is restarted from a 16 times smaller first step, and each element keeps the
 * estimate with the smaller error bar.
 */
function directional(
  F: FlatFn,
  xs: readonly Float64Array[],
  vs: readonly Float64Array[],
  h0: number,
  levels: number,
  u: number,
  outSize: number,
): { value: Float64Array; error: Float64Array; steps: number[] } {
  const at = (h: number): Float64Array[] => xs.map((x, a) => x.map((xi, e) => xi + h * vs[a]![e]!))
  const value = new Float64Array(outSize).fill(NaN)
  const error = new Float64Array(outSize).fill(Infinity)
  const steps: number[] = []
  let h = h0
  for (let attempt = 0, restarts = 0; attempt < 8 && restarts < 4; attempt++) {
    const magnitude = new Float64Array(outSize)
    let finite = true
    const ex = richardson(
      (t) => {
        const yp = F(at(t))
        const ym = F(at(-t))
        const q = new Float64Array(outSize)
        for (let e = 0; e < outSize; e++) {
          const a = yp[e]!
          const b = ym[e]!
          if (!Number.isFinite(a) || !Number.isFinite(b)) finite = false
          magnitude[e] = Math.max(magnitude[e]!, Math.abs(a), Math.abs(b))
          q[e] = (a - b) / (2 * t)
        }
        return q
      },
      h,
      levels,
    )
    if (!finite) {
      h /= 8
      continue
    }
    const hMin = h / 2 ** (levels - 1)
    for (let i = 0; i < levels; i++) steps.push(h / 2 ** i)
    let refine = false
    for (let e = 0; e < outSize; e++) {
      // rounding: each probe carries about u·|f| error, and the tableau weights sum to < 3
      const rounding = (3 * u * magnitude[e]!) / hMin
      const total = ex.error[e]! + rounding
      if (total < error[e]!) {
        value[e] = ex.value[e]!
        error[e] = total
      }
      if (ex.error[e]! > 10 * rounding) refine = true
    }
    if (!refine) break
    restarts++
    h /= 16
  }
  return { value, error, steps }
}

interface Prepared {
  readonly F: FlatFn
  readonly y: Tensor
  readonly xs: Float64Array[]
  readonly dtype: DType
  readonly opts: Required<FdOptions>
}

function prepare(where: string, f: TensorFn, args: readonly Tensor[], options: FdOptions): Prepared {
  if (typeof f !== 'function') throw new ValueError(`${where}: f must be a function, got ${typeof f}`)
  checkOptions(where, options)
  checkArgs(where, args)
  checkPositive(where, 'eps', options.eps)
  if (options.levels !== undefined && (!Number.isInteger(options.levels) || options.levels < 2)) {
    throw new ValueError(`${where}: levels must be an integer ≥ 2, got ${String(options.levels)}`)
  }
  const y = callChecked(where, f, args)
  const dtype: DType = anyFloat32([...args, y]) ? 'float32' : 'float64'
  const d = fdDefaults(dtype)
  const opts = { eps: options.eps ?? d.eps, levels: options.levels ?? d.levels }
  const F: FlatFn = (xs) =>
    read(
      callChecked(
        where,
        f,
        args.map((a, i) => fromLike(a, xs[i]!)),
      ),
    )
  return { F, y, xs: args.map(read), dtype, opts }
}

/**
 * The directional derivative J v of `f` at `args` along `tangents` (one per argument, of the
 * same shapes) by central differences with Richardson extrapolation, with an error bar for
 * every output element.
 *
 * @example
 * import { fdJvp } from 'dualtape/check'
 * import { tensor, sin, mul } from 'dualtape'
 * const est = fdJvp((x) => mul(sin(x), x), [tensor([1, 2])], [tensor([1, 0])])
 * est.value[0] // ≈ sin 1 + cos 1, with est.error[0] ≈ 1e-12
 */
export function fdJvp(
  f: TensorFn,
  args: readonly Tensor[],
  tangents: readonly Tensor[],
  options: FdOptions = {},
): FdEstimate {
  const p = prepare('fdJvp', f, args, options)
  const vs = checkArgs('fdJvp', tangents).map(read)
  if (vs.length !== args.length)
    throw new ShapeError(`fdJvp: ${args.length} arguments but ${vs.length} tangents`)
  tangents.forEach((t, i) => {
    if (!shapesEqual(t.shape, args[i]!.shape)) {
      throw new ShapeError(
        `fdJvp: tangent ${i} has shape ${fmtShape(t.shape)} but its argument has ${fmtShape(args[i]!.shape)}`,
      )
    }
  })
  const outSize = p.y.size
  const vmax = Math.max(...vs.map(maxAbs), 0)
  if (vmax === 0) {
    return {
      shape: p.y.shape,
      value: new Float64Array(outSize),
      error: new Float64Array(outSize),
      steps: [],
      dtype: p.dtype,
    }
  }
  const scale = Math.max(1, ...p.xs.map(maxAbs))
  const h0 = (p.opts.eps * scale) / vmax
  const r = directional(p.F, p.xs, vs, h0, p.opts.levels, unitRoundoff(p.dtype), outSize)
  return { shape: p.y.shape, value: r.value, error: r.error, steps: r.steps, dtype: p.dtype }
}

/**
 * The Jacobian of `f` with respect to each argument by finite differences: one extrapolated
 * central difference per input element, the step scaled to that element (max(1, |xⱼ|)).
 *
 * @example
 * import { fdJacobian } from 'dualtape/check'
 * import { tensor, mul } from 'dualtape'
 * const [j] = fdJacobian((x) => mul(x, x), [tensor([1, 3])])
 * Array.from(j.value) // ≈ [2, 0, 0, 6]
 */
export function fdJacobian(f: TensorFn, args: readonly Tensor[], options: FdOptions = {}): FdJacobian[] {
  const p = prepare('fdJacobian', f, args, options)
  const outSize = p.y.size
  const u = unitRoundoff(p.dtype)
  return args.map((a, ai) => {
    const n = sizeOf(a.shape)
    const value = new Float64Array(outSize * n)
    const error = new Float64Array(outSize * n)
    const vs = args.map((b) => new Float64Array(sizeOf(b.shape)))
    for (let j = 0; j < n; j++) {
      vs[ai]!.fill(0)
      vs[ai]![j] = 1
      const h0 = p.opts.eps * Math.max(1, Math.abs(p.xs[ai]![j]!))
      const r = directional(p.F, p.xs, vs, h0, p.opts.levels, u, outSize)
      for (let i = 0; i < outSize; i++) {
        value[i * n + j] = r.value[i]!
        error[i * n + j] = r.error[i]!
      }
    }
    return { outShape: p.y.shape, inShape: a.shape, value, error, dtype: p.dtype }
  })
}
