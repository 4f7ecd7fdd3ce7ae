import { BackendError, DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js'
import { callAtLevel, withLevel } from '../core/levels.js'
import { describe } from '../core/op.js'
import { ownedBy, withTapeScope } from '../core/scope.js'
import { shapesEqual } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import { type Tangent, type Tree, type TreeDef, flatten, sameDef, showDef, unflatten } from '../core/tree.js'
import { jvpCore } from '../forward/jvp.js'
import { zerosLike } from '../ops/create.js'
import type { Pullback } from '../reverse/vjp.js'
import { LinearLevel, checkLinear, placeholders, replay, transposeGraph, type LinearGraph } from './graph.js'

// ---------------------------------------------------------------------------------------------
// linearize, linearTranspose and the VJP through both (JAX's linearize, linear_transpose and
// the vjp they make): see docs/linearize.md.
// ---------------------------------------------------------------------------------------------

/**
 * The JVP of a function at a fixed point, as `linearize` returns it: takes tangents shaped like
 * the primals `A` (one tree per argument) and returns the output tangent, shaped like the output `O`.
 *
 * @example
 * import { linearize, sin, tensor, type LinearFn, type Tensor } from 'dualtape'
 * const [, jvpFn]: [Tensor, LinearFn<[Tensor], Tensor>] = linearize(sin, tensor([0, Math.PI]))
 * jvpFn(tensor([1, 1])) // → [1, -1]
 */
export type LinearFn<A extends readonly unknown[] = readonly Tree[], O = Tree> = (
  ...tangents: { -readonly [I in keyof A]: Tangent<A[I]> }
) => Tangent<O>

/** What a linear function was recorded as: its graph and the structures of its inputs and outputs. */
interface Recorded {
  readonly graph: LinearGraph
  readonly inDef: TreeDef
  readonly outDef: TreeDef
  /** The number of arguments the function takes. */
  readonly arity: number
  /** The argument (and the leaf within it) of each input leaf, for error messages. */
  readonly leafNames: readonly string[]
}

/** The functions `linearize` returned, with their graphs: `linearTranspose` transposes these without tracing. */
const recorded = new WeakMap<object, Recorded>()

/** The name of each leaf of a list of arguments: `args[1]`, or `args[1] leaf 2` inside a tree. */
function leafNames(where: string, args: readonly unknown[]): string[] {
  return args.flatMap((a, i) => {
    const [xs] = flatten(where, a, `args[${i}]`)
    return xs.length === 1 && a === xs[0] ? [`args[${i}]`] : xs.map((_, j) => `args[${i}] leaf ${j}`)
  })
}

/** Checks the leaves of a call's arguments against the recorded inputs: structure, shapes, dtypes, backend. */
function checkInputs(where: string, what: string, r: Recorded, args: readonly unknown[]): Tensor[] {
  if (args.length !== r.arity) {
    throw new ValueError(
      `${where}: expected ${r.arity} ${what}${r.arity === 1 ? '' : 's'} (one per argument of f), got ${args.length}`,
    )
  }
  const [xs, def] = flatten(where, args, what + 's')
  if (!sameDef(def, r.inDef)) {
    throw new ShapeError(
      `${where}: the ${what}s have structure ${showDef(def, xs)} but the primals have ${showDef(r.inDef)}`,
    )
  }
  const g = r.graph
  xs.forEach((x, i) => {
    const m = g.inputs[i]!
    const name = r.leafNames[i]!
    if (!shapesEqual(x.shape, m.shape)) {
      throw new ShapeError(
        `${where}: ${what} ${name} has shape ${fmtShape(x.shape)}, expected ${fmtShape(m.shape)} (its primal's)`,
      )
    }
    if (x.dtype !== m.dtype)
      throw new DTypeError(`${where}: ${what} ${name} is ${x.dtype}, expected ${m.dtype} (its primal's)`)
    if (x.backend !== g.backend) {
      throw new BackendError(
        `${where}: ${what} ${name} lives on the ${x.backend.name} backend, its primal on ${g.backend.name}`,
      )
    }
  })
  return xs
}

/**
 * The value of `f` at `primals` and its JVP there as a function: `[y, jvpFn]` with
 * `jvpFn(...tangents)` equal to `jvp(f, primals, tangents)[1]`, as JAX's `linearize`. The JVP
 * runs once, with tangents that are the variables of a linear level: the primal work (and the
 * derivatives the rules take from it, such as tanh's 1 − y²) is done then, once, and only the
 * tangent ops are recorded, a small graph that holds those derivatives as constants. Each call of
 * `jvpFn` replays that graph: the linear part of the JVP, without f's primal work. It pays when
 * several JVPs are taken at one point (a Jacobian column by column, an iterative solver, the
 * tangent sweeps of a matrix-free chain); see docs/linearize.md.
 *
 * `primals` are f's arguments (trees of tensors, as for `jvp`); `jvpFn` takes tangents of the same
 * structure, shapes, dtypes and backend (a typed error names the one that is not) and returns the
 * output tangent, shaped like f's output. `jvpFn` is itself differentiable: called inside grad,
 * jvp or another linearize, it is recorded as the ops it replays. Called inside the transformation
 * in which `linearize` ran, it is differentiated with respect to the point as well; called after
 * that transformation returned, its constants are dead tracers and it throws a TransformError.
 *
 * @example
 * import { linearize, jvp, tanh, matmul, tensor, type Tensor } from 'dualtape'
 * const W = tensor([[1, 2], [3, 4]])
 * const f = (x: Tensor) => tanh(matmul(W, x))
 * const x = tensor([[0.1], [0.2]])
 * const [y, jvpFn] = linearize(f, x)
 * const v = tensor([[1], [0]])
 * jvpFn(v).toArray() // the same as jvp(f, [x], [v])[1]
 */
export function linearize<F extends (...args: any[]) => Tree, A extends Readonly<Parameters<F>>>(
  f: F,
  ...primals: A
): [Tangent<ReturnType<F>>, LinearFn<A, ReturnType<F>>] {
  if (typeof f !== 'function')
    throw new ValueError(`linearize: the first argument must be a function, got ${describe(f)}`)
  const names = leafNames('linearize', primals)
  const [t, owned] = withTapeScope(
    () => {
      const [xs, inDef] = flatten('linearize', primals, 'primals')
      if (xs.length === 0)
        throw new ValueError('linearize: f needs at least one tensor argument to linearize in')
      const level = new LinearLevel()
      const tangents = xs.map((x) => level.input(zerosLike(x)))
      const [y, dy] = withLevel(level, () =>
        jvpCore('linearize', f, primals, unflatten(inDef, tangents), {}),
      ) as [unknown, unknown]
      const [dys, outDef] = flatten('linearize', dy, 'output')
      const graph = level.finish(xs.length, dys, xs[0]!.backend)
      const r: Recorded = { graph, inDef, outDef, arity: primals.length, leafNames: names }
      return { y, r }
    },
    (res) => res.y,
  )
  const { r } = t
  const jvpFn = ownedBy((...tangents: unknown[]) => {
    const ins = checkInputs('linearize jvpFn', 'tangent', r, tangents)
    return unflatten(r.outDef, replay(r.graph, ins))
  }, owned)
  recorded.set(jvpFn, r)
  return [t.y as Tangent<ReturnType<F>>, jvpFn as unknown as LinearFn<A, ReturnType<F>>]
}

/**
 * Traces a function at a linear level on inputs shaped like `examples`: its graph, unchecked.
 */
function traceLinear(where: string, f: (...args: any[]) => unknown, examples: readonly unknown[]): Recorded {
  const names = leafNames(where, examples)
  const [xs, inDef] = flatten(where, examples, 'examples')
  if (xs.length === 0)
    throw new ValueError(`${where}: needs at least one example tensor (one per argument of linearFn)`)
  const level = new LinearLevel()
  const args = unflatten<unknown[]>(
    inDef,
    xs.map((x) => level.input(x)),
  )
  const out = callAtLevel(where, level, f, args)
  const [outs, outDef] = flatten(where, out, 'output')
  return {
    graph: level.finish(xs.length, outs, xs[0]!.backend),
    inDef,
    outDef,
    arity: examples.length,
    leafNames: names,
  }
}

/**
 * The transpose of a linear function, as JAX's `linear_transpose`: for L linear in its
 * arguments, a function of a cotangent u shaped like L's output that returns Lᵀu, one cotangent
 * per argument, shaped like `examples` (which give the arguments' shapes, dtypes and backend; their
 * values are not used). It traces `linearFn` once on inputs shaped like the examples, checks that
 * every op it records is linear in them, and runs the recorded ops backwards with their VJP
 * rules as transpose rules, so ⟨u, L v⟩ = ⟨Lᵀ u, v⟩ to rounding.
 *
 * A function `linearize` returned is transposed from the graph it recorded, without tracing:
 * `linearTranspose(jvpFn, ...primals)` is the VJP at the linearization point (see `linearVjp`).
 *
 * A function that is not linear throws a LinearityError naming the op and the argument: a
 * non-linear op (tanh, exp, a comparison, a custom op) on a value that depends on the arguments,
 * a product of two such values, or a nonzero constant added to one (affine). On a backend that
 * reads asynchronously (tfjs-webgpu), constant terms are not checked.
 *
 * @example
 * import { linearTranspose, matmul, tensor, type Tensor } from 'dualtape'
 * const A = tensor([[1, 2, 3], [4, 5, 6]])
 * const L = (v: Tensor) => matmul(A, v) // R³ → R², linear
 * const Lt = linearTranspose(L, tensor([[0], [0], [0]]))
 * const [w] = Lt(tensor([[1], [1]]))
 * w // → [[5], [7], [9]]
 */
export function linearTranspose<F extends (...args: any[]) => Tree, A extends Readonly<Parameters<F>>>(
  linearFn: F,
  ...examples: A
): Pullback<A, ReturnType<F>> {
  const where = 'linearTranspose'
  if (typeof linearFn !== 'function') {
    throw new ValueError(
      `${where}: the first argument (linearFn) must be a function, got ${describe(linearFn)}`,
    )
  }
  const known = recorded.get(linearFn)
  const [t, owned] = withTapeScope(
    () => {
      let r: Recorded
      if (known !== undefined) {
        checkInputs(where, 'example', known, examples)
        r = known
        checkLinear(where, r.graph, (i) => r.leafNames[i]!, false)
      } else {
        r = traceLinear(where, linearFn, examples)
        checkLinear(where, r.graph, (i) => r.leafNames[i]!, true)
      }
      return { r, holders: placeholders(r.graph) }
    },
    () => null,
  )
  const { r, holders } = t
  const g = r.graph
  const outMetas = g.outputs.map((a) =>
    typeof a === 'number' ? g.vars[a]! : { shape: a.shape, dtype: a.dtype },
  )
  const pullback = (ctTree: unknown): unknown[] => {
    const pw = `${where} (the transposed function)`
    const [cts, ctDef] = flatten(pw, ctTree, 'cotangent')
    if (!sameDef(ctDef, r.outDef)) {
      throw new ShapeError(
        `${pw}: the cotangent has structure ${showDef(ctDef, cts)} but linearFn's output has ${showDef(r.outDef)}`,
      )
    }
    cts.forEach((ct, i) => {
      const m = outMetas[i]!
      if (!shapesEqual(ct.shape, m.shape)) {
        throw new ShapeError(
          `${pw}: cotangent ${i} has shape ${fmtShape(ct.shape)} but the output has ${fmtShape(m.shape)}`,
        )
      }
      if (ct.dtype !== m.dtype)
        throw new DTypeError(`${pw}: cotangent ${i} is ${ct.dtype} but the output is ${m.dtype}`)
      if (ct.backend !== g.backend) {
        throw new BackendError(
          `${pw}: cotangent ${i} lives on the ${ct.backend.name} backend, the output on ${g.backend.name}`,
        )
      }
    })
    const gs = transposeGraph(g, cts, holders)
    const leaves = gs.map((x, i) => x ?? zerosLike(holders[i]!))
    return unflatten<unknown[]>(r.inDef, leaves)
  }
  return ownedBy(pullback, owned) as unknown as Pullback<A, ReturnType<F>>
}

/**
 * Reverse mode through `linearize` and `linearTranspose`, as JAX builds its vjp: `[y, pullback]`
 * as `vjp(f, ...primals)` returns, the pullback being the transpose of f's linearization at the
 * primals. Beside the closure tape of `vjp`: what it keeps between the forward pass and the
 * pullbacks is the JVP's constants (tanh's 1 − y², the weights a product multiplies by), not every
 * op's output; each pullback runs the transposes of the tangent ops only. docs/linearize.md compares the two.
 *
 * @example
 * import { linearVjp, vjp, mul, sin, sum, tensor, type Tensor } from 'dualtape'
 * const f = (x: Tensor) => sum(mul(sin(x), x))
 * const x = tensor([1, 2, 3])
 * const [y, pullback] = linearVjp(f, x)
 * const [g] = pullback(tensor(1))
 * g.toArray() // the same as vjp(f, x)[1](tensor(1))[0]
 */
export function linearVjp<F extends (...args: any[]) => Tree, A extends Readonly<Parameters<F>>>(
  f: F,
  ...primals: A
): [Tangent<ReturnType<F>>, Pullback<A, ReturnType<F>>] {
  const [y, jvpFn] = linearize(f, ...primals)
  return [y, linearTranspose(jvpFn as unknown as F, ...primals)]
}
