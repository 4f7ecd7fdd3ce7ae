import type { Meta } from '../core/backend.js'
import { onesLike, zerosLike } from '../ops/create.js'
import { callSite, inPhase, nanChecking } from '../core/debug.js'
import { BackendError, DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js'
import { type Level, callAtLevel, nextLevelId } from '../core/levels.js'
import { applyChecked, describe, primalAt, type OpDef } from '../core/op.js'
import {
  type ArgTangents,
  type ArgnumsOf,
  type HasAux,
  type OptionsWithArgnums,
  checkOptions,
} from '../core/options.js'
import { ownedBy, withScope, withTapeScope } from '../core/scope.js'
import { shapesEqual } from '../core/shape.js'
import { Tensor, type TapeNode } from '../core/tensor.js'
import { CHUNK, Cotangents, type EntryExtra, Tape } from './tape.js'
import { type Tangent, type Tree, flatten, sameDef, showDef, stripLevel, unflatten } from '../core/tree.js'
import { add } from '../ops/binary.js'

/**
 * Maps output cotangents (a tree shaped like the output `O`) to one input cotangent per primal
 * (a tuple shaped like the primals `A`). `vjp` gives the precise type; the defaults are the
 * loose one, a pullback of any trees.
 *
 * @example
 * import { vjp, mul, tensor, type Pullback, type Tensor } from 'dualtape'
 * const [y, pullback]: [Tensor, Pullback<[Tensor, Tensor], Tensor>] = vjp(mul, tensor([2]), tensor([3]))
 * pullback(tensor([1])) // → [[3], [2]]
 * pullback(tensor([10])) // → [[30], [20]]: a pullback can be called again
 */
export type Pullback<A extends readonly unknown[] = readonly Tree[], O = Tree> = (ct: Tangent<O>) => {
  -readonly [I in keyof A]: Tangent<A[I]>
}

/** A pullback as traced, before its types are known. */
type RawPullback = (ct: unknown) => unknown[]

/** Any function (its parameters are read with `Parameters`). */
type AnyFn = (...args: any[]) => unknown

/** A function the transformations take: of any arguments, to a tree of tensors. */
type TreeFn = (...args: any[]) => Tree

/** A function that returns `[output, aux]`, as `hasAux` wants: the output a tree of tensors. */
type AuxFn = (...args: any[]) => readonly [Tree, unknown]

/** The aux of an `[output, aux]` that `R` may be (never where it is not such a pair). */
type AuxOf<R> = R extends readonly [unknown, infer X] ? X : never

/**
 * A tape tensor's implementation: its level, its value and its position on the level's tape. It
 * lives as long as the tracer; the tape keeps what the entry's pullback needs in its columns.
 * A class, so that every tracer shares one hidden class.
 */
class TapeVar implements TapeNode {
  readonly kind = 'tape' as const

  constructor(
    readonly level: VjpLevel,
    readonly primal: Tensor,
    readonly index: number,
  ) {}
}

/** The tape position of `t` if it is a tracer of `level`, else -1 (a constant at this level). */
const tapeIndex = (t: Tensor, level: Level): number => {
  const impl = t.impl
  return impl.kind === 'tape' && impl.level === level ? impl.index : -1
}

/** A level, its tape, a tracer's implementation and a sweep's cotangents that are never used: see `VjpLevel.keepClasses`. */
function keepClasses(Level: new () => VjpLevel): readonly object[] {
  const level = new Level()
  // a sweep's cotangents with a number and a tensor slot filled: the shapes a sweep gives them
  const acc = new Cotangents(2)
  acc.setNumber(0, 0)
  acc.setTensor(1, null as unknown as Tensor)
  return [level, level.tape, new TapeVar(level, null as unknown as Tensor, 0), acc]
}

/**
 * A reverse level: records every op applied to its tracers on its tape. A class, so that its
 * `process` is one function for every level (its optimized code is not lost with the level).
 */
class VjpLevel implements Level {
  /**
   * One object of each class of the tape, alive as long as the class. V8 frees a hidden class
   * that no live object has at a full garbage collection, and with it the optimized code of
   * every function that checked for it (`Tensor`, `applyChecked`, `topLevel`, the sweep, …:
   * "weak objects" in `--trace-deopt`). Between two gradients no tape is alive, so after each
   * full collection the next gradients ran unoptimized, 3-4× slower, until V8 compiled the core
   * again; with these the classes and the code survive (`bench/gc-cliff.ts` measures it).
   */
  static readonly keepClasses: readonly object[] = keepClasses(this)

  readonly id = nextLevelId()
  readonly kind = 'vjp' as const
  readonly batch = null
  readonly tape = new Tape()

  process(def: OpDef<unknown>, inputs: readonly Tensor[], params: unknown, out: Meta): Tensor {
    const n = inputs.length
    const x = new Array<Tensor>(n)
    let constants = false
    for (let i = 0; i < n; i++) {
      const t = inputs[i]!
      const impl = t.impl
      if (impl.kind === 'tape' && impl.level === this) x[i] = impl.primal
      else {
        x[i] = primalAt(t, this)
        constants = true
      }
    }
    const y = applyChecked(def, x, params, out)
    if (def.structure === 'constant') return y
    const site = nanChecking() ? callSite() : undefined
    let p0 = -1
    let p1 = -2
    let c: Tensor | null = null
    let extra: EntryExtra | null = null
    if (n <= 2) {
      p0 = n === 0 ? -1 : tapeIndex(inputs[0]!, this)
      if (n === 2) p1 = tapeIndex(inputs[1]!, this)
      if (constants) c = p0 < 0 ? x[0]! : x[1]!
      if (site !== undefined) extra = { parents: null, inputs: null, site }
    } else {
      extra = { parents: inputs.map((t) => tapeIndex(t, this)), inputs: constants ? x : null, site }
    }
    const index = this.tape.pushOp(def, params, y, p0, p1, c, extra)
    return new Tensor(y.shape, y.dtype, new TapeVar(this, y, index), true)
  }
}

/**
 * The reverse sweep: walks the tape from the last recorded op back to the first, running each
 * op's pullback and summing cotangents where a value fans out. Iterative, so a tape of
 * millions of ops needs no deep stack.
 */
function sweep(tape: Tape, seeds: readonly [number, Tensor][], leaves: readonly number[]): (Tensor | null)[] {
  const acc = new Cotangents(tape.length)
  let start = -1
  for (const [i, ct] of seeds) {
    const prev = acc.tensor(i)
    acc.setTensor(i, prev === undefined ? ct : add(prev, ct))
    start = Math.max(start, i)
  }
  for (let i = start; i >= 0; i--) {
    if (!tape.isOp(i) || !acc.has(i)) continue
    if (nanChecking())
      inPhase({ backwardOf: tape.opName(i), site: tape.site(i) }, () => tape.sweepEntry(i, acc))
    else tape.sweepEntry(i, acc)
    // the first entry of a chunk: its chunk holds no leaf (they come first) and nothing flows up
    if ((i & (CHUNK - 1)) === 0) acc.release(i)
  }
  return leaves.map((l) => tape.cotangent(acc, l) ?? null)
}

/** The result of tracing `f` on a tape. */
export interface Traced {
  readonly out: unknown
  readonly aux: unknown
  readonly pullback: RawPullback
  readonly level: Level
}

/**
 * Runs `f(...primals)` on a fresh tape, differentiating the arguments listed in `argnums`
 * (the others are constants). The pullback returns one cotangent tree per differentiated argument.
 */
export function traceVjp(
  where: string,
  f: (...args: any[]) => unknown,
  primals: readonly unknown[],
  argnums: readonly number[],
  hasAux: boolean,
): Traced {
  if (typeof f !== 'function')
    throw new ValueError(`${where}: the first argument must be a function, got ${typeof f}`)
  const level = new VjpLevel()
  const tape = level.tape
  // an argument listed twice is traced once and its gradient given for each listing, as JAX
  const distinct = [...new Set(argnums)]
  const leafDefs = distinct.map((i) => flatten(where, primals[i], `args[${i}]`))
  const leafNodes: TapeVar[][] = []
  const args = [...primals]
  distinct.forEach((argi, j) => {
    const [xs, def] = leafDefs[j]!
    const nodes = xs.map((x) => new TapeVar(level, x, tape.pushInput(x)))
    leafNodes.push(nodes)
    args[argi] = unflatten(
      def,
      xs.map((x, i) => new Tensor(x.shape, x.dtype, nodes[i]!)),
    )
  })
  const raw = callAtLevel(where, level, f, args)
  let outTree: unknown = raw
  let aux: unknown
  if (hasAux) {
    if (!Array.isArray(raw) || raw.length !== 2)
      throw new ValueError(`${where}: with hasAux, f must return [output, aux]`)
    outTree = raw[0]
    aux = stripLevel(raw[1], level)
  }
  const [outs, outDef] = flatten(where, outTree, 'output')
  const outNodes = outs.map((o) => (o.impl.kind === 'tape' && o.impl.level === level ? o.impl : null))
  const out = unflatten(
    outDef,
    outs.map((o) => primalAt(o, level)),
  )
  const allLeaves = leafNodes.flat().map((l) => l.index)
  const pullback: RawPullback = (ctTree: unknown) => {
    const [cts, ctDef] = flatten(`${where} pullback`, ctTree, 'cotangent')
    if (!sameDef(ctDef, outDef)) {
      throw new ShapeError(
        `${where} pullback: the cotangent has structure ${showDef(ctDef, cts)} but the output has ${showDef(outDef, outs)}`,
      )
    }
    const seeds: [number, Tensor][] = []
    cts.forEach((ct, i) => {
      const o = outs[i]!
      if (!shapesEqual(ct.shape, o.shape)) {
        throw new ShapeError(
          `${where} pullback: cotangent ${i} has shape ${fmtShape(ct.shape)} but the output has ${fmtShape(o.shape)}`,
        )
      }
      if (ct.dtype !== o.dtype)
        throw new DTypeError(`${where} pullback: cotangent ${i} is ${ct.dtype} but the output is ${o.dtype}`)
      if (ct.backend !== o.backend) {
        throw new BackendError(
          `${where} pullback: cotangent ${i} lives on the ${ct.backend.name} backend but the output on ${o.backend.name}`,
        )
      }
      const n = outNodes[i]
      if (n !== null && n !== undefined) seeds.push([n.index, ct])
    })
    const grads = sweep(tape, seeds, allLeaves)
    const offsets: number[] = []
    leafDefs.reduce((o, [xs]) => (offsets.push(o), o + xs.length), 0)
    return argnums.map((argi) => {
      const j = distinct.indexOf(argi)
      const [xs, def] = leafDefs[j]!
      return unflatten(
        def,
        xs.map((x, k) => grads[offsets[j]! + k] ?? zerosLike(x)),
      )
    })
  }
  return { out, aux, pullback, level }
}

/**
 * Reverse mode: runs `f(...primals)` once, recording for every op a closure from its output
 * cotangent to its input cotangents. Returns `[output, pullback]`; `pullback(ct)` (ct shaped
 * like the output) returns one cotangent per primal, and may be called many times.
 *
 * Types: the primals are f's arguments; the output has the type of f's result (a tree of
 * tensors: a function that returns anything else is a type error), the pullback takes a tree of
 * that type and returns a tuple shaped like the primals.
 *
 * @example
 * import { vjp, tensor, sin, mul, sum } from 'dualtape'
 * const [y, pullback] = vjp((x) => sum(mul(sin(x), x)), tensor([1, 2, 3]))
 * const [gx] = pullback(tensor(1))
 */
export function vjp<F extends TreeFn, A extends Readonly<Parameters<F>>>(
  f: F,
  ...primals: A
): [Tangent<ReturnType<F>>, Pullback<A, ReturnType<F>>] {
  const [t, owned] = withTapeScope(
    () =>
      traceVjp(
        'vjp',
        f,
        primals,
        primals.map((_, i) => i),
        false,
      ),
    (r) => r.out,
  )
  return [t.out as Tangent<ReturnType<F>>, ownedBy(t.pullback, owned) as Pullback<A, ReturnType<F>>]
}

/**
 * `vjp` for a function that returns `[output, aux]`: returns `[output, pullback, aux]`.
 *
 * @example
 * import { vjpWithAux, tensor, sum, square } from 'dualtape'
 * const [y, pullback, aux] = vjpWithAux((x) => [sum(square(x)), 'note'], tensor([1, 2]))
 */
export function vjpWithAux<F extends AuxFn, A extends Readonly<Parameters<F>>>(
  f: F,
  ...primals: A
): [Tangent<ReturnType<F>[0]>, Pullback<A, ReturnType<F>[0]>, ReturnType<F>[1]] {
  const [t, owned] = withTapeScope(
    () =>
      traceVjp(
        'vjpWithAux',
        f,
        primals,
        primals.map((_, i) => i),
        true,
      ),
    (r) => [r.out, r.aux],
  )
  return [
    t.out as Tangent<ReturnType<F>[0]>,
    ownedBy(t.pullback, owned) as Pullback<A, ReturnType<F>[0]>,
    t.aux as ReturnType<F>[1],
  ]
}

/**
 * Options of `grad` and `valueAndGrad`.
 *
 * @example
 * import { grad, mul, sum, tensor, type GradOptions, type Tensor } from 'dualtape'
 * const options: GradOptions = { argnums: [0, 1] }
 * grad((a: Tensor, b: Tensor) => sum(mul(a, b)), options)(tensor([2]), tensor([3])) // → [[3], [2]]
 * // hasAux: f returns [output, aux]; grad returns [gradient, aux]
 * grad((a: Tensor) => [sum(mul(a, a)), 'aux'], { hasAux: true })(tensor([2])) // → [[4], 'aux']
 */
export interface GradOptions {
  /**
   * Which arguments to differentiate: an index (default 0) or a list of indices (negative ones
   * count from the end). As in JAX, an index listed twice gets its gradient twice.
   */
  readonly argnums?: number | readonly number[]
  /** `f` returns `[output, aux]`. */
  readonly hasAux?: boolean
}

/** Checks the function and the options given to a transformation. */
function checkTransform(where: string, f: unknown, options: unknown): void {
  if (typeof f !== 'function')
    throw new ValueError(`${where}: the first argument must be a function, got ${describe(f)}`)
  checkOptions(where, options, ['argnums', 'hasAux'])
}

function normArgnums(where: string, argnums: number | readonly number[] | undefined, n: number): number[] {
  if (argnums !== undefined && typeof argnums !== 'number' && !Array.isArray(argnums)) {
    throw new ValueError(
      `${where}: argnums must be an index or an array of indices, got ${fmtValue(argnums)}`,
    )
  }
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : [...argnums]
  if (list.length === 0) throw new ValueError(`${where}: argnums is empty`)
  return list.map((a) => {
    if (!Number.isInteger(a) || a < -n || a >= n) {
      throw new ValueError(
        `${where}: argnum ${fmtValue(a)} is out of range for a call with ${n} argument${n === 1 ? '' : 's'}`,
      )
    }
    return a < 0 ? a + n : a
  })
}

function gradCore(where: string, f: TreeFn, options: GradOptions, args: unknown[]) {
  const argnums = normArgnums(where, options.argnums, args.length)
  const t = traceVjp(where, f, args, argnums, options.hasAux === true)
  const out = t.out
  if (!(out instanceof Tensor) || out.rank !== 0) {
    const shape = out instanceof Tensor ? fmtShape(out.shape) : typeof out
    throw new ShapeError(
      `${where}: the function must return a scalar tensor (shape []), got ${shape}; use vjp or jacrev for other outputs`,
    )
  }
  const gs = t.pullback(onesLike(out))
  const g = typeof options.argnums === 'number' || options.argnums === undefined ? gs[0] : gs
  return { value: out, g, aux: t.aux }
}

/** What f must return for options `O`: a scalar Tensor, or `[scalar, aux]` with `hasAux`. */
type GradOutput<H> = H extends true ? readonly [Tensor, unknown] : Tensor

/** The result of `grad` for f with options `O` and arguments `A`. */
type GradResult<F extends AnyFn, O, A extends readonly unknown[]> =
  HasAux<O> extends infer H
    ? H extends true
      ? [ArgTangents<A, ArgnumsOf<O>>, AuxOf<ReturnType<F>>]
      : ArgTangents<A, ArgnumsOf<O>>
    : never

/** The result of `valueAndGrad` for f with options `O` and arguments `A`. */
type ValueAndGradResult<F extends AnyFn, O, A extends readonly unknown[]> =
  HasAux<O> extends infer H
    ? H extends true
      ? [[Tensor, AuxOf<ReturnType<F>>], ArgTangents<A, ArgnumsOf<O>>]
      : [Tensor, ArgTangents<A, ArgnumsOf<O>>]
    : never

/**
 * The function `grad(f, options)` returns: it takes f's arguments and gives the gradient with
 * respect to argument `argnums` (0 by default), shaped like that argument: a Tensor for a Tensor,
 * the same tree type for a tree; a tuple of them for a list of argnums; `[gradient, aux]` with
 * `hasAux`. The type follows the arguments of each call.
 *
 * @example
 * import { grad, mul, sum, tensor, type GradFn, type Tensor } from 'dualtape'
 * const f = (a: Tensor, p: { w: Tensor }) => sum(mul(a, p.w))
 * const df: GradFn<typeof f, { argnums: 1 }> = grad(f, { argnums: 1 })
 * df(tensor([2]), { w: tensor([3]) }).w // → [2]
 */
export type GradFn<F extends AnyFn, O = object> = <A extends Parameters<F>>(...args: A) => GradResult<F, O, A>

/**
 * The function `valueAndGrad(f, options)` returns: as `GradFn`, with the value first:
 * `[value, gradient]`, or `[[value, aux], gradient]` with `hasAux`.
 *
 * @example
 * import { valueAndGrad, sum, square, tensor, type Tensor, type ValueAndGradFn } from 'dualtape'
 * const f = (x: Tensor) => sum(square(x))
 * const vg: ValueAndGradFn<typeof f> = valueAndGrad(f)
 * const [v, g] = vg(tensor([1, 2]))
 * v // → 5
 * g // → [2, 4]
 */
export type ValueAndGradFn<F extends AnyFn, O = object> = <A extends Parameters<F>>(
  ...args: A
) => ValueAndGradResult<F, O, A>

/**
 * The gradient of a scalar-valued function, as a function of the same arguments (JAX's grad).
 * Differentiates argument 0 unless `argnums` says otherwise; a list of argnums gives a list of
 * gradients, one per entry (an argument listed twice gets its gradient twice, as in JAX). The
 * arguments may be trees; each gradient has its argument's structure, keys such as `__proto__`
 * included. With `hasAux`, f returns `[value, aux]` and the result is `[gradient, aux]`. A
 * function that returns a Promise is refused with a ValueError.
 *
 * Types (`GradFn`): f must return a Tensor (`[Tensor, aux]` with `hasAux: true`); the result
 * takes f's parameters and its type follows them and the argnums; options are exact (a misspelt
 * key is a type error) and literal argnums must be in range for f's parameters.
 *
 * @example
 * import { grad, tensor, sum, square } from 'dualtape'
 * grad((x) => sum(square(x)))(tensor([1, 2])).toArray() // [2, 4]
 */
export function grad<F extends (...args: any[]) => Tensor>(f: F): GradFn<F>
export function grad<
  F extends (...args: any[]) => GradOutput<HasAux<O>>,
  const O extends OptionsWithArgnums<GradOptions, O, Parameters<F>>,
>(f: F, options: O): GradFn<F, O>
export function grad(f: TreeFn, options: GradOptions = {}): (...args: unknown[]) => unknown {
  checkTransform('grad', f, options)
  return (...args: unknown[]) => {
    return withScope(() => {
      const { g, aux } = gradCore('grad', f, options, args)
      return options.hasAux === true ? [g, aux] : g
    })
  }
}

/**
 * Like `grad`, but returns `[value, gradient]` (with `hasAux`: `[[value, aux], gradient]`, as JAX).
 * Typed as `grad` is (`ValueAndGradFn`).
 *
 * @example
 * import { valueAndGrad, tensor, sum, square } from 'dualtape'
 * const [v, g] = valueAndGrad((x) => sum(square(x)))(tensor([1, 2]))
 * v.item() // 5
 */
export function valueAndGrad<F extends (...args: any[]) => Tensor>(f: F): ValueAndGradFn<F>
export function valueAndGrad<
  F extends (...args: any[]) => GradOutput<HasAux<O>>,
  const O extends OptionsWithArgnums<GradOptions, O, Parameters<F>>,
>(f: F, options: O): ValueAndGradFn<F, O>
export function valueAndGrad(f: TreeFn, options: GradOptions = {}): (...args: unknown[]) => unknown {
  checkTransform('valueAndGrad', f, options)
  return (...args: unknown[]) => {
    return withScope(() => {
      const { value, g, aux } = gradCore('valueAndGrad', f, options, args)
      return options.hasAux === true ? [[value, aux], g] : [value, g]
    })
  }
}
