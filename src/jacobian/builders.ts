import { fromData, zerosLike } from '../ops/create.js'
import { allocArray } from '../core/dtype.js'
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { describe } from '../core/op.js'
import { type ArgTangents, type ArgnumsOf, type OptionsWithArgnums, checkOptions } from '../core/options.js'
import { refusePromise } from '../core/levels.js'
import { type Tensor, isTensor } from '../core/tensor.js'
import { type MapTree, type Tree, type TreeDef, flatten, unflatten } from '../core/tree.js'
import { jvp } from '../forward/jvp.js'
import { concat, reshape, slice, transpose } from '../ops/shape.js'
import { grad, traceVjp } from '../reverse/vjp.js'
import { ownedBy, withScope, withTapeScope } from '../core/scope.js'
import { vmap } from '../vmap/vmap.js'

/**
 * Options of the Jacobian builders.
 *
 * @example
 * import { jacobian, mul, tensor, type JacobianOptions, type Tensor } from 'dualtape'
 * const options: JacobianOptions = { argnums: 1 }
 * jacobian((a: Tensor, b: Tensor) => mul(a, b), options)(tensor([2, 3]), tensor([4, 5])) // → [[2, 0], [0, 3]]
 */
export interface JacobianOptions {
  /**
   * Which arguments to differentiate: an index (default 0; one Jacobian) or a list (a list of
   * Jacobians, one per entry: an argument listed twice gets its Jacobian twice, as in JAX).
   */
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

/** A function of tensors, or of trees of tensors, to a tensor or a tree of tensors. */
type Fn = (...args: any[]) => Tree

/** Any function (its parameters are read with `Parameters`). */
type AnyFn = (...args: any[]) => unknown

/**
 * The function `jacfwd(f, options)` (or `jacrev`, `jacobian`) returns: it takes f's arguments
 * and gives the Jacobian in JAX's layout: f's output structure outside, and at each output leaf
 * the structure of the argument differentiated (a tuple of them for a list of argnums). For a
 * Tensor argument and a Tensor output it is a Tensor. The type follows the arguments of each call.
 *
 * @example
 * import { jacfwd, mul, tensor, type JacobianFn, type Tensor } from 'dualtape'
 * const f = (p: { w: Tensor; b: Tensor }) => ({ y: mul(p.w, p.b) })
 * const jf: JacobianFn<typeof f> = jacfwd(f)
 * const J = jf({ w: tensor([1, 2]), b: tensor(3) })
 * J.y.b // → [1, 2]
 */
export type JacobianFn<F extends AnyFn, O = object> = <A extends Parameters<F>>(
  ...args: A
) => MapTree<ReturnType<F>, ArgTangents<A, ArgnumsOf<O>>>

/**
 * The function `hessian(f, options)` returns: the Jacobian of the gradient, so the gradient's
 * structure (that of the argument, or a tuple of them for a list of argnums) with that structure
 * again at each leaf. For a Tensor argument it is a Tensor.
 *
 * @example
 * import { hessian, mul, sum, tensor, type HessianFn, type Tensor } from 'dualtape'
 * const f = (a: Tensor, b: Tensor) => sum(mul(mul(a, a), b))
 * const hf: HessianFn<typeof f, { argnums: [0, 1] }> = hessian(f, { argnums: [0, 1] })
 * const [[Haa, Hab], [Hba, Hbb]] = hf(tensor([1, 2]), tensor([3, 4]))
 * Hab // → [[2, 0], [0, 4]]
 */
export type HessianFn<F extends AnyFn, O = object> = <A extends Parameters<F>>(
  ...args: A
) => MapTree<ArgTangents<A, ArgnumsOf<O>>, ArgTangents<A, ArgnumsOf<O>>>

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

/**
 * The arguments a Jacobian builder differentiates, each distinct argnum once (an argument listed
 * twice gets its blocks twice, as in JAX), flattened to one list of leaves.
 */
interface Inputs {
  /** The argnums as listed, made non-negative. */
  readonly argnums: readonly number[]
  /** The distinct argnums, in the order they are first listed. */
  readonly distinct: readonly number[]
  /** Each distinct argument's leaves and structure. */
  readonly trees: readonly [Tensor[], TreeDef][]
  /** The leaves of all distinct arguments, in order. */
  readonly leaves: readonly Tensor[]
  /** The index in `leaves` of each distinct argument's first leaf. */
  readonly offsets: readonly number[]
}

function inputsOf(where: string, args: readonly unknown[], argnums: readonly number[]): Inputs {
  const distinct = [...new Set(argnums)]
  const trees = distinct.map((i) => flatten(where, args[i], `args[${i}]`))
  const offsets: number[] = []
  const leaves: Tensor[] = []
  for (const [xs] of trees) {
    offsets.push(leaves.length)
    leaves.push(...xs)
  }
  return { argnums, distinct, trees, leaves, offsets }
}

/** `f` as a function of the distinct differentiated arguments alone, the others fixed. */
const partialOf =
  (where: string, f: Fn, args: readonly unknown[], distinct: readonly number[]) =>
  (...xs: unknown[]): Tree => {
    const a = [...args]
    distinct.forEach((i, j) => (a[i] = xs[j]))
    const out: unknown = f(...a)
    refusePromise(where, out)
    flatten(where, out, 'output')
    return out as Tree
  }

/** The distinct arguments as trees of new leaves (in the order of `inputs.leaves`). */
const treesOf = (inputs: Inputs, leaves: readonly Tensor[]): Tree[] =>
  inputs.trees.map(([xs, def], j) =>
    unflatten(def, leaves.slice(inputs.offsets[j], inputs.offsets[j]! + xs.length)),
  )

/**
 * The Jacobian in JAX's layout: the output's tree outside; at each output leaf, the argument's
 * tree (one argnum) or a list of them (a list of argnums), with the block ∂yᵢ/∂xₗ of shape
 * [...yᵢ.shape, ...xₗ.shape] at each input leaf. `block(i, l)` gives it for output leaf i and
 * input leaf l (an index into `inputs.leaves`).
 */
function assemble(
  argnums: number | readonly number[] | undefined,
  inputs: Inputs,
  outDef: TreeDef,
  outCount: number,
  block: (i: number, l: number) => Tensor,
): unknown {
  const perOut = Array.from({ length: outCount }, (_, i) => {
    const trees = treesOf(
      inputs,
      inputs.leaves.map((_, l) => block(i, l)),
    )
    const perArg = inputs.argnums.map((a) => trees[inputs.distinct.indexOf(a)])
    return typeof argnums === 'number' || argnums === undefined ? perArg[0] : perArg
  })
  return unflatten(outDef, perOut)
}

/**
 * The seed of leaf `x` for all N input directions at once: row d is the unit vector e_d restricted
 * to x's elements, which start at direction `first`. Shape [N, ...x.shape].
 */
function seedOf(x: Tensor, n: number, first: number): Tensor {
  const size = x.size
  const d = allocArray(x.dtype, n * size)
  for (let c = 0; c < size; c++) d[(first + c) * size + c] = 1
  return fromData(d, [n, ...x.shape], x.backend)
}

/** The block of leaf l from the columns [N, mᵢ] of output leaf i: [...y.shape, ...x.shape]. */
function blockOf(cols: Tensor, first: number, x: Tensor, y: Tensor): Tensor {
  const n = cols.shape[0]!
  const mine = x.size === n ? cols : slice(cols, [first, 0], [x.size, y.size])
  // the rows of `cols` are the columns of J
  return reshape(transpose(mine), [...y.shape, ...x.shape])
}

/**
 * The Jacobian by forward mode: one JVP per input direction (column), carried in one vector-mode
 * pass by default. For f: R^{a×b} → R^{c} the Jacobian has shape [c, a, b], as in JAX.
 *
 * As JAX's jacfwd, it takes trees (nested arrays and objects of tensors) as arguments and as the
 * output: the result has the output's structure, with the argument's structure at each output
 * leaf (a list of them for a list of argnums), holding the block ∂yᵢ/∂xₗ of shape
 * [...yᵢ.shape, ...xₗ.shape]. An argnum listed twice gets its Jacobian twice.
 *
 * Types (`JacobianFn`): f must return a tree of tensors; the result takes f's parameters;
 * options are exact and literal argnums must be in range for f's parameters.
 *
 * @example
 * import { jacfwd, tensor, mul, sin, sum, type Tensor } from 'dualtape'
 * jacfwd((x) => mul(sin(x), 2))(tensor([0, 0])).toArray() // [[2, 0], [0, 2]]
 * // trees: the output's keys outside, the argument's inside
 * const J = jacfwd((p: { w: Tensor; b: Tensor }) => ({ y: mul(p.w, p.b) }))({ w: tensor([1, 2]), b: tensor(3) })
 * J.y.b.toArray() // [1, 2]
 */
export function jacfwd<F extends Fn>(f: F): JacobianFn<F>
export function jacfwd<F extends Fn, const O extends OptionsWithArgnums<JacfwdOptions, O, Parameters<F>>>(
  f: F,
  options: O,
): JacobianFn<F, O>
export function jacfwd(f: Fn, options: JacfwdOptions = {}): (...args: unknown[]) => unknown {
  if (typeof f !== 'function') throw new ValueError('jacfwd: the first argument must be a function')
  checkOptions('jacfwd', options, ['argnums', 'batched'])
  return (...args: unknown[]) =>
    withScope(() => {
      const inputs = inputsOf('jacfwd', args, argnumList('jacfwd', options.argnums, args.length))
      const h = partialOf('jacfwd', f, args, inputs.distinct)
      const primals = inputs.distinct.map((i) => args[i])
      const xs = inputs.leaves
      // the first direction of each leaf
      const firsts: number[] = []
      const n = xs.reduce((acc, x) => (firsts.push(acc), acc + x.size), 0)
      let ys: Tensor[]
      let outDef: TreeDef
      let cols: Tensor[]
      if (options.batched === false) {
        const rows: Tensor[][] = []
        let y: unknown
        for (let d = 0; d < n; d++) {
          const seeds = xs.map((x, l) => {
            const c = d - firsts[l]!
            return c >= 0 && c < x.size ? reshape(rowOf(x, c), x.shape) : zerosLike(x)
          })
          const [yd, dy] = jvp(h, primals, treesOf(inputs, seeds))
          y = yd
          flatten('jacfwd', dy)[0].forEach((t, i) => (rows[i] ??= []).push(reshape(t, [1, t.size])))
        }
        if (n === 0) y = h(...primals)
        ;[ys, outDef] = flatten('jacfwd', y, 'output')
        cols = ys.map((yi, i) => (n === 0 ? zerosLike(yi, [0, yi.size]) : concat(rows[i]!, 0)))
      } else {
        const seeds = xs.map((x, l) => seedOf(x, n, firsts[l]!))
        const [y, dy] = jvp(h, primals, treesOf(inputs, seeds), { batched: true })
        ;[ys, outDef] = flatten('jacfwd', y, 'output')
        cols = flatten('jacfwd', dy)[0].map((t, i) => reshape(t, [n, ys[i]!.size]))
      }
      return assemble(options.argnums, inputs, outDef, ys.length, (i, l) =>
        blockOf(cols[i]!, firsts[l]!, xs[l]!, ys[i]!),
      )
    })
}

/** The unit vector e_j with the size, dtype and backend of `x`, flat. */
const rowOf = (x: Tensor, j: number): Tensor => {
  const d = allocArray(x.dtype, x.size)
  d[j] = 1
  return fromData(d, [x.size], x.backend)
}

/**
 * The Jacobian by reverse mode: one tape, and its pullback along every output element (row) at
 * once, as a batched pullback (vmap of the pullback: one sweep of the tape carries the rows, in
 * chunks of at most 2²⁴ elements of cotangents; see docs/vmap.md). For
 * f: R^{a×b} → R^{c} the Jacobian has shape [c, a, b], as in JAX.
 *
 * As JAX's jacrev, it takes trees as arguments and as the output, with the layout of `jacfwd`:
 * the output's structure outside, the argument's (or a list of them) at each output leaf. An
 * argnum listed twice gets its Jacobian twice. Typed as `jacfwd` (`JacobianFn`).
 *
 * @example
 * import { jacrev, tensor, mul, sum } from 'dualtape'
 * jacrev((x) => sum(mul(x, x)))(tensor([1, 2])).toArray() // [2, 4]
 * const [Ja, Jb] = jacrev((a, b) => sum(mul(a, b)), { argnums: [0, 1] })(tensor([1, 2]), tensor([3, 4]))
 * Jb.toArray() // [1, 2]
 */
export function jacrev<F extends Fn>(f: F): JacobianFn<F>
export function jacrev<F extends Fn, const O extends OptionsWithArgnums<JacobianOptions, O, Parameters<F>>>(
  f: F,
  options: O,
): JacobianFn<F, O>
export function jacrev(f: Fn, options: JacobianOptions = {}): (...args: unknown[]) => unknown {
  if (typeof f !== 'function') throw new ValueError('jacrev: the first argument must be a function')
  checkOptions('jacrev', options, ['argnums'])
  return (...args: unknown[]) =>
    withScope(() => {
      const inputs = inputsOf('jacrev', args, argnumList('jacrev', options.argnums, args.length))
      return rowsOf(options.argnums, inputs, record('jacrev', f, args, inputs))
    })
}

/**
 * f recorded once on a tape at the differentiated arguments: its output, its leaves, its pullback
 * and how many elements the tape holds (the sizes of every recorded value).
 */
interface Recorded {
  readonly ys: readonly Tensor[]
  readonly outDef: TreeDef
  readonly pullback: (ct: Tree) => unknown[]
  readonly held: number
}

function record(where: string, f: Fn, args: readonly unknown[], inputs: Inputs): Recorded {
  const h = partialOf(where, f, args, inputs.distinct)
  const primals = inputs.distinct.map((i) => args[i])
  const argnums = primals.map((_, i) => i)
  // inside the caller's scope: the tape's tensors pass to it (no owner of their own)
  const [t] = withTapeScope(
    () => traceVjp(where, h, primals, argnums, false),
    (r) => r.out,
  )
  const [ys, outDef] = flatten(where, t.out, 'output')
  const held = t.level.tape?.heldElements() ?? 0
  return { ys, outDef, pullback: ownedBy(t.pullback, null) as (ct: Tree) => unknown[], held }
}

/**
 * The chunk rule of batched pullbacks: one sweep takes at most `elements` ÷ (the elements the tape
 * holds) cotangent rows, and at least one; 2²⁴ elements of cotangents (128 MiB in float64) by
 * default. A batched sweep keeps at most one cotangent per recorded value and row (and each op's
 * temporaries, of the sizes of its values), so a chunk of rows stays within about that budget
 * whatever the number of rows (internal: tests lower it to exercise the chunks).
 */
export const pullbackChunk = { elements: 2 ** 24 }

/** The rows of a chunk for a tape that holds `held` elements. */
export const chunkRows = (held: number): number =>
  Math.max(1, Math.floor(pullbackChunk.elements / Math.max(held, 1)))

/** Rows r0 … r0 + c − 1 of the identity over the elements of y, each of y's shape: [c, ...y.shape]. */
function unitRows(y: Tensor, r0: number, c: number): Tensor {
  const size = y.size
  const d = allocArray(y.dtype, c * size)
  for (let r = 0; r < c; r++) d[r * size + r0 + r] = 1
  return fromData(d, [c, ...y.shape], y.backend)
}

/**
 * The Jacobian from a recorded tape: its rows are the pullbacks of the unit cotangents, taken as
 * batched pullbacks (vmap of the pullback: one sweep of the tape carries a whole chunk of rows,
 * its matrix–vector products become matrix–matrix products), in chunks of `chunkRows(held)`.
 */
function rowsOf(
  argnums: JacobianOptions['argnums'],
  inputs: Inputs,
  { ys, outDef, pullback, held }: Recorded,
): unknown {
  const xs = inputs.leaves
  const chunk = chunkRows(held)
  // rows[i][l]: the chunks of rows of the block of output leaf i and input leaf l
  const rows = ys.map((yi, i) => {
    const parts = xs.map((): Tensor[] => [])
    const along = (ct: Tensor): Tree =>
      pullback(
        unflatten(
          outDef,
          ys.map((o, k) => (k === i ? ct : zerosLike(o))),
        ),
      ) as Tree
    for (let r0 = 0; r0 < yi.size; r0 += chunk) {
      const c = Math.min(chunk, yi.size - r0)
      const cts = vmap(along)(unitRows(yi, r0, c))
      flatten('jacrev', cts)[0].forEach((t, l) => parts[l]!.push(reshape(t, [c, xs[l]!.size])))
    }
    return parts
  })
  return assemble(argnums, inputs, outDef, ys.length, (i, l) => {
    const x = xs[l]!
    const yi = ys[i]!
    const flat = yi.size === 0 ? zerosLike(x, [0, x.size]) : concat(rows[i]![l]!, 0)
    return reshape(flat, [...yi.shape, ...x.shape])
  })
}

/**
 * The Jacobian in the cheaper mode for the sizes: forward (one JVP per input) when the inputs
 * are no more than the outputs, reverse (one VJP per output) otherwise. It learns the number of
 * outputs from one evaluation of f recorded on a tape, whose pullbacks then give the rows when
 * reverse mode is the cheaper. Takes and gives trees as `jacfwd` and `jacrev` do, and is typed
 * as they are (`JacobianFn`).
 *
 * @example
 * import { jacobian, tensor, sum, square } from 'dualtape'
 * jacobian((x) => sum(square(x)))(tensor([1, 2, 3])).toArray() // [2, 4, 6] (by reverse mode)
 */
export function jacobian<F extends Fn>(f: F): JacobianFn<F>
export function jacobian<F extends Fn, const O extends OptionsWithArgnums<JacobianOptions, O, Parameters<F>>>(
  f: F,
  options: O,
): JacobianFn<F, O>
export function jacobian(f: Fn, options: JacobianOptions = {}): (...args: unknown[]) => unknown {
  if (typeof f !== 'function') throw new ValueError('jacobian: the first argument must be a function')
  // batched is jacfwd's: jacobian passes it on when it picks forward mode
  checkOptions('jacobian', options, ['argnums', 'batched'])
  return (...args: unknown[]) =>
    withScope(() => {
      const inputs = inputsOf('jacobian', args, argnumList('jacobian', options.argnums, args.length))
      const n = inputs.leaves.reduce((acc, x) => acc + x.size, 0)
      const recorded = record('jacobian', f, args, inputs)
      const m = recorded.ys.reduce((acc, y) => acc + y.size, 0)
      return chooseMode(n, m) === 'fwd'
        ? jacfwd(f, options)(...args)
        : rowsOf(options.argnums, inputs, recorded)
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
 * As JAX's hessian: the arguments may be trees, and with a list of argnums the result is a list
 * of lists, `H[i][j]` = ∂²f/∂xᵢ∂xⱼ (for trees: the tree of xᵢ with the tree of xⱼ at each leaf,
 * holding blocks of shape [...xᵢₗ.shape, ...xⱼₖ.shape]).
 *
 * Types (`HessianFn`): f must return a Tensor; the result takes f's parameters and is a Tensor
 * for a Tensor argument, the nested trees above for trees and lists of argnums.
 *
 * @example
 * import { hessian, tensor, sum, mul } from 'dualtape'
 * hessian((x) => sum(mul(mul(x, x), x)))(tensor([1, 2])).toArray() // [[6, 0], [0, 12]]
 * // f(a, b) = Σ a² b: H[0][1] = ∂²f/∂a∂b = diag(2a)
 * const H = hessian((a, b) => sum(mul(mul(a, a), b)), { argnums: [0, 1] })(tensor([1, 2]), tensor([3, 4]))
 * H[0][1].toArray() // [[2, 0], [0, 4]]
 */
export function hessian<F extends (...args: any[]) => Tensor>(f: F): HessianFn<F>
export function hessian<
  F extends (...args: any[]) => Tensor,
  const O extends OptionsWithArgnums<JacobianOptions, O, Parameters<F>>,
>(f: F, options: O): HessianFn<F, O>
export function hessian(f: Fn, options: JacobianOptions = {}): (...args: unknown[]) => unknown {
  if (typeof f !== 'function') throw new ValueError('hessian: the first argument must be a function')
  checkOptions('hessian', options, ['argnums'])
  const scalar = (...args: unknown[]): Tensor => {
    const y = checkOut('hessian', f(...args))
    if (y.rank !== 0)
      throw new ShapeError(`hessian: the function must return a scalar (shape []), got ${fmtShape(y.shape)}`)
    return y
  }
  const argnums = options.argnums
  return jacfwd(grad(scalar, { argnums: argnums ?? 0 }), { argnums: argnums ?? 0 })
}

function checkOut(where: string, y: unknown): Tensor {
  refusePromise(where, y)
  if (!isTensor(y)) throw new ValueError(`${where}: the function must return a Tensor, got ${describe(y)}`)
  return y
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
      const [, hv] = jvp(g, [x], [v])
      return hv
    })
}
