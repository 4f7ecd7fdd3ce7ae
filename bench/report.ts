/**
 * The report of a benchmark run: tables for the terminal (cli-table3) and for Markdown, the
 * files of the output directory (`report.md`, `results.json`, one SVG per plot) and the run's
 * record as JSON.
 */
import { readdir, rm } from 'node:fs/promises'
import { cpus, loadavg, platform, release } from 'node:os'
import { dirname, join } from 'node:path'
import Table3 from 'cli-table3'
import { MissingPackageError } from '../src/core/errors.js'
import { ensureDir, writeAtomic } from './output.js'
import { type Estimate, type Timing, relativeSpread } from './measure/stats.js'
import type { Cell, ColumnFormat, Problem, SuiteOutput, SuiteSize, Table, Target } from './suites/types.js'

// ---------------------------------------------------------------------------------------------
// the record of a run
// ---------------------------------------------------------------------------------------------

/** What happened to one suite. */
export interface SuiteRecord {
  readonly name: string
  readonly title: string
  readonly description: string
  /**
   * `ok`: it ran to the end (problems may still be listed); `failed`: it threw; `interrupted`:
   * the run was interrupted (SIGINT) while it ran.
   */
  readonly status: 'ok' | 'failed' | 'interrupted'
  /** The message of what it threw. */
  readonly error?: string
  readonly seconds: number
  /** The load averages (1, 5, 15 min) of the machine before and after the suite ran. */
  readonly load?: { readonly before: readonly number[]; readonly after: readonly number[] }
  readonly output?: SuiteOutput
}

/** Where and how a run was made. */
export interface RunEnvironment {
  readonly node: string
  readonly platform: string
  readonly cpu: string
  readonly cores: number
  /** The load averages (1, 5, 15 min) when the run started. */
  readonly loadavg: readonly number[]
}

/** The record of a run: its settings, its machine, what each suite gave. */
export interface BenchRun {
  readonly tool: { readonly name: string; readonly version: string }
  readonly date: string
  readonly size: SuiteSize
  readonly backend: string
  readonly environment: RunEnvironment
  readonly suites: readonly SuiteRecord[]
}

/** The load averages (1, 5, 15 min) now, to two decimals. */
export const loadNow = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100)

/** The machine the run is on. */
export function environment(): RunEnvironment {
  const c = cpus()
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    loadavg: loadNow(),
  }
}

// ---------------------------------------------------------------------------------------------
// cells
// ---------------------------------------------------------------------------------------------

/** Three significant digits, without exponent for ordinary magnitudes. */
function sig3(x: number): string {
  if (x === 0) return '0'
  const a = Math.abs(x)
  if (a >= 1e6 || a < 1e-3) return x.toExponential(2)
  if (a >= 100) return String(Math.round(x))
  return x.toPrecision(3)
}

/** Whether a cell is a measured figure with an interval. */
export const isEstimate = (c: unknown): c is Estimate =>
  typeof c === 'object' && c !== null && 'median' in c && 'lo' in c && 'hi' in c
/** Whether a cell is a timing (CPU with wall beside it). */
export const isTiming = (c: unknown): c is Timing =>
  typeof c === 'object' && c !== null && 'cpu' in c && 'wall' in c

/** A number in the format of its column. */
function formatNumber(value: number, format: ColumnFormat): string {
  if (!Number.isFinite(value)) return String(value)
  switch (format) {
    case 'ms':
    case 'ns':
    case 'num':
      return sig3(value)
    case 'ratio':
      return `${value >= 100 ? Math.round(value) : value.toPrecision(3)}×`
    case 'int':
      return Math.round(value).toLocaleString('en-US')
    case 'err':
      return value === 0 ? '0' : value.toExponential(1)
    case 'check':
      return value ? '✓' : '✗'
    case 'text':
      return String(value)
  }
}

/** The spread of an estimate as a percentage of its median: `±2.1%`, `±14%`. */
export function spreadPercent(e: Pick<Estimate, 'median' | 'lo' | 'hi'>): string {
  const p = relativeSpread(e) * 100
  if (!Number.isFinite(p)) return '±?'
  return `±${p < 9.95 ? p.toFixed(1) : Math.round(p)}%`
}

/** Where a cell is shown: the terminal is narrow, the Markdown report has room for intervals. */
export type CellStyle = 'terminal' | 'markdown'

/**
 * A cell as text in the format of its column. A measured figure shows its median and its spread:
 * on the terminal as `±` the larger half-width of its 95% interval in percent, in Markdown as the
 * interval itself, and for a timing the wall time beside the CPU time.
 */
export function formatCell(
  value: Cell | undefined,
  format: ColumnFormat,
  style: CellStyle = 'terminal',
): string {
  if (value === null || value === undefined) return '–'
  if (typeof value === 'boolean') return value ? '✓' : '✗'
  if (typeof value === 'string') return value
  if (typeof value === 'number') return formatNumber(value, format)
  const cpu = isTiming(value) ? value.cpu : value
  const main = formatNumber(cpu.median, format)
  if (style === 'terminal') return `${main} ${spreadPercent(cpu)}`
  const interval = `[${formatNumber(cpu.lo, format).replace('×', '')}–${formatNumber(cpu.hi, format)}]`
  const wall = isTiming(value) ? ` · wall ${formatNumber(value.wall.median, format)}` : ''
  return `${main} ${interval}${wall}`
}

const isNumeric = (f: ColumnFormat): boolean => f !== 'text' && f !== 'check'

/** The table's cells as text, row by row. */
function cells(t: Table, style: CellStyle): string[][] {
  return t.rows.map((r) => t.columns.map((c) => formatCell(r[c.key], c.format, style)))
}

// ---------------------------------------------------------------------------------------------
// tables
// ---------------------------------------------------------------------------------------------

/**
 * A table for the terminal (box-drawn by cli-table3, no colours), with its title above and its
 * notes below.
 */
export function terminalTable(t: Table): string {
  const table = new Table3({
    head: t.columns.map((c) => c.header),
    colAligns: t.columns.map((c) => (isNumeric(c.format) ? 'right' : 'left')),
    style: { head: [], border: [] },
    wordWrap: true,
  })
  for (const row of cells(t, 'terminal')) table.push(row)
  const notes = (t.notes ?? []).map((n) => `  ${n}`)
  return [t.title, table.toString(), ...notes].join('\n')
}

const mdEscape = (s: string): string => s.replace(/\|/g, '\\|')

/**
 * A table in GitHub Markdown, numbers aligned right.
 */
export function markdownTable(t: Table): string {
  const head = `| ${t.columns.map((c) => mdEscape(c.header)).join(' | ')} |`
  const rule = `| ${t.columns.map((c) => (isNumeric(c.format) ? '--:' : '---')).join(' | ')} |`
  const body = cells(t, 'markdown').map((r) => `| ${r.map(mdEscape).join(' | ')} |`)
  return [head, rule, ...body].join('\n')
}

// ---------------------------------------------------------------------------------------------
// the terminal
// ---------------------------------------------------------------------------------------------

/** ✓ held, ✗ missed, ~ noisy. */
const statusMark = (t: Target): string => (t.status === 'held' ? '✓' : t.status === 'missed' ? '✗' : '~')

/** A target's figure: the median, with its interval when it has one. */
function targetFigure(t: Target, style: CellStyle): string {
  const m = formatNumber(t.measured, 'num')
  if (t.lo === undefined || t.hi === undefined) return m
  return style === 'terminal'
    ? `${m} ${spreadPercent({ median: t.measured, lo: t.lo, hi: t.hi })}`
    : `${m} [${formatNumber(t.lo, 'num')}–${formatNumber(t.hi, 'num')}]`
}

/** What a target's status says, in words. */
const statusWord = (t: Target): string =>
  t.status === 'held' ? 'held' : t.status === 'missed' ? 'missed' : 'noisy: the interval holds the limit'

/** A suite's tables, targets and problems for the terminal. */
export function terminalSuite(rec: SuiteRecord): string {
  const load = rec.load === undefined ? '' : `; load ${rec.load.before[0]} → ${rec.load.after[0]}`
  const out: string[] = [`\n== ${rec.title} [${rec.name}] (${rec.seconds.toFixed(1)} s${load}) ==`]
  if (rec.status === 'failed') out.push(`FAILED: ${rec.error ?? 'unknown error'}`)
  if (rec.status === 'interrupted') out.push('INTERRUPTED: the run was stopped while this suite ran')
  const o = rec.output
  if (o !== undefined) {
    for (const n of o.notes) out.push(n)
    for (const t of o.tables) if (t.rows.length > 0) out.push('', terminalTable(t))
    if (o.targets.length > 0) {
      out.push('', 'Targets:')
      for (const t of o.targets) {
        out.push(
          `  ${statusMark(t)} ${t.name}: ${targetFigure(t, 'terminal')} (${t.comparison} ${t.limit})${t.status === 'noisy' ? ' noisy' : ''}`,
        )
      }
    }
    for (const p of o.problems) out.push(`  ! ${problemLabel(p)}: ${p.message}`)
    const unstable = unstableWarmups(o, 5)
    if (unstable !== undefined) out.push(`  ${unstable}`)
    const disagree = disagreeingProcesses(o, 5)
    if (disagree !== undefined) out.push(`  ${disagree}`)
  }
  return out.join('\n')
}

/** Processes whose medians differ by more than this factor are named. */
const PROCESS_DISAGREEMENT = 1.2

/**
 * A line naming the functions whose processes disagree (their medians more than 20% apart), if
 * any: their figures pool both processes, so their intervals are wide, and a run in one process
 * alone could have read either.
 */
function disagreeingProcesses(o: SuiteOutput, limit = Infinity): string | undefined {
  const apart = (o.processSpreads ?? []).filter(
    (p) => p.medians.length > 1 && Math.max(...p.medians) > PROCESS_DISAGREEMENT * Math.min(...p.medians),
  )
  if (apart.length === 0) return undefined
  const fmt = (x: number): string => formatNumber(x, 'ms')
  const names = apart.slice(0, limit).map((p) => `${p.subject} (${p.medians.map(fmt).join(' / ')} ms)`)
  if (apart.length > limit) names.push(`and ${apart.length - limit} more (report.md lists them)`)
  return `Differ by more than ${Math.round((PROCESS_DISAGREEMENT - 1) * 100)}% between the processes that measured them (their medians; the figures pool both): ${names.join(', ')}.`
}

/** A line naming the functions whose time per call did not settle during warm-up, if any. */
function unstableWarmups(o: SuiteOutput, limit = Infinity): string | undefined {
  const unstable = (o.warmups ?? []).filter((w) => !w.stable)
  if (unstable.length === 0) return undefined
  const names = [
    ...new Set(unstable.map((w) => (w.subject.includes(w.host) ? w.subject : `${w.subject} (${w.host})`))),
  ]
  const shown = names.slice(0, limit)
  if (names.length > limit) shown.push(`and ${names.length - limit} more (report.md lists them)`)
  return `Not settled after the warm-up's time limit (timed anyway; read their spread): ${shown.join(', ')}.`
}

const problemLabel = (p: Problem): string =>
  p.kind === 'peer-load'
    ? 'failed to load'
    : p.kind === 'peer-check'
      ? 'gradient check failed'
      : p.kind === 'skipped'
        ? 'skipped'
        : 'error'

// ---------------------------------------------------------------------------------------------
// report.md
// ---------------------------------------------------------------------------------------------

/** The Markdown report of a run; `svgs` maps `suite/plot` to the SVG file, relative to the report. */
export function markdownReport(
  run: BenchRun,
  svgs: ReadonlyMap<string, string>,
  plotsSkipped?: string,
): string {
  const e = run.environment
  const lines: string[] = [
    `# ${run.tool.name} ${run.tool.version}: benchmark report`,
    '',
    `- date: ${run.date}`,
    `- size: ${run.size}; dualtape backend: ${run.backend}`,
    `- machine: ${e.cpu}, ${e.cores} cores, ${e.platform}; Node ${e.node}; load average at start ${e.loadavg.join(', ')}`,
    '',
    'How to read the figures: each library, and each dualtape backend and dtype, runs in processes of its',
    'own (two in a quick run, three in a full one, whose samples are pooled, so that the spread includes',
    'how much a figure varies from process to process); every measured function is warmed up until its',
    'time per call is stable, then all the functions of a comparison are timed in rounds, one sample each',
    'per round in a rotated order. A time is the',
    "median of the samples' process CPU time per call (user + system, all threads of the process), with",
    'its 95% confidence interval in brackets and the median wall time beside it; a ratio is the median of',
    'the ratios taken round by round (paired), with its interval. A target is held or missed only when',
    'its whole interval is on one side of the limit; when the limit lies inside the interval it is marked',
    '~ noisy: the measurement cannot tell. The load averages before and after each suite are listed below.',
    '',
  ]
  if (plotsSkipped !== undefined) lines.push(`Plots: not drawn; ${plotsSkipped}.`, '')
  const summary = run.suites.map((s) => {
    const o = s.output
    const targets = o?.targets ?? []
    const count = (st: Target['status']): number => targets.filter((t) => t.status === st).length
    const status =
      s.status === 'failed'
        ? '✗ failed'
        : s.status === 'interrupted'
          ? '⏹ interrupted'
          : (o?.problems.length ?? 0) > 0
            ? '⚠ problems'
            : '✓'
    const tally = targets.length > 0 ? `${count('held')} / ${count('missed')} / ${count('noisy')}` : '–'
    const load = s.load === undefined ? '–' : `${s.load.before[0]} → ${s.load.after[0]}`
    return `| [${s.name}](#${anchor(s.title)}) | ${status} | ${tally} | ${s.seconds.toFixed(1)} | ${load} |`
  })
  lines.push(
    '| suite | ran | targets held / missed / noisy | seconds | load average (1 min) before → after |',
    '| --- | --- | --: | --: | --: |',
    ...summary,
    '',
  )
  for (const s of run.suites) {
    lines.push(`## ${s.title}`, '', `\`${s.name}\`: ${s.description}.`, '')
    if (s.status === 'failed') lines.push(`**The suite failed:** ${mdEscape(s.error ?? 'unknown error')}`, '')
    if (s.status === 'interrupted') lines.push('**The run was interrupted while this suite ran.**', '')
    const o = s.output
    if (o === undefined) continue
    for (const n of o.notes) lines.push(n, '')
    if (o.targets.length > 0) {
      lines.push(
        '### Targets',
        '',
        '| target | measured [95% interval] | limit | status |',
        '| --- | --: | --: | --- |',
      )
      for (const t of o.targets) {
        lines.push(
          `| ${mdEscape(t.name)} | ${targetFigure(t, 'markdown')} | ${t.comparison} ${t.limit} | ${statusMark(t)} ${statusWord(t)} |`,
        )
      }
      lines.push('')
    }
    const unstable = unstableWarmups(o)
    if (unstable !== undefined) lines.push(unstable, '')
    const disagree = disagreeingProcesses(o)
    if (disagree !== undefined) lines.push(disagree, '')
    if (o.problems.length > 0) {
      lines.push('### Problems', '')
      for (const p of o.problems) lines.push(`- **${problemLabel(p)}**: ${mdEscape(p.message)}`)
      lines.push('')
    }
    for (const t of o.tables) {
      lines.push(`### ${t.title}`, '')
      lines.push(t.rows.length > 0 ? markdownTable(t) : '_(no rows)_', '')
      for (const n of t.notes ?? []) lines.push(`${n}  `)
      if ((t.notes ?? []).length > 0) lines.push('')
    }
    for (const p of o.plots) {
      const file = svgs.get(`${s.name}/${p.file}`)
      if (file !== undefined) lines.push(`![${p.title}](${file})`, '')
    }
  }
  return lines.join('\n')
}

/** GitHub's anchor of a heading. */
const anchor = (title: string): string =>
  title
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-')

// ---------------------------------------------------------------------------------------------
// the output directory
// ---------------------------------------------------------------------------------------------

/** The files a report wrote, the plots that failed to render, and why plots were left out. */
export interface WrittenReport {
  readonly report: string
  readonly results: string
  readonly svgs: readonly string[]
  readonly plotErrors: readonly string[]
  /** Set when the plotting packages (vega, vega-lite) are not installed: what to install. */
  readonly plotsSkipped?: string
}

/** The run as JSON: the raw numbers of every table (plots named, not inlined). */
export function resultsJson(run: BenchRun): string {
  const suites = run.suites.map((s) => ({
    ...s,
    output:
      s.output === undefined
        ? undefined
        : {
            ...s.output,
            plots: s.output.plots.map((p) => ({ file: `${s.name}-${p.file}.svg`, title: p.title })),
          },
  }))
  return JSON.stringify({ ...run, suites }, null, 2) + '\n'
}

/**
 * Writes `report.md`, `results.json` and one SVG per plot (`<suite>-<plot>.svg`) into `dir`
 * (created if missing), and the JSON also to `jsonFile` when given; the SVGs an earlier run of
 * the same suites left there are removed first. Plots render strictly: a plot
 * that fails to render, makes vega warn or draws a mark with no extent is left out and named in
 * `plotErrors`.
 */
export async function writeReport(run: BenchRun, dir: string, jsonFile?: string): Promise<WrittenReport> {
  await ensureDir(dir)
  // plots an earlier run of these suites left behind would sit beside this run's as if current
  const ran = new Set(run.suites.map((s) => s.name))
  for (const f of await readdir(dir)) {
    const suite = /^([a-z0-9]+)-[a-z0-9-]+\.svg$/.exec(f)?.[1]
    if (suite !== undefined && ran.has(suite)) await rm(join(dir, f), { force: true })
  }
  const { renderVegaLite } = await import('./plot/plot.js')
  const svgs = new Map<string, string>()
  const written: string[] = []
  const plotErrors: string[] = []
  let plotsSkipped: string | undefined
  for (const s of run.suites) {
    for (const p of s.output?.plots ?? []) {
      if (plotsSkipped !== undefined) break
      const file = `${s.name}-${p.file}.svg`
      try {
        await writeAtomic(join(dir, file), await renderVegaLite(p.spec, { strict: true }))
        svgs.set(`${s.name}/${p.file}`, file)
        written.push(join(dir, file))
      } catch (e) {
        // an installed package without the optional plotting packages: the tables are the report
        if (e instanceof MissingPackageError) plotsSkipped = e.message
        else plotErrors.push(`${file}: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
  }
  const report = join(dir, 'report.md')
  const results = join(dir, 'results.json')
  const json = resultsJson(run)
  // each file whole or not at all; results.json first, so that report.md never shows suites it lacks
  await writeAtomic(results, json)
  await writeAtomic(report, markdownReport(run, svgs, plotsSkipped))
  if (jsonFile !== undefined) {
    await ensureDir(dirname(jsonFile))
    await writeAtomic(jsonFile, json)
  }
  return {
    report,
    results,
    svgs: written,
    plotErrors,
    ...(plotsSkipped === undefined ? {} : { plotsSkipped }),
  }
}
