import { fromData } from '../ops/create.js'
import { ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { type Level, callAtLevel, nextLevelId } from '../core/levels.js'
import { apply, primalAt, type OpDef } from '../core/op.js'
import { type Shape, sizeOf, stridesOf } from '../core/shape.js'
import { Tensor, isTensor, readConcrete } from '../core/tensor.js'
import { getBackend } from '../backends/registry.js'
import { broadcastStrides, forEachRun } from '../kernels/layout.js'
import { registry, type OpName, type OpParams } from '../ops/registry.js'
import type { MatmulParams } from '../ops/matmul.js'
import type { LogAbsDetParams, SolveParams, TriangularSolveParams } from '../matrix/ops.js'
import type { CumsumParams, ReduceParams } from '../ops/reduce.js'
import type { ScatterAddParams, TakeParams } from '../ops/indexing.js'
import type { ClipParams } from '../ops/elementwise.js'
import { grad } from '../reverse/vjp.js'
import { patternFromRows, type SparsityPattern } from '../sparse/pattern.js'

// ---------------------------------------------------------------------------------------------
// Sparsity detection: a transformation level whose tensors carry, for each element, the set of
// input indices it depends on. An op maps its inputs' index sets to its output's: the row
// patterns of the Jacobian. A global pattern holds at every point; a local one may drop
// dependencies that vanish at the given point (a max or where that routes elsewhere, a factor
// that is zero).
//
// Values at the level come in three kinds:
// - tracers with index sets (they depend on the inputs differentiably);
// - tracers whose sets are all empty: the output of a piecewise-constant op (comparison, sign,
//   stopGradient) of a tracer. Its derivative is zero but its value changes with the point, so a
//   global pattern may not treat its zeros as structural (relu's VJP multiplies by [x > 0]);
// - constants (plain tensors, or tracers of lower levels): their values hold at every point, so
//   a zero factor among them is a structural zero.
// ---------------------------------------------------------------------------------------------

/**
 * The sparsity pattern of a tensor at the detection level, one sorted array of input indices per
 * element (row-major): element k may depend on input element j only if j is in set k.
 *
 * @example
 * import { patternFromRows, type IndexSets } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * // y = (x0 + x1, x2): y0 depends on x0 and x1, y1 on x2
 * const sets: IndexSets = [[0, 1], [2]]
 * assert.strictEqual(patternFromRows(3, sets).toString(), 'xx.\n..x')
 */
export type IndexSets = readonly (readonly number[])[]

/**
 * Unions of many sorted sets over the indices [0, n): a stamp per index marks what the current
 * union already holds, so a reduction of k sets of total size T costs O(T + U log U) for a union
 * of size U, not the O(k·U) of merging one set at a time.
 */
class Unions {
  readonly #stamp: Int32Array
  #epoch = 0
  #single: readonly number[] | null = null
  #count = 0
  readonly #items: number[] = []

  constructor(n: number) {
    this.#stamp = new Int32Array(n)
  }

  /** Starts a new union. */
  begin(): void {
    this.#epoch++
    this.#single = null
    this.#count = 0
    this.#items.length = 0
  }

  /** Adds a sorted set to the current union. */
  add(set: readonly number[]): void {
    if (set.length === 0 || set === this.#single) return
    // one distinct set so far: keep it by reference until a second arrives
    if (this.#count === 0) {
      this.#single = set
      this.#count = 1
      return
    }
    if (this.#count === 1) this.#mark(this.#single!)
    this.#count = 2
    this.#mark(set)
  }

  /** The current union, sorted. */
  end(): readonly number[] {
    if (this.#count === 0) return EMPTY
    if (this.#count === 1) return this.#single!
    return this.#items.slice().sort((a, b) => a - b)
  }

  #mark(set: readonly number[]): void {
    const stamp = this.#stamp
    const epoch = this.#epoch
    for (let k = 0; k < set.length; k++) {
      const j = set[k]!
      if (stamp[j] !== epoch) {
        stamp[j] = epoch
        this.#items.push(j)
      }
    }
  }
}

/** The most index entries the sets of one tensor may hold in all, unless `maxEntries` says otherwise. */
const DEFAULT_MAX_ENTRIES = 5e7

/**
 * The bound of one detection: the sets of each tensor at the level hold at most `max` entries in
 * all, one per possible nonzero of its Jacobian. A rule counts the entries of its output as it
 * builds the sets (or bounds them from below first) and stops at the bound, so a dense Jacobian
 * (n² entries for n inputs) is refused before its sets take the memory.
 */
class EntryLimit {
  /** The op whose output is being built, and that output's shape. */
  op = ''
  shape: Shape = []

  constructor(
    readonly where: string,
    readonly denseAlternative: string,
    readonly inputs: number,
    readonly max: number,
  ) {}

  /** Throws once `total`, the entries of the current output found so far, is over the bound. */
  check(total: number): void {
    if (total <= this.max) return
    const what = this.op === '' ? 'the input' : `the output of ${this.op}`
    throw new ValueError(
      `${this.where}: the Jacobian of ${what} ${fmtShape(this.shape)} (${sizeOf(this.shape)} elements) ` +
        `with respect to ${this.inputs} input elements has at least ${total} possible nonzeros, more than ` +
        `maxEntries = ${this.max}: too dense for sparsity detection; use the ${this.denseAlternative}, ` +
        'or raise maxEntries',
    )
  }
}

interface RuleArgs<P> {
  readonly x: readonly Tensor[]
  /** The inputs' index sets (null: a constant at this level). */
  readonly s: readonly (IndexSets | null)[]
  readonly y: Tensor
  readonly params: P
  readonly local: boolean
  /** A union builder over this level's input indices. */
  readonly unions: Unions
  /** The bound on the entries of the output's sets. */
  readonly limit: EntryLimit
}

type SparsityRule<P> = (a: RuleArgs<P>) => IndexSets

const EMPTY: readonly number[] = []

/** The union of two sorted sets (one of them, unchanged, when the other is empty or the same). */
function union(a: readonly number[], b: readonly number[]): readonly number[] {
  if (a.length === 0) return b
  if (b.length === 0 || a === b) return a
  // room for both, trimmed to the union: no growth on the way
  const out = new Array<number>(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) {
    const u = a[i]!
    const v = b[j]!
    if (u < v) {
      out[k++] = u
      i++
    } else if (v < u) {
      out[k++] = v
      j++
    } else {
      out[k++] = u
      i++
      j++
    }
  }
  while (i < a.length) out[k++] = a[i++]!
  while (j < b.length) out[k++] = b[j++]!
  out.length = k
  return out
}

const values = (t: Tensor): ArrayLike<number> => readConcrete(t)

/** n empty sets. */
const emptySets = (n: number): (readonly number[])[] => new Array<readonly number[]>(n).fill(EMPTY)

/**
 * For elementwise ops with broadcasting: each output element depends on the broadcast elements
 * of its inputs; `keep(i, j, p)` may drop input i's dependence at output element j (read from
 * input element p). The largest set each output element receives bounds its union from below:
 * their sum is checked against the limit before any union is formed, and the exact count as the
 * unions grow.
 */
function broadcastUnion(
  shapes: readonly Shape[],
  sets: readonly (IndexSets | null)[],
  out: Shape,
  limit: EntryLimit,
  keep?: (input: number, outIndex: number, inIndex: number) => boolean,
): IndexSets {
  const size = sizeOf(out)
  const visit = (each: (i: number, s: IndexSets, o: number, p: number) => void) =>
    sets.forEach((s, i) => {
      if (s === null) return
      forEachRun(out, [broadcastStrides(shapes[i]!, out)], (o, offs, len, steps) => {
        let p = offs[0]!
        for (let k = 0; k < len; k++, p += steps[0]!) {
          if (keep === undefined || keep(i, o + k, p)) each(i, s, o + k, p)
        }
      })
    })
  // |∪_i S_i| ≥ max_i |S_i|
  const largest = new Int32Array(size)
  visit((_i, s, o, p) => {
    if (s[p]!.length > largest[o]!) largest[o] = s[p]!.length
  })
  let lower = 0
  for (let o = 0; o < size; o++) lower += largest[o]!
  limit.check(lower)

  const res = emptySets(size)
  let total = 0
  visit((_i, s, o, p) => {
    const before = res[o]!
    const after = union(before, s[p]!)
    if (after !== before) {
      res[o] = after
      total += after.length - before.length
      if (total > limit.max) limit.check(total)
    }
  })
  return res
}

/** Each operand's value at each output element (broadcast). */
function broadcastValues(x: readonly Tensor[], out: Shape): Float64Array[] {
  const n = sizeOf(out)
  return x.map((t) => {
    const v = values(t)
    const res = new Float64Array(n)
    forEachRun(out, [broadcastStrides(t.shape, out)], (o, offs, len, steps) => {
      for (let k = 0; k < len; k++) res[o + k] = v[offs[0]! + k * steps[0]!]!
    })
    return res
  })
}

/** Whether an operand's values are known for the pattern: a constant, or any operand locally. */
const known = (a: RuleArgs<unknown>, i: number): boolean => a.local || a.s[i] === null

// d f(x) = f'(x) dx, f' nonzero almost everywhere
const elementwise: SparsityRule<unknown> = ({ x, s, y, limit }) =>
  broadcastUnion(
    x.map((t) => t.shape),
    s,
    y.shape,
    limit,
  )

// d relu(x) = [x > 0] dx: locally no dependence where x ≤ 0
const reluRule: SparsityRule<null> = (a) => {
  if (!a.local) return elementwise(a)
  const v = values(a.x[0]!)
  return broadcastUnion([a.x[0]!.shape], a.s, a.y.shape, a.limit, (_i, _o, p) => v[p]! > 0)
}

// d |x| = sign(x) dx: locally no dependence where x = 0
const absRule: SparsityRule<null> = (a) => {
  if (!a.local) return elementwise(a)
  const v = values(a.x[0]!)
  return broadcastUnion([a.x[0]!.shape], a.s, a.y.shape, a.limit, (_i, _o, p) => v[p]! !== 0)
}

// d clip(x, lo, hi) = [lo ≤ x ≤ hi] dx: locally no dependence outside the bounds
const clipRule: SparsityRule<ClipParams> = (a) => {
  if (!a.local) return elementwise(a)
  const v = values(a.x[0]!)
  const { lo, hi } = a.params
  return broadcastUnion([a.x[0]!.shape], a.s, a.y.shape, a.limit, (_i, _o, p) => v[p]! >= lo && v[p]! <= hi)
}

// d xᵖ = p xᵖ⁻¹ dx vanishes identically for p = 0
const powRule: SparsityRule<{ readonly p: number }> = (a) =>
  a.params.p === 0 ? emptySets(a.y.size) : elementwise(a)

// d(a·b) = b da + a db: da drops where b is a known zero, db where a is
const mulRule: SparsityRule<null> = (a) => {
  if (!known(a, 0) && !known(a, 1)) return elementwise(a)
  const [va, vb] = broadcastValues(a.x, a.y.shape)
  const other = [vb!, va!]
  return broadcastUnion(
    a.x.map((t) => t.shape),
    a.s,
    a.y.shape,
    a.limit,
    (i, o) => !known(a, 1 - i) || other[i]![o] !== 0,
  )
}

// d(a / b) = da / b - (a / b²) db: db drops where a is a known zero
const divRule: SparsityRule<null> = (a) => {
  if (!known(a, 0)) return elementwise(a)
  const [va] = broadcastValues([a.x[0]!], a.y.shape)
  return broadcastUnion(
    a.x.map((t) => t.shape),
    a.s,
    a.y.shape,
    a.limit,
    (i, o) => i === 0 || va![o] !== 0,
  )
}

/**
 * d max(a, b) = wₐ da + (1 - wₐ) db with wₐ = [a > b] + ½[a = b] (min alike): locally the loser
 * drops out; at a tie both stay.
 */
function chooserRule(wins: (u: number, v: number) => boolean): SparsityRule<null> {
  return (a) => {
    if (!a.local) return elementwise(a)
    const [va, vb] = broadcastValues(a.x, a.y.shape)
    return broadcastUnion(
      a.x.map((t) => t.shape),
      a.s,
      a.y.shape,
      a.limit,
      (i, o) => {
        const u = va![o]!
        const v = vb![o]!
        return u === v || (i === 0 ? wins(u, v) : wins(v, u))
      },
    )
  }
}

// d where(c, a, b) = where(c, da, db): globally both branches, locally the branch taken
const whereRule: SparsityRule<null> = (a) => {
  const shapes = [a.x[1]!.shape, a.x[2]!.shape]
  const sets = [a.s[1]!, a.s[2]!]
  if (!a.local) return broadcastUnion(shapes, sets, a.y.shape, a.limit)
  const [c] = broadcastValues([a.x[0]!], a.y.shape)
  return broadcastUnion(shapes, sets, a.y.shape, a.limit, (i, o) => (c![o] !== 0) === (i === 0))
}

/**
 * Ops that move elements (reshape, transpose, broadcastTo, slice, pad, concat) are linear maps
 * whose Jacobian is a 0/1 selection: run the op itself, on the cpu backend (float64, so that
 * every element number is exact), on the element numbers 1, 2, … of its inputs (0 is the
 * padding); each output element then names its source.
 */
function gather<P>(def: OpDef<P>): SparsityRule<P> {
  return ({ x, s, params, limit }) => {
    let offset = 0
    const starts: number[] = []
    const ids = x.map((t) => {
      const a = new Float64Array(t.size)
      for (let k = 0; k < t.size; k++) a[k] = offset + k + 1
      starts.push(offset)
      offset += t.size
      return fromData(a, t.shape, getBackend('cpu'))
    })
    const moved = readConcrete(apply(def, ids, params))
    const res = emptySets(moved.length)
    // inputs in order of their id ranges; the last one whose range starts below the id owns it
    let input = 0
    let total = 0
    for (let j = 0; j < moved.length; j++) {
      const id = moved[j]!
      if (id === 0) continue
      if (starts.length > 1) {
        input = starts.length - 1
        while (starts[input]! >= id) input--
      }
      const set = s[input]
      if (set != null) {
        // shared, not copied: the count is the pattern this output would give
        const from = set[id - 1 - starts[input]!]!
        res[j] = from
        total += from.length
      }
    }
    limit.check(total)
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

/**
 * y_j = Σ_{i → j} x_i (and logsumexp, whose softmax weights never vanish): y_j depends on all its
 * summands. For max, d y_j = Σ_{i → j} wᵢ dxᵢ with wᵢ > 0 only where xᵢ = y_j: locally only the
 * maximal elements.
 */
function reduction(routes: boolean): SparsityRule<ReduceParams> {
  return ({ x, s, y, params, local, unions, limit }) => {
    const target = reductionTargets(x[0]!.shape, params.axes)
    const sx = s[0]!
    const xv = routes && local ? values(x[0]!) : null
    const yv = routes && local ? values(y) : null
    // the input elements of each output element, grouped by a counting sort on the targets
    const m = y.size
    const start = new Int32Array(m + 1)
    for (let i = 0; i < target.length; i++) start[target[i]! + 1]!++
    for (let j = 0; j < m; j++) start[j + 1]! += start[j]!
    const next = start.slice(0, m)
    const members = new Int32Array(target.length)
    for (let i = 0; i < target.length; i++) members[next[target[i]!]!++] = i
    const res = emptySets(m)
    let total = 0
    for (let j = 0; j < m; j++) {
      unions.begin()
      for (let p = start[j]!; p < start[j + 1]!; p++) {
        const i = members[p]!
        if (xv === null || xv[i] === yv![j]) unions.add(sx[i]!)
      }
      const joined = unions.end()
      res[j] = joined
      total += joined.length
      limit.check(total)
    }
    return res
  }
}

/**
 * y[b, i, j] = Σ_p op(A)[b, i, p] op(B)[b, p, j]: it depends on A[i, p] unless B[p, j] is a known
 * zero, and on B[p, j] unless A[i, p] is.
 */
const matmulRule: SparsityRule<MatmulParams> = (args) => {
  const { x, s, y, unions, limit } = args
  const { transA, transB } = args.params
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
  const av = known(args, 0) ? values(a!) : null
  const bv = known(args, 1) ? values(b!) : null
  const res = emptySets(y.size)
  let total = 0
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
            unions.begin()
            for (let p = 0; p < k; p++) {
              const ia = oa + i * aRs + p * aCs
              const ib = ob + p * bRs + j * bCs
              if (sa != null && (bv === null || bv[ib] !== 0)) unions.add(sa[ia]!)
              if (sb != null && (av === null || av[ia] !== 0)) unions.add(sb[ib]!)
            }
            const set = unions.end()
            res[bi * m * n + i * n + j] = set
            total += set.length
            limit.check(total)
          }
      }
    },
  )
  return res
}

/** The elements of the input matrices that one output element depends on: `use(input, element)`. */
type MatrixDeps = (e: number, use: (input: number, p: number) => void) => void

/**
 * The rule of a matrix function (structure 'matrix') from the dependencies of the elements of one
 * output matrix (or scalar) on the elements of the input matrices at its batch position, the batch
 * axes broadcast. The dependencies are those of a generic matrix of the op's domain: the nonzeros
 * of the Jacobian wherever no entry of the inputs or of the result vanishes by accident.
 */
function matrixRule<P>(depsOf: (a: RuleArgs<P>) => MatrixDeps): SparsityRule<P> {
  return (args) => {
    const { x, s, y, unions, limit } = args
    const deps = depsOf(args)
    const batchRank = Math.max(...x.map((t) => t.rank - 2))
    const batch = y.shape.slice(0, batchRank)
    const nb = sizeOf(batch)
    const per = nb === 0 ? 0 : y.size / nb
    const block = x.map((t) => t.shape[t.rank - 1]! * t.shape[t.rank - 2]!)
    const strides = x.map((t, j) => broadcastStrides(t.shape.slice(0, -2), batch).map((v) => v * block[j]!))
    const res = emptySets(y.size)
    let total = 0
    let bi = 0
    forEachRun(
      batch.length === 0 ? [1] : batch,
      batch.length === 0 ? x.map(() => [0]) : strides,
      (_o, offs, len, steps) => {
        for (let t = 0; t < len; t++, bi++) {
          const at = offs.map((o, j) => o + t * steps[j]!)
          const use = (j: number, p: number): void => {
            const sj = s[j]
            if (sj != null) unions.add(sj[at[j]! + p]!)
          }
          for (let e = 0; e < per; e++) {
            unions.begin()
            deps(e, use)
            const set = unions.end()
            res[bi * per + e] = set
            total += set.length
          }
          limit.check(total)
        }
      },
    )
    return res
  }
}

/** Every element of input j's n×n matrix. */
const whole = (use: (input: number, p: number) => void, j: number, n: number): void => {
  for (let p = 0; p < n * n; p++) use(j, p)
}

/**
 * L = cholesky(A) reads S = (A + Aᵀ)/2: L_ij (i ≥ j) depends on S_pq (p ≥ q) for q ≤ j and p ≤ j or
 * p = i, each through A_pq and A_qp; the strict upper triangle of L is 0.
 */
const choleskyRule = matrixRule<null>(({ x }) => {
  const n = x[0]!.shape[x[0]!.rank - 1]!
  return (e, use) => {
    const i = Math.floor(e / n)
    const j = e % n
    if (j > i) return
    const pair = (p: number, q: number) => {
      use(0, p * n + q)
      use(0, q * n + p)
    }
    for (let q = 0; q <= j; q++) {
      for (let p = q; p <= j; p++) pair(p, q)
      if (i > j) pair(i, q)
    }
  }
})

/**
 * X = op(T)⁻¹ B by substitution: X_ij depends on column j of B and the rows of op(T) up to i
 * (op(T) lower) or from i (upper), within the triangle.
 */
const triangularSolveRule = matrixRule<TriangularSolveParams>(({ x, params: { lower, transA } }) => {
  const n = x[0]!.shape[x[0]!.rank - 1]!
  const m = x[1]!.shape[x[1]!.rank - 1]!
  const forward = lower !== transA
  return (e, use) => {
    const i = Math.floor(e / m)
    const j = e % m
    const [r0, r1] = forward ? [0, i] : [i, n - 1]
    for (let r = r0; r <= r1; r++) {
      use(1, r * m + j)
      const [c0, c1] = forward ? [0, r] : [r, n - 1]
      for (let c = c0; c <= c1; c++) use(0, transA ? c * n + r : r * n + c)
    }
  }
})

/** X = op(A)⁻¹ B: X_ij depends on all of A and on column j of B. */
const solveRule = matrixRule<SolveParams>(({ x }) => {
  const n = x[0]!.shape[x[0]!.rank - 1]!
  const m = x[1]!.shape[x[1]!.rank - 1]!
  return (e, use) => {
    whole(use, 0, n)
    for (let r = 0; r < n; r++) use(1, r * m + (e % m))
  }
})

/** log |det A| depends on every element of A (its cotangent is A⁻ᵀ). */
const logAbsDetRule = matrixRule<LogAbsDetParams>(({ x }) => {
  const n = x[0]!.shape[x[0]!.rank - 1]!
  return (_e, use) => whole(use, 0, n)
})

/** The eigenvalues and, for n > 1, the eigenvectors depend on every element of A (a 1×1 matrix's vector is [1]). */
const eighRule = matrixRule<null>(({ x }) => {
  const n = x[0]!.shape[x[0]!.rank - 1]!
  return (e, use) => {
    if (e >= n && n === 1) return
    whole(use, 0, n)
  }
})
/** The sizes before `axis`, of `axis`, and after it. */
const around = (shape: Shape, axis: number): [number, number, number] => [
  sizeOf(shape.slice(0, axis)),
  shape[axis]!,
  sizeOf(shape.slice(axis + 1)),
]

// y[o, j, i] = x[o, idx[j], i]: each output element is the one input element it copies
const takeRule: SparsityRule<TakeParams> = ({ x, s, params: { axis }, limit }) => {
  const sx = s[0]!
  const idx = values(x[1]!)
  const [outer, n, inner] = around(x[0]!.shape, axis)
  const k = idx.length
  const res = emptySets(outer * k * inner)
  let total = 0
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < k; j++)
      for (let i = 0; i < inner; i++) {
        const set = sx[(o * n + idx[j]!) * inner + i]!
        res[(o * k + j) * inner + i] = set
        total += set.length
      }
  limit.check(total)
  return res
}

// y[o, c, i] = Σ_{j : idx[j] = c} u[o, j, i]: each output element depends on the updates sent to it
const scatterAddRule: SparsityRule<ScatterAddParams> = ({ x, s, y, params: { axis }, unions, limit }) => {
  const su = s[0]!
  const idx = values(x[1]!)
  const [outer, n, inner] = around(y.shape, axis)
  const k = idx.length
  const sent: number[][] = Array.from({ length: n }, () => [])
  for (let j = 0; j < k; j++) sent[idx[j]!]!.push(j)
  const res = emptySets(y.size)
  let total = 0
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < n; c++)
      for (let i = 0; i < inner; i++) {
        unions.begin()
        for (const j of sent[c]!) unions.add(su[(o * k + j) * inner + i]!)
        const set = unions.end()
        res[(o * n + c) * inner + i] = set
        total += set.length
        limit.check(total)
      }
  return res
}

// y_k = Σ_{j ≤ k} x_j along the axis (j ≥ k with reverse): a running union
const cumsumRule: SparsityRule<CumsumParams> = ({ x, s, params: { axis, reverse }, limit }) => {
  const sx = s[0]!
  const [outer, n, inner] = around(x[0]!.shape, axis)
  const res = emptySets(x[0]!.size)
  let total = 0
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let acc: readonly number[] = EMPTY
      for (let k = 0; k < n; k++) {
        const p = (o * n + (reverse ? n - 1 - k : k)) * inner + i
        acc = union(acc, sx[p]!)
        res[p] = acc
        total += acc.length
        limit.check(total)
      }
    }
  return res
}

/** Piecewise constant ops: the derivative is zero (the level marks their outputs itself). */
const constant: SparsityRule<unknown> = ({ y }) => emptySets(y.size)

/**
 * The index-set rules that an op's structure does not give: value-dependent elementwise rules
 * (a zero factor, a kink, a choice), matmul, the reductions and the matrix functions.
 */
const overrides: { readonly [K in OpName]?: SparsityRule<OpParams[K]> } = {
  abs: absRule,
  relu: reluRule,
  pow: powRule,
  clip: clipRule,
  mul: mulRule,
  div: divRule,
  maximum: chooserRule((u, v) => u > v),
  minimum: chooserRule((u, v) => u < v),
  where: whereRule,
  matmul: matmulRule,
  cholesky: choleskyRule,
  triangularSolve: triangularSolveRule,
  solve: solveRule,
  logAbsDet: logAbsDetRule,
  eigh: eighRule,
  take: takeRule,
  scatterAdd: scatterAddRule,
  cumsum: cumsumRule,
  sum: reduction(false),
  max: reduction(true),
  min: reduction(true),
  prod: reduction(false),
  logsumexp: reduction(false),
}

/**
 * The index-set rule of a primitive: its override, else the rule its structure gives (each
 * output element depends on the same element of every input, on nothing, or on the elements
 * the layout moves into it). A new elementwise op needs no entry here.
 */
function ruleOf(name: OpName): SparsityRule<unknown> {
  const own = overrides[name] as SparsityRule<unknown> | undefined
  if (own !== undefined) return own
  const def = registry[name] as OpDef<unknown>
  switch (def.structure) {
    case 'elementwise':
      return elementwise as SparsityRule<unknown>
    case 'constant':
      return constant
    case 'layout':
      return gather(def)
    default:
      throw new Error(`jacobianSparsity: the ${def.structure} op ${name} needs an index-set rule`)
  }
}

const rules = Object.fromEntries(
  (Object.keys(registry) as OpName[]).map((name) => [name, ruleOf(name)]),
) as Readonly<Record<OpName, SparsityRule<unknown>>>

/** A custom op has no index-set rule: every output element may depend on every input element. */
const dense: SparsityRule<unknown> = ({ s, y, unions, limit }) => {
  unions.begin()
  for (const si of s) if (si !== null) for (const e of si) unions.add(e)
  const set = unions.end()
  limit.check(y.size * set.length)
  return new Array<readonly number[]>(y.size).fill(set)
}

const builtins = registry as Readonly<Record<string, OpDef<unknown>>>
const builtinRules = rules as Readonly<Record<string, SparsityRule<unknown>>>

/** The detection level over `limit.inputs` input elements. */
function makeLevel(limit: EntryLimit, local: boolean): Level {
  const unions = new Unions(limit.inputs)
  const level: Level = {
    id: nextLevelId(),
    kind: 'sparsity',
    batch: null,
    tape: null,
    process: (def: OpDef<unknown>, inputs: readonly Tensor[], params: unknown): Tensor => {
      const x = inputs.map((t) => primalAt(t, level))
      const y = apply(def, x, params)
      const s = inputs.map((t) => (t.impl.kind === 'index' && t.impl.level === level ? t.impl.sets : null))
      let sets: IndexSets
      // an index tensor (argmax) is never a tracer: integers are not differentiated
      if (y.dtype === 'int32') return y
      if (def.structure === 'constant') {
        // a piecewise-constant function of a tracer: no dependence, but a value that varies
        sets = emptySets(y.size)
      } else {
        const rule = builtins[def.name] === def ? builtinRules[def.name]! : dense
        limit.op = def.name
        limit.shape = y.shape
        sets = rule({ x, s, y, params, local, unions, limit })
      }
      return new Tensor(y.shape, y.dtype, { kind: 'index', level, primal: y, sets })
    },
  }
  return level
}

/**
 * Options of sparsity detection.
 *
 * @example
 * import { jacobianSparsity, type SparsityOptions } from 'dualtape/sparse'
 * import { tensor, maximum } from 'dualtape'
 * import * as assert from 'node:assert'
 *
 * // maximum(x, 0) routes to x where x > 0: locally its pattern drops x₁ < 0
 * const options: SparsityOptions = { local: true }
 * assert.strictEqual(jacobianSparsity((x) => maximum(x, 0), tensor([2, -1]), options).toString(), 'x.\n..')
 */
export interface SparsityOptions {
  /**
   * `false` (default): the global pattern, valid at every point. `true`: the pattern at the given
   * point, which may drop dependencies that vanish there (routing by max/maximum/where, relu and
   * abs where their derivative is 0, factors that are zero).
   */
  readonly local?: boolean
  /**
   * The most possible nonzeros the Jacobian of any tensor f computes (its output included) may
   * have, a positive integer or Infinity; default 5·10⁷. Detection keeps one index per possible
   * nonzero, so a dense Jacobian of n inputs takes memory for n² of them: past the bound it stops
   * with a `ValueError` that suggests the dense Jacobian, before that memory is taken.
   */
  readonly maxEntries?: number
}

/** Checks `maxEntries` and makes the bound of one detection. */
function entryLimit(
  where: string,
  denseAlternative: string,
  x: Tensor,
  options: SparsityOptions,
): EntryLimit {
  const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  if (!((Number.isInteger(max) && max > 0) || max === Infinity)) {
    throw new ValueError(`${where}: maxEntries must be a positive integer or Infinity, got ${fmtValue(max)}`)
  }
  const limit = new EntryLimit(where, denseAlternative, x.size, max)
  // the input's own sets: one entry per element
  limit.shape = x.shape
  limit.check(x.size)
  return limit
}

/** Propagates index sets through f from x; `where` names the caller in errors. */
function detect(
  where: string,
  f: (x: Tensor) => Tensor,
  x: Tensor,
  options: SparsityOptions,
  limit: EntryLimit,
): SparsityPattern {
  const level = makeLevel(limit, options.local === true)
  const sets: number[][] = Array.from({ length: x.size }, (_, i) => [i])
  const traced = new Tensor(x.shape, x.dtype, { kind: 'index', level, primal: x, sets })
  const y = callAtLevel(where, level, f, [traced])
  if (!isTensor(y)) throw new ValueError(`${where}: the function must return a Tensor`)
  const rows = y.impl.kind === 'index' && y.impl.level === level ? y.impl.sets : emptySets(y.size)
  return patternFromRows(x.size, rows)
}

/**
 * The sparsity pattern of the Jacobian of f: R^n → R^m at x (rows: output elements, columns:
 * input elements, both row-major), found by propagating index sets through the ops — no
 * derivative is evaluated. The global pattern (the default) holds at every point reached by the
 * same control flow; `{ local: true }` gives the pattern at x alone. A custom op from `defineOp`
 * counts as dense: each of its outputs depends on all of its inputs.
 *
 * @example
 * import { jacobianSparsity } from 'dualtape/sparse'
 * import { tensor, slice, sub, relu, type Tensor } from 'dualtape'
 * import * as assert from 'node:assert'
 *
 * // a forward difference: y_i = x_{i+1} - x_i
 * const f = (x: Tensor) => sub(slice(x, [1], [-1]), slice(x, [0], [3]))
 * assert.strictEqual(jacobianSparsity(f, tensor([1, 2, 3, 4])).toString(), 'xx..\n.xx.\n..xx')
 * // relu depends on x where x > 0 at this point, and anywhere in general
 * assert.strictEqual(jacobianSparsity(relu, tensor([1, -1]), { local: true }).toString(), 'x.\n..')
 * assert.strictEqual(jacobianSparsity(relu, tensor([1, -1])).toString(), 'x.\n.x')
 */
export function jacobianSparsity(
  f: (x: Tensor) => Tensor,
  x: Tensor,
  options: SparsityOptions = {},
): SparsityPattern {
  const where = 'jacobianSparsity'
  if (typeof f !== 'function') throw new ValueError(`${where}: the first argument must be a function`)
  if (!isTensor(x)) throw new ValueError(`${where}: x must be a Tensor`)
  const limit = entryLimit(where, 'dense Jacobian (jacfwd or jacrev)', x, options)
  return detect(where, f, x, options, limit)
}

/**
 * The sparsity pattern of the Hessian of a scalar f at x: the pattern of the Jacobian of its
 * gradient, found by running the index-set level through the reverse sweep. It is symmetric up to
 * the rules' conservatism (each found entry is a possible nonzero of ∂²f/∂xᵢ∂xⱼ).
 *
 * @example
 * import { hessianSparsity } from 'dualtape/sparse'
 * import { tensor, sum, square, sub, slice, type Tensor } from 'dualtape'
 * import * as assert from 'node:assert'
 *
 * // f(x) = Σ (x_{i+1} - x_i)²: a tridiagonal Hessian
 * const f = (x: Tensor) => sum(square(sub(slice(x, [1], [-1]), slice(x, [0], [3]))))
 * assert.strictEqual(hessianSparsity(f, tensor([1, 2, 3, 4])).toString(), 'xx..\nxxx.\n.xxx\n..xx')
 */
export function hessianSparsity(
  f: (x: Tensor) => Tensor,
  x: Tensor,
  options: SparsityOptions = {},
): SparsityPattern {
  const where = 'hessianSparsity'
  if (typeof f !== 'function') throw new ValueError(`${where}: the first argument must be a function`)
  if (!isTensor(x)) throw new ValueError(`${where}: x must be a Tensor`)
  const limit = entryLimit(where, 'dense Hessian (hessian)', x, options)
  return detect(where, grad(f) as (x: Tensor) => Tensor, x, options, limit)
}
