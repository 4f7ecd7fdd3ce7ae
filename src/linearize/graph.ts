import type { Backend, Meta } from '../core/backend.js'
import { allocArray } from '../core/dtype.js'
import { LinearityError, ShapeError, fmtShape } from '../core/errors.js'
import { type Level, nextLevelId } from '../core/levels.js'
import { applyChecked, type OpDef } from '../core/op.js'
import { shapesEqual, sizeOf } from '../core/shape.js'
import { Tensor, concreteOf } from '../core/tensor.js'
import { fromData } from '../ops/create.js'
import { add } from '../ops/binary.js'
import { sumToShape } from '../ops/reduce.js'
import { checkCotangents } from '../reverse/tape.js'

// ---------------------------------------------------------------------------------------------
// Linear graphs: what a linear level records. A linear level is a fourth kind of level, beside
// jvp, vjp and sparsity: its tracers are the variables of a small graph, and every op applied to
// one is recorded as an equation `v_k = op(args)`, whose arguments are variables or constants
// (tensors of lower levels, captured as they are). `linearize` runs the JVP with tangents that
// are such variables, so the primal work is done once and only the tangent ops are recorded;
// `replay` runs the graph again on other inputs, and `transposeGraph` sweeps it backwards with
// the ops' VJP rules as transpose rules.
// ---------------------------------------------------------------------------------------------

/** An argument of a recorded op: a variable of the graph (its number) or a constant tensor. */
export type Arg = number | Tensor

/** One recorded op: its output is the variable `inputs.length + k` for the k-th equation. */
export interface Eqn {
  readonly def: OpDef<unknown>
  readonly params: unknown
  readonly args: readonly Arg[]
  /** The output's shape and dtype, as the op's shape rule gave them. */
  readonly out: Meta
}

/** A recorded linear function: its inputs (variables 0…n-1), its ops, its outputs. */
export interface LinearGraph {
  readonly inputs: readonly Meta[]
  readonly eqns: readonly Eqn[]
  /** One per output leaf: a variable, or a constant (an output that does not depend on the inputs). */
  readonly outputs: readonly Arg[]
  /** The shape and dtype of every variable. */
  readonly vars: readonly Meta[]
  /**
   * The variables read for the last time by each equation (their values can go): those of
   * equation k are `lastReads[lastReadsStart[k] … lastReadsStart[k + 1] - 1]`.
   */
  readonly lastReads: Int32Array
  readonly lastReadsStart: Int32Array
  /** The backend of the inputs. */
  readonly backend: Backend
}

/**
 * A linear level: records every op applied to its tracers as an equation of a graph, and runs it
 * on the tracers' values too (their value at the traced point: zeros under `linearize`, the
 * examples under `linearTranspose`), so that code which reads a shape or a backend works as
 * everywhere else.
 */
export class LinearLevel implements Level {
  readonly id = nextLevelId()
  readonly kind = 'linear' as const
  readonly batch = null
  readonly tape = null
  readonly eqns: Eqn[] = []
  readonly vars: Meta[] = []

  /** A new input variable, of the shape, dtype and value of `x`. */
  input(x: Tensor): Tensor {
    if (this.eqns.length > 0) throw new Error('unreachable: inputs come first')
    const id = this.vars.length
    this.vars.push({ shape: x.shape, dtype: x.dtype })
    return new Tensor(x.shape, x.dtype, { kind: 'staged', level: this, primal: x, id }, true)
  }

  process(def: OpDef<unknown>, inputs: readonly Tensor[], params: unknown, out: Meta): Tensor {
    const n = inputs.length
    const x = new Array<Tensor>(n)
    const args = new Array<Arg>(n)
    for (let i = 0; i < n; i++) {
      const t = inputs[i]!
      const impl = t.impl
      // this is the highest level among the inputs: the others are constants here
      if (impl.kind === 'staged' && impl.level === this) {
        x[i] = impl.primal
        args[i] = impl.id
      } else {
        x[i] = t
        args[i] = t
      }
    }
    const y = applyChecked(def, x, params, out)
    const id = this.vars.length
    // a copy: a shape rule may return one of its inputs as the output's Meta (a tracer, kept alive)
    const meta: Meta = { shape: y.shape, dtype: y.dtype }
    this.vars.push(meta)
    this.eqns.push({ def, params, args, out: meta })
    return new Tensor(y.shape, y.dtype, { kind: 'staged', level: this, primal: y, id }, true)
  }

  /** The variable of `t` if it is a tracer of this level, else `t` itself (a constant). */
  argOf(t: Tensor): Arg {
    const impl = t.impl
    return impl.kind === 'staged' && impl.level === this ? impl.id : t
  }

  /** The graph recorded, with `outputs` (tensors the traced function returned). */
  finish(nInputs: number, outputs: readonly Tensor[], backend: Backend): LinearGraph {
    const eqns = this.eqns
    const outs = outputs.map((o) => this.argOf(o))
    const last = new Int32Array(this.vars.length).fill(-1)
    eqns.forEach((e, k) => {
      for (const a of e.args) if (typeof a === 'number') last[a] = k
    })
    for (const a of outs) if (typeof a === 'number') last[a] = eqns.length
    // counting sort of the variables by the equation that reads them last
    const lastReadsStart = new Int32Array(eqns.length + 1)
    for (const k of last) if (k >= 0 && k < eqns.length) lastReadsStart[k + 1]!++
    for (let k = 0; k < eqns.length; k++) lastReadsStart[k + 1]! += lastReadsStart[k]!
    const lastReads = new Int32Array(lastReadsStart[eqns.length]!)
    const fill = lastReadsStart.slice(0, eqns.length)
    last.forEach((k, v) => {
      if (k >= 0 && k < eqns.length) lastReads[fill[k]!++] = v
    })
    return {
      inputs: this.vars.slice(0, nInputs),
      eqns: [...eqns],
      outputs: outs,
      vars: [...this.vars],
      lastReads,
      lastReadsStart,
      backend,
    }
  }
}

/**
 * Runs a graph on input values of its input shapes and dtypes (checked by the caller): each op
 * through `applyChecked`, so inputs or constants that are tracers of active levels (an enclosing
 * grad, jvp or linearize) are differentiated as any other value. Values are dropped after their
 * last use.
 */
export function replay(g: LinearGraph, ins: readonly Tensor[]): Tensor[] {
  const nIn = g.inputs.length
  const eqns = g.eqns
  const env = new Array<Tensor | undefined>(nIn + eqns.length)
  for (let i = 0; i < nIn; i++) env[i] = ins[i]
  for (let k = 0; k < eqns.length; k++) {
    const e = eqns[k]!
    const args = e.args
    const n = args.length
    const xs = new Array<Tensor>(n)
    for (let j = 0; j < n; j++) {
      const a = args[j]!
      xs[j] = typeof a === 'number' ? env[a]! : a
    }
    env[nIn + k] = applyChecked(e.def, xs, e.params, e.out)
    for (let i = g.lastReadsStart[k]!, end = g.lastReadsStart[k + 1]!; i < end; i++)
      env[g.lastReads[i]!] = undefined
  }
  return g.outputs.map((a) => (typeof a === 'number' ? env[a]! : a))
}

/**
 * Values of the shape and dtype of each variable that a VJP rule is handed in place of the
 * traced values it must not read: zeros, one tensor per distinct shape and dtype.
 */
export function placeholders(g: LinearGraph): Tensor[] {
  const byKey = new Map<string, Tensor>()
  return g.vars.map((m) => {
    const key = `${m.dtype}:${m.shape.join(',')}`
    let t = byKey.get(key)
    if (t === undefined) {
      t = fromData(allocArray(m.dtype, sizeOf(m.shape)), m.shape, g.backend)
      byKey.set(key, t)
    }
    return t
  })
}

/**
 * The transpose of a graph applied to output cotangents `cts` (one per output, of its shape):
 * the reverse sweep, each op's VJP rule acting as its transpose rule, summing cotangents where a
 * variable fans out. Returns one cotangent per input (null where the outputs do not depend on it).
 * Iterative, as the tape's sweep.
 */
export function transposeGraph(
  g: LinearGraph,
  cts: readonly Tensor[],
  holders: readonly Tensor[],
): (Tensor | null)[] {
  const nIn = g.inputs.length
  const eqns = g.eqns
  const acc = new Array<Tensor | undefined>(nIn + eqns.length)
  g.outputs.forEach((a, i) => {
    if (typeof a !== 'number') return
    const prev = acc[a]
    acc[a] = prev === undefined ? cts[i]! : add(prev, cts[i]!)
  })
  for (let k = eqns.length - 1; k >= 0; k--) {
    const v = nIn + k
    const ct = acc[v]
    if (ct === undefined) continue
    acc[v] = undefined
    const { def, args, params } = eqns[k]!
    const n = args.length
    const x = new Array<Tensor>(n)
    const wants = new Array<boolean>(n)
    for (let j = 0; j < n; j++) {
      const a = args[j]!
      x[j] = typeof a === 'number' ? holders[a]! : a
      wants[j] = typeof a === 'number'
    }
    const gs: unknown = def.vjp({ ct, x, y: holders[v]!, params, wants })
    checkCotangents(def.name, gs, x, wants)
    for (let j = 0; j < n; j++) {
      const gj = gs[j]
      const a = args[j]!
      if (gj === null || gj === undefined || typeof a !== 'number') continue
      const shape = x[j]!.shape
      let s = gj
      if (!shapesEqual(gj.shape, shape)) {
        s = sumToShape(gj, shape)
        if (!shapesEqual(s.shape, shape)) {
          throw new ShapeError(
            `${def.name}: its VJP rule returned a cotangent of shape ${fmtShape(gj.shape)} for input ${j} of shape ${fmtShape(shape)}`,
          )
        }
      }
      const prev = acc[a]
      acc[a] = prev === undefined ? s : add(prev, s)
    }
  }
  const out = new Array<Tensor | null>(nIn)
  for (let i = 0; i < nIn; i++) out[i] = acc[i] ?? null
  return out
}

/** Whether every value of a constant is 0 (true where the backend cannot read synchronously). */
function isZero(t: Tensor): boolean {
  const c = concreteOf(t)
  if (!c.backend.syncRead) return true
  const a = c.backend.readSync(c.handle, t)
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false
  return true
}

/**
 * Checks that every op of a graph is linear in its traced inputs, as its `linearity` says, so
 * that its VJP rule is its transpose; with `constantTerms`, also that no constant is added to a
 * traced value and no output is a nonzero constant (an affine function is not linear). Throws a
 * LinearityError naming the op, its input and the argument the input depends on (`argName` of an
 * input leaf).
 */
export function checkLinear(
  where: string,
  g: LinearGraph,
  argName: (leaf: number) => string,
  constantTerms: boolean,
): void {
  const nIn = g.inputs.length
  // the first input leaf each variable depends on
  const dep = new Int32Array(g.vars.length)
  for (let i = 0; i < nIn; i++) dep[i] = i
  const fail = (why: string): never => {
    throw new LinearityError(`${where}: the function is not linear: ${why}`)
  }
  g.eqns.forEach((e, k) => {
    const name = e.def.name
    const traced: number[] = []
    e.args.forEach((a, j) => {
      if (typeof a === 'number') traced.push(j)
    })
    const on = (j: number): string => argName(dep[e.args[j] as number]!)
    const lin = e.def.linearity
    if (lin === undefined) {
      fail(
        `${name} is applied to a value that depends on ${on(traced[0]!)} (input ${traced[0]} of op ${k + 1}), and ${name} is not linear`,
      )
    } else if (lin === 'each') {
      if (traced.length > 1) {
        fail(
          `${name} multiplies two values that depend on the arguments (input ${traced[0]} on ${on(traced[0]!)}, input ${traced[1]} on ${on(traced[1]!)}; op ${k + 1}); a product of traced values is not linear`,
        )
      }
    } else {
      const linearIn = lin === 'joint' ? null : lin
      for (const j of traced) {
        if (linearIn !== null && !linearIn.includes(j)) {
          fail(`${name} is not linear in its input ${j}, which depends on ${on(j)} (op ${k + 1})`)
        }
      }
      if (constantTerms) {
        e.args.forEach((a, j) => {
          if (typeof a === 'number' || (linearIn !== null && !linearIn.includes(j))) return
          if (!isZero(a)) {
            fail(
              `${name} combines a nonzero constant (input ${j}) with a value that depends on ${on(traced[0]!)} (op ${k + 1}): the function is affine`,
            )
          }
        })
      }
    }
    dep[nIn + k] = dep[e.args[traced[0]!] as number]!
  })
  if (constantTerms) {
    g.outputs.forEach((a, i) => {
      if (typeof a !== 'number' && !isZero(a))
        fail(`output ${i} is a nonzero constant, which depends on no argument`)
    })
  }
}
