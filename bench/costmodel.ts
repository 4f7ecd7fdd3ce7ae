/**
 * A FLOP cost model of the differentiation modes, in the spirit of Griewank and Walther
 * (Evaluating Derivatives, ch. 4): a program is a list of primitive ops, each with the flops of
 * its evaluation, of its tangent rule (per direction) and of its adjoint rule (per cotangent),
 * and the number of op calls each dispatches. From these the model predicts the cost of one
 * evaluation, of a JVP, of a gradient, and of the full Jacobian by forward mode (one vector-mode
 * sweep carrying n directions, or n separate sweeps) and by reverse mode (one recorded evaluation
 * and m pullbacks), and the input size at which the two Jacobian modes cost the same.
 *
 * Units are flop-equivalents: an add or a multiply is 1, a transcendental function (tanh, exp,
 * …) is {@link NONLINEAR_FLOPS}, and each dispatched op call costs `perCall` (its bookkeeping:
 * allocation, shape checks, the tape or dual wrapper), which is 0 in the pure FLOP count and is
 * fitted to the machine by {@link fitMachine}.
 *
 * The model counts what the engine's rules do, not the textbook minimum: the tanh rule
 * computes 1 − y² again in every sweep, and the Jacobian builders pay for their seeds and for
 * assembling the rows or columns.
 */

// ---------------------------------------------------------------------------------------------
// constants of the theory
// ---------------------------------------------------------------------------------------------

/** The flop-equivalent weight of one transcendental function (tanh, exp, sin, …) against a multiply. */
export const NONLINEAR_FLOPS = 8

/**
 * Griewank and Walther's bounds on ω = cost(derivative) / cost(f) (Evaluating Derivatives,
 * 2nd ed., §4.5–4.6): a tangent (JVP) costs 2 to 2.5 evaluations, a gradient (reverse sweep
 * included) 3 to 4, whatever the number of inputs.
 */
export const OMEGA_BOUNDS = {
  tangent: { low: 2, high: 2.5 },
  gradient: { low: 3, high: 4 },
} as const

// ---------------------------------------------------------------------------------------------
// op costs
// ---------------------------------------------------------------------------------------------

/** The cost of one primitive op in the three kinds of sweep, in flops and in dispatched op calls. */
export interface OpCost {
  /** The op, for display. */
  readonly op: string
  /** Flops of one evaluation. */
  readonly primal: number
  /** Flops of a tangent sweep paid once, whatever the number of directions (e.g. 1 − y² for tanh). */
  readonly tangentShared: number
  /** Flops per tangent direction. */
  readonly tangent: number
  /** Flops of one pullback (one cotangent), shared work included: the rule runs again each time. */
  readonly adjoint: number
  /** Op calls of one evaluation. */
  readonly calls: number
  /** Op calls of the JVP rule in one sweep (vector mode carries all directions in the same calls). */
  readonly tangentCalls: number
  /** Op calls of the VJP rule in one pullback. */
  readonly adjointCalls: number
}

/**
 * A matrix product of a [rows × inner] operand that varies with the input by an [inner × cols]
 * constant (weights), as `matmul(x, W)`: 2·rows·inner·cols flops in each sweep (the tangent
 * `dx W`, the adjoint `ct Wᵀ`). A rank-1 `x` is reshaped to a row and back: three calls.
 */
export function matmulCost(rows: number, inner: number, cols: number, calls = 3): OpCost {
  const f = 2 * rows * inner * cols
  return {
    op: `matmul ${rows}×${inner}·${inner}×${cols}`,
    primal: f,
    tangentShared: 0,
    tangent: f,
    adjoint: f,
    calls,
    // the reshapes of the tangent, and the product
    tangentCalls: calls + 1,
    adjointCalls: calls,
  }
}

/**
 * tanh on `size` elements: the evaluation is one transcendental per element; both rules
 * multiply by 1 − y², computed again in each sweep (a square and a subtraction).
 */
export function tanhCost(size: number): OpCost {
  return {
    op: `tanh ${size}`,
    primal: NONLINEAR_FLOPS * size,
    tangentShared: 2 * size,
    tangent: size,
    adjoint: 3 * size,
    calls: 1,
    // one(y), square, sub, mul
    tangentCalls: 4,
    adjointCalls: 4,
  }
}

/**
 * The op costs of the network of the modes benchmark: `y ← tanh(y W_i)` for consecutive
 * `widths` (n = widths[0] inputs, m = the last width outputs), on a vector.
 */
export function tanhNetCost(widths: readonly number[]): OpCost[] {
  const ops: OpCost[] = []
  for (let i = 1; i < widths.length; i++) {
    ops.push(matmulCost(1, widths[i - 1]!, widths[i]!), tanhCost(widths[i]!))
  }
  return ops
}

// ---------------------------------------------------------------------------------------------
// predictions
// ---------------------------------------------------------------------------------------------

/** The sums of the op costs of a program. */
export interface ProgramCost {
  readonly primal: number
  readonly tangentShared: number
  readonly tangent: number
  readonly adjoint: number
  readonly calls: number
  readonly tangentCalls: number
  readonly adjointCalls: number
}

/**
 * The totals of a list of op costs.
 */
export function programCost(ops: readonly OpCost[]): ProgramCost {
  const sum = (k: keyof ProgramCost): number => ops.reduce((acc, o) => acc + o[k], 0)
  return {
    primal: sum('primal'),
    tangentShared: sum('tangentShared'),
    tangent: sum('tangent'),
    adjoint: sum('adjoint'),
    calls: sum('calls'),
    tangentCalls: sum('tangentCalls'),
    adjointCalls: sum('adjointCalls'),
  }
}

/** Options of the predictions. */
export interface ModelOptions {
  /** Flop-equivalents of one dispatched op call (default 0: the pure FLOP count). */
  readonly perCall?: number
}

/** Predicted costs, in flop-equivalents, of f: R^n → R^m and of its derivatives. */
export interface ModePrediction {
  /** One evaluation of f. */
  readonly f: number
  /** One JVP (one direction), evaluation included. */
  readonly jvp: number
  /** One gradient (m = 1) or one VJP: a recorded evaluation and one pullback. */
  readonly vjp: number
  /** The Jacobian by forward mode, one vector-mode sweep of width n. */
  readonly jacfwd: number
  /** The Jacobian by forward mode, n separate tangent sweeps. */
  readonly jacfwdSweeps: number
  /** The Jacobian by reverse mode: one recorded evaluation, m pullbacks. */
  readonly jacrev: number
  /** ω of a tangent: jvp / f. */
  readonly omegaTangent: number
  /** ω of a gradient: vjp / f. */
  readonly omegaGradient: number
}

/**
 * The predicted costs of the modes for a program with n inputs and m outputs.
 *
 * - f = P + c·C (P the primal flops, C the calls, c the cost of a call);
 * - a vector-mode JVP of width k = f + S + k·T + c·C_T (S the shared tangent work, T per direction);
 * - jacfwd = JVP of width n + n² (the identity seeds) + n·m (the columns laid out as rows);
 * - jacfwdSweeps = n JVPs of width 1 + n·m;
 * - a pullback = A + c·C_A; jacrev = f + m pullbacks + m² (the unit cotangents) + m·n (the rows).
 */
export function predictModes(
  cost: ProgramCost,
  n: number,
  m: number,
  opts: ModelOptions = {},
): ModePrediction {
  const c = opts.perCall ?? 0
  const f = cost.primal + c * cost.calls
  const sweep = (k: number): number => f + cost.tangentShared + k * cost.tangent + c * cost.tangentCalls
  const pullback = cost.adjoint + c * cost.adjointCalls
  const jvp = sweep(1)
  const vjp = f + pullback
  return {
    f,
    jvp,
    vjp,
    jacfwd: sweep(n) + n * n + n * m,
    jacfwdSweeps: n * sweep(1) + n * m,
    jacrev: f + m * pullback + m * m + m * n,
    omegaTangent: jvp / f,
    omegaGradient: vjp / f,
  }
}

/**
 * The Jacobian by the model's cheaper mode: forward when `jacfwd` ≤ `jacrev`.
 */
export function cheaperMode(p: Pick<ModePrediction, 'jacfwd' | 'jacrev'>): 'jacfwd' | 'jacrev' {
  return p.jacfwd <= p.jacrev ? 'jacfwd' : 'jacrev'
}

// ---------------------------------------------------------------------------------------------
// crossover
// ---------------------------------------------------------------------------------------------

/**
 * Where d(n) = cost_fwd(n) − cost_rev(n) changes sign for n in [lo, hi]: the crossover input
 * size, or which mode is cheaper on the whole range.
 */
export type Crossover =
  | { readonly kind: 'at'; readonly n: number }
  | { readonly kind: 'jacfwd-everywhere' }
  | { readonly kind: 'jacrev-everywhere' }

/**
 * The input size n* at which forward and reverse mode cost the same, given the difference
 * `fwdMinusRev(n)`, by bisection on log n in [lo, hi]. The difference must change sign at most
 * once on the range, from negative to positive; the model's costs do: they are quadratic and
 * convex in n (forward mode pays per input, reverse per output), so once past zero they stay
 * past it.
 */
export function crossover(fwdMinusRev: (n: number) => number, lo: number, hi: number): Crossover {
  if (fwdMinusRev(lo) >= 0) return { kind: 'jacrev-everywhere' }
  if (fwdMinusRev(hi) <= 0) return { kind: 'jacfwd-everywhere' }
  let a = Math.log(lo)
  let b = Math.log(hi)
  for (let i = 0; i < 100 && b - a > 1e-9; i++) {
    const mid = (a + b) / 2
    if (fwdMinusRev(Math.exp(mid)) < 0) a = mid
    else b = mid
  }
  return { kind: 'at', n: Math.exp((a + b) / 2) }
}

/**
 * The crossover input size from measurements at increasing input sizes `ns`: where log(t_fwd /
 * t_rev) changes sign, interpolated linearly in log n between the two sizes around the first
 * change of sign.
 */
export function measuredCrossover(
  ns: readonly number[],
  fwd: readonly number[],
  rev: readonly number[],
): Crossover {
  const logRatio = ns.map((_, i) => Math.log(fwd[i]! / rev[i]!))
  if (logRatio.every((r) => r >= 0)) return { kind: 'jacrev-everywhere' }
  if (logRatio.every((r) => r <= 0)) return { kind: 'jacfwd-everywhere' }
  for (let i = 1; i < ns.length; i++) {
    const r0 = logRatio[i - 1]!
    const r1 = logRatio[i]!
    if (r0 < 0 && r1 >= 0) {
      const x0 = Math.log(ns[i - 1]!)
      const x1 = Math.log(ns[i]!)
      return { kind: 'at', n: Math.exp(x0 + ((0 - r0) * (x1 - x0)) / (r1 - r0)) }
    }
  }
  // the ratio falls again with n (noise): the first size where forward is no longer cheaper
  const i = logRatio.findIndex((r) => r >= 0)
  return { kind: 'at', n: ns[i]! }
}

/**
 * A crossover as text: `n* ≈ 42`, or which mode is cheaper on the whole range.
 */
export function formatCrossover(c: Crossover): string {
  if (c.kind === 'at') return `n* ≈ ${c.n < 10 ? c.n.toPrecision(2) : Math.round(c.n)}`
  return c.kind === 'jacfwd-everywhere' ? 'jacfwd cheaper throughout' : 'jacrev cheaper throughout'
}

// ---------------------------------------------------------------------------------------------
// the machine: from flop-equivalents to milliseconds
// ---------------------------------------------------------------------------------------------

/** A linear model of the machine: ms = msPerFlop · flops + msPerCall · calls. */
export interface MachineModel {
  readonly msPerFlop: number
  readonly msPerCall: number
}

/**
 * Fits `ms ≈ a·flops + b·calls` with a, b ≥ 0 by least squares, relative (each sample weighted by
 * 1/ms, so that small and large runs count alike).
 */
export function fitMachine(samples: readonly { flops: number; calls: number; ms: number }[]): MachineModel {
  const rows = samples.filter((s) => s.ms > 0 && Number.isFinite(s.ms))
  if (rows.length === 0) return { msPerFlop: 0, msPerCall: 0 }
  // weighted normal equations for (a, b), weight 1/ms²
  let sff = 0
  let sfc = 0
  let scc = 0
  let sft = 0
  let sct = 0
  for (const { flops, calls, ms } of rows) {
    const w = 1 / (ms * ms)
    sff += w * flops * flops
    sfc += w * flops * calls
    scc += w * calls * calls
    sft += w * flops * ms
    sct += w * calls * ms
  }
  const det = sff * scc - sfc * sfc
  if (det > 1e-12 * sff * scc) {
    const a = (sft * scc - sct * sfc) / det
    const b = (sff * sct - sfc * sft) / det
    if (a >= 0 && b >= 0) return { msPerFlop: a, msPerCall: b }
  }
  // on the boundary: one term alone, the better of the two
  const a = sff > 0 ? sft / sff : 0
  const b = scc > 0 ? sct / scc : 0
  const err = (pa: number, pb: number): number =>
    rows.reduce((acc, r) => acc + ((pa * r.flops + pb * r.calls - r.ms) / r.ms) ** 2, 0)
  return err(a, 0) <= err(0, b) ? { msPerFlop: a, msPerCall: 0 } : { msPerFlop: 0, msPerCall: b }
}

/**
 * The per-call cost of a machine model in flop-equivalents (the `perCall` of {@link ModelOptions}).
 */
export function perCallFlops(machine: MachineModel): number {
  return machine.msPerFlop > 0 ? machine.msPerCall / machine.msPerFlop : 0
}

/**
 * The predictions of {@link predictModes} in milliseconds on a fitted machine: the flops at
 * `msPerFlop`, each op call at `msPerCall`.
 */
export function predictTimes(cost: ProgramCost, n: number, m: number, machine: MachineModel): ModePrediction {
  const flops = predictModes(cost, n, m, { perCall: 0 })
  const withCalls = predictModes(cost, n, m, { perCall: 1 })
  const ms = (k: 'f' | 'jvp' | 'vjp' | 'jacfwd' | 'jacfwdSweeps' | 'jacrev'): number =>
    machine.msPerFlop * flops[k] + machine.msPerCall * (withCalls[k] - flops[k])
  const f = ms('f')
  const jvp = ms('jvp')
  const vjp = ms('vjp')
  return {
    f,
    jvp,
    vjp,
    jacfwd: ms('jacfwd'),
    jacfwdSweeps: ms('jacfwdSweeps'),
    jacrev: ms('jacrev'),
    omegaTangent: jvp / f,
    omegaGradient: vjp / f,
  }
}
