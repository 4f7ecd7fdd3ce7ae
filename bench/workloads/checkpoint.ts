/**
 * The checkpoint suite's workload, as a setup function for a host (bench/measure/host.ts): the
 * gradient of a loop of n scalar steps x ← sin(a·x) with respect to x0 and a, unchecked (every
 * step on one tape) and by `checkpointLoop` with c snapshots for each c of the size. The setup
 * also runs each once with the steps counted and the sweep's report taken, and compares the
 * gradients.
 */
import {
  checkpointLoop,
  grad,
  mul,
  revolveAdvances,
  sin,
  sum,
  tensor,
  type SweepReport,
  type Tensor,
} from '../../src/index.js'
import { traceVjp } from '../../src/reverse/vjp.js'
import type { TapeRecord } from '../../src/core/tensor.js'
import type { Setup } from '../measure/host.js'

/** The loop's length and the snapshot counts of each size. */
export const CHECKPOINT_SIZES: Record<'full' | 'quick' | 'smoke', { n: number; cs: readonly number[] }> = {
  full: { n: 10_000, cs: [3, 5, 10, 20, 50, 100, 1000, 10_000] },
  quick: { n: 10_000, cs: [10, 100, 1000] },
  smoke: { n: 200, cs: [2, 5, 20] },
}

/** One checkpointed configuration as run once and counted. */
export interface CheckpointCase {
  readonly c: number
  /** revolve's t(n, c). */
  readonly theory: number
  /** The steps evaluated again in the reverse sweep, counted by the step itself. */
  readonly recomputed: number
  /** What the sweep reported. */
  readonly report: SweepReport
  /** The largest relative difference from the unchecked gradient (x0 and a). */
  readonly gradError: number
}

/** What the setup tells the suite. */
export interface CheckpointInfo {
  readonly n: number
  readonly cases: readonly CheckpointCase[]
  /** The unchecked tape: its nodes and the bytes of tensor data its nodes hold. */
  readonly unchecked: { readonly tapeNodes: number; readonly bytes: number }
  /** One step's tape, as the checkpointed sweep records it. */
  readonly stepTape: { readonly nodes: number; readonly bytes: number }
}

const step = (x: Tensor, a: Tensor): Tensor => sin(mul(x, a))

const plainLoss = (n: number, f: typeof step) => (x0: Tensor, a: Tensor) => {
  let x = x0
  for (let i = 0; i < n; i++) x = f(x, a)
  return sum(x)
}

const bytesOf = (tape: TapeRecord): number => tape.heldBytes()

const relError = (a: readonly Tensor[], b: readonly Tensor[]): number =>
  Math.max(
    ...a.map((t, i) => {
      const [u, v] = [t.item(), b[i]!.item()]
      return Math.abs(u - v) / Math.max(Math.abs(v), Number.MIN_VALUE)
    }),
  )

/** The subjects (`unchecked`, `c=<c>` for each c of the size) and the counted runs. */
export function checkpointSetup(size: 'full' | 'quick' | 'smoke'): Setup {
  const { n, cs } = CHECKPOINT_SIZES[size]
  const x0 = tensor([0.5])
  const a = tensor([1])
  const argnums = { argnums: [0, 1] } as const
  const unchecked = grad(plainLoss(n, step), argnums)
  const checked = (c: number, f: typeof step, onSweep?: (r: SweepReport) => void) =>
    grad(
      (x: Tensor, p: Tensor) => sum(checkpointLoop(f, x, n, { snapshots: c, params: p, onSweep })),
      argnums,
    )
  const want = unchecked(x0, a)
  const cases = cs.map((c): CheckpointCase => {
    let calls = 0
    const counted = (x: Tensor, p: Tensor) => (calls++, step(x, p))
    let report: SweepReport | undefined
    const got = checked(c, counted, (r) => (report = r))(x0, a)
    // n steps were recorded (the last by the forward pass); the rest were evaluated without
    return {
      c,
      theory: revolveAdvances(n, c),
      recomputed: calls - n,
      report: report!,
      gradError: relError(got, want),
    }
  })
  const full = traceVjp('bench', plainLoss(n, step), [x0, a], [0, 1], false).level.tape!
  const one = traceVjp('bench', step, [x0, a], [0, 1], false).level.tape!
  const subjects: Record<string, () => unknown> = { unchecked: () => unchecked(x0, a) }
  for (const c of cs) {
    const g = checked(c, step)
    subjects[`c=${c}`] = () => g(x0, a)
  }
  const info: CheckpointInfo = {
    n,
    cases,
    unchecked: { tapeNodes: full.length, bytes: bytesOf(full) },
    stepTape: { nodes: one.length, bytes: bytesOf(one) },
  }
  return { subjects, info }
}
