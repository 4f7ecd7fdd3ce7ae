import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import {
  PlotError,
  barPlot,
  intervalPlot,
  linePlot,
  plotMarks,
  renderVegaLite,
  scatterPlot,
  type TopLevelSpec,
} from '../../bench/plot/plot.js'
import { checkPicture, checkSvg, colorBox } from '../support/plot-picture.js'

// Every plot helper is drawn, rasterised and checked item by item (test/support/plot-picture.ts), and
// rendered strictly. A planted broken plot (bars stacked from zero on a log scale, which vega
// draws with no length: the report's blank plots) must fail both checks.
// PLOT_PICTURES=<dir> keeps the pictures there, to look at.

// the specs that the examples render, recorded on the way to vega
const rendered = vi.hoisted(() => [] as TopLevelSpec[])
vi.mock('../../bench/plot/plot.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../bench/plot/plot.js')>()
  return {
    ...actual,
    renderVegaLite: (spec: TopLevelSpec, opts?: Parameters<typeof actual.renderVegaLite>[1]) => {
      rendered.push(spec)
      return actual.renderVegaLite(spec, opts)
    },
  }
})

const dir = mkdtempSync(join(tmpdir(), 'dualtape-plot-pictures-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const keep = process.env.PLOT_PICTURES
if (keep) mkdirSync(keep, { recursive: true })
const png = (name: string) => (keep ? { png: join(keep, `${name}.png`) } : {})

const omega = [
  { fn: 'MLP 64×256, 4 tanh + linear', derivative: 'gradient', omega: 3.4, lo: 3.1, hi: 3.8 },
  { fn: 'MLP 64×256, 4 tanh + linear', derivative: 'JVP', omega: 2.1, lo: 2.0, hi: 2.3 },
  { fn: '12-op elementwise chain, n = 10,000', derivative: 'gradient', omega: 3.9, lo: 3.6, hi: 4.4 },
  // an interval of one value: the point alone
  { fn: '12-op elementwise chain, n = 10,000', derivative: 'JVP', omega: 2.4, lo: 2.4, hi: 2.4 },
  {
    fn: 'scalar duals: horner by add and mul, 1,000 terms, duals inline (flat arrays)',
    derivative: 'JVP',
    omega: 12,
    lo: 9,
    hi: 15,
  },
]
const omegaOptions = {
  title: 'Cost of a derivative relative to the function',
  data: omega,
  x: 'fn',
  y: 'omega',
  low: 'lo',
  high: 'hi',
  color: 'derivative',
  xTitle: 'function',
  yTitle: 'ω = time(derivative) / time(f)',
  bands: [
    { from: 3, to: 4, label: 'ω_grad ∈ [3, 4]', group: 'gradient' },
    { from: 2, to: 2.5, label: 'ω_JVP ∈ [2, 2.5]', group: 'JVP' },
  ],
  rules: [{ value: 1, label: '1 = as fast as f' }],
}
const jacobians = [
  { fn: 'wide', ms: 12, mode: 'jacfwd' },
  { fn: 'wide', ms: 2, mode: 'jacrev' },
  { fn: 'deep', ms: 3, mode: 'jacfwd' },
  { fn: 'deep', ms: 9, mode: 'jacrev' },
]
const grid: { u: number; v: number; cls: string }[] = []
for (let i = 0; i <= 10; i++)
  for (let j = 0; j <= 10; j++) grid.push({ u: i / 10, v: j / 10, cls: i > j ? 'A' : 'B' })

const good: Record<string, TopLevelSpec> = {
  'line, log axes': linePlot({
    title: 'Cost by width',
    data: [10, 100, 1000].flatMap((n) => [
      { n, ms: n / 10, mode: 'forward' },
      { n, ms: 2 + n / 100, mode: 'reverse' },
    ]),
    x: 'n',
    y: 'ms',
    color: 'mode',
    logX: true,
    logY: true,
    xTitle: 'width n',
    yTitle: 'time (ms)',
  }),
  'scatter over a background': scatterPlot({
    title: 'Decision boundary',
    data: [
      { u: 0.9, v: 0.1, cls: 'A' },
      { u: 0.1, v: 0.8, cls: 'B' },
    ],
    x: 'u',
    y: 'v',
    color: 'cls',
    background: grid,
  }),
  'bar, linear, grouped': barPlot({
    title: 'Jacobian time',
    data: jacobians,
    x: 'fn',
    y: 'ms',
    color: 'mode',
    yTitle: 'time (ms)',
  }),
  'bar, log': barPlot({
    title: 'Ops',
    data: [
      { op: 'add', n: 10 },
      { op: 'mul', n: 1000 },
      { op: 'exp', n: 0.3 },
    ],
    x: 'op',
    y: 'n',
    logY: true,
    yTitle: 'calls (log scale)',
  }),
  'bar, log, grouped, horizontal': barPlot({
    title: 'ω per function',
    data: omega,
    x: 'fn',
    y: 'omega',
    color: 'derivative',
    horizontal: true,
    logY: true,
    yTitle: 'ω (time ratio, log scale)',
  }),
  'bar, log, baseline': barPlot({
    title: 'Speed-up',
    data: jacobians,
    x: 'fn',
    y: 'ms',
    color: 'mode',
    logY: true,
    baseline: 0.5,
    yTitle: 'time (ms, log scale)',
  }),
  'interval, horizontal, log, bands and rules': intervalPlot({
    ...omegaOptions,
    horizontal: true,
    logY: true,
  }),
  'interval, vertical, linear, bands and rules': intervalPlot(omegaOptions),
  'interval, no groups, ungrouped band': intervalPlot({
    title: 'Ratio',
    data: [
      { case: 'a', r: 1.2, lo: 1.1, hi: 1.3 },
      { case: 'b', r: 0.7, lo: 0.7, hi: 0.7 },
    ],
    x: 'case',
    y: 'r',
    low: 'lo',
    high: 'hi',
    logY: true,
    yTitle: 'time ratio',
    bands: [{ from: 0.9, to: 1.1, label: 'within 10%' }],
    rules: [{ value: 1, label: '1 = equal' }],
  }),
}

/** The OLD log-scale bar spec: stacked from zero, which a log scale cannot place. */
const broken = {
  title: 'Bars stacked from zero on a log scale',
  width: 300,
  height: 200,
  data: {
    values: [
      { op: 'add', n: 10 },
      { op: 'mul', n: 1000 },
    ],
  },
  mark: 'bar',
  encoding: {
    x: { field: 'op', type: 'nominal', sort: null },
    y: { field: 'n', type: 'quantitative', scale: { type: 'log' } },
  },
} as TopLevelSpec

describe('every plot helper draws every item', () => {
  for (const [name, spec] of Object.entries(good))
    it(name, async () => {
      const check = await checkPicture(spec, png(name.replace(/[^a-z]+/g, '-')))
      expect(check.problems).toEqual([])
      expect(check.marks.length).toBeGreaterThan(0)
      expect(check.marks.filter((m) => m.problem !== null)).toEqual([])
      await expect(renderVegaLite(spec, { strict: true })).resolves.toContain('<svg')
    })
})

describe('a broken plot fails', () => {
  it('bars stacked from zero on a log scale fail the picture check', async () => {
    const check = await checkPicture(broken, png('broken'))
    expect(check.dataPixels).toBe(0)
    expect(check.problems).toContain('the data marks draw nothing')
    expect(check.problems.filter((p) => p.includes('no pixel of it'))).toHaveLength(2)
  })

  it('and strict rendering', async () => {
    const error = await renderVegaLite(broken, { strict: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PlotError)
    const { problems } = error as PlotError
    expect(problems[0]).toMatch(/^vega warned: Log scale domain includes zero/)
    expect(problems.filter((p) => /mark 'marks' \(rect\) item \d .*not finite/.test(p))).toHaveLength(2)
    // without strict, the same spec renders (to a picture with no bars)
    await expect(renderVegaLite(broken)).resolves.toContain('<svg')
  })

  it('a vega-lite warning fails strict rendering', async () => {
    const spec = {
      data: { values: [{ a: 1 }, { a: 2 }] },
      mark: 'point',
      encoding: { x: { field: 'a', type: 'quantitative' }, size: { field: 'a', type: 'nominal' } },
    } as TopLevelSpec
    await expect(renderVegaLite(spec, { strict: true })).rejects.toThrow(/vega warned/)
    await expect(renderVegaLite(spec)).resolves.toContain('<svg')
  })

  it('a point outside the plot area fails strict rendering', async () => {
    const spec = {
      data: { values: [{ a: 0.5 }, { a: 5 }] },
      mark: 'point',
      encoding: { x: { field: 'a', type: 'quantitative', scale: { domain: [0, 1] } } },
    } as TopLevelSpec
    const error = await renderVegaLite(spec, { strict: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PlotError)
    expect((error as PlotError).problems).toEqual([
      expect.stringMatching(/item 1 \(a: 5\): centre \(.*\) outside the plot area/),
    ])
  })

  it('items of no extent fail strict rendering', async () => {
    const zeroBar = barPlot({ title: 'Zero', data: [{ op: 'add', n: 0 }], x: 'op', y: 'n' })
    await expect(renderVegaLite(zeroBar, { strict: true })).rejects.toThrow(/no area/)
    const zeroPoint = {
      data: { values: [{ a: 1 }] },
      mark: { type: 'point', size: 0 },
      encoding: { x: { field: 'a', type: 'quantitative' } },
    } as TopLevelSpec
    await expect(renderVegaLite(zeroPoint, { strict: true })).rejects.toThrow(/size 0: no area/)
    const flatRule = {
      data: { values: [{ a: 1, b: 2 }] },
      mark: 'rule',
      encoding: {
        x: { field: 'a', type: 'quantitative' },
        y: { field: 'b', type: 'quantitative' },
        y2: { field: 'b' },
      },
    } as TopLevelSpec
    await expect(renderVegaLite(flatRule, { strict: true })).rejects.toThrow(/no length/)
  })
})

describe('plotMarks', () => {
  it('gives boxes in the pixels of the picture', async () => {
    const spec = barPlot({
      title: 'Ops',
      data: [
        { op: 'add', n: 10 },
        { op: 'mul', n: 1000 },
      ],
      x: 'op',
      y: 'n',
      logY: true,
    })
    const check = await checkPicture(spec)
    expect(check.marks).toHaveLength(2)
    for (const m of check.marks) {
      // the pixels of the bar color around the box span the box itself, to the pixel
      const search = { x1: m.box.x1 - 5, y1: m.box.y1 - 5, x2: m.box.x2 + 5, y2: m.box.y2 + 5 }
      const seen = colorBox(check.picture, [0x4c, 0x78, 0xa8], search)
      expect(seen).not.toBeNull()
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const)
        expect(Math.abs(seen![k] - m.box[k])).toBeLessThanOrEqual(1)
    }
    // and points: a symbol's box is its disc
    const points = intervalPlot({
      title: 'P',
      data: [{ c: 'a', v: 2, lo: 2, hi: 2 }],
      x: 'c',
      y: 'v',
      low: 'lo',
      high: 'hi',
      pointSize: 200,
    })
    const p = await checkPicture(points)
    const [disc] = p.marks
    expect(disc!.type).toBe('symbol')
    const seen = colorBox(p.picture, [0x4c, 0x78, 0xa8], disc!.box)
    expect(seen).not.toBeNull()
    // the fill lies within the box (which holds the outline too) and shares its centre
    const { x1, y1, x2, y2 } = disc!.box
    expect(seen!.x1).toBeGreaterThanOrEqual(x1)
    expect(seen!.x2).toBeLessThanOrEqual(x2)
    expect(Math.abs((seen!.x1 + seen!.x2) / 2 - (x1 + x2) / 2)).toBeLessThanOrEqual(0.5)
    expect(Math.abs((seen!.y1 + seen!.y2) / 2 - (y1 + y2) / 2)).toBeLessThanOrEqual(0.5)
    expect(seen!.x2 - seen!.x1).toBeGreaterThan(x2 - x1 - 6)
  })

  it('returns the items of lines (one per line), rules, bands and labels', async () => {
    const marks = await plotMarks(intervalPlot({ ...omegaOptions, horizontal: true, logY: true }))
    const count = (type: string) => marks.filter((m) => m.type === type).length
    // 2 bands; 1 reference rule and 4 whiskers (one interval is a single value); 5 points; 3 labels
    expect([count('rect'), count('rule'), count('symbol'), count('text')]).toEqual([2, 5, 5, 3])
    const lines = await plotMarks(good['line, log axes']!)
    expect(lines.filter((m) => m.type === 'line')).toHaveLength(2)
    for (const m of marks) {
      expect(m.box.x1).toBeGreaterThanOrEqual(m.area.x1 - 12)
      expect(m.box.x2).toBeLessThanOrEqual(m.area.x2 + 12)
    }
  })
})

describe('the pictures of the examples', () => {
  it('which-direction draws its flops per order', async () => {
    const whichDirection = await import('../../examples/which-direction.js')
    rendered.length = 0
    const out = join(dir, 'which')
    const r = await whichDirection.main({ wide: 60, narrow: 4, repeats: 1, out, log: () => {} })
    expect(r.picture).toBe(join(out, 'flops.svg'))
    expect(rendered).toHaveLength(1)
    const spec = rendered[0]!
    // the picture written is the one checked
    const svg = readFileSync(r.picture!, 'utf8')
    const check = checkSvg(svg, await plotMarks(spec))
    expect(check.problems).toEqual([])
    // nine bars: three orders on each of three chains
    expect((await plotMarks(spec)).filter((m) => m.type === 'rect')).toHaveLength(9)
    await expect(renderVegaLite(spec, { strict: true })).resolves.toBe(svg)
  })
})
