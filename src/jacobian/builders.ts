import { eye, fromData, zerosLike } from '../core/create.js'
import { allocArray } from '../core/dtype.js'
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { describe } from '../core/op.js'
import { checkOptions } from '../core/options.js'
import { sizeOf } from '../core/shape.js'
import { Tensor, isTensor } from '../core/tensor.js'
import { jvp } from '../forward/jvp.js'
import { concat, reshape, transpose } from '../ops/shape.js'
import { grad, vjp } from '../reverse/vjp.js'
import { withScope } from '../core/scope.js'

/**
 * Options of the Jacobian builders.
 *
 * @example
 * import { jacobian, mul, tensor, type JacobianOptions, type Tensor } from 'dualtape'
 * const options: JacobianOptions = { argnums: 1 }
 * jacobian((a: Tensor, b: Tensor) => mul(a, b), options)(tensor([2, 3]), tensor([4, 5])) // → [[2, 0], [0, 3]]
 */
export interface JacobianOptions {
  /** Which arguments to differentiate: an index (default 0; one Jacobian) or a list (a list of Jacobians). */
  readonly argnums?: number | readonly number[]
}

/**
 * Options of `jacfwd`.
 *
 * @example
 * import { jacfwd, sin, tensor, type JacfwdOptions } from 'dualtape'
 * // one JVP per input element, as separate passes
 * const options: JacfwdOptions = { batched: false }
 * jacfwd(sin, options)(tensor([0, 0])) // → [[1, 0], [0, 1]]
 */
export interface JacfwdOptions extends JacobianOptions {
  /**
   * One vector-mode JVP carrying all n input directions at once (default), or n separate JVPs
   * (`false`), as a tangent sweep per column.
   */
  readonly batched?: boolean
}

type Fn = (...args: any[]) => Tensor

function argnumList(where: string, argnums: number | readonly number[] | undefined, n: number): number[] {
  if (argnums !== undefined && typeof argnums !== 'number' && !Array.isArray(argnums)) {
    throw new ValueError(
      `${where}: argnums must be an index or an array of indices, got ${fmtValue(argnums)}`,
    )
  }
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : [...argnums]
  return list.map((a) => {
    if (!Number.isInteger(a) || a < -n || a >= n) {
      throw new ValueError(
        `${where}: argnum ${fmtValue(a)} is out of range for a call with ${n} argument${n === 1 ? '' : 's'}`,
      )
    }
    return a < 0 ? a + n : a
  })
}

function checkArgs(where: string, args: readonly unknown[], argnums: readonly number[]): void {
  for (const i of argnums) {
    if (!isTensor(args[i]))
      throw new ValueError(`${where}: argument ${i} must be a Tensor to be differentiated`)
  }
}

function checkOut(where: string, y: unknown): Tensor {
  if (!isTensor(y)) throw new ValueError(`${where}: the function must return a Tensor, got ${typeof y}`)
  return y
}

/** `f` as a function of argument `i` alone, the others fixed. */
const partial =
  (f: Fn, args: readonly unknown[], i: number) =>
  (xi: Tensor): Tensor => {
    const a = [...args]
    a[i] = xi
    return checkOut('jacobian', f(...a))
  }

const pick = <T>(argnums: number | readonly number[] | undefined, list: T[]): T | T[] =>
  typeof argnums === 'number' || argnums === undefined ? list[0]! : list

/**
 * The Jacobian by forward mode: one JVP per input direction (column), carried in one vector-mode
 * pass by default. For f: R^{a×b} → R^{c} the Jacobian has shape [c, a, b], as in JAX.
 *
 * @example
 * import { jacfwd, tensor, mul, sin } from 'dualtape'
 * jacfwd((x) => mul(sin(x), 2))(tensor([0, 0])).toArray() // [[2, 0], [0, 2]]
 */
export function jacfwd(f: Fn, options: JacfwdOptions = {}): (...args: any[]) => any {
  if (typeof f !== 'function') throw new ValueError('jacfwd: the first argument must be a function')
  checkOptions('jacfwd', options)
  return (...args: unknown[]) =>
    withScope(() => {
      const argnums = argnumList('jacfwd', options.argnums, args.length)
      checkArgs('jacfwd', args, argnums)
      const jacs = argnums.map((i) => {
        const x = args[i] as Tensor
        const fi = partial(f, args, i)
        const n = x.size
        let cols: Tensor
        let yShape: readonly number[]
        if (options.batched === false) {
          const outs = Array.from({ length: n }, (_, j) => {
            const e = reshape(rowOf(x, j), x.shape)
            const [y, dy] = jvp(fi, [x], [e]) as [Tensor, Tensor]
            yShape = y.shape
            return reshape(dy, [1, y.size])
          })
          if (n === 0) yShape = fi(x).shape
          cols = n === 0 ? zerosLike(x, [0, sizeOf(yShape!)]) : concat(outs, 0)
        } else {
          const seeds = reshape(eye(n, n, { dtype: x.dtype, backend: x.backend.name }), [n, ...x.shape])
          const [y, dy] = jvp(fi, [x], [seeds], { batched: true }) as [Tensor, Tensor]
          yShape = y.shape
          cols = reshape(dy, [n, y.size])
        }
        // the rows of `cols` are the columns of J
        return reshape(transpose(cols), [...yShape!, ...x.shape])
      })
      return pick(options.argnums, jacs)
    })
}

/** The unit vector e_j with the size, dtype and backend of `x`, flat. */
const rowOf = (x: Tensor, j: number): Tensor => {
  const d = allocArray(x.dtype, x.size)
  d[j] = 1
  return fromData(d, [x.size], x.backend)
}

/**
 * The Jacobian by reverse mode: one tape, one pullback per output element (row). For
 * f: R^{a×b} → R^{c} the Jacobian has shape [c, a, b], as in JAX.
 *
 * @example
 * import { jacrev, tensor, mul, sum } from 'dualtape'
 * jacrev((x) => sum(mul(x, x)))(tensor([1, 2])).toArray() // [2, 4]
 */
export function jacrev(f: Fn, options: JacobianOptions = {}): (...args: any[]) => any {
  if (typeof f !== 'function') throw new ValueError('jacrev: the first argument must be a function')
  checkOptions('jacrev', options)
  return (...args: unknown[]) =>
    withScope(() => {
      const argnums = argnumList('jacrev', options.argnums, args.length)
      checkArgs('jacrev', args, argnums)
      const diff = argnums.map((i) => args[i] as Tensor)
      const g = (...xs: Tensor[]): Tensor => {
        const a = [...args]
        argnums.forEach((i, j) => (a[i] = xs[j]))
        return checkOut('jacrev', f(...a))
      }
      const [y, pullback] = vjp(g, ...diff)
      const m = y.size
      const rows: Tensor[][] = diff.map(() => [])
      for (let r = 0; r < m; r++) {
        const ct = reshape(rowOf(y, r), y.shape)
        const cts = pullback(ct) as Tensor[]
        cts.forEach((c, j) => rows[j]!.push(reshape(c, [1, c.size])))
      }
      const jacs = diff.map((x, j) => {
        const flat = m === 0 ? zerosLike(x, [0, x.size]) : concat(rows[j]!, 0)
        return reshape(flat, [...y.shape, ...x.shape])
      })
      return pick(options.argnums, jacs)
    })
}

/**
 * The Jacobian in the cheaper mode for the sizes: forward (one JVP per input) when the inputs
 * are no more than the outputs, reverse (one VJP per output) otherwise.
 *
 * @example
 * import { jacobian, tensor, sum, square } from 'dualtape'
 * jacobian((x) => sum(square(x)))(tensor([1, 2, 3])).toArray() // [2, 4, 6] (by reverse mode)
 */
export function jacobian(f: Fn, options: JacobianOptions = {}): (...args: any[]) => any {
  if (typeof f !== 'function') throw new ValueError('jacobian: the first argument must be a function')
  checkOptions('jacobian', options)
  return (...args: unknown[]) =>
    withScope(() => {
      const argnums = argnumList('jacobian', options.argnums, args.length)
      checkArgs('jacobian', args, argnums)
      const n = argnums.reduce((acc, i) => acc + (args[i] as Tensor).size, 0)
      const m = checkOut('jacobian', f(...args)).size
      return chooseMode(n, m) === 'fwd' ? jacfwd(f, options)(...args) : jacrev(f, options)(...args)
    })
}

/**
 * The mode `jacobian` picks for n inputs and m outputs: forward when n ≤ m.
 *
 * @example
 * import { chooseMode } from 'dualtape'
 * chooseMode(1000, 1) // → 'rev': one pullback instead of 1000 JVPs
 * chooseMode(2, 1000) // → 'fwd'
 */
export const chooseMode = (n: number, m: number): 'fwd' | 'rev' => (n <= m ? 'fwd' : 'rev')

/**
 * The Hessian of a scalar function, forward over reverse (jacfwd of grad). For x of shape s
 * it has shape [...s, ...s].
 *
 * @example
 * import { hessian, tensor, sum, mul } from 'dualtape'
 * hessian((x) => sum(mul(mul(x, x), x)))(tensor([1, 2])).toArray() // [[6, 0], [0, 12]]
 */
export function hessian(f: Fn, options: JacobianOptions = {}): (...args: any[]) => any {
  if (typeof f !== 'function') throw new ValueError('hessian: the first argument must be a function')
  checkOptions('hessian', options)
  const scalar = (...args: any[]): Tensor => {
    const y = checkOut('hessian', f(...args))
    if (y.rank !== 0)
      throw new ShapeError(`hessian: the function must return a scalar (shape []), got ${fmtShape(y.shape)}`)
    return y
  }
  const argnums = options.argnums
  return jacfwd(grad(scalar, { argnums: argnums ?? 0 }), { argnums: argnums ?? 0 })
}

/**
 * The Hessian-vector product H(x)·v of a scalar function, forward over reverse, without forming H.
 *
 * @example
 * import { hvp, tensor, sum, mul } from 'dualtape'
 * hvp((x) => sum(mul(mul(x, x), x)))(tensor([1, 2]), tensor([1, 1])).toArray() // [6, 12]
 */
export function hvp(f: (x: Tensor) => Tensor): (x: Tensor, v: Tensor) => Tensor {
  if (typeof f !== 'function') throw new ValueError('hvp: the first argument must be a function')
  return (x: Tensor, v: Tensor) =>
    withScope(() => {
      if (!isTensor(x) || !isTensor(v)) {
        throw new ValueError(`hvp: x and v must be Tensors, got ${describe(x)} and ${describe(v)}`)
      }
      const g = grad((t: Tensor) => {
        const y = checkOut('hvp', f(t))
        if (y.rank !== 0)
          throw new ShapeError(`hvp: the function must return a scalar (shape []), got ${fmtShape(y.shape)}`)
        return y
      })
      const [, hv] = jvp(g, [x], [v]) as [Tensor, Tensor]
      return hv
    })
}
