/**
 * `dualtape bench compare A.json B.json`: two runs side by side, figure by figure. A figure is a
 * measured cell of a table (a time or a ratio with its samples) found in both runs under the same
 * suite, table, row and column. The change is the ratio of the medians B ÷ A with a 95% bootstrap
 * interval; it is beyond the noise when that interval excludes 1.
 */
import { readFile } from 'node:fs/promises'
import Table3 from 'cli-table3'
import { isEstimate, isTiming, type BenchRun, formatCell } from './report.js'
import { type Estimate, ratioOfMedians } from './measure/stats.js'
import type { Cell, ColumnFormat, Table } from './suites/types.js'

/** One figure of both runs. */
export interface FigureChange {
  readonly suite: string
  readonly table: string
  readonly row: string
  readonly column: string
  readonly format: ColumnFormat
  readonly a: Estimate | number
  readonly b: Estimate | number
  /** B ÷ A of the medians, with its 95% interval (NaN ends when a run has no samples). */
  readonly change: { readonly median: number; readonly lo: number; readonly hi: number }
  /** `up` or `down`: beyond the noise; `same`: the interval holds 1; `unknown`: no spread to judge by. */
  readonly verdict: 'up' | 'down' | 'same' | 'unknown'
}

/** What two runs have in common, and what only one has. */
export interface Comparison {
  readonly changes: readonly FigureChange[]
  readonly onlyA: number
  readonly onlyB: number
}

/** The measured part of a cell: a timing's CPU estimate, an estimate, or a number. */
function figure(c: Cell | undefined): Estimate | number | undefined {
  if (typeof c === 'number') return Number.isFinite(c) ? c : undefined
  if (isTiming(c)) return c.cpu
  if (isEstimate(c)) return c
  return undefined
}

const isMeasuredFormat = (f: ColumnFormat): boolean => f === 'ms' || f === 'ns' || f === 'ratio'

/** The figures of a run: suite / table / row / column → the figure and its column's format. */
function figures(
  run: BenchRun,
): Map<string, { at: string[]; format: ColumnFormat; value: Estimate | number }> {
  const out = new Map<string, { at: string[]; format: ColumnFormat; value: Estimate | number }>()
  for (const s of run.suites) {
    for (const t of s.output?.tables ?? []) {
      const keys = (t as Table).key ?? [t.columns[0]!.key]
      for (const r of t.rows) {
        const row = keys.map((k) => String(r[k] ?? '')).join(' · ')
        for (const c of t.columns) {
          if (!isMeasuredFormat(c.format)) continue
          const value = figure(r[c.key])
          if (value === undefined) continue
          const at = [s.name, t.title, row, c.header]
          out.set(at.join('\u0000'), { at, format: c.format, value })
        }
      }
    }
  }
  return out
}

/** Compares two runs figure by figure. */
export function compareRuns(a: BenchRun, b: BenchRun): Comparison {
  const fa = figures(a)
  const fb = figures(b)
  const changes: FigureChange[] = []
  for (const [key, x] of fa) {
    const y = fb.get(key)
    if (y === undefined) continue
    const samples = (v: Estimate | number): readonly number[] => (typeof v === 'number' ? [v] : v.samples)
    const change = ratioOfMedians(samples(x.value), samples(y.value))
    const verdict =
      Number.isNaN(change.lo) || Number.isNaN(change.hi)
        ? 'unknown'
        : change.lo > 1
          ? 'up'
          : change.hi < 1
            ? 'down'
            : 'same'
    const [suite, table, row, column] = x.at as [string, string, string, string]
    changes.push({ suite, table, row, column, format: x.format, a: x.value, b: y.value, change, verdict })
  }
  const onlyA = [...fa.keys()].filter((k) => !fb.has(k)).length
  const onlyB = [...fb.keys()].filter((k) => !fa.has(k)).length
  return { changes, onlyA, onlyB }
}

/** What a verdict means for a figure of this format: for times, up is slower. */
function verdictWords(c: FigureChange): string {
  const time = c.format === 'ms' || c.format === 'ns'
  switch (c.verdict) {
    case 'up':
      return time ? 'slower' : 'higher'
    case 'down':
      return time ? 'faster' : 'lower'
    case 'same':
      return 'within noise'
    case 'unknown':
      return 'no spread'
  }
}

const pct = (r: number): string => `${r >= 1 ? '+' : '−'}${Math.abs((r - 1) * 100).toFixed(1)}%`

/** The comparison as a terminal table, one line per figure, and a summary. */
export function formatComparison(c: Comparison, names: readonly [string, string]): string {
  const table = new Table3({
    head: ['suite', 'figure', names[0], names[1], 'change [95%]', 'verdict'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'left'],
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: [null, 60, null, null, null, null] as unknown as number[],
  })
  for (const x of c.changes) {
    const interval = Number.isNaN(x.change.lo) ? '' : ` [${pct(x.change.lo)}, ${pct(x.change.hi)}]`
    table.push([
      x.suite,
      `${x.table}: ${x.row}: ${x.column}`,
      formatCell(x.a, x.format),
      formatCell(x.b, x.format),
      `${pct(x.change.median)}${interval}`,
      verdictWords(x),
    ])
  }
  const count = (v: FigureChange['verdict']): number => c.changes.filter((x) => x.verdict === v).length
  const summary = [
    `${c.changes.length} figures in both runs: ${count('up') + count('down')} changed beyond the noise (${count('up')} up, ${count('down')} down), ${count('same')} within noise, ${count('unknown')} without spread.`,
    `Change: B ÷ A of the medians, with a 95% bootstrap interval; beyond the noise when the interval excludes 0%. For times, up is slower.`,
  ]
  if (c.onlyA + c.onlyB > 0)
    summary.push(`Figures in one run only: ${c.onlyA} in ${names[0]}, ${c.onlyB} in ${names[1]}.`)
  return [table.toString(), ...summary].join('\n')
}

/** Reads two results.json files and compares them. */
export async function compareFiles(fileA: string, fileB: string): Promise<Comparison> {
  const read = async (f: string): Promise<BenchRun> => {
    const run = JSON.parse(await readFile(f, 'utf8')) as BenchRun
    if (!Array.isArray(run.suites)) throw new Error(`${f} is not a results.json of dualtape bench`)
    return run
  }
  return compareRuns(await read(fileA), await read(fileB))
}
