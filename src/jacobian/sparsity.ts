import { fromData } from '../core/create.js'
import { ValueError } from '../core/errors.js'
import { type Level, nextLevelId, withLevel } from '../core/levels.js'
import { apply, primalAt, type OpDef } from '../core/op.js'
import { type Shape, sizeOf, stridesOf } from '../core/shape.js'
import { Tensor, isTensor, readConcrete } from '../core/tensor.js'
import { broadcastStrides, forEachRun } from '../backends/cpu/layout.js'
import { registry, type OpName, type OpParams } from '../ops/registry.js'
import type { MatmulParams } from '../ops/matmul.js'
import type { ReduceParams } from '../ops/reduce.js'
import { grad } from '../reverse/vjp.js'
import { patternFromRows, type SparsityPattern } from './sparse/pattern.js'

// ---------------------------------------------------------------------------------------------
// Sparsity detection: a transformation level whose tensors carry, for each element, the set of
// input indices it depends on. An op maps its inputs' index sets to its output's: the row
// patterns of the Jacobian. A global pattern holds at every point; a local one may drop
// dependencies that vanish at the given point (a max or where that routes elsewhere, a factor
// that is zero).
// ---------------------------------------------------------------------------------------------

/** Sorted index sets, one per element (row-major). */
export type IndexSets = readonly (readonly number[])[]

interface RuleArgs<P> {
  readonly x: readonly Tensor[]
  /** The inputs' index sets (null: a constant at this level). */
  readonly s: readonly (IndexSets | null)[]
  readonly y: Tensor
  readonly params: P
  readonly local: boolean
}

type SparsityRule<P> = (a: RuleArgs<P>) => IndexSets | null

const EMPTY: readonly number[] = []

/** The union of two sorted sets. */
function union(a: readonly number[], b: readonly number[]): readonly number[] {
  if (a.length === 0) return b
  if (b.length === 0 || a === b) return a
  const out: number[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const u = a[i]!
    const v = b[j]!
    if (u < v) {
      out.push(u)
      i++
    } else if (v < u) {
      out.push(v)
      j++
    } else {
      out.push(u)
      i++
      j++
    }
  }
  while (i < a.length) out.push(a[i++]!)
  while (j < b.length) out.push(b[j++]!)
  return out
}

const values = (t: Tensor): ArrayLike<number> => readConcrete(t)

/**
 * For elementwise ops with broadcasting: each output element depends on the broadcast elements
 * of its inputs; `keep(i, j)` may drop input i's dependence at output element j (local patterns).
 */
function broadcastUnion(
  shapes: readonly Shape[],
  sets: readonly (IndexSets | null)[],
  out: Shape,
  keep?: (input: number, outIndex: number, inIndex: number) => boolean,
): IndexSets {
  const n = sizeOf(out)
  const res = new Array<readonly number[]>(n).fill(EMPTY)
  sets.forEach((s, i) => {
    if (s === null) return
    forEachRun(out, [broadcastStrides(shapes[i]!, out)], (o, offs, len, steps) => {
      let p = offs[0]!
      for (let k = 0; k < len; k++, p += steps[0]!) {
        if (keep === undefined || keep(i, o + k, p)) res[o + k] = union(res[o + k]!, s[p]!)
      }
    })
  })
  return res
}

const elementwise: SparsityRule<unknown> = ({ x, s, y }) =>
  broadcastUnion(
    x.map((t) => t.shape),
    s,
    y.shape,
  )

/** Locally, relu has no dependence where x ≤ 0. */
const reluRule: SparsityRule<null> = (a) => {
  if (!a.local) return elementwise(a)
  const v = values(a.x[0]!)
  return broadcastUnion([a.x[0]!.shape], a.s, a.y.shape, (_i, _o, p) => v[p]! > 0)
}

/**
 * d(a·b) = b da + a db drops da where b = 0 and db where a = 0: always where the zero factor is a
 * constant at this level, and at the given point for a local pattern.
 */
const mulRule: SparsityRule<null> = (a) => {
  if (!a.local && a.s[0] !== null && a.s[1] !== null) return elementwise(a)
  const [xa, xb] = a.x
  const va = values(xa!)
  const vb = values(xb!)
  const sa = broadcastStrides(xa!.shape, a.y.shape)
  const sb = broadcastStrides(xb!.shape, a.y.shape)
  // the value of the other factor at each output element
  const other = [new Float64Array(a.y.size), new Float64Array(a.y.size)]
  forEachRun(a.y.shape, [sa, sb], (o, offs, len, steps) => {
    for (let k = 0; k < len; k++) {
      other[0]![o + k] = vb[offs[1]! + k * steps[1]!]!
      other[1]![o + k] = va[offs[0]! + k * steps[0]!]!
    }
  })
  // the other factor's value counts only where it is known: a constant, or at the given point
  const known = (i: number) => a.local || a.s[1 - i] === null
  return broadcastUnion([xa!.shape, xb!.shape], a.s, a.y.shape, (i, o) => !known(i) || other[i]![o] !== 0)
}

/** Locally, where(c, a, b) depends only on the branch taken. */
const whereRule: SparsityRule<null> = (a) => {
  if (!a.local) return broadcastUnion([a.x[1]!.shape, a.x[2]!.shape], [a.s[1]!, a.s[2]!], a.y.shape)
  const c = values(a.x[0]!)
  const taken = new Uint8Array(a.y.size)
  forEachRun(a.y.shape, [broadcastStrides(a.x[0]!.shape, a.y.shape)], (o, offs, len, steps) => {
    for (let k = 0; k < len; k++) taken[o + k] = c[offs[0]! + k * steps[0]!] !== 0 ? 1 : 2
  })
  return broadcastUnion(
    [a.x[1]!.shape, a.x[2]!.shape],
    [a.s[1]!, a.s[2]!],
    a.y.shape,
    (i, o) => taken[o] === i + 1,
  )
}

/**
 * Ops that move elements (reshape, transpose, broadcastTo, slice, pad, concat): run the op itself
 * on the element numbers 1, 2, … of each input; each output element then names its source.
 */
function gather<P>(def: OpDef<P>): SparsityRule<P> {
  return ({ x, s, params }) => {
    let offset = 0
    const owners: [number, number][] = []
    const ids = x.map((t, i) => {
      const a = new Float64Array(t.size)
      for (let k = 0; k < t.size; k++) a[k] = offset + k + 1
      owners.push([offset, i])
      offset += t.size
      return fromData(a, t.shape)
    })
    const moved = readConcrete(apply(def, ids, params))
    const res = new Array<readonly number[]>(moved.length)
    for (let j = 0; j < moved.length; j++) {
      const id = moved[j]!
      if (id === 0) {
        res[j] = EMPTY
        continue
      }
      let o = owners.length - 1
      while (owners[o]![0] >= id) o--
      const [off, input] = owners[o]!
      res[j] = s[input]?.[id - 1 - off] ?? EMPTY
    }
    return res
  }
}

/** The output element of each input element under a reduction over `axes`. */
function reductionTargets(shape: Shape, axes: readonly number[]): Int32Array {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d))
  const outStrides = stridesOf(outShape).map((st, i) => (axes.includes(i) ? 0 : st))
  const target = new Int32Array(sizeOf(shape))
  forEachRun(shape, [outStrides], (o, offs, len, steps) => {
    for (let k = 0; k < len; k++) target[o + k] = offs[0]! + k * steps[0]!
  })
  return target
}

function reduction(routes: boolean): SparsityRule<ReduceParams> {
  return ({ x, s, y, params, local }) => {
    const target = reductionTargets(x[0]!.shape, params.axes)
    const res = new Array<readonly number[]>(y.size).fill(EMPTY)
    const sx = s[0]!
    // locally a max depends only on its maximal elements
    const xv = routes && local ? values(x[0]!) : null
    const yv = routes && local ? values(y) : null
    for (let i = 0; i < target.length; i++) {
      const j = target[i]!
      if (xv !== null && xv[i] !== yv![j]) continue
      res[j] = union(res[j]!, sx[i]!)
    }
    return res
  }
}

/** y[b, i, j] depends on op(A)[b, i, p] and op(B)[b, p, j] for every p. */
const matmulRule: SparsityRule<MatmulParams> = ({ x, s, y, params: { transA, transB }, local }) => {
  const [a, b] = x
  const [sa, sb] = s
  const ra = a!.rank
  const m = y.shape[y.rank - 2]!
  const n = y.shape[y.rank - 1]!
  const k = transA ? a!.shape[ra - 2]! : a!.shape[ra - 1]!
  const batch = y.shape.slice(0, -2)
  const [aRs, aCs] = transA ? [1, m] : [k, 1]
  const [bRs, bCs] = transB ? [1, k] : [n, 1]
  const ba = broadcastStrides(a!.shape.slice(0, -2), batch).map((v) => v * m * k)
  const bb = broadcastStrides(b!.shape.slice(0, -2), batch).map((v) => v * k * n)
  // a factor's zeros are structural when it is a constant at this level, or at the given point
  const av = local || sa == null ? values(a!) : null
  const bv = local || sb == null ? values(b!) : null
  const res = new Array<readonly number[]>(y.size).fill(EMPTY)
  let bi = 0
  forEachRun(
    batch.length === 0 ? [1] : batch,
    batch.length === 0 ? [[0], [0]] : [ba, bb],
    (_o, offs, len, steps) => {
      for (let t = 0; t < len; t++, bi++) {
        const oa = offs[0]! + t * steps[0]!
        const ob = offs[1]! + t * steps[1]!
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let acc: readonly number[] = EMPTY
            for (let p = 0; p < k; p++) {
              const ia = oa + i * aRs + p * aCs
              const ib = ob + p * bRs + j * bCs
              if (sa != null && (bv === null || bv[ib] !== 0)) acc = union(acc, sa[ia]!)
              if (sb != null && (av === null || av[ia] !== 0)) acc = union(acc, sb[ib]!)
            }
            res[bi * m * n + i * n + j] = acc
          }
      }
    },
  )
  return res
}

const none: SparsityRule<unknown> = () => null

/** The index-set rule of every primitive (a mapped type: a new op without one fails the type check). */
const rules: { readonly [K in OpName]: SparsityRule<OpParams[K]> } = {
  neg: elementwise,
  exp: elementwise,
  log: elementwise,
  sin: elementwise,
  cos: elementwise,
  tan: elementwise,
  tanh: elementwise,
  sigmoid: elementwise,
  softplus: elementwise,
  logSigmoid: elementwise,
  sqrt: elementwise,
  square: elementwise,
  abs: elementwise,
  relu: reluRule,
  sign: none,
  pow: elementwise,
  add: elementwise,
  sub: elementwise,
  mul: mulRule,
  div: elementwise,
  maximum: elementwise,
  minimum: elementwise,
  greater: none,
  greaterEqual: none,
  less: none,
  lessEqual: none,
  equal: none,
  where: whereRule,
  matmul: matmulRule,
  reshape: gather(registry.reshape),
  transpose: gather(registry.transpose),
  broadcastTo: gather(registry.broadcastTo),
  concat: gather(registry.concat),
  slice: gather(registry.slice),
  pad: gather(registry.pad),
  cast: elementwise,
  stopGradient: none,
  sum: reduction(false),
  max: reduction(true),
  logsumexp: reduction(false),
}

/** A custom op without a sparsity rule: every output element may depend on every input element. */
const dense: SparsityRule<unknown> = ({ s, y }) => {
  let all: readonly number[] = EMPTY
  for (const si of s) if (si !== null) for (const e of si) all = union(all, e)
  return new Array<readonly number[]>(y.size).fill(all)
}

function makeLevel(local: boolean): Level {
  const level: Level = {
    id: nextLevelId(),
    kind: 'sparsity',
    batch: null,
    tape: null,
    process: (def: OpDef<unknown>, inputs: readonly Tensor[], params: unknown): Tensor => {
      const x = inputs.map((t) => primalAt(t, level))
      const y = apply(def, x, params)
      if (def.zeroGrad) return y
      const s = inputs.map((t) => (t.impl.kind === 'index' && t.impl.level === level ? t.impl.sets : null))
      const builtin = (registry as Record<string, OpDef<unknown>>)[def.name] === def
      const rule = builtin ? (rules as Record<string, SparsityRule<unknown>>)[def.name]! : dense
      const sets = rule({ x, s, y, params, local })
      if (sets === null) return y
      return new Tensor(y.shape, y.dtype, { kind: 'index', level, primal: y, sets })
    },
  }
  return level
}

/** Options of sparsity detection. */
export interface SparsityOptions {
  /**
   * `false` (default): the global pattern, valid at every point. `true`: the pattern at the given
   * point, which may drop dependencies that vanish there (routing by max/where, zero factors).
   */
  readonly local?: boolean
}

/**
 * The sparsity pattern of the Jacobian of f: R^n → R^m at x (rows: output elements, columns:
 * input elements, both row-major), found by propagating index sets through the ops — no
 * derivative is evaluated.
 *
 * @example
 * import { jacobianSparsity, tensor, slice, sub } from 'dualtape'
 * // a forward difference: y_i = x_{i+1} - x_i
 * const f = (x) => sub(slice(x, [1], [-1]), slice(x, [0], [3]))
 * jacobianSparsity(f, tensor([1, 2, 3, 4])).toDense()
 * // [[true, true, false, false], [false, true, true, false], [false, false, true, true]]
 */
export function jacobianSparsity(
  f: (x: Tensor) => Tensor,
  x: Tensor,
  options: SparsityOptions = {},
): SparsityPattern {
  if (typeof f !== 'function') throw new ValueError('jacobianSparsity: the first argument must be a function')
  if (!isTensor(x)) throw new ValueError('jacobianSparsity: x must be a Tensor')
  const level = makeLevel(options.local === true)
  const sets: number[][] = Array.from({ length: x.size }, (_, i) => [i])
  const traced = new Tensor(x.shape, x.dtype, { kind: 'index', level, primal: x, sets })
  const y = withLevel(level, () => f(traced))
  if (!isTensor(y)) throw new ValueError('jacobianSparsity: the function must return a Tensor')
  const rows = y.impl.kind === 'index' && y.impl.level === level ? y.impl.sets : new Array(y.size).fill(EMPTY)
  return patternFromRows(x.size, rows)
}

/**
 * The sparsity pattern of the Hessian of a scalar f at x: the pattern of the Jacobian of its
 * gradient, found by running the index-set level through the reverse sweep.
 *
 * @example
 * import { hessianSparsity, tensor, sum, square, sub, slice } from 'dualtape'
 * const f = (x) => sum(square(sub(slice(x, [1], [-1]), slice(x, [0], [3]))))
 * hessianSparsity(f, tensor([1, 2, 3, 4])).toDense() // tridiagonal
 */
export function hessianSparsity(
  f: (x: Tensor) => Tensor,
  x: Tensor,
  options: SparsityOptions = {},
): SparsityPattern {
  return jacobianSparsity(grad(f) as (x: Tensor) => Tensor, x, options)
}
