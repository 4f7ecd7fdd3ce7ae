import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type BenchRun,
  environment,
  formatCell,
  markdownReport,
  markdownTable,
  terminalSuite,
  terminalTable,
  writeReport,
} from '../../bench/report.js'
import type { Table } from '../../bench/suites/types.js'
import { target } from '../../bench/suites/types.js'
import { estimate } from '../../bench/measure/stats.js'

const table: Table = {
  title: 'Times',
  columns: [
    { key: 'name', header: 'name', format: 'text' },
    { key: 'ms', header: 'ms', format: 'ms' },
    { key: 'ratio', header: 'a | b', format: 'ratio' },
    { key: 'ok', header: 'ok', format: 'check' },
  ],
  rows: [
    { name: 'one', ms: 1.23456, ratio: 2.5, ok: true },
    { name: 'two', ms: 1234.5, ratio: null, ok: false },
  ],
  notes: ['a note'],
}

const run = (status: 'ok' | 'failed'): BenchRun => ({
  tool: { name: 'dualtape', version: '0.0.0-test' },
  date: '2025-01-01T00:00:00.000Z',
  size: 'smoke',
  backend: 'cpu',
  environment: environment(),
  suites: [
    {
      name: 'demo',
      title: 'A demo suite',
      description: 'demonstrates the report',
      status,
      seconds: 0.5,
      load: { before: [0.5, 0.4, 0.3], after: [0.75, 0.5, 0.3] },
      ...(status === 'failed'
        ? { error: 'it broke' }
        : {
            output: {
              notes: ['set-up'],
              tables: [table],
              targets: [
                target('speed-up', 12, '>=', 10),
                target('cost', 40, '<=', 30),
                target('noisy one', estimate([10, 12, 14]), '>=', 11),
              ],
              plots: [
                {
                  file: 'bars',
                  title: 'bars',
                  spec: {
                    data: { values: [{ a: 'x', b: 1 }] },
                    mark: 'bar',
                    encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
                  },
                },
              ],
              problems: [{ kind: 'peer-load', message: 'lib: missing' }],
            },
          }),
    },
  ],
})

describe('cells', () => {
  it('formats by column', () => {
    expect(formatCell(1.23456, 'ms')).toBe('1.23')
    expect(formatCell(1234.5, 'ms')).toBe('1235')
    expect(formatCell(0.000012, 'ms')).toBe('1.20e-5')
    expect(formatCell(12.345, 'ratio')).toBe('12.3×')
    expect(formatCell(345.6, 'ratio')).toBe('346×')
    expect(formatCell(12345, 'int')).toBe('12,345')
    expect(formatCell(0.00012, 'err')).toBe('1.2e-4')
    expect(formatCell(true, 'check')).toBe('✓')
    expect(formatCell(false, 'check')).toBe('✗')
    expect(formatCell(null, 'ms')).toBe('–')
    expect(formatCell('text', 'ms')).toBe('text')
    expect(formatCell(Infinity, 'ratio')).toBe('Infinity')
  })

  it('a measured figure shows its median and spread: ± in the terminal, the interval and wall time in Markdown', () => {
    const cpu = estimate([10, 11, 12, 9, 10, 10.5, 9.5])
    const wall = estimate([12, 13, 14, 11, 12, 12.5, 11.5])
    // the 95% interval of the median of 7 samples: from the smallest to the largest
    expect([cpu.lo, cpu.median, cpu.hi]).toEqual([9, 10, 12])
    expect(formatCell(cpu, 'ms')).toBe('10.0 ±20%')
    expect(formatCell({ cpu, wall }, 'ms')).toBe('10.0 ±20%')
    expect(formatCell({ cpu, wall }, 'ms', 'markdown')).toBe('10.0 [9.00–12.0] · wall 12.0')
    expect(formatCell(cpu, 'ratio', 'markdown')).toBe('10.0× [9.00–12.0×]')
  })

  it('targets: held or missed when the whole interval is on one side, noisy when it holds the limit', () => {
    expect(target('a', 10, '>=', 10).status).toBe('held')
    expect(target('a', 9.9, '>=', 10).status).toBe('missed')
    expect(target('a', 30, '<=', 30).status).toBe('held')
    expect(target('a', 31, '<=', 30).status).toBe('missed')
    const around = (lo: number, m: number, hi: number) => estimate([lo, m, m, m, hi])
    expect(target('a', around(11, 12, 13), '>=', 10).status).toBe('held')
    expect(target('a', around(9, 12, 13), '>=', 10).status).toBe('noisy')
    expect(target('a', around(7, 8, 9), '>=', 10).status).toBe('missed')
    expect(target('a', around(27, 29, 31), '<=', 30).status).toBe('noisy')
    const t = target('a', { cpu: around(11, 12, 13), wall: around(1, 2, 3) }, '>=', 10)
    expect([t.measured, t.lo, t.hi, t.status]).toEqual([12, 11, 13, 'held'])
  })
})

describe('tables', () => {
  it('in Markdown: numbers right-aligned, pipes escaped', () => {
    const md = markdownTable(table).split('\n')
    expect(md[0]).toBe('| name | ms | a \\| b | ok |')
    expect(md[1]).toBe('| --- | --: | --: | --- |')
    expect(md[2]).toBe('| one | 1.23 | 2.50× | ✓ |')
    expect(md[3]).toBe('| two | 1235 | – | ✗ |')
  })

  it('for the terminal: title, box and notes', () => {
    const t = terminalTable(table)
    expect(t.split('\n')[0]).toBe('Times')
    expect(t).toContain('2.50×')
    expect(t).toContain('a note')
  })

  it('a suite for the terminal lists its targets and problems', () => {
    const s = terminalSuite(run('ok').suites[0]!)
    expect(s).toContain('✓ speed-up')
    expect(s).toContain('✗ cost')
    expect(s).toContain('~ noisy one: 12.0 ±17% (>= 11) noisy')
    expect(s).toContain('load 0.5 → 0.75')
    expect(s).toContain('failed to load: lib: missing')
    expect(terminalSuite(run('failed').suites[0]!)).toContain('FAILED: it broke')
  })
})

describe('the report', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  it('report.md has the summary, the targets, the tables, the problems and the plots', () => {
    const md = markdownReport(run('ok'), new Map([['demo/bars', 'demo-bars.svg']]))
    expect(md).toContain('# dualtape 0.0.0-test: benchmark report')
    expect(md).toContain('| [demo](#a-demo-suite) | ⚠ problems | 1 / 1 / 1 | 0.5 | 0.5 → 0.75 |')
    expect(md).toContain('| speed-up | 12.0 | >= 10 | ✓ held |')
    expect(md).toContain('| cost | 40.0 | <= 30 | ✗ missed |')
    expect(md).toContain('| noisy one | 12.0 [10.0–14.0] | >= 11 | ~ noisy: the interval holds the limit |')
    expect(md).toContain('How to read the figures')
    expect(md).toContain('**failed to load**: lib: missing')
    expect(md).toContain('![bars](demo-bars.svg)')
    expect(markdownReport(run('failed'), new Map())).toContain('**The suite failed:** it broke')
  })

  it('writes report.md, results.json and the SVGs, and the JSON elsewhere on request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dualtape-report-'))
    dirs.push(dir)
    const json = join(dir, 'nested', 'copy.json')
    // a plot an earlier run of the suite left behind goes; another suite's stays
    await mkdir(join(dir, 'out'), { recursive: true })
    await writeFile(join(dir, 'out', 'demo-stale.svg'), '<svg/>')
    await writeFile(join(dir, 'out', 'other-plot.svg'), '<svg/>')
    const w = await writeReport(run('ok'), join(dir, 'out'), json)
    expect(w.plotErrors).toEqual([])
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([
      'demo-bars.svg',
      'other-plot.svg',
      'report.md',
      'results.json',
    ])
    expect(await readFile(join(dir, 'out', 'demo-bars.svg'), 'utf8')).toMatch(/^<svg/)
    const parsed = JSON.parse(await readFile(w.results, 'utf8'))
    expect(parsed.suites[0].output.tables[0].rows[0].ms).toBe(1.23456)
    expect(parsed.suites[0].output.plots).toEqual([{ file: 'demo-bars.svg', title: 'bars' }])
    // the copy is the same document as results.json (written at the same moment, same load average)
    expect(await readFile(json, 'utf8')).toBe(await readFile(w.results, 'utf8'))
  })

  it('names a plot that fails to render and writes the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dualtape-report-'))
    dirs.push(dir)
    const bad = run('ok')
    const suite = bad.suites[0]!
    const broken = {
      ...bad,
      suites: [
        {
          ...suite,
          output: {
            ...suite.output!,
            plots: [{ file: 'broken', title: 'broken', spec: { mark: 'no-such-mark' } as never }],
          },
        },
      ],
    }
    const w = await writeReport(broken, dir)
    expect(w.plotErrors).toHaveLength(1)
    expect(w.plotErrors[0]).toContain('demo-broken.svg')
    expect(w.svgs).toEqual([])
  })
})
