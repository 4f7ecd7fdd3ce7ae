import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { barPlot, linePlot, renderVegaLite, scatterPlot, vegaLiteField, writeSvg } from '../src/viz/plot.js'

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

  it('draws horizontal bars on a log scale', async () => {
    const data = [
      { op: 'add', n: 10 },
      { op: 'mul', n: 1000 },
    ]
    const spec = barPlot({ title: 'Ops', data, x: 'op', y: 'n', horizontal: true, logY: true })
    const svg = await renderVegaLite(spec)
    expect(count(svg, /aria-roledescription="bar"/g)).toBe(2)
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
