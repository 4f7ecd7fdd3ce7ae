/**
 * Plots as SVG, rendered offline in Node through vega-lite and vega.
 *
 * The helpers build plain vega-lite specs (JSON objects), so a caller can adjust a spec before
 * rendering it. Rendering uses vega's headless `View` with the `none` renderer and `toSVG()`,
 * which needs no canvas and no browser. Text widths are estimated rather than measured, which is
 * good enough for axis layout.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { TopLevelSpec } from 'vega-lite'

/**
 * A vega-lite spec as the helpers return it and {@link renderVegaLite} takes it.
 *
 * @example
 * ```ts
 * import { linePlot, type TopLevelSpec } from 'dualtape'
 * const spec: TopLevelSpec = linePlot({ title: 't', data: [{ a: 1, b: 2 }], x: 'a', y: 'b' })
 * ```
 */
export type { TopLevelSpec } from 'vega-lite'

/**
 * One row of plot data: a flat record of numbers and strings.
 *
 * @example
 * ```ts
 * import type { PlotRow } from 'dualtape'
 * const row: PlotRow = { n: 1000, ms: 3.2, mode: 'reverse' }
 * ```
 */
export type PlotRow = Record<string, number | string>

/**
 * Options shared by {@link linePlot}, {@link scatterPlot} and {@link barPlot}.
 *
 * @example
 * ```ts
 * import type { PlotOptions, PlotRow } from 'dualtape'
 * const rows: PlotRow[] = [{ n: 10, ms: 0.4, mode: 'jvp' }, { n: 10, ms: 0.5, mode: 'vjp' }]
 * const opts: PlotOptions = { title: 'Cost', data: rows, x: 'n', y: 'ms', color: 'mode', logY: true }
 * ```
 */
export interface PlotOptions {
  /** Title shown above the plot. */
  title: string
  /** The rows to plot. */
  data: readonly PlotRow[]
  /** Field of each row on the x axis. */
  x: string
  /** Field of each row on the y axis. */
  y: string
  /** Field that splits rows into series (lines, classes, bar groups); shown in a legend. */
  color?: string
  /**
   * How the color field is read: `nominal` (the default: distinct categorical colors, legend in
   * data order), `ordinal` (ordered shades, for a numeric parameter with few values) or
   * `quantitative` (a continuous gradient).
   */
  colorType?: 'nominal' | 'ordinal' | 'quantitative'
  /** Logarithmic x scale (ignored by {@link barPlot}, whose x axis is categorical). */
  logX?: boolean
  /** Logarithmic y scale. */
  logY?: boolean
  /** Axis title for x; defaults to the field name. */
  xTitle?: string
  /** Axis title for y; defaults to the field name. */
  yTitle?: string
  /** Width of the plotting area in pixels (default 480). */
  width?: number
  /** Height of the plotting area in pixels (default 300). */
  height?: number
}

/**
 * Options of {@link linePlot}.
 *
 * @example
 * ```ts
 * import { linePlot, type LinePlotOptions } from 'dualtape'
 * const rows = [1, 0.5, 0.3, 0.2].map((loss, step) => ({ step, loss }))
 * const opts: LinePlotOptions = { title: 'Loss', data: rows, x: 'step', y: 'loss', logY: true, points: false }
 * const spec = linePlot(opts)
 * ```
 */
export interface LinePlotOptions extends PlotOptions {
  /** Draw a point at each data row as well as the line (default true). */
  points?: boolean
}

/**
 * Options of {@link scatterPlot}.
 *
 * @example
 * ```ts
 * import { scatterPlot, type ScatterPlotOptions } from 'dualtape'
 * const points = [{ x1: 0.5, x2: 0.2, label: 'A' }, { x1: -0.4, x2: -0.6, label: 'B' }]
 * const grid = [{ x1: 0, x2: 0, label: 'A' }, { x1: -1, x2: -1, label: 'B' }]
 * const opts: ScatterPlotOptions = { title: 'Classes', data: points, x: 'x1', y: 'x2', color: 'label', background: grid }
 * const spec = scatterPlot(opts)
 * ```
 */
export interface ScatterPlotOptions extends PlotOptions {
  /**
   * Background rows drawn first as small faded squares, for instance a grid of points colored
   * by the class a classifier predicts there (a decision boundary). They use the same `x`, `y`
   * and `color` fields as `data`, so both layers share one color scale and one legend.
   */
  background?: readonly PlotRow[]
  /** Size of a background square in square pixels (default 30). */
  backgroundSize?: number
  /** Size of a data point in square pixels (default 40). */
  pointSize?: number
}

/**
 * Options of {@link barPlot}.
 *
 * @example
 * ```ts
 * import { barPlot, type BarPlotOptions } from 'dualtape'
 * const rows = [{ suite: 'mlp', ms: 3, mode: 'fwd' }, { suite: 'mlp', ms: 1, mode: 'rev' }]
 * const opts: BarPlotOptions = { title: 'Time', data: rows, x: 'suite', y: 'ms', color: 'mode', horizontal: true }
 * const spec = barPlot(opts)
 * ```
 */
export interface BarPlotOptions extends PlotOptions {
  /** Draw bars horizontally: categories on the vertical axis (default false). */
  horizontal?: boolean
}

type FieldType = 'quantitative' | 'nominal'

const DEFAULT_WIDTH = 480
const DEFAULT_HEIGHT = 300

/**
 * Escapes a field name for vega-lite, where `.` and `[ ]` would otherwise address nested data.
 *
 * @example
 * ```ts
 * import { vegaLiteField } from 'dualtape'
 * vegaLiteField('time.ms') // → 'time\\.ms'
 * ```
 */
export function vegaLiteField(name: string): string {
  return name.replace(/[.[\]\\]/g, '\\$&')
}

function fieldType(rows: readonly PlotRow[], field: string): FieldType {
  return rows.every((row) => typeof row[field] === 'number') ? 'quantitative' : 'nominal'
}

function axisTitle(field: string, title: string | undefined): string {
  return title ?? field
}

function sizeOf(opts: PlotOptions): { width: number; height: number } {
  return { width: opts.width ?? DEFAULT_WIDTH, height: opts.height ?? DEFAULT_HEIGHT }
}

function scale(log: boolean | undefined, zero: boolean): Record<string, unknown> {
  return log ? { type: 'log' } : { zero }
}

function colorEncoding(opts: PlotOptions): Record<string, unknown> {
  if (opts.color === undefined) return {}
  const type = opts.colorType ?? 'nominal'
  return {
    color: {
      field: vegaLiteField(opts.color),
      type,
      title: opts.color,
      ...(type === 'nominal' ? { sort: null } : {}),
    },
  }
}

function positional(
  opts: PlotOptions,
  rows: readonly PlotRow[],
  zero: boolean,
): { x: Record<string, unknown>; y: Record<string, unknown> } {
  const xType = fieldType(rows, opts.x)
  const yType = fieldType(rows, opts.y)
  return {
    x: {
      field: vegaLiteField(opts.x),
      type: xType,
      title: axisTitle(opts.x, opts.xTitle),
      ...(xType === 'quantitative' ? { scale: scale(opts.logX, zero) } : {}),
    },
    y: {
      field: vegaLiteField(opts.y),
      type: yType,
      title: axisTitle(opts.y, opts.yTitle),
      ...(yType === 'quantitative' ? { scale: scale(opts.logY, zero) } : {}),
    },
  }
}

/**
 * A line plot: one line per value of `color` (or a single line), x and y quantitative.
 *
 * Rows are drawn in the order of the x field.
 *
 * @example
 * ```ts
 * import { linePlot, renderVegaLite, writeSvg } from 'dualtape'
 * const spec = linePlot({
 *   title: 'Reverse mode cost',
 *   data: [
 *     { n: 10, ms: 0.4, mode: 'jvp' },
 *     { n: 100, ms: 3.1, mode: 'jvp' },
 *     { n: 10, ms: 0.5, mode: 'vjp' },
 *     { n: 100, ms: 0.9, mode: 'vjp' },
 *   ],
 *   x: 'n',
 *   y: 'ms',
 *   color: 'mode',
 *   logX: true,
 *   logY: true,
 * })
 * await writeSvg('report/cost.svg', await renderVegaLite(spec))
 * ```
 */
export function linePlot(opts: LinePlotOptions): TopLevelSpec {
  const { x, y } = positional(opts, opts.data, false)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    ...sizeOf(opts),
    data: { values: opts.data.map((row) => ({ ...row })) },
    mark: { type: 'line', point: opts.points ?? true },
    encoding: { x, y, ...colorEncoding(opts) },
  } as TopLevelSpec
}

/**
 * A scatter plot of `data`, optionally colored by a class field and drawn over `background`
 * rows (for a decision boundary: a grid of points colored by the predicted class).
 *
 * @example
 * ```ts
 * import { scatterPlot, renderVegaLite, type PlotRow } from 'dualtape'
 * const grid: PlotRow[] = []
 * for (let i = 0; i <= 20; i++)
 *   for (let j = 0; j <= 20; j++) {
 *     const gx = -1 + i / 10
 *     const gy = -1 + j / 10
 *     grid.push({ x1: gx, x2: gy, label: gx + gy > 0 ? 'A' : 'B' })
 *   }
 * const spec = scatterPlot({
 *   title: 'Decision boundary',
 *   data: [
 *     { x1: 0.5, x2: 0.2, label: 'A' },
 *     { x1: -0.4, x2: -0.6, label: 'B' },
 *   ],
 *   x: 'x1',
 *   y: 'x2',
 *   color: 'label',
 *   background: grid,
 * })
 * const svg = await renderVegaLite(spec)
 * ```
 */
export function scatterPlot(opts: ScatterPlotOptions): TopLevelSpec {
  const background = opts.background ?? []
  const all = [...background, ...opts.data]
  const { x, y } = positional(opts, all, false)
  const color = colorEncoding(opts)
  const points = {
    data: { values: opts.data.map((row) => ({ ...row })) },
    mark: {
      type: 'point',
      filled: true,
      size: opts.pointSize ?? 40,
      opacity: 0.95,
      stroke: 'black',
      strokeWidth: 0.6,
    },
    encoding: { x, y, ...color },
  }
  const layers: unknown[] = []
  if (background.length > 0) {
    layers.push({
      data: { values: background.map((row) => ({ ...row })) },
      mark: { type: 'square', filled: true, size: opts.backgroundSize ?? 30, opacity: 0.25 },
      encoding: { x, y, ...color },
    })
  }
  layers.push(points)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    ...sizeOf(opts),
    layer: layers,
  } as TopLevelSpec
}

/**
 * A bar plot: categories on `x` (kept in data order), values on `y`, and with `color`, bars of
 * one category side by side (grouped), one per value of the color field.
 *
 * @example
 * ```ts
 * import { barPlot, renderVegaLite } from 'dualtape'
 * const spec = barPlot({
 *   title: 'Time per Jacobian',
 *   data: [
 *     { fn: 'wide', ms: 12, mode: 'jacfwd' },
 *     { fn: 'wide', ms: 2, mode: 'jacrev' },
 *     { fn: 'deep', ms: 3, mode: 'jacfwd' },
 *     { fn: 'deep', ms: 9, mode: 'jacrev' },
 *   ],
 *   x: 'fn',
 *   y: 'ms',
 *   color: 'mode',
 * })
 * const svg = await renderVegaLite(spec)
 * ```
 */
export function barPlot(opts: BarPlotOptions): TopLevelSpec {
  const category = {
    field: vegaLiteField(opts.x),
    type: 'nominal',
    title: axisTitle(opts.x, opts.xTitle),
    sort: null,
  }
  const value = {
    field: vegaLiteField(opts.y),
    type: 'quantitative',
    title: axisTitle(opts.y, opts.yTitle),
    scale: scale(opts.logY, true),
  }
  const group =
    opts.color === undefined
      ? {}
      : { [opts.horizontal ? 'yOffset' : 'xOffset']: { field: vegaLiteField(opts.color), sort: null } }
  const encoding = opts.horizontal ? { y: category, x: value } : { x: category, y: value }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    ...sizeOf(opts),
    data: { values: opts.data.map((row) => ({ ...row })) },
    mark: { type: 'bar' },
    encoding: { ...encoding, ...group, ...colorEncoding(opts) },
  } as TopLevelSpec
}

/**
 * Options of {@link renderVegaLite}.
 *
 * @example
 * ```ts
 * import { barPlot, renderVegaLite } from 'dualtape'
 * const spec = barPlot({ title: 'Ops', data: [{ op: 'add', n: 3 }], x: 'op', y: 'n' })
 * const warnings: string[] = []
 * const svg = await renderVegaLite(spec, { onWarning: (m) => warnings.push(m) })
 * ```
 */
export interface RenderOptions {
  /** Called with each warning of the vega-lite compiler or the vega runtime; by default they are dropped. */
  onWarning?: (message: string) => void
}

/**
 * Compiles a vega-lite spec and renders it to SVG text, headless (no browser, no canvas).
 *
 * Compiler errors (an invalid spec) reject the promise; compiler and runtime warnings go
 * to `opts.onWarning` when given.
 *
 * @example
 * ```ts
 * import { renderVegaLite } from 'dualtape'
 * const svg = await renderVegaLite({
 *   title: 'Squares',
 *   data: { values: [{ x: 1, y: 1 }, { x: 2, y: 4 }, { x: 3, y: 9 }] },
 *   mark: 'line',
 *   encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
 * })
 * svg.startsWith('<svg') // → true
 * ```
 */
export async function renderVegaLite(spec: TopLevelSpec, opts: RenderOptions = {}): Promise<string> {
  const onWarning = opts.onWarning
  // loaded on first use: vega and vega-lite are large, and most users never plot
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')])
  const logger = vega.logger(vega.Warn, undefined, (method, _level, args) => {
    if (method !== 'log') onWarning?.(args.map(String).join(' '))
  })
  const compiled = vegaLite.compile(spec, { logger }).spec
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/**
 * Writes SVG text to a file, creating the missing directories on the way.
 *
 * @example
 * ```ts
 * import { barPlot, renderVegaLite, writeSvg } from 'dualtape'
 * const spec = barPlot({ title: 'Ops', data: [{ op: 'add', n: 3 }], x: 'op', y: 'n' })
 * await writeSvg('report/plots/ops.svg', await renderVegaLite(spec))
 * ```
 */
export async function writeSvg(path: string, svg: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, svg, 'utf8')
}
