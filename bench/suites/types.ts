/**
 * What a benchmark suite is and what it returns: tables of raw numbers (formatted only by the
 * report), targets that hold or not, plots as vega-lite specs, and the problems it met.
 */
import type { TopLevelSpec } from '../../src/viz/plot.js'

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
}

/** A table cell: raw values; the report formats them by column. */
export type Cell = number | string | boolean | null

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
}

/** A target: a measured figure against a limit, and whether it held. */
export interface Target {
  readonly name: string
  readonly measured: number
  readonly comparison: '>=' | '<='
  readonly limit: number
  readonly held: boolean
}

/** A plot of a suite: the report renders `spec` to `<file>.svg`. */
export interface Plot {
  readonly file: string
  readonly title: string
  readonly spec: TopLevelSpec
}

/** Something that went wrong in a suite without stopping it. */
export interface Problem {
  /** `peer-load`: a peer library failed to load; `peer-check`: its gradient disagreed; `error`: anything else. */
  readonly kind: 'peer-load' | 'peer-check' | 'error'
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

/** A target from a measurement, a comparison and a limit. */
export function target(name: string, measured: number, comparison: '>=' | '<=', limit: number): Target {
  const held = comparison === '>=' ? measured >= limit : measured <= limit
  return { name, measured, comparison, limit, held }
}

/** Lets the event loop run (the progress bar redraws) between two measurements. */
export const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
