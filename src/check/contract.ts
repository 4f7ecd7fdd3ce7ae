import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { type DType, dtypeOfArray } from '../core/dtype.js'
import { ValueError } from '../core/errors.js'
import { apply, type OpDef } from '../core/op.js'
import { Rng } from '../core/random.js'
import { type Shape, shapesEqual, sizeOf } from '../core/shape.js'
import { type Tensor, concreteOf } from '../core/tensor.js'
import { jvp } from '../forward/jvp.js'
import type { CustomOp } from '../ops/define.js'
import { type OpName, type OpParams, registry } from '../ops/registry.js'
import { concat, reshape } from '../ops/shape.js'
import { vjp } from '../reverse/vjp.js'
import { type ArraySpec, type OpCase, materialize } from './arbitraries.js'
import { type FdOptions, fdJvp } from './fd.js'
import { defaultTolerances } from './grads.js'
import { jacobianFwd, jacobianRev, jvpData, pullbackData } from './jacobian.js'
import {
  type TensorFn,
  absDot,
  anyFloat32,
  dot,
  fmtNum,
  fmtTensor,
  fromLike,
  fromShape,
  normals,
  read,
  unravel,
} from './util.js'

// ---------------------------------------------------------------------------------------------
// Op contracts: for any op, built-in or custom, the laws its rules must obey, checked on one
// generated case at a time, and the fast-check property that runs them over many cases.
// ---------------------------------------------------------------------------------------------

/**
 * The laws of an op contract:
 * - `shape`: the shape rule agrees with what the kernel returns (size and dtype);
 * - `mutation`: the op leaves its inputs unchanged;
 * - `jvp-fd`: the JVP J v agrees with finite differences;
 * - `vjp-transpose`: the VJP is the transpose of the JVP, ⟨u, J v⟩ = ⟨Jᵀu, v⟩;
 * - `linearity`: the JVP is linear in the tangent, J(αv + βw) = αJv + βJw;
 * - `jacfwd-jacrev`: the Jacobian from one JVP per input direction equals the one from one
 *   pullback per output direction;
 * - `second-order`: the JVP of the VJP, d(Jᵀu)[v], agrees with finite differences of x ↦ J(x)ᵀu;
 * - `vector-mode`: a batched JVP with k stacked tangents equals k separate JVPs.
 *
 * @example
 * import { checkContract, type ContractCheck } from 'dualtape/check'
 * import * as E from 'fp-ts/lib/Either.js'
 * // only the two laws that compare the rules with finite differences and with each other
 * const checks: ContractCheck[] = ['jvp-fd', 'vjp-transpose']
 * const c = { inputs: [{ shape: [2, 2], domain: 'real' as const, seed: 1 }], params: null }
 * E.isRight(checkContract('tanh', c, 0, { checks })) // → true
 */
export type ContractCheck =
  | 'shape'
  | 'mutation'
  | 'jvp-fd'
  | 'vjp-transpose'
  | 'linearity'
  | 'jacfwd-jacrev'
  | 'second-order'
  | 'vector-mode'

/**
 * Every contract law, in the order they run.
 *
 * @example
 * import { contractChecks, opContract } from 'dualtape/check'
 * // all laws but the second order
 * const checks = contractChecks.filter((c) => c !== 'second-order')
 */
export const contractChecks: readonly ContractCheck[] = [
  'shape',
  'mutation',
  'jvp-fd',
  'vjp-transpose',
  'linearity',
  'jacfwd-jacrev',
  'second-order',
  'vector-mode',
]

/**
 * Options of a contract check.
 *
 * @example
 * import { opContract, opCase, arrays, shapes, type ContractOptions } from 'dualtape/check'
 * import fc from 'fast-check'
 * const options: ContractOptions<null> = {
 *   arbitraries: opCase([arrays(shapes(), 'positive')]),
 *   checks: ['jvp-fd', 'vjp-transpose', 'second-order'],
 *   tolerances: { atol: 1e-7 },
 * }
 * fc.assert(opContract('sqrt', options), { seed: 1, numRuns: 10 })
 */
export interface ContractOptions<P> {
  /** The generated cases. */
  readonly arbitraries: fc.Arbitrary<OpCase<P>>
  /** Overrides the default tolerances of the case's precision (see `defaultTolerances`). */
  readonly tolerances?: { readonly atol?: number; readonly rtol?: number }
  /** Which laws to check (all by default). */
  readonly checks?: readonly ContractCheck[]
  /** Finite-difference settings. */
  readonly fd?: FdOptions
  /** How many tangents are stacked in the vector-mode check (default 3). */
  readonly batch?: number
}

/**
 * A broken law: which one, on which op, and a readable explanation with the case's data.
 *
 * @example
 * import { checkContract, type ContractFailure } from 'dualtape/check'
 * import { defineOp, mul, sin, cos } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * // a VJP rule that writes sin where the derivative is cos
 * const badSin = defineOp({
 *   name: 'badSin',
 *   impl: ([x]) => sin(x!),
 *   jvp: ({ x: [x], dx: [dx] }) => mul(dx!, cos(x!)),
 *   vjp: ({ ct, x: [x] }) => [mul(ct, sin(x!))],
 * })
 * const r = checkContract(badSin, { inputs: [{ shape: [2], domain: 'real', seed: 1 }], params: null }, 0)
 * const failure: ContractFailure | null = E.isLeft(r) ? r.left : null
 * failure?.check // → 'vjp-transpose'
 * console.log(failure?.message)
 * // prints:
 * // badSin breaks its contract (vjp-transpose): the VJP is not the transpose of the JVP: ...
 * //   inputs: float64[2] (0.2744, 1.558)
 * //   params: null
 */
export interface ContractFailure {
  readonly op: string
  readonly check: ContractCheck
  readonly message: string
}

/**
 * An op given by registry name, by definition, or as a custom op from `defineOp`.
 *
 * @example
 * import { checkContract, type OpLike } from 'dualtape/check'
 * import { defineOp, registry, mul, exp } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * const myExp = defineOp({
 *   name: 'myExp',
 *   impl: ([x]) => exp(x!),
 *   jvp: ({ dx: [dx], y }) => mul(dx!, y), // d eˣ = eˣ dx
 *   vjp: ({ ct, y }) => [mul(ct, y)],
 * })
 * // a built-in definition and a custom op, checked alike
 * const ops: OpLike<null>[] = [registry.exp, myExp]
 * const c = { inputs: [{ shape: [3], domain: 'real' as const, seed: 4 }], params: null }
 * ops.map((op) => E.isRight(checkContract(op, c, 0))) // → [true, true]
 */
export type OpLike<P> = OpDef<P> | CustomOp<P>

/** The definition behind an op given by name, definition or custom op. */
export function resolveOp<P>(op: OpName | OpLike<P>): OpDef<P> {
  if (typeof op === 'string') {
    const def = (registry as Record<string, OpDef<unknown>>)[op]
    if (def === undefined) throw new ValueError(`opContract: no op named '${op}' in the registry`)
    return def as OpDef<P>
  }
  if (typeof op === 'function' && 'def' in op) return op.def
  if (typeof op === 'object' && op !== null && typeof op.jvp === 'function' && typeof op.vjp === 'function')
    return op
  throw new ValueError('opContract: expected an op name, an OpDef or a custom op from defineOp')
}

class Broken extends Error {
  constructor(
    readonly check: ContractCheck,
    detail: string,
  ) {
    super(detail)
  }
}

/** |a − b| ≤ atol + rtol · |b| + err, elementwise; throws `Broken` naming the worst element. */
function expectClose(
  check: ContractCheck,
  what: [string, string],
  shape: Shape,
  a: Float64Array,
  b: Float64Array,
  tol: { atol: number; rtol: number },
  err?: Float64Array,
): void {
  if (a.length !== b.length)
    throw new Broken(check, `${what[0]} has ${a.length} elements but ${what[1]} has ${b.length}`)
  for (let i = 0; i < a.length; i++) {
    const e = err?.[i] ?? 0
    const t = tol.atol + tol.rtol * Math.abs(b[i]!)
    const diff = Math.abs(a[i]! - b[i]!)
    if (!(e <= t) || !(diff <= t + e)) {
      const idx = unravel(i, shape)
      const bar = err === undefined ? '' : ` ± ${fmtNum(e)}`
      const why = e <= t ? '' : ' (finite differences inconclusive: error bar exceeds the tolerance)'
      throw new Broken(
        check,
        `${what[0]} and ${what[1]} differ at [${idx.join(', ')}]: ${fmtNum(a[i]!)} vs ${fmtNum(b[i]!)}${bar}, ` +
          `|diff| ${fmtNum(diff)}, tolerance ${fmtNum(t)}${why}`,
      )
    }
  }
}

const sameBits = (a: Float64Array, b: Float64Array): number => {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i
  return -1
}

/** Stacks k flat arrays of one shape into a tensor of shape [k, ...shape]. */
function stack(like: Tensor, rows: readonly Float64Array[]): Tensor {
  const n = like.size
  const data = new Float64Array(rows.length * n)
  rows.forEach((r, i) => data.set(r, i * n))
  return fromShape(like, data, [rows.length, ...like.shape])
}

/** Runs the laws on one case; throws `Broken` at the first broken law. */
function runLaws<P>(
  def: OpDef<P>,
  c: OpCase<P>,
  seed: number,
  o: Omit<ContractOptions<P>, 'arbitraries'>,
  state: { stage: ContractCheck },
): void {
  const on = new Set(o.checks ?? contractChecks)
  const xs = c.inputs.map(materialize)
  const constants = new Set(c.constants ?? [])
  const dIdx = xs.map((_, i) => i).filter((i) => !constants.has(i))
  const before = xs.map(read)
  const mutated = (when: string): void => {
    if (!on.has('mutation')) return
    xs.forEach((x, i) => {
      const k = sameBits(before[i]!, read(x))
      if (k >= 0) {
        throw new Broken(
          'mutation',
          `input ${i} changed ${when}, first at [${unravel(k, x.shape).join(', ')}]`,
        )
      }
    })
  }
  const y = apply(def, xs, c.params)
  mutated('during the forward computation')

  if (on.has('shape')) {
    const meta = def.shape(xs, c.params)
    const backend = xs[0]!.backend
    const h = def.kernel(
      backend,
      xs.map((x) => concreteOf(x).handle),
      xs,
      c.params,
      meta,
    )
    const data = backend.readSync(h, meta)
    const dtype: DType = dtypeOfArray(data)
    if (data.length !== sizeOf(meta.shape) || dtype !== meta.dtype) {
      throw new Broken(
        'shape',
        `the shape rule gives ${meta.dtype}[${meta.shape.join(', ')}] but the kernel returned ${data.length} ${dtype} values`,
      )
    }
    if (!shapesEqual(y.shape, meta.shape) || y.dtype !== meta.dtype) {
      throw new Broken(
        'shape',
        `the shape rule gives [${meta.shape.join(', ')}] but the op returned [${y.shape.join(', ')}]`,
      )
    }
    mutated('in the kernel')
  }
  if (dIdx.length === 0) return

  // f of the differentiated inputs, the others held constant
  const F: TensorFn = (...ds) => {
    const all = [...xs]
    dIdx.forEach((i, k) => (all[i] = ds[k]!))
    return apply(def, all, c.params)
  }
  const ds = dIdx.map((i) => xs[i]!)
  const dtype: DType = anyFloat32([...xs, y]) ? 'float32' : 'float64'
  const tol = { ...defaultTolerances[dtype], ...o.tolerances }
  const rng = new Rng(seed)
  const dir = (): Float64Array[] => ds.map((d) => read(fromLike(d, normals(rng, d.size))))
  const v = dir()
  const w = dir()
  const u = read(fromShape(y, normals(rng, y.size), y.shape))
  state.stage = 'jvp-fd'
  const jv = jvpData(F, ds, v)
  mutated('in the JVP rule')

  if (on.has('jvp-fd')) {
    const est = fdJvp(
      F,
      ds,
      ds.map((d, k) => fromLike(d, v[k]!)),
      o.fd,
    )
    expectClose('jvp-fd', ['the JVP', 'finite differences'], y.shape, jv, est.value, tol, est.error)
  }
  state.stage = 'vjp-transpose'
  const pb = pullbackData(F, ds)
  const jtu = pb(u)
  mutated('in the VJP rule')
  if (on.has('vjp-transpose')) {
    const left = dot(u, jv)
    const right = jtu.reduce((acc, g, k) => acc + dot(g, v[k]!), 0)
    const scale = Math.max(
      absDot(u, jv),
      jtu.reduce((acc, g, k) => acc + absDot(g, v[k]!), 0),
    )
    if (!(Math.abs(left - right) <= tol.atol + tol.rtol * scale)) {
      throw new Broken(
        'vjp-transpose',
        `the VJP is not the transpose of the JVP: ⟨u, J v⟩ = ${fmtNum(left)} but ⟨Jᵀu, v⟩ = ${fmtNum(right)}`,
      )
    }
  }
  if (on.has('linearity')) {
    state.stage = 'linearity'
    // J(αv + βw) = α Jv + β Jw
    const [alpha, beta] = [0.75, -1.25]
    const mix = v.map((vk, k) =>
      read(
        fromLike(
          ds[k]!,
          vk.map((e, i) => alpha * e + beta * w[k]![i]!),
        ),
      ),
    )
    const jw = jvpData(F, ds, w)
    const lhs = jvpData(F, ds, mix)
    const rhs = jv.map((e, i) => alpha * e + beta * jw[i]!)
    expectClose('linearity', ['J(αv + βw)', 'αJv + βJw'], y.shape, lhs, rhs, tol)
  }
  if (on.has('jacfwd-jacrev')) {
    state.stage = 'jacfwd-jacrev'
    const fwd = jacobianFwd(F, ds, y.size)
    const rev = jacobianRev(F, ds, y.size)
    fwd.forEach((jf, k) => {
      const shape = [y.size, ds[k]!.size]
      expectClose(
        'jacfwd-jacrev',
        [`jacfwd (input ${dIdx[k]})`, `jacrev (input ${dIdx[k]})`],
        shape,
        jf,
        rev[k]!,
        tol,
      )
    })
  }
  if (on.has('second-order')) {
    state.stage = 'second-order'
    // x ↦ J(x)ᵀu, differentiated along v by the JVP and by finite differences
    const uT = fromShape(y, u, y.shape)
    const G: TensorFn = (...zs) => {
      const [, p] = vjp(F, ...zs) as [Tensor, (ct: unknown) => unknown[]]
      return concat((p(uT) as Tensor[]).map((g) => reshape(g, [-1])))
    }
    const g2 = jvpData(G, ds, v)
    const est = fdJvp(
      G,
      ds,
      ds.map((d, k) => fromLike(d, v[k]!)),
      o.fd,
    )
    const n = est.value.length
    expectClose(
      'second-order',
      ['the JVP of the VJP', 'finite differences of the VJP'],
      [n],
      g2,
      est.value,
      tol,
      est.error,
    )
  }
  if (on.has('vector-mode')) {
    state.stage = 'vector-mode'
    const k = o.batch ?? 3
    const dirs = [v, w, ...Array.from({ length: Math.max(0, k - 2) }, dir)].slice(0, k)
    const stacked = ds.map((d, a) =>
      stack(
        d,
        dirs.map((t) => t[a]!),
      ),
    )
    const [, dY] = jvp(F, ds, stacked, { batched: true }) as [Tensor, Tensor]
    const want = [k, ...y.shape]
    if (!shapesEqual(dY.shape, want)) {
      throw new Broken(
        'vector-mode',
        `the batched JVP has shape [${dY.shape.join(', ')}], expected [${want.join(', ')}]`,
      )
    }
    const each = new Float64Array(k * y.size)
    dirs.forEach((t, i) => each.set(jvpData(F, ds, t), i * y.size))
    expectClose('vector-mode', ['the batched JVP', `${k} separate JVPs`], want, read(dY), each, tol)
  }
  mutated('by the checks')
}

const fmtSpec = (s: ArraySpec): string => fmtTensor(materialize(s))

/**
 * Checks every law of an op's contract on one case (with `seed` drawing the random directions).
 * Returns `right` when all hold and `left` with the first broken law otherwise. An error thrown
 * by a rule counts as a broken law.
 *
 * @example
 * import { checkContract } from 'dualtape/check'
 * import * as E from 'fp-ts/lib/Either.js'
 * const r = checkContract('sin', { inputs: [{ shape: [2], domain: 'real', seed: 1 }], params: null }, 0)
 * E.isRight(r) // true
 */
export function checkContract<P>(
  op: OpName | OpLike<P>,
  c: OpCase<P>,
  seed = 0,
  options: Omit<ContractOptions<P>, 'arbitraries'> = {},
): E.Either<ContractFailure, void> {
  const def = resolveOp(op)
  const state = { stage: 'shape' as ContractCheck }
  try {
    runLaws(def, c, seed, options, state)
    return E.right(undefined)
  } catch (e) {
    const check = e instanceof Broken ? e.check : state.stage
    const what =
      e instanceof Broken ? e.message : `a rule threw ${(e as Error).name}: ${(e as Error).message}`
    const message =
      `${def.name} breaks its contract (${check}): ${what}\n` +
      `  inputs: ${c.inputs.map(fmtSpec).join('; ')}\n` +
      `  params: ${JSON.stringify(c.params)}` +
      (c.constants !== undefined && c.constants.length > 0
        ? `, constant inputs ${JSON.stringify(c.constants)}`
        : '')
    return E.left({ op: def.name, check, message })
  }
}

/**
 * The contract of an op as a fast-check property over generated cases: the JVP against finite
 * differences, the VJP as the transpose of the JVP, linearity of the JVP, jacfwd = jacrev, the
 * shape rule against the kernel, no mutation of inputs, the second order (JVP of the VJP)
 * against finite differences, and vector mode against separate JVPs. `op` is a registry name,
 * an OpDef, or a custom op from `defineOp`. Run it with `fc.assert` (with a fixed `seed` to
 * replay a failure) or register it with `testOp`.
 *
 * @example
 * import { opContract, opCase, arrays, shapes } from 'dualtape/check'
 * import { defineOp, mul, exp } from 'dualtape'
 * import fc from 'fast-check'
 * const myExp = defineOp({
 *   name: 'myExp',
 *   impl: ([x]) => exp(x),
 *   jvp: ({ dx: [dx], y }) => mul(dx!, y), // d eˣ = eˣ dx
 *   vjp: ({ ct, y }) => [mul(ct, y)],
 * })
 * fc.assert(opContract(myExp, { arbitraries: opCase([arrays(shapes(), 'real')]) }), { seed: 1, numRuns: 20 })
 */
export function opContract<K extends OpName>(
  op: K,
  options: ContractOptions<OpParams[K]>,
): fc.IProperty<[OpCase<OpParams[K]>, number]>
export function opContract<P>(op: OpLike<P>, options: ContractOptions<P>): fc.IProperty<[OpCase<P>, number]>
export function opContract<P>(
  op: OpName | OpLike<P>,
  options: ContractOptions<P>,
): fc.IProperty<[OpCase<P>, number]> {
  const def = resolveOp(op)
  if (options?.arbitraries === undefined)
    throw new ValueError(`opContract(${def.name}): options.arbitraries is required`)
  const { arbitraries, ...rest } = options
  return fc.property(arbitraries, fc.integer({ min: 0, max: 0x7fffffff }), (c, seed) => {
    const r = checkContract(def, c, seed, rest)
    if (E.isLeft(r)) throw new Error(r.left.message)
  })
}
