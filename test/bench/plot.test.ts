import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DualtapeError } from '../../src/core/errors.js'
import {
  PlotError,
  barPlot,
  intervalPlot,
  linePlot,
  plotMarks,
  renderVegaLite,
  scatterPlot,
  vegaLiteField,
  writeSvg,
  type IntervalPlotOptions,
} from '../../bench/plot/plot.js'

/** Number of occurrences of `needle` in `text`. */
function count(text: string, needle: RegExp): number {
  return (text.match(needle) ?? []).length
}

describe('renderVegaLite', () => {
  it('renders a hand-written spec to SVG with its title', async () => {
    const svg = await renderVegaLite({
      title: 'Squares',
      data: {
        values: [
          { x: 1, y: 1 },
          { x: 2, y: 4 },
        ],
      },
      mark: 'point',
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
    })
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('Squares')
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
  })

  it('rejects an invalid spec', async () => {
    await expect(renderVegaLite({ mark: 'no-such-mark' } as never)).rejects.toThrow()
  })

  it('reports warnings to onWarning', async () => {
    const warnings: string[] = []
    await renderVegaLite(
      {
        data: { values: [{ a: 1 }] },
        mark: 'point',
        encoding: { x: { field: 'a', type: 'quantitative' }, size: { field: 'a', type: 'nominal' } },
      },
      { onWarning: (m) => warnings.push(m) },
    )
    expect(warnings.length).toBeGreaterThan(0)
  })
})

describe('linePlot', () => {
  const data = [10, 100, 1000].flatMap((n) => [
    { n, ms: n / 10, mode: 'forward' },
    { n, ms: 2 + n / 100, mode: 'reverse' },
  ])

  it('draws one line per series, with points, and log axes', async () => {
    const spec = linePlot({
      title: 'Cost by width',
      data,
      x: 'n',
      y: 'ms',
      color: 'mode',
      logX: true,
      logY: true,
    })
    const enc = (spec as { encoding: { x: { scale: unknown }; y: { scale: unknown } } }).encoding
    expect(enc.x.scale).toEqual({ type: 'log' })
    expect(enc.y.scale).toEqual({ type: 'log' })
    const svg = await renderVegaLite(spec)
    expect(svg).toContain('<svg')
    expect(svg).toContain('Cost by width')
    expect(svg).toContain('forward')
    expect(svg).toContain('reverse')
    // Two series give two lines; six rows give six point symbols.
    expect(count(svg, /aria-roledescription="line mark"/g)).toBe(2)
    expect(count(svg, /aria-roledescription="point"/g)).toBe(6)
  })

  it('reads a numeric color field as ordinal when asked', async () => {
    const rows = [1, 2, 4].flatMap((depth) => [
      { n: 1, ms: depth, depth },
      { n: 2, ms: 2 * depth, depth },
    ])
    const spec = linePlot({
      title: 'By depth',
      data: rows,
      x: 'n',
      y: 'ms',
      color: 'depth',
      colorType: 'ordinal',
    })
    expect((spec as { encoding: { color: { type: string } } }).encoding.color.type).toBe('ordinal')
    const svg = await renderVegaLite(spec)
    expect(count(svg, /aria-roledescription="line mark"/g)).toBe(3)
  })

  it('uses axis titles and escapes field names holding dots', async () => {
    const rows = [
      { 'time.ms': 1, 'size.n': 1 },
      { 'time.ms': 2, 'size.n': 2 },
    ]
    const svg = await renderVegaLite(
      linePlot({
        title: 'T',
        data: rows,
        x: 'size.n',
        y: 'time.ms',
        xTitle: 'width',
        yTitle: 'milliseconds',
      }),
    )
    expect(svg).toContain('width')
    expect(svg).toContain('milliseconds')
    expect(count(svg, /aria-roledescription="point"/g)).toBe(2)
    expect(vegaLiteField('a.b[0]')).toBe('a\\.b\\[0\\]')
  })
})

describe('scatterPlot', () => {
  it('draws a background grid and data points with one shared color scale', async () => {
    const grid: Array<{ u: number; v: number; cls: string }> = []
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 5; j++) grid.push({ u: i / 4, v: j / 4, cls: i > j ? 'A' : 'B' })
    const data = [
      { u: 0.9, v: 0.1, cls: 'A' },
      { u: 0.1, v: 0.8, cls: 'B' },
      { u: 0.7, v: 0.3, cls: 'A' },
    ]
    const spec = scatterPlot({
      title: 'Decision boundary',
      data,
      x: 'u',
      y: 'v',
      color: 'cls',
      background: grid,
    })
    expect((spec as { layer: unknown[] }).layer).toHaveLength(2)
    const svg = await renderVegaLite(spec)
    expect(svg).toContain('Decision boundary')
    expect(count(svg, /aria-roledescription="square"/g)).toBe(25)
    expect(count(svg, /aria-roledescription="point"/g)).toBe(3)
    // One legend with the two classes.
    expect(count(svg, /role-legend"/g)).toBe(1)
  })

  it('draws plain points without a background', async () => {
    const svg = await renderVegaLite(
      scatterPlot({
        title: 'Plain',
        data: [
          { a: 1, b: 2 },
          { a: 2, b: 3 },
        ],
        x: 'a',
        y: 'b',
      }),
    )
    expect(count(svg, /aria-roledescription="point"/g)).toBe(2)
  })
})

describe('barPlot', () => {
  it('draws grouped bars in data order', async () => {
    const data = [
      { fn: 'wide', ms: 12, mode: 'jacfwd' },
      { fn: 'wide', ms: 2, mode: 'jacrev' },
      { fn: 'deep', ms: 3, mode: 'jacfwd' },
      { fn: 'deep', ms: 9, mode: 'jacrev' },
    ]
    const svg = await renderVegaLite(
      barPlot({ title: 'Jacobian time', data, x: 'fn', y: 'ms', color: 'mode' }),
    )
    expect(svg).toContain('Jacobian time')
    expect(count(svg, /aria-roledescription="bar"/g)).toBe(4)
    expect(svg.indexOf('>wide<')).toBeLessThan(svg.indexOf('>deep<'))
  })

  it('draws horizontal bars on a log scale from a baseline inside the domain', async () => {
    const data = [
      { op: 'add', n: 10 },
      { op: 'mul', n: 1000 },
    ]
    const spec = barPlot({ title: 'Ops', data, x: 'op', y: 'n', horizontal: true, logY: true })
    const enc = (spec as { encoding: { x: { stack: unknown }; x2: { datum: number } } }).encoding
    // half the smallest value is 5: the bars start at 1, not at 0, and are not stacked
    expect(enc.x2).toEqual({ datum: 1 })
    expect(enc.x.stack).toBeNull()
    const warnings: string[] = []
    const svg = await renderVegaLite(spec, { onWarning: (m) => warnings.push(m), strict: true })
    expect(warnings).toEqual([])
    expect(count(svg, /aria-roledescription="bar"/g)).toBe(2)
    const bars = await plotMarks(spec)
    const [add, mul] = bars.map((b) => b.box.x2 - b.box.x1)
    // log10(10 / 1) against log10(1000 / 1): one third of the length
    expect(add! / mul!).toBeCloseTo(1 / 3, 2)
  })

  it('starts log bars a decade lower when the smallest value is near a power of ten', () => {
    const at = (n: number, baseline?: number) =>
      (
        barPlot({ title: 'B', data: [{ c: 'a', n }], x: 'c', y: 'n', logY: true, baseline }) as {
          encoding: { y2: { datum: number } }
        }
      ).encoding.y2.datum
    expect([at(0.3), at(2), at(10), at(19.9), at(20), at(1e-3), at(1e5)]).toEqual([
      0.1, 1, 1, 1, 10, 1e-4, 1e4,
    ])
    expect(at(10, 3)).toBe(3)
  })

  it('groups log bars side by side', async () => {
    const data = [
      { fn: 'wide', ms: 12, mode: 'jacfwd' },
      { fn: 'wide', ms: 2, mode: 'jacrev' },
    ]
    const spec = barPlot({ title: 'T', data, x: 'fn', y: 'ms', color: 'mode', logY: true })
    const bars = await plotMarks(spec)
    expect(bars).toHaveLength(2)
    expect(bars[0]!.box.x2).toBeLessThanOrEqual(bars[1]!.box.x1 + 1)
    expect(bars.every((b) => b.problem === null && b.box.y2 - b.box.y1 > 10)).toBe(true)
  })

  it('rejects values a log scale cannot place', () => {
    const data = [
      { op: 'add', n: 10 },
      { op: 'mul', n: 0 },
    ]
    expect(() => barPlot({ title: 'T', data, x: 'op', y: 'n', logY: true })).toThrow(PlotError)
    expect(() => barPlot({ title: 'T', data, x: 'op', y: 'n', logY: true })).toThrow(/row 1 has n = 0/)
    expect(() =>
      barPlot({ title: 'T', data: [{ op: 'a', n: 1 }], x: 'op', y: 'n', logY: true, baseline: 0 }),
    ).toThrow(/baseline must be positive/)
    // a linear scale keeps vega-lite's stacking from zero
    const linear = barPlot({ title: 'T', data, x: 'op', y: 'n' }) as { encoding: Record<string, unknown> }
    expect(linear.encoding.y2).toBeUndefined()
  })
})

describe('intervalPlot', () => {
  const data = [
    { fn: 'mlp', derivative: 'gradient', omega: 3.4, lo: 3.1, hi: 3.8 },
    { fn: 'mlp', derivative: 'JVP', omega: 2.1, lo: 2.0, hi: 2.3 },
    { fn: 'chain', derivative: 'JVP', omega: 2.4, lo: 2.4, hi: 2.4 },
  ]
  const base: IntervalPlotOptions = {
    title: 'ω',
    data,
    x: 'fn',
    y: 'omega',
    low: 'lo',
    high: 'hi',
    color: 'derivative',
    yTitle: 'ω (time ratio)',
  }
  type Layer = { mark: { type: string }; encoding: Record<string, { scale?: { domain?: unknown } }> }

  it('layers bands, rules, whiskers, points and labels, categories in data order', async () => {
    const spec = intervalPlot({
      ...base,
      bands: [{ from: 3, to: 4, label: 'ω_grad ∈ [3, 4]', group: 'gradient' }],
      rules: [{ value: 1, label: '1 = equal' }],
    })
    const layers = (spec as { layer: Layer[] }).layer
    expect(layers.map((l) => l.mark.type)).toEqual(['rect', 'rule', 'rule', 'point', 'text'])
    expect(layers[3]!.encoding.x!.scale!.domain).toEqual(['mlp', 'chain'])
    expect(layers[3]!.encoding.color!.scale!.domain).toEqual(['gradient', 'JVP'])
    const svg = await renderVegaLite(spec, { strict: true })
    expect(svg).toContain('ω_grad ∈ [3, 4]')
    expect(svg).toContain('1 = equal')
    expect(svg).toContain('ω (time ratio)')
    const marks = await plotMarks(spec)
    // the interval of one value draws no whisker: 1 band, 1 rule + 2 whiskers, 3 points, 2 labels
    const types = marks.map((m) => m.type)
    expect(types.filter((t) => t === 'rule')).toHaveLength(3)
    expect(types.filter((t) => t === 'symbol')).toHaveLength(3)
    expect(types.filter((t) => t === 'text')).toHaveLength(2)
    // the band spans the plot along the category axis
    const band = marks.find((m) => m.type === 'rect')!
    expect(band.box.x1).toBeCloseTo(band.area.x1, 0)
    expect(band.box.x2).toBeCloseTo(band.area.x2, 0)
  })

  it('draws a horizontal log plot strictly, with a long category label kept whole', async () => {
    const long = 'scalar duals: horner by add and mul, 1,000 terms (flat arrays)'
    const spec = intervalPlot({
      ...base,
      data: [...data, { fn: long, derivative: 'gradient', omega: 12, lo: 9, hi: 15 }],
      horizontal: true,
      logY: true,
      bands: [
        { from: 3, to: 4, label: 'ω_grad ∈ [3, 4]', group: 'gradient' },
        { from: 2, to: 2.5, label: 'ω_JVP ∈ [2, 2.5]', group: 'JVP' },
      ],
    })
    const svg = await renderVegaLite(spec, { strict: true })
    expect(svg).toContain(`>${long}<`)
  })

  it('rejects rows, bands and rules it cannot draw', () => {
    const bad = (opts: Partial<IntervalPlotOptions>) => () => intervalPlot({ ...base, ...opts })
    expect(bad({ data: [] })).toThrow(/no rows/)
    expect(bad({ data: [{ fn: 'a', derivative: 'JVP', omega: 1, lo: 2, hi: 3 }] })).toThrow(/not in order/)
    expect(bad({ data: [{ fn: 'a', derivative: 'JVP', omega: 1, lo: 0, hi: 3 }], logY: true })).toThrow(
      /lo = 0, which a log scale cannot place/,
    )
    expect(bad({ data: [{ fn: 'a', derivative: 'JVP', omega: Number.NaN, lo: 0, hi: 3 }] })).toThrow(
      /not a finite number/,
    )
    expect(bad({ bands: [{ from: 4, to: 3, label: 'b' }] })).toThrow(/band 0 \(b\) runs from 4 to 3/)
    expect(bad({ bands: [{ from: 3, to: 4, label: 'b', group: 'hessian' }] })).toThrow(
      /not a value of derivative/,
    )
    expect(bad({ rules: [{ value: 0, label: 'r' }], logY: true })).toThrow(/rule 0 \(r\) is at 0/)
    expect(bad({ color: undefined, rules: [{ value: 1, label: 'r', group: 'JVP' }] })).toThrow(
      /no color field/,
    )
    expect(bad({ bands: [{ from: 4, to: 3, label: 'b' }] })).toThrow(PlotError)
    expect(new PlotError('x')).toBeInstanceOf(DualtapeError)
  })
})

describe('plotMarks and strict rendering', () => {
  it('gives boxes inside the SVG, and strict rendering still reports warnings to onWarning', async () => {
    const spec = linePlot({
      title: 'L',
      data: [
        { a: 1, b: 2 },
        { a: 2, b: 3 },
      ],
      x: 'a',
      y: 'b',
    })
    const svg = await renderVegaLite(spec, { strict: true })
    const [, width, height] = svg.match(/width="(\d+)" height="(\d+)"/)!.map(Number)
    const marks = await plotMarks(spec)
    expect(marks.map((m) => m.type)).toEqual(['line', 'symbol', 'symbol'])
    for (const m of marks) {
      expect(m.box.x1).toBeGreaterThanOrEqual(0)
      expect(m.box.y1).toBeGreaterThanOrEqual(0)
      expect(m.box.x2).toBeLessThanOrEqual(width!)
      expect(m.box.y2).toBeLessThanOrEqual(height!)
    }
    const warnings: string[] = []
    const noisy = {
      data: { values: [{ a: 1 }] },
      mark: 'point',
      encoding: { x: { field: 'a', type: 'quantitative' }, size: { field: 'a', type: 'nominal' } },
    } as const
    await expect(renderVegaLite(noisy, { strict: true, onWarning: (m) => warnings.push(m) })).rejects.toThrow(
      PlotError,
    )
    expect(warnings.length).toBeGreaterThan(0)
  })
})

describe('writeSvg', () => {
  it('creates missing directories', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dualtape-plot-'))
    try {
      const path = join(dir, 'a', 'b', 'plot.svg')
      await writeSvg(path, '<svg></svg>')
      expect(await readFile(path, 'utf8')).toBe('<svg></svg>')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('writeSvg where no folder can be made', () => {
  it('fails at once under /proc instead of never returning', async () => {
    const t0 = performance.now()
    await expect(writeSvg('/proc/dualtape-nowhere/plot.svg', '<svg/>')).rejects.toThrow(/ENOENT/)
    expect(performance.now() - t0).toBeLessThan(5000)
  })
})
