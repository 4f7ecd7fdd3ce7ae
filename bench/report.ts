/**
 * The report of a benchmark run: tables for the terminal (cli-table3) and for Markdown, the
 * files of the output directory (`report.md`, `results.json`, one SVG per plot) and the run's
 * record as JSON.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, platform, release } from 'node:os'
import { dirname, join } from 'node:path'
import Table3 from 'cli-table3'
import type { Cell, ColumnFormat, Problem, SuiteOutput, SuiteSize, Table } from './suites/types.js'

// ---------------------------------------------------------------------------------------------
// the record of a run
// ---------------------------------------------------------------------------------------------

/** What happened to one suite. */
export interface SuiteRecord {
  readonly name: string
  readonly title: string
  readonly description: string
  /** `ok`: it ran to the end (problems may still be listed); `failed`: it threw. */
  readonly status: 'ok' | 'failed'
  /** The message of what it threw. */
  readonly error?: string
  readonly seconds: number
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

/** The machine the run is on. */
export function environment(): RunEnvironment {
  const c = cpus()
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
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

/**
 * A cell as text in the format of its column.
 *
 * @example
 * formatCell(12.345, 'ratio') // '12.3×'
 */
export function formatCell(value: Cell | undefined, format: ColumnFormat): string {
  if (value === null || value === undefined) return '–'
  if (typeof value === 'boolean') return value ? '✓' : '✗'
  if (typeof value === 'string') return value
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

const isNumeric = (f: ColumnFormat): boolean => f !== 'text' && f !== 'check'

/** The table's cells as text, row by row. */
function cells(t: Table): string[][] {
  return t.rows.map((r) => t.columns.map((c) => formatCell(r[c.key], c.format)))
}

// ---------------------------------------------------------------------------------------------
// tables
// ---------------------------------------------------------------------------------------------

/**
 * A table for the terminal (box-drawn by cli-table3, no colours), with its title above and its
 * notes below.
 *
 * @example
 * terminalTable({ title: 'T', columns: [{ key: 'a', header: 'a', format: 'int' }], rows: [{ a: 1 }] })
 */
export function terminalTable(t: Table): string {
  const table = new Table3({
    head: t.columns.map((c) => c.header),
    colAligns: t.columns.map((c) => (isNumeric(c.format) ? 'right' : 'left')),
    style: { head: [], border: [] },
    wordWrap: true,
  })
  for (const row of cells(t)) table.push(row)
  const notes = (t.notes ?? []).map((n) => `  ${n}`)
  return [t.title, table.toString(), ...notes].join('\n')
}

const mdEscape = (s: string): string => s.replace(/\|/g, '\\|')

/**
 * A table in GitHub Markdown, numbers aligned right.
 *
 * @example
 * markdownTable({ title: 'T', columns: [{ key: 'a', header: 'a', format: 'int' }], rows: [{ a: 1 }] })
 * // '| a |\n| --: |\n| 1 |'
 */
export function markdownTable(t: Table): string {
  const head = `| ${t.columns.map((c) => mdEscape(c.header)).join(' | ')} |`
  const rule = `| ${t.columns.map((c) => (isNumeric(c.format) ? '--:' : '---')).join(' | ')} |`
  const body = cells(t).map((r) => `| ${r.map(mdEscape).join(' | ')} |`)
  return [head, rule, ...body].join('\n')
}

// ---------------------------------------------------------------------------------------------
// the terminal
// ---------------------------------------------------------------------------------------------

const checkMark = (held: boolean): string => (held ? '✓' : '✗')

/** A suite's tables, targets and problems for the terminal. */
export function terminalSuite(rec: SuiteRecord): string {
  const out: string[] = [`\n== ${rec.title} [${rec.name}] (${rec.seconds.toFixed(1)} s) ==`]
  if (rec.status === 'failed') out.push(`FAILED: ${rec.error ?? 'unknown error'}`)
  const o = rec.output
  if (o !== undefined) {
    for (const n of o.notes) out.push(n)
    for (const t of o.tables) if (t.rows.length > 0) out.push('', terminalTable(t))
    if (o.targets.length > 0) {
      out.push('', 'Targets:')
      for (const t of o.targets) {
        out.push(
          `  ${checkMark(t.held)} ${t.name}: ${formatCell(t.measured, 'num')} (${t.comparison} ${t.limit})`,
        )
      }
    }
    for (const p of o.problems) out.push(`  ! ${problemLabel(p)}: ${p.message}`)
  }
  return out.join('\n')
}

const problemLabel = (p: Problem): string =>
  p.kind === 'peer-load' ? 'failed to load' : p.kind === 'peer-check' ? 'gradient check failed' : 'error'

// ---------------------------------------------------------------------------------------------
// report.md
// ---------------------------------------------------------------------------------------------

/** The Markdown report of a run; `svgs` maps `suite/plot` to the SVG file, relative to the report. */
export function markdownReport(run: BenchRun, svgs: ReadonlyMap<string, string>): string {
  const e = run.environment
  const lines: string[] = [
    `# ${run.tool.name} ${run.tool.version}: benchmark report`,
    '',
    `- date: ${run.date}`,
    `- size: ${run.size}; dualtape backend: ${run.backend}`,
    `- machine: ${e.cpu}, ${e.cores} cores, ${e.platform}; Node ${e.node}; load average at start ${e.loadavg.join(', ')}`,
    '',
    'Every figure is a median over repeats after warm-up; every comparison is a ratio of two',
    'measurements taken side by side (interleaved rounds), so that load on the machine hits both alike.',
    'On a shared or busy machine the absolute times are noisy; the ratios less so.',
    '',
  ]
  const summary = run.suites.map((s) => {
    const o = s.output
    const targets = o?.targets ?? []
    const held = targets.filter((t) => t.held).length
    const status = s.status === 'failed' ? '✗ failed' : (o?.problems.length ?? 0) > 0 ? '⚠ problems' : '✓'
    return `| [${s.name}](#${anchor(s.title)}) | ${status} | ${targets.length > 0 ? `${held}/${targets.length}` : '–'} | ${s.seconds.toFixed(1)} |`
  })
  lines.push('| suite | ran | targets held | seconds |', '| --- | --- | --: | --: |', ...summary, '')
  for (const s of run.suites) {
    lines.push(`## ${s.title}`, '', `\`${s.name}\`: ${s.description}.`, '')
    if (s.status === 'failed') lines.push(`**The suite failed:** ${mdEscape(s.error ?? 'unknown error')}`, '')
    const o = s.output
    if (o === undefined) continue
    for (const n of o.notes) lines.push(n, '')
    if (o.targets.length > 0) {
      lines.push('### Targets', '', '| target | measured | limit | held |', '| --- | --: | --: | --- |')
      for (const t of o.targets) {
        lines.push(
          `| ${mdEscape(t.name)} | ${formatCell(t.measured, 'num')} | ${t.comparison} ${t.limit} | ${checkMark(t.held)} |`,
        )
      }
      lines.push('')
    }
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

/** The files a report wrote, and the plots that failed to render. */
export interface WrittenReport {
  readonly report: string
  readonly results: string
  readonly svgs: readonly string[]
  readonly plotErrors: readonly string[]
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
 * (created if missing), and the JSON also to `jsonFile` when given. A plot that fails to render
 * is left out and named in `plotErrors`.
 */
export async function writeReport(run: BenchRun, dir: string, jsonFile?: string): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true })
  const { renderVegaLite, writeSvg } = await import('../src/viz/plot.js')
  const svgs = new Map<string, string>()
  const written: string[] = []
  const plotErrors: string[] = []
  for (const s of run.suites) {
    for (const p of s.output?.plots ?? []) {
      const file = `${s.name}-${p.file}.svg`
      try {
        await writeSvg(join(dir, file), await renderVegaLite(p.spec))
        svgs.set(`${s.name}/${p.file}`, file)
        written.push(join(dir, file))
      } catch (e) {
        plotErrors.push(`${file}: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
  }
  const report = join(dir, 'report.md')
  const results = join(dir, 'results.json')
  const json = resultsJson(run)
  await writeFile(report, markdownReport(run, svgs), 'utf8')
  await writeFile(results, json, 'utf8')
  if (jsonFile !== undefined) {
    await mkdir(dirname(jsonFile), { recursive: true })
    await writeFile(jsonFile, json, 'utf8')
  }
  return { report, results, svgs: written, plotErrors }
}
