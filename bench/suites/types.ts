/**
 * What a benchmark suite is and what it returns: tables of raw numbers (formatted only by the
 * report), targets that hold or not, plots as vega-lite specs, and the problems it met.
 */
import type { TopLevelSpec } from '../plot/plot.js'
import type { Host } from '../measure/host.js'
import type { TimingPlan, WarmupNote } from '../measure/rounds.js'
import type { ProcessSpread } from '../measure/session.js'
import { type Estimate, type Timing, type Verdict, judge } from '../measure/stats.js'

/**
 * How big a run is: `full` (the default of `dualtape bench`), `quick` (a subset, for `npm start`),
 * `smoke` (tiny sizes, so the test suite can run every suite in seconds; its numbers mean little).
 */
export type SuiteSize = 'full' | 'quick' | 'smoke'

/** What a suite gets from the command. */
export interface SuiteContext {
  readonly size: SuiteSize
  /** The dualtape backend the suite's tensors live on (already selected). */
  readonly backend: string
  /** Called once per step done, with what comes next; `steps(size)` steps in all. */
  readonly tick: (label: string) => void
  /**
   * Opens a host for one library, backend or dtype: a child process of its own (or this process
   * when the run is `--in-process`). The suite closes what it opens.
   */
  readonly openHost: (label: string) => Promise<Host>
  /** How long to warm up and how many rounds to time, for this size. */
  readonly timing: TimingPlan
}

/**
 * A table cell: raw values, formatted by the report by column. A measured figure is an
 * `Estimate` (its median with an interval) or a `Timing` (CPU time with wall time beside it).
 */
export type Cell = number | string | boolean | null | Estimate | Timing

/** How a column's numbers are shown. */
export type ColumnFormat =
  /** milliseconds, 3 significant digits */
  | 'ms'
  /** nanoseconds, 3 significant digits */
  | 'ns'
  /** a ratio, `12.3×` */
  | 'ratio'
  /** an integer with thousands separators */
  | 'int'
  /** a number in engineering form, 3 significant digits */
  | 'num'
  /** a relative error, `1.2e-7` */
  | 'err'
  /** true / false as ✓ / ✗ */
  | 'check'
  /** as it is */
  | 'text'

/** A column of a table. */
export interface Column {
  readonly key: string
  readonly header: string
  readonly format: ColumnFormat
}

/** A table of a suite, rows keyed by the columns' keys. */
export interface Table {
  readonly title: string
  readonly columns: readonly Column[]
  readonly rows: readonly Readonly<Record<string, Cell>>[]
  /** Lines printed under the table (what the columns mean, the theory). */
  readonly notes?: readonly string[]
  /** The columns whose values name a row (for `bench compare`); the first column when absent. */
  readonly key?: readonly string[]
}

/**
 * A target: a measured figure against a limit. `held` or `missed` when the figure's whole 95%
 * interval is on one side of the limit; `noisy` when the limit lies inside the interval, so the
 * measurement cannot tell.
 */
export interface Target {
  readonly name: string
  /** The median. */
  readonly measured: number
  /** The 95% interval of the median, when the figure has one. */
  readonly lo?: number
  readonly hi?: number
  readonly comparison: '>=' | '<='
  readonly limit: number
  readonly status: Verdict
}

/** A plot of a suite: the report renders `spec` to `<file>.svg`. */
export interface Plot {
  readonly file: string
  readonly title: string
  readonly spec: TopLevelSpec
}

/** Something that went wrong in a suite without stopping it. */
export interface Problem {
  /**
   * `peer-load`: a peer library failed to load; `peer-check`: its gradient disagreed; `skipped`: a
   * part needs an optional package that is not installed (the message says how to install it);
   * `error`: anything else.
   */
  readonly kind: 'peer-load' | 'peer-check' | 'skipped' | 'error'
  readonly message: string
}

/** What a suite returns. */
export interface SuiteOutput {
  readonly tables: readonly Table[]
  readonly targets: readonly Target[]
  readonly plots: readonly Plot[]
  readonly problems: readonly Problem[]
  /** Lines for the report under the suite's title (the set-up, the definitions). */
  readonly notes: readonly string[]
  /** How each measured function was warmed up (results.json keeps them; the report names the unstable ones). */
  readonly warmups?: readonly (WarmupNote & { readonly subject: string })[]
  /**
   * Each measured function's median CPU time per call in each process that measured it
   * (results.json keeps them; the report names those whose processes disagree).
   */
  readonly processSpreads?: readonly ProcessSpread[]
}

/** A benchmark suite. */
export interface Suite {
  /** The name on the command line. */
  readonly name: string
  readonly title: string
  /** One line for `--help` and the report. */
  readonly description: string
  /** How many times the suite calls `tick` at this size (for the progress bar). */
  readonly steps: (size: SuiteSize) => number
  readonly run: (ctx: SuiteContext) => Promise<SuiteOutput>
}

/** A target from a measurement (a number, an estimate, or a timing's CPU estimate), a comparison and a limit. */
export function target(
  name: string,
  measured: number | Pick<Estimate, 'median' | 'lo' | 'hi'> | Timing,
  comparison: '>=' | '<=',
  limit: number,
): Target {
  const e = typeof measured === 'number' ? measured : 'cpu' in measured ? measured.cpu : measured
  const status = judge(e, comparison, limit)
  return typeof e === 'number'
    ? { name, measured: e, comparison, limit, status }
    : { name, measured: e.median, lo: e.lo, hi: e.hi, comparison, limit, status }
}
