import type { DType } from '../core/dtype.js'
import { DualtapeError } from '../core/errors.js'
import { fmtNum } from './util.js'

// ---------------------------------------------------------------------------------------------
// What checkGrads reports: one summary per check, and the failing entries with the analytic
// value, the numeric value with its error bar, and the margin to the tolerance.
// ---------------------------------------------------------------------------------------------

/**
 * A differentiation mode: forward (JVP) or reverse (VJP).
 *
 * @example
 * import { checkGrads, type Mode } from 'dualtape/check'
 * import { sin, tensor } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * const modes: Mode[] = ['fwd']
 * const r = checkGrads(sin, [tensor([1])], { modes })
 * E.isRight(r) && r.right.checks.map((c) => c.name) // → ['f: JVP vs finite differences']
 */
export type Mode = 'fwd' | 'rev'

/**
 * Which comparison an entry comes from:
 * - `jvp-fd`: the JVP J v against the finite-difference derivative;
 * - `vjp-fd`: the VJP Jᵀu against finite differences (row by row, or projected on v);
 * - `adjoint`: ⟨u, J v⟩ from the JVP against ⟨Jᵀu, v⟩ from the VJP (no truncation error).
 *
 * @example
 * import { checkGrads, type CheckKind } from 'dualtape/check'
 * import { sin, tensor } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * const r = checkGrads(sin, [tensor([1])])
 * const kinds: CheckKind[] = E.isRight(r) ? r.right.checks.map((c) => c.check) : []
 * kinds // → ['jvp-fd', 'vjp-fd', 'adjoint']
 */
export type CheckKind = 'jvp-fd' | 'vjp-fd' | 'adjoint'

/**
 * One compared number.
 *
 * @example
 * import { checkGrads, type CheckEntry } from 'dualtape/check'
 * import { defineOp, mul, sin, cos, tensor } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * // a VJP rule that writes sin where the derivative is cos
 * const badSin = defineOp({
 *   name: 'badSin',
 *   impl: ([x]) => sin(x!),
 *   jvp: ({ x: [x], dx: [dx] }) => mul(dx!, cos(x!)),
 *   vjp: ({ ct, x: [x] }) => [mul(ct, sin(x!))],
 * })
 * const r = checkGrads(badSin, [tensor([1])])
 * const failures: readonly CheckEntry[] = E.isLeft(r) ? r.left.failures : []
 * const entry = failures.find((e) => e.check === 'vjp-fd')!
 * entry.where // → 'argument 0 at [0] → output [0]'
 * entry.analytic // → 0.841471: sin 1, from the VJP
 * entry.numeric // → 0.540302: cos 1, from finite differences
 * entry.passed // → false
 */
export interface CheckEntry {
  readonly check: CheckKind
  /** The function differentiated: 'f', or at order 2 'JVP of f' / 'VJP of f'. */
  readonly fn: string
  /** The argument of f, or null for a projection over all arguments. */
  readonly argument: number | null
  /** The element of that argument (a multi-index), or null for a projection. */
  readonly input: readonly number[] | null
  /** The element of the output (a multi-index), or null for a projection. */
  readonly output: readonly number[] | null
  /** A readable form of the location. */
  readonly where: string
  /** From the mode under test. */
  readonly analytic: number
  /** From finite differences (or, for `adjoint`, from the other mode). */
  readonly numeric: number
  /** The estimated error of `numeric` (0 for `adjoint`). */
  readonly errorBar: number
  /** atol + rtol · scale. */
  readonly tolerance: number
  /**
   * How far inside the tolerance the entry lies: tolerance + errorBar − |analytic − numeric|.
   * Negative on failure. When the error bar alone exceeds the tolerance, the finite
   * differences are inconclusive and the margin is tolerance − errorBar.
   */
  readonly margin: number
  readonly passed: boolean
  /** Set when the finite differences could not settle the entry. */
  readonly inconclusive: boolean
}

/**
 * The outcome of one check on one function.
 *
 * @example
 * import { checkGrads, type CheckSummary } from 'dualtape/check'
 * import { sin, tensor } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * const r = checkGrads(sin, [tensor([1, 2])])
 * const summaries: readonly CheckSummary[] = E.isRight(r) ? r.right.checks : []
 * summaries.map((s) => [s.check, s.compared, s.failed]) // → [['jvp-fd', 4, 0], ['vjp-fd', 4, 0], ['adjoint', 1, 0]]
 * summaries[2]!.name // → 'f: adjoint identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩'
 */
export interface CheckSummary {
  readonly check: CheckKind
  readonly fn: string
  /** A readable name, e.g. 'VJP of f: JVP vs finite differences'. */
  readonly name: string
  readonly compared: number
  readonly failed: number
  /** The entry with the smallest margin (null when nothing was compared). */
  readonly worst: CheckEntry | null
}

/**
 * The report of `checkGrads`.
 *
 * @example
 * import { checkGrads, type CheckReport } from 'dualtape/check'
 * import { tanh, tensor } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * const r = checkGrads(tanh, [tensor([0.5], { dtype: 'float32' })])
 * const report: CheckReport = E.isRight(r) ? r.right : r.left
 * report.ok // → true
 * report.dtype // → 'float32'
 * report.float64?.ok // → true: the same checks on the input cast to float64
 */
export interface CheckReport {
  readonly ok: boolean
  /** 'float32' when an argument or the output is float32. */
  readonly dtype: DType
  readonly order: 1 | 2
  readonly modes: readonly Mode[]
  readonly fast: boolean
  readonly seed: number
  readonly atol: number
  readonly rtol: number
  /** The finite-difference first step (relative) and number of extrapolation levels. */
  readonly eps: number
  readonly levels: number
  readonly checks: readonly CheckSummary[]
  /** The failing entries, worst first (at most 10 per check). */
  readonly failures: readonly CheckEntry[]
  readonly notes: readonly string[]
  /** For float32 inputs: the same checks on the inputs cast to float64, where f allows it. */
  readonly float64?: CheckReport
}

const checkTitles: { readonly [K in CheckKind]: string } = {
  'jvp-fd': 'JVP vs finite differences',
  'vjp-fd': 'VJP vs finite differences',
  adjoint: 'adjoint identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩',
}

/** The readable name of a check on a function. */
export const checkName = (check: CheckKind, fn: string): string => `${fn}: ${checkTitles[check]}`

/** One entry as a line: where, analytic, numeric ± error bar, tolerance and margin. */
export function formatEntry(e: CheckEntry): string {
  const other = e.check === 'adjoint' ? '⟨Jᵀu, v⟩' : 'numeric'
  const self = e.check === 'adjoint' ? '⟨u, J v⟩' : 'analytic'
  const bar = e.check === 'adjoint' ? '' : ` ± ${fmtNum(e.errorBar)}`
  const why = e.inconclusive ? ' (finite differences inconclusive: error bar exceeds the tolerance)' : ''
  return (
    `${e.where}: ${self} ${fmtNum(e.analytic)}, ${other} ${fmtNum(e.numeric)}${bar}, ` +
    `|diff| ${fmtNum(Math.abs(e.analytic - e.numeric))}, tolerance ${fmtNum(e.tolerance)}, margin ${fmtNum(e.margin)}${why}`
  )
}

/**
 * A report as readable text: a header with the settings, one line per check (✓ or ✗ with its
 * worst margin), then each failing entry.
 *
 * @example
 * import { checkGrads, formatReport } from 'dualtape/check'
 * import { tensor, sin } from 'dualtape'
 * import * as E from 'fp-ts/lib/Either.js'
 * const r = checkGrads(sin, [tensor([0.5, 1])])
 * console.log(formatReport(E.isRight(r) ? r.right : r.left))
 */
export function formatReport(r: CheckReport, indent = ''): string {
  const lines: string[] = []
  lines.push(
    `${indent}checkGrads ${r.ok ? 'passed' : 'FAILED'}: order ${r.order}, modes ${r.modes.join('+')}${r.fast ? ' (fast)' : ''}, ` +
      `${r.dtype}, seed ${r.seed}, atol ${fmtNum(r.atol)}, rtol ${fmtNum(r.rtol)}, eps ${fmtNum(r.eps)}, levels ${r.levels}`,
  )
  for (const n of r.notes) lines.push(`${indent}  note: ${n}`)
  for (const c of r.checks) {
    const mark = c.failed === 0 ? '✓' : '✗'
    const count = c.failed === 0 ? `${c.compared} compared` : `${c.failed} of ${c.compared} failed`
    const worst = c.worst === null ? '' : `, worst margin ${fmtNum(c.worst.margin)}`
    lines.push(`${indent}  ${mark} ${c.name}: ${count}${worst}`)
  }
  if (r.failures.length > 0) {
    lines.push(`${indent}  failures (worst first):`)
    for (const e of r.failures) lines.push(`${indent}    ${e.fn}, ${checkTitles[e.check]}, ${formatEntry(e)}`)
  }
  if (r.float64 !== undefined) {
    lines.push(`${indent}  float64 re-check:`)
    lines.push(formatReport(r.float64, `${indent}    `))
  }
  return lines.join('\n')
}

/**
 * Thrown by `assertGrads` when a check fails; carries the report, and its message is the
 * formatted report.
 *
 * @example
 * import { assertGrads, GradCheckError } from 'dualtape/check'
 * import { tensor, sin } from 'dualtape'
 * try { assertGrads(sin, [tensor([1])]) } catch (e) { if (e instanceof GradCheckError) console.log(e.report.failures) }
 */
export class GradCheckError extends DualtapeError {
  override name = 'GradCheckError'
  constructor(readonly report: CheckReport) {
    super(formatReport(report))
  }
}
