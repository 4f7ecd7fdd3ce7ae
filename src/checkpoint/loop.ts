/**
 * `checkpointLoop`: a loop of n steps differentiated in reverse mode with c snapshots, by
 * Griewank and Walther's binomial schedule.
 *
 * @module
 */
import type { Meta } from '../core/backend.js'
import { ShapeError, ValueError, fmtValue } from '../core/errors.js'
import { refusePromise } from '../core/levels.js'
import { type OpDef, apply, describe, topLevel } from '../core/op.js'
import { checkOptions } from '../core/options.js'
import { Tensor, concreteOf } from '../core/tensor.js'
import { type Tree, type TreeDef, flatten, sameDef, showDef, unflatten } from '../core/tree.js'
import { add } from '../ops/binary.js'
import { type Traced, traceVjp } from '../reverse/vjp.js'
import { jvpThrough, pack, packedMeta, refuseTracers, unpack } from './pack.js'
import { type RevolveSchedule, revolveSchedule } from './revolve.js'

/**
 * What one reverse sweep through a `checkpointLoop` did, as `onSweep` receives it.
 *
 * @example
 * import { checkpointLoop, grad, sin, sum, tensor, type SweepReport, type Tensor } from 'dualtape'
 * const reports: SweepReport[] = []
 * const loss = (x: Tensor) =>
 *   sum(checkpointLoop(sin, x, 10, { snapshots: 3, onSweep: (r) => reports.push(r) }))
 * grad(loss)(tensor([1]))
 * reports[0]!.fromForward // → true
 * reports[0]!.advances // → 15
 * reports[0]!.turns // → 10
 * reports[0]!.peakSnapshots // → 3
 * reports[0]!.peakTapeNodes // → 2
 */
export interface SweepReport {
  /** The loop's number of steps n. */
  readonly steps: number
  /** The snapshot slots c it was given. */
  readonly snapshots: number
  /**
   * Whether the sweep continued the forward pass's run of the schedule (the first pullback on the
   * forward pass's inputs) or ran it again from x0 (a second pullback, or one whose inputs are
   * tracers of an enclosing transformation).
   */
  readonly fromForward: boolean
  /**
   * Steps evaluated without recording by this run of the schedule: `revolveAdvances(n, c)`, those
   * of the forward pass included when the sweep continued it.
   */
  readonly advances: number
  /** Steps run on a tape and pulled back: n (the last one recorded by the forward pass when the sweep continued it). */
  readonly turns: number
  /** The most states held in snapshot slots at once (at most c). */
  readonly peakSnapshots: number
  /** The most tape nodes alive at once in the loop's step tapes: one step's tape (its input included). */
  readonly peakTapeNodes: number
  /** The most bytes of tensor data held at once by the snapshots and the step tape's values. */
  readonly peakBytes: number
}

/**
 * Options of `checkpointLoop`.
 *
 * @example
 * import { checkpointLoop, mul, tensor, type CheckpointLoopOptions, type Tensor } from 'dualtape'
 * const options: CheckpointLoopOptions<Tensor> = { snapshots: 4, params: tensor([0.5]) }
 * checkpointLoop((x: Tensor, a: Tensor) => mul(x, a), tensor([8]), 3, options) // → [1]
 */
export interface CheckpointLoopOptions<P> {
  /** The snapshot slots c ≥ 1 (the initial state takes one): at most c states are held at once. */
  readonly snapshots: number
  /** The step's second argument, a tree of tensors, differentiable like the initial state. */
  readonly params?: P
  /** Called after each reverse sweep through the loop with what it did. */
  readonly onSweep?: (report: SweepReport) => void
}

const hint = 'pass every tensor the step differentiates in the state or in options.params'

const bytesOf = (ts: readonly Tensor[]): number =>
  ts.reduce((n, t) => n + t.size * (t.dtype === 'float32' ? 4 : 8), 0)

/** One application of `checkpointLoop`: the step, the structure of its state and parameters. */
class LoopCall {
  schedule: RevolveSchedule | null = null
  /** What the forward pass left for the first pullback: its inputs' data, its run of the schedule, the last step's tape. */
  stash: { readonly handles: readonly unknown[]; readonly sweep: Sweep; readonly first: Traced } | null = null

  constructor(
    readonly step: (x: any, params: any) => Tree,
    readonly n: number,
    readonly snapshots: number,
    readonly xDef: TreeDef,
    readonly xMetas: readonly Meta[],
    readonly pDef: TreeDef,
    readonly onSweep: ((report: SweepReport) => void) | undefined,
  ) {}

  get nx(): number {
    return this.xMetas.length
  }

  /** One step on the state's leaves, its result checked against the state's structure, shapes and dtypes. */
  stepLeaves(x: readonly Tensor[], params: unknown): Tensor[] {
    if (this.xDef.kind === 'leaf') return [this.stepTree(x[0], params) as Tensor]
    return flatten('checkpointLoop', this.stepTree(unflatten(this.xDef, x), params), 'the step output')[0]
  }

  stepTree(x: unknown, params: unknown): Tree {
    const y = this.step(x, params)
    // a state of one tensor, as most loops carry: checked without flattening
    if (this.xDef.kind === 'leaf' && y instanceof Tensor && sameMeta(y, this.xMetas[0]!)) return y
    refusePromise('checkpointLoop', y)
    const [ys, def] = flatten('checkpointLoop', y, 'the step output')
    if (!sameDef(def, this.xDef) || ys.some((t, i) => !sameMeta(t, this.xMetas[i]!))) {
      throw new ShapeError(
        `checkpointLoop: the step returned ${showDef(def, ys)} for a state ${showDef(this.xDef, this.xMetas as Tensor[])}; ` +
          "it must return a state of x0's structure, shapes and dtypes",
      )
    }
    return y
  }

  /** The n steps from the leaves of x0 and the parameters, packed (forward mode's loop). */
  run(leaves: readonly Tensor[]): Tensor {
    let x = leaves.slice(0, this.nx)
    const params = unflatten(this.pDef, leaves.slice(this.nx))
    for (let i = 0; i < this.n; i++) x = this.stepLeaves(x, params)
    return pack(x)
  }

  /** A run of the schedule from x0 (the leaves of x0 and of the parameters). */
  sweep(leaves: readonly Tensor[]): Sweep {
    this.schedule ??= revolveSchedule(this.n, this.snapshots)
    const x = leaves.slice(0, this.nx)
    return new Sweep(this, this.schedule, x, unflatten(this.pDef, leaves.slice(this.nx)), bytesOf(x))
  }

  /**
   * The forward pass, on plain data: the schedule up to its first turn, which records the last
   * step and gives x_n. The snapshots and that step's tape are kept for the first pullback.
   */
  forward(leaves: readonly Tensor[]): Tensor {
    const sweep = this.sweep(leaves)
    const first = sweep.toNextTurn(leaves.length > this.nx ? [0, 1] : [0])!
    this.stash = { handles: leaves.map((t) => concreteOf(t).handle), sweep, first }
    return pack(flatten('checkpointLoop', first.out, 'the step output')[0])
  }

  /**
   * The reverse sweep by the revolve schedule: the cotangents of x0's leaves and the parameters'.
   * The first pullback on the forward pass's own inputs continues the forward pass's run of the
   * schedule; any other (a second pullback, or one at a level whose inputs are tracers) runs the
   * schedule again from x0.
   */
  reverse(ct: Tensor, leaves: readonly Tensor[], wants: readonly boolean[]): (Tensor | null)[] {
    const nx = this.nx
    const wantParams = wants.slice(nx).some((w) => w)
    const argnums = wantParams ? [0, 1] : [0]
    let stash = this.stash
    this.stash = null
    const resume =
      stash !== null &&
      leaves.every((t, i) => t.impl.kind === 'concrete' && t.impl.handle === stash!.handles[i])
    const sweep = resume ? stash!.sweep : this.sweep(leaves)
    let turn = resume ? stash!.first : sweep.toNextTurn(argnums)
    // nothing here may keep a step's tape once it is pulled back: one tape at a time
    stash = null
    let ctx: unknown = unflatten(this.xDef, unpack(ct, this.xMetas))
    let ctp: Tensor[] | null = null
    while (turn !== null) {
      const gs = turn.pullback(ctx)
      turn = null
      ctx = gs[0]
      if (wantParams) {
        const [gp] = flatten('checkpointLoop', gs[1], 'params')
        ctp = ctp === null ? gp : ctp.map((g, i) => add(g, gp[i]!))
      }
      turn = sweep.toNextTurn(argnums)
    }
    this.onSweep?.({
      steps: this.n,
      snapshots: this.snapshots,
      fromForward: resume,
      advances: sweep.advances,
      turns: sweep.turns,
      peakSnapshots: sweep.peakSnapshots,
      peakTapeNodes: sweep.peakTapeNodes,
      peakBytes: sweep.peakBytes,
    })
    const [gx] = flatten('checkpointLoop', ctx, 'cotangent')
    return wants.map((w, j) => (!w ? null : j < nx ? gx[j]! : ctp![j - nx]!))
  }
}

/**
 * One run of a revolve schedule: its slots, its current state, the next action, and what it has
 * done and held so far.
 */
class Sweep {
  readonly slots: (readonly Tensor[] | undefined)[] = []
  /** The index of the next action. */
  next = 0
  /** The states held in slots, and their bytes. */
  held = 0
  slotBytes = 0
  advances = 0
  turns = 0
  peakSnapshots = 0
  peakTapeNodes = 0
  peakBytes = 0

  constructor(
    readonly call: LoopCall,
    readonly schedule: RevolveSchedule,
    public current: readonly Tensor[],
    readonly params: unknown,
    readonly stateBytes: number,
  ) {}

  /**
   * Runs the actions up to the next turn and records its step on a tape of its own (differentiating
   * the state, and the parameters with `argnums` [0, 1]); null when the schedule is done.
   */
  toNextTurn(argnums: readonly number[]): Traced | null {
    const { actions } = this.schedule
    const call = this.call
    while (this.next < actions.length) {
      const a = actions[this.next++]!
      switch (a.kind) {
        case 'takeshot':
          if (this.slots[a.slot] === undefined) {
            this.held++
            this.slotBytes += this.stateBytes
          }
          this.slots[a.slot] = this.current
          this.peakSnapshots = Math.max(this.peakSnapshots, this.held)
          break
        case 'restore':
          this.current = this.slots[a.slot]!
          break
        case 'advance':
          for (let i = a.from; i < a.to; i++) this.current = call.stepLeaves(this.current, this.params)
          this.advances += a.to - a.from
          this.peakBytes = Math.max(this.peakBytes, this.slotBytes + this.stateBytes)
          break
        case 'firsturn':
        case 'youturn': {
          const traced = traceVjp(
            'checkpointLoop',
            (x: unknown, p: unknown) => call.stepTree(x, p),
            [unflatten(call.xDef, this.current), this.params],
            argnums,
            false,
          )
          const tape = traced.level.tape!
          this.turns++
          this.peakTapeNodes = Math.max(this.peakTapeNodes, tape.length)
          this.peakBytes = Math.max(this.peakBytes, this.slotBytes + tape.heldBytes())
          return traced
        }
      }
    }
    return null
  }
}

const sameMeta = (t: Tensor, m: Meta): boolean =>
  t.dtype === m.dtype && t.shape.length === m.shape.length && t.shape.every((d, i) => d === m.shape[i])

/** The op that one application of `checkpointLoop` records under reverse mode. */
const loopOp: OpDef<LoopCall> = {
  name: 'checkpointLoop',
  structure: 'opaque',
  shape: (_inputs, call) => packedMeta('checkpointLoop', 'x0', call.xMetas),
  kernel: (backend, handles, inputs, call) => {
    const xs = handles.map(
      (h, i) => new Tensor(inputs[i]!.shape, inputs[i]!.dtype, { kind: 'concrete', backend, handle: h }),
    )
    const y = call.forward(xs)
    refuseTracers('checkpointLoop', [y], hint)
    return concreteOf(y).handle
  },
  // forward mode keeps nothing to recompute: the loop's tangent, by forward mode
  jvp: ({ x, dx, b, params: call }) => jvpThrough((...xs) => call.run(xs), x, dx, b),
  vjp: ({ ct, x, wants, params: call }) => call.reverse(ct, x, wants),
}

/**
 * A loop `x ← step(x, params)` run `n` times from `x0`, differentiable with respect to `x0` and
 * `params` in reverse mode with at most `snapshots` states held at once, by Griewank and
 * Walther's binomial schedule (`revolveSchedule(n, c)`): it stores states in c snapshot slots,
 * evaluates steps again from them, and records one step at a time on a tape to pull the
 * cotangent back through it. The forward pass is the schedule's first sweep: it stores its
 * snapshots on the way and records the last step, which gives x_n; the first pullback continues
 * from there. A gradient evaluates n + `revolveAdvances(n, c)` steps: each step recorded once,
 * and t(n, c) evaluations without recording, the fewest any schedule with c slots can make. The
 * loop's tapes hold one step's nodes at a time, where a plain loop's tape holds n steps'. A
 * second pullback (jacrev), or one at a level whose inputs are tracers, runs the schedule again
 * from x0.
 *
 * The state x and the parameters are trees of tensors (the state's of one dtype); the step must
 * return a state of x0's structure, shapes and dtypes, compute the same thing each time, and
 * take every tensor it differentiates from its arguments (a closure over a tensor being
 * differentiated is refused with a TransformError). Bad input is a ValueError naming the
 * argument: `n` not a non-negative integer, `snapshots` missing or below 1. Under forward mode
 * and on plain data it is the plain loop; a jvp nested in the gradient (forward over reverse,
 * as `hessian` does) gets the loop's tangent by forward mode and keeps the schedule; reverse
 * over reverse records the inner sweep on the outer tape in full.
 *
 * @example
 * import { checkpointLoop, grad, mul, sin, sum, tensor, type Tensor } from 'dualtape'
 * const step = (x: Tensor, a: Tensor) => sin(mul(x, a))
 * const loss = (x0: Tensor, a: Tensor) =>
 *   sum(checkpointLoop(step, x0, 1000, { snapshots: 8, params: a }))
 * const [gx0, ga] = grad(loss, { argnums: [0, 1] })(tensor([0.5]), tensor([1]))
 * gx0 // → [0.0012203457416526664]
 * ga // → [27.507480541814335]
 */
export function checkpointLoop<X extends Tree, P extends Tree = undefined>(
  step: (x: X, params: P) => X,
  x0: X,
  n: number,
  options: CheckpointLoopOptions<P>,
): X {
  if (typeof step !== 'function') {
    throw new ValueError(`checkpointLoop: step must be a function, got ${describe(step)}`)
  }
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new ValueError(
      `checkpointLoop: n (the number of steps) must be a non-negative integer, got ${fmtValue(n)}`,
    )
  }
  checkOptions('checkpointLoop', options, ['snapshots', 'params', 'onSweep'])
  const c: unknown = options?.snapshots
  if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 1) {
    throw new ValueError(
      `checkpointLoop: options.snapshots must be an integer ≥ 1 (the initial state takes one), got ${fmtValue(c)}`,
    )
  }
  if (options.onSweep !== undefined && typeof options.onSweep !== 'function') {
    throw new ValueError(
      `checkpointLoop: options.onSweep must be a function, got ${describe(options.onSweep)}`,
    )
  }
  const [xs, xDef] = flatten('checkpointLoop', x0, 'x0')
  const [ps, pDef] = flatten('checkpointLoop', options.params, 'options.params')
  const xMetas = xs.map((t) => ({ shape: t.shape, dtype: t.dtype }))
  packedMeta('checkpointLoop', 'x0', xMetas)
  if (n === 0) return x0
  const call = new LoopCall(step, n, c, xDef, xMetas, pDef, options.onSweep)
  const leaves = [...xs, ...ps]
  const top = topLevel(leaves)
  if (top === null || top.kind !== 'vjp') {
    let x: Tree = x0
    for (let i = 0; i < n; i++) x = call.stepTree(x, options.params)
    if (top === null) {
      const [ys] = flatten('checkpointLoop', x, 'output')
      refuseTracers(
        'checkpointLoop',
        ys.filter((y) => y.impl.kind === 'tape'),
        hint,
      )
    }
    return x as X
  }
  const y = apply(loopOp, leaves, call)
  return unflatten(xDef, unpack(y, xMetas))
}
