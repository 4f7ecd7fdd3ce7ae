/**
 * Plots as SVG, rendered offline in Node through vega-lite and vega.
 *
 * The helpers build plain vega-lite specs (JSON objects), so a caller can adjust a spec before
 * rendering it. Rendering uses vega's headless `View` with the `none` renderer and `toSVG()`,
 * which needs no canvas and no browser. Text widths are estimated rather than measured, which is
 * good enough for axis layout.
 *
 * A plot can look fine as SVG text and still show nothing: bars stacked from zero on a log scale
 * have no length. `plotMarks` lists every drawn data item with its box in SVG pixels, and
 * `renderVegaLite(spec, { strict: true })` refuses a plot with a warning or an item of no extent.
 *
 * @module
 */
import type { Spec as VegaSpec, View } from 'vega'
import type { TopLevelSpec } from 'vega-lite'
import { DualtapeError, fmtValue, importOptional } from '../../src/core/errors.js'
import { writeTextFile } from './fs.js'

/**
 * A vega-lite spec as the helpers return it and {@link renderVegaLite} takes it.
 */
export type { TopLevelSpec } from 'vega-lite'

/**
 * One row of plot data: a flat record of numbers and strings.
 */
export type PlotRow = Record<string, number | string>

/**
 * Options shared by {@link linePlot}, {@link scatterPlot} and {@link barPlot}.
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
 */
export interface LinePlotOptions extends PlotOptions {
  /** Draw a point at each data row as well as the line (default true). */
  points?: boolean
}

/**
 * Options of {@link scatterPlot}.
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
 */
export interface BarPlotOptions extends PlotOptions {
  /** Draw bars horizontally: categories on the vertical axis (default false). */
  horizontal?: boolean
  /**
   * The value every bar starts from. By default 0 on a linear scale; on a log scale (`logY`),
   * where 0 has no place, the largest power of ten at most half the smallest value, so that the
   * shortest bar is still a third of a decade long. On a log scale it must be positive.
   */
  baseline?: number
}

/**
 * A shaded stretch of the value axis in {@link intervalPlot}, for instance the range a theory
 * predicts. It runs across the whole plot along the category axis.
 */
export interface IntervalBand {
  /** Lower end on the value axis. */
  readonly from: number
  /** Upper end on the value axis; above `from`. */
  readonly to: number
  /** Text drawn at the band. */
  readonly label: string
  /** A value of the color field: the band takes that group's color. Without it, the band is gray. */
  readonly group?: string | number
}

/**
 * A dashed reference line across {@link intervalPlot} at one value, for instance "1 = equal".
 */
export interface IntervalRule {
  /** Position on the value axis. */
  readonly value: number
  /** Text drawn at the line. */
  readonly label: string
  /** A value of the color field: the line takes that group's color. Without it, the line is gray. */
  readonly group?: string | number
}

/**
 * Options of {@link intervalPlot}. The field names follow {@link barPlot}: `x` is the category
 * field and `y` the value field, whichever axis they end up on.
 */
export interface IntervalPlotOptions {
  /** Title shown above the plot. */
  readonly title: string
  /** The rows to plot, one point with its interval each. */
  readonly data: readonly PlotRow[]
  /** Field of the categories, kept in data order: the x axis, or the y axis when `horizontal`. */
  readonly x: string
  /** Field of the value, where the point is drawn. */
  readonly y: string
  /** Field of the lower end of the interval (for instance of a 95% confidence interval). */
  readonly low: string
  /** Field of the upper end of the interval. */
  readonly high: string
  /** Field that groups the points of one category side by side, one color each; shown in a legend. */
  readonly color?: string
  /** Logarithmic value axis; every value, interval end, band and rule must then be positive. */
  readonly logY?: boolean
  /** Categories on the vertical axis, values on the horizontal one (default false). */
  readonly horizontal?: boolean
  /** Title of the category axis; defaults to the field name. */
  readonly xTitle?: string
  /** Title of the value axis, with its unit; defaults to the field name. */
  readonly yTitle?: string
  /** Shaded stretches of the value axis, each with a text label. */
  readonly bands?: readonly IntervalBand[]
  /** Dashed reference lines, each with a text label. */
  readonly rules?: readonly IntervalRule[]
  /** Width of the plotting area in pixels (default: 480, or room for the categories when vertical). */
  readonly width?: number
  /** Height of the plotting area in pixels (default: 300, or room for the categories when horizontal). */
  readonly height?: number
  /** Size of a point in square pixels (default 60). */
  readonly pointSize?: number
}

/**
 * A plot that cannot show its data: values that a log scale cannot place, a band or a rule that
 * names no group of the data, or, when rendering with `strict` ({@link renderVegaLite}), a
 * warning of vega-lite or vega or a data mark drawn with no extent. `problems` lists each one:
 * bars stacked from zero on a log scale, for instance, give `vega warned: Log scale domain
 * includes zero: [0,1000]` (zero has no place there, so the bars have no length).
 */
export class PlotError extends DualtapeError {
  override name = 'PlotError'
  constructor(
    message: string,
    /** Each problem found, one sentence each. */
    readonly problems: readonly string[] = [message],
  ) {
    super(message)
  }
}

// ---------------------------------------------------------------------------------------------
// Plots
// ---------------------------------------------------------------------------------------------

type FieldType = 'quantitative' | 'nominal'

const DEFAULT_WIDTH = 480
const DEFAULT_HEIGHT = 300
/** Longest category label in pixels before it is cut with an ellipsis. */
const LABEL_LIMIT = 600
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json'

/**
 * Escapes a field name for vega-lite, where `.` and `[ ]` would otherwise address nested data.
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
 */
export function linePlot(opts: LinePlotOptions): TopLevelSpec {
  const { x, y } = positional(opts, opts.data, false)
  return {
    $schema: SCHEMA,
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
    $schema: SCHEMA,
    title: opts.title,
    ...sizeOf(opts),
    layer: layers,
  } as TopLevelSpec
}

/**
 * The axis of categories. Long labels are kept whole (up to {@link LABEL_LIMIT} pixels); on a
 * vertical axis the title stands above the labels, level, where no label width can push it into
 * them (vega only estimates text widths).
 */
function categoryAxis(vertical: boolean): Record<string, unknown> {
  return vertical
    ? {
        labelLimit: LABEL_LIMIT,
        titleAngle: 0,
        titleAlign: 'right',
        titleBaseline: 'bottom',
        titleX: 0,
        titleY: -8,
      }
    : { labelLimit: LABEL_LIMIT }
}

/**
 * A bar plot: categories on `x` (kept in data order), values on `y`, and with `color`, bars of
 * one category side by side (grouped), one per value of the color field.
 */
export function barPlot(opts: BarPlotOptions): TopLevelSpec {
  const baseline = barBaseline(opts)
  const category = {
    field: vegaLiteField(opts.x),
    type: 'nominal',
    title: axisTitle(opts.x, opts.xTitle),
    sort: null,
    axis: categoryAxis(opts.horizontal === true),
  }
  const value = {
    field: vegaLiteField(opts.y),
    type: 'quantitative',
    title: axisTitle(opts.y, opts.yTitle),
    scale: scale(opts.logY, true),
    // with a baseline each bar runs from it to its value, so bars are not stacked
    ...(baseline === undefined ? {} : { stack: null }),
  }
  const start = baseline === undefined ? {} : { [opts.horizontal ? 'x2' : 'y2']: { datum: baseline } }
  const group =
    opts.color === undefined
      ? {}
      : { [opts.horizontal ? 'yOffset' : 'xOffset']: { field: vegaLiteField(opts.color), sort: null } }
  const encoding = opts.horizontal ? { y: category, x: value } : { x: category, y: value }
  return {
    $schema: SCHEMA,
    title: opts.title,
    ...sizeOf(opts),
    data: { values: opts.data.map((row) => ({ ...row })) },
    mark: { type: 'bar' },
    encoding: { ...encoding, ...start, ...group, ...colorEncoding(opts) },
  } as TopLevelSpec
}

/** Where the bars start: `undefined` for vega-lite's own stacking from zero on a linear scale. */
function barBaseline(opts: BarPlotOptions): number | undefined {
  if (opts.baseline !== undefined) {
    if (!Number.isFinite(opts.baseline) || (opts.logY && opts.baseline <= 0))
      throw new PlotError(
        `barPlot: baseline must be ${opts.logY ? 'positive on a log scale' : 'finite'}, got ${opts.baseline}`,
      )
    return opts.baseline
  }
  if (!opts.logY) return undefined
  const values = opts.data.map((row, i) => checkedValue('barPlot', row, i, opts.y, true))
  // at most half the smallest value: the shortest bar spans at least log10(2), a third of a decade
  return values.length === 0 ? 1 : powerOfTenAtMost(Math.min(...values) / 2)
}

/** The largest power of ten at or below `v` (v > 0). */
function powerOfTenAtMost(v: number): number {
  let k = Math.floor(Math.log10(v))
  // log10 rounds: step until 10^k ≤ v < 10^(k+1)
  while (exp10(k) > v) k--
  while (exp10(k + 1) <= v) k++
  return exp10(k)
}

/** 10^k for an integer k, exact where a double can be (10 ** -4 is not). */
const exp10 = (k: number): number => (k >= 0 ? 10 ** k : 1 / 10 ** -k)

/** `row[field]` as a finite number (positive when `log`), or a PlotError naming the row. */
function checkedValue(fn: string, row: PlotRow, i: number, field: string, log: boolean | undefined): number {
  const v = row[field]
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new PlotError(`${fn}: row ${i} has ${field} = ${fmtValue(v)}, not a finite number`)
  if (log && v <= 0)
    throw new PlotError(`${fn}: row ${i} has ${field} = ${v}, which a log scale cannot place`)
  return v
}

const REF_FROM = 'ref_from'
const REF_TO = 'ref_to'
const REF_LABEL = 'ref_label'
const REF_GROUPED = 'ref_grouped'
const REF_ROW = 'ref_row'
const REF_FONT = 11
const REF_GRAY = '#777777'
/** Vega-lite's color of a mark without a color field. */
const POINT_COLOR = '#4c78a8'

/**
 * Points with intervals: categories on one axis (kept in data order), and for each row a point at
 * its value with a whisker from its low to its high end, for instance a median and its 95%
 * confidence interval. With `color`, the points of one category sit side by side, one per group.
 * `bands` shade a stretch of the value axis and `rules` draw dashed reference lines, each with a
 * text label; a band or rule with a `group` takes that group's color. A row whose interval is a
 * single value draws its point alone.
 */
export function intervalPlot(opts: IntervalPlotOptions): TopLevelSpec {
  const fn = 'intervalPlot'
  if (opts.data.length === 0) throw new PlotError(`${fn}: no rows to plot`)
  const log = opts.logY ?? false
  const categories: (string | number)[] = []
  const groups: (string | number)[] = []
  opts.data.forEach((row, i) => {
    const c = row[opts.x]
    if (c === undefined) throw new PlotError(`${fn}: row ${i} has no ${opts.x}`)
    if (!categories.includes(c)) categories.push(c)
    const value = checkedValue(fn, row, i, opts.y, log)
    const low = checkedValue(fn, row, i, opts.low, log)
    const high = checkedValue(fn, row, i, opts.high, log)
    if (!(low <= value && value <= high))
      throw new PlotError(
        `${fn}: row ${i} has ${opts.low} = ${low}, ${opts.y} = ${value}, ${opts.high} = ${high}, not in order`,
      )
    if (opts.color !== undefined) {
      const g = row[opts.color]
      if (g === undefined) throw new PlotError(`${fn}: row ${i} has no ${opts.color}`)
      if (!groups.includes(g)) groups.push(g)
    }
  })
  const bands = opts.bands ?? []
  const rules = opts.rules ?? []
  const checkGroup = (what: string, group: string | number | undefined) => {
    if (group === undefined) return
    if (opts.color === undefined)
      throw new PlotError(`${fn}: ${what} names group ${fmtValue(group)}, but the plot has no color field`)
    if (!groups.includes(group))
      throw new PlotError(
        `${fn}: ${what} names group ${fmtValue(group)}, which is not a value of ${opts.color}: ${fmtValue(groups)}`,
      )
  }
  const checkRef = (what: string, v: number) => {
    if (!Number.isFinite(v) || (log && v <= 0))
      throw new PlotError(`${fn}: ${what} is at ${v}, ${log ? 'not positive on a log scale' : 'not finite'}`)
  }
  bands.forEach((b, i) => {
    checkRef(`band ${i} (${b.label})`, b.from)
    checkRef(`band ${i} (${b.label})`, b.to)
    if (!(b.from < b.to)) throw new PlotError(`${fn}: band ${i} (${b.label}) runs from ${b.from} to ${b.to}`)
    checkGroup(`band ${i} (${b.label})`, b.group)
  })
  rules.forEach((r, i) => {
    checkRef(`rule ${i} (${r.label})`, r.value)
    checkGroup(`rule ${i} (${r.label})`, r.group)
  })

  const horizontal = opts.horizontal ?? false
  const labelCount = bands.length + rules.length
  const perGroup = Math.max(1, groups.length)
  const step = Math.max(28, 16 * perGroup + 12)
  // room for the band and rule labels: rows above the points, or a column right of them
  const labelRows = horizontal ? 6 + (REF_FONT + 3) * labelCount : 0
  const labelColumn = horizontal
    ? 0
    : labelCount === 0
      ? 0
      : 12 + 0.62 * REF_FONT * Math.max(...[...bands, ...rules].map((r) => r.label.length))
  const width =
    opts.width ??
    (horizontal ? DEFAULT_WIDTH : Math.max(DEFAULT_WIDTH, categories.length * step + labelColumn))
  const height =
    opts.height ?? (horizontal ? Math.max(120, categories.length * step + labelRows) : DEFAULT_HEIGHT)
  // Room for the labels at the start (above) or the end (right) of the category axis: the band
  // scale puts outer padding p·step at both ends together, `align` of it at the start, and
  // step = along / (k − inner + 2p); with 0.2 step of padding at each end plus the room R,
  // step = (along − R) / (k − inner + 0.4).
  const paddingInner = 0.2
  const room = horizontal ? labelRows : labelColumn
  const along = horizontal ? height : width
  const bandStep = Math.max(4, (along - room) / (categories.length - paddingInner + 0.4))
  const paddingOuter = (room / bandStep + 0.4) / 2
  const roomAt = horizontal ? room + 0.2 * bandStep : 0.2 * bandStep
  const align = roomAt / (room + 0.4 * bandStep)

  const [catChannel, valChannel, offChannel] = horizontal ? ['y', 'x', 'yOffset'] : ['x', 'y', 'xOffset']
  const valueTitle = axisTitle(opts.y, opts.yTitle)
  // a few pixels of room at both ends, so that no point, whisker or rule lies on the frame
  const valueScale = log ? { type: 'log', nice: false, padding: 12 } : { zero: false, padding: 12 }
  const value = (field: string) => ({ field, type: 'quantitative', title: valueTitle, scale: valueScale })
  const category = {
    field: vegaLiteField(opts.x),
    type: 'nominal',
    title: axisTitle(opts.x, opts.xTitle),
    sort: null,
    scale: { domain: categories, paddingInner, paddingOuter, align },
    axis: categoryAxis(horizontal),
  }
  const colorScale = { domain: groups }
  const color =
    opts.color === undefined
      ? {}
      : {
          color: {
            field: vegaLiteField(opts.color),
            type: 'nominal',
            title: opts.color,
            sort: null,
            scale: colorScale,
            // the legend shows the points, not the faint bands that share their colors
            legend: {
              symbolType: 'circle',
              symbolOpacity: 1,
              symbolFillColor: null,
              labelLimit: LABEL_LIMIT,
            },
          },
        }
  const offset =
    opts.color === undefined
      ? {}
      : {
          [offChannel]: {
            field: vegaLiteField(opts.color),
            type: 'nominal',
            sort: null,
            scale: { domain: groups },
          },
        }
  // a band or rule with a group takes that group's color; one without is gray
  const refColor =
    opts.color === undefined
      ? { color: { value: REF_GRAY } }
      : {
          color: {
            condition: { test: `!datum[${JSON.stringify(REF_GROUPED)}]`, value: REF_GRAY },
            field: vegaLiteField(opts.color),
            type: 'nominal',
            sort: null,
            scale: colorScale,
          },
        }
  const refRow = (group: string | number | undefined) =>
    group === undefined || opts.color === undefined
      ? { [REF_GROUPED]: 0 }
      : { [REF_GROUPED]: 1, [opts.color]: group }

  const layers: unknown[] = []
  if (bands.length > 0)
    layers.push({
      data: { values: bands.map((b) => ({ [REF_FROM]: b.from, [REF_TO]: b.to, ...refRow(b.group) })) },
      mark: { type: 'rect', fillOpacity: 0.14 },
      encoding: { [valChannel]: value(REF_FROM), [`${valChannel}2`]: { field: REF_TO }, ...refColor },
    })
  if (rules.length > 0)
    layers.push({
      data: { values: rules.map((r) => ({ [REF_FROM]: r.value, ...refRow(r.group) })) },
      mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 },
      encoding: { [valChannel]: value(REF_FROM), ...refColor },
    })
  // a whisker only where the interval has length; the point alone shows a single value
  const spread = opts.data.filter((row) => (row[opts.high] as number) > (row[opts.low] as number))
  if (spread.length > 0)
    layers.push({
      data: { values: spread.map((row) => ({ ...row })) },
      mark: { type: 'rule', strokeWidth: 2, color: POINT_COLOR },
      encoding: {
        [catChannel]: category,
        [valChannel]: value(vegaLiteField(opts.low)),
        [`${valChannel}2`]: { field: vegaLiteField(opts.high) },
        ...offset,
        ...color,
      },
    })
  layers.push({
    data: { values: opts.data.map((row) => ({ ...row })) },
    mark: {
      type: 'point',
      filled: true,
      size: opts.pointSize ?? 60,
      opacity: 1,
      stroke: '#222222',
      strokeWidth: 0.8,
    },
    encoding: { [catChannel]: category, [valChannel]: value(vegaLiteField(opts.y)), ...offset, ...color },
  })
  if (labelCount > 0) {
    const labels = [
      ...bands.map((b) => ({ at: horizontal ? b.from : b.to, label: b.label, group: b.group })),
      ...rules.map((r) => ({ at: r.value, label: r.label, group: r.group })),
    ]
    layers.push({
      data: {
        values: labels.map((l, i) => ({
          [REF_FROM]: l.at,
          [REF_LABEL]: l.label,
          [REF_ROW]: 4 + (REF_FONT + 3) * i,
          ...refRow(l.group),
        })),
      },
      mark: horizontal
        ? { type: 'text', align: 'left', baseline: 'top', dx: 3, fontSize: REF_FONT }
        : { type: 'text', align: 'right', baseline: 'bottom', dy: -2, fontSize: REF_FONT },
      encoding: {
        [valChannel]: value(REF_FROM),
        [catChannel]: horizontal
          ? { field: REF_ROW, type: 'quantitative', scale: null }
          : { value: width - 4 },
        text: { field: REF_LABEL },
        ...refColor,
      },
    })
  }
  return {
    $schema: SCHEMA,
    title: opts.title,
    width,
    height,
    layer: layers,
  } as TopLevelSpec
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/**
 * Options of {@link renderVegaLite}.
 */
export interface RenderOptions {
  /** Called with each warning of the vega-lite compiler or the vega runtime; by default they are dropped. */
  readonly onWarning?: (message: string) => void
  /**
   * Reject with a {@link PlotError} instead of drawing a plot that hides its data (default
   * false): when vega-lite or vega warns, or when a data mark draws an item with no extent or
   * outside the plot area, or draws nothing from rows it was given (see {@link plotMarks}).
   */
  readonly strict?: boolean
}

/**
 * Compiles a vega-lite spec and renders it to SVG text, headless (no browser, no canvas).
 *
 * Compiler errors (an invalid spec) reject the promise; compiler and runtime warnings go
 * to `opts.onWarning` when given. With `strict: true` a warning, or a data mark that draws
 * nothing visible, rejects with a {@link PlotError} listing every problem.
 */
export async function renderVegaLite(spec: TopLevelSpec, opts: RenderOptions = {}): Promise<string> {
  const warnings: string[] = []
  const { view, compiled } = await runView(spec, (message) => {
    warnings.push(message)
    opts.onWarning?.(message)
  })
  try {
    if (opts.strict) {
      const problems = [...warnings.map((w) => `vega warned: ${w}`), ...inspectScene(view, compiled).problems]
      if (problems.length > 0) {
        const title = typeof spec.title === 'string' ? ` '${spec.title}'` : ''
        const shown = problems.slice(0, 6).join('; ')
        const more = problems.length > 6 ? `; and ${problems.length - 6} more` : ''
        throw new PlotError(
          `renderVegaLite (strict): plot${title} has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${shown}${more}`,
          problems,
        )
      }
    }
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/**
 * A rectangle in SVG pixels: x grows to the right and y downwards, from the top-left corner of
 * the picture that {@link renderVegaLite} draws.
 */
export interface PlotBox {
  readonly x1: number
  readonly y1: number
  readonly x2: number
  readonly y2: number
}

/**
 * One drawn item of a data mark, as {@link plotMarks} returns it: one bar, point, rule or label,
 * or one whole line or area.
 */
export interface PlotMark {
  /** Name of the mark in the compiled vega spec, such as `marks` or `layer_1_marks`. */
  readonly name: string
  /** Vega mark type: `rect` (bars, bands), `symbol` (points), `rule`, `line`, `area`, `text`, … */
  readonly type: string
  /** Bounding box of the item, stroke included. */
  readonly box: PlotBox
  /** The plot area the item belongs in: the group that holds its mark. */
  readonly area: PlotBox
  /** The data row the item draws (the first row of a line or area), or undefined. */
  readonly datum: Readonly<Record<string, unknown>> | undefined
  /** Why the item shows nothing or lies outside the plot area, or null when it is fine. */
  readonly problem: string | null
}

/**
 * Renders a vega-lite spec headless and returns every item of its data marks (not axes,
 * legends or titles) with its bounding box in the pixels of the SVG that {@link renderVegaLite}
 * draws, its mark type and name, and what is wrong with it if anything. An item has a problem
 * when it has no extent: a bar or rectangle of width or height zero or not finite, a point of
 * size zero or at a position that is not finite, a rule of length zero (unless a round or square
 * cap draws a dot), a line or area whose points are not finite or all coincide, a label with no
 * text; or when it lies outside the plot area (a bar or rule beyond its edges, a point or label
 * whose anchor is). Strict rendering rejects a plot with such an item.
 */
export async function plotMarks(spec: TopLevelSpec, opts: RenderOptions = {}): Promise<readonly PlotMark[]> {
  const { view, compiled } = await runView(spec, (message) => opts.onWarning?.(message))
  try {
    return inspectScene(view, compiled).marks
  } finally {
    view.finalize()
  }
}

/** Compiles the spec and runs its dataflow, so that the scenegraph holds every item. */
async function runView(
  spec: TopLevelSpec,
  onWarning: (message: string) => void,
): Promise<{ view: View; compiled: VegaSpec }> {
  // loaded on first use: vega and vega-lite are large, and most users never plot
  const packages = ['vega', 'vega-lite']
  const [vega, vegaLite] = await Promise.all([
    importOptional('plotting', packages, () => import('vega')),
    importOptional('plotting', packages, () => import('vega-lite')),
  ])
  const logger = vega.logger(vega.Warn, undefined, (method, _level, args) => {
    if (method !== 'log') onWarning(args.map(String).join(' '))
  })
  const compiled = vegaLite.compile(spec, { logger }).spec
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger })
  try {
    await view.runAsync()
  } catch (e) {
    view.finalize()
    throw e
  }
  return { view, compiled }
}

// ---------------------------------------------------------------------------------------------
// Reading the scenegraph
// ---------------------------------------------------------------------------------------------

/** The parts of a vega scenegraph mark and item read here. */
interface SceneMark {
  readonly marktype: string
  readonly role: string
  readonly name?: string
  readonly bounds?: Bounds
  readonly items: readonly SceneItem[]
}
interface SceneItem {
  readonly x?: number | null
  readonly y?: number | null
  readonly x2?: number | null
  readonly y2?: number | null
  readonly width?: number | null
  readonly height?: number | null
  readonly size?: number | null
  readonly text?: unknown
  readonly strokeWidth?: number | null
  readonly strokeCap?: string
  readonly defined?: boolean
  readonly bounds?: Bounds
  readonly datum?: Record<string, unknown>
  readonly items?: readonly SceneMark[]
}
interface Bounds {
  readonly x1: number
  readonly y1: number
  readonly x2: number
  readonly y2: number
}

/** Group roles whose marks are decoration, not data. */
const GUIDE_ROLES = ['axis', 'legend', 'title']
const PATH_TYPES = new Set(['line', 'area', 'trail'])

const isGuide = (role: string) => GUIDE_ROLES.some((g) => role === g || role.startsWith(`${g}-`))
const finite = (v: number | null | undefined): boolean => v === undefined || Number.isFinite(v)
const num = (v: number | null | undefined): number => (v === undefined || v === null ? 0 : v)
const shift = (b: Bounds, dx: number, dy: number): PlotBox => ({
  x1: b.x1 + dx,
  y1: b.y1 + dy,
  x2: b.x2 + dx,
  y2: b.y2 + dy,
})

/**
 * Every data-mark item of a run view, in SVG pixels, with its problem; and the problems of the
 * whole plot: problem items, and marks given rows that drew nothing.
 */
function inspectScene(view: View, compiled: VegaSpec): { marks: PlotMark[]; problems: string[] } {
  const marks: PlotMark[] = []
  const drawn = new Map<string, number>()
  // the renderer translates everything by the padding plus the origin that autosize computes
  const pad = view.padding()
  const [ox, oy] = view.origin()
  const left = typeof pad === 'number' ? pad : (pad.left ?? 0)
  const top = typeof pad === 'number' ? pad : (pad.top ?? 0)

  const visit = (mark: SceneMark, dx: number, dy: number, area: PlotBox): void => {
    if (mark.marktype === 'group') {
      if (isGuide(mark.role)) return
      for (const group of mark.items) {
        const gx = dx + num(group.x)
        const gy = dy + num(group.y)
        const inner =
          group.width === undefined || group.height === undefined
            ? area
            : { x1: gx, y1: gy, x2: gx + num(group.width), y2: gy + num(group.height) }
        for (const child of group.items ?? []) visit(child, gx, gy, inner)
      }
      return
    }
    if (mark.role !== 'mark') return
    const name = mark.name ?? `unnamed ${mark.marktype}`
    drawn.set(name, (drawn.get(name) ?? 0) + mark.items.length)
    const local = { x1: area.x1 - dx, y1: area.y1 - dy, x2: area.x2 - dx, y2: area.y2 - dy }
    if (PATH_TYPES.has(mark.marktype)) {
      if (mark.items.length === 0) return
      marks.push({
        name,
        type: mark.marktype,
        box: shift(mark.bounds ?? mark.items[0]!.bounds ?? EMPTY, dx, dy),
        area,
        datum: mark.items[0]!.datum,
        problem: pathProblem(mark.marktype, mark.items, local),
      })
      return
    }
    for (const item of mark.items)
      marks.push({
        name,
        type: mark.marktype,
        box: shift(item.bounds ?? EMPTY, dx, dy),
        area,
        datum: item.datum,
        problem: itemProblem(mark.marktype, item, local),
      })
  }
  const root = (view.scenegraph() as unknown as { root: SceneMark }).root
  const origin = { x1: ox + left, y1: oy + top, x2: ox + left + view.width(), y2: oy + top + view.height() }
  visit(root, ox + left, oy + top, origin)

  const problems: string[] = []
  marks.forEach((m, i) => {
    if (m.problem === null) return
    const index = marks.slice(0, i).filter((o) => o.name === m.name).length
    problems.push(`mark '${m.name}' (${m.type}) item ${index}${describeDatum(m.datum)}: ${m.problem}`)
  })
  for (const { name, type, data } of dataMarks(compiled)) {
    const rows = rowCount(view, data)
    if (rows > 0 && (drawn.get(name) ?? 0) === 0)
      problems.push(
        `mark '${name}' (${type}) has ${rows} row${rows === 1 ? '' : 's'} of data but drew nothing`,
      )
  }
  return { marks, problems }
}

const EMPTY: Bounds = { x1: 0, y1: 0, x2: 0, y2: 0 }

/** Why an item (not of a line or area) has no extent or lies outside `area`, or null. */
function itemProblem(type: string, item: SceneItem, area: Bounds): string | null {
  const { x, y, x2, y2, width, height, size } = item
  const stroke = num(item.strokeWidth)
  const coords = { x, y, x2, y2, width, height, size }
  const bad = Object.entries(coords).filter(([, v]) => !finite(v))
  if (bad.length > 0) return `${bad.map(([k, v]) => `${k} = ${v}`).join(', ')}: not finite`
  const [px, py] = [num(x), num(y)]
  // a coordinate within a pixel (and half the stroke) of the plot area counts as inside
  const inside = (ax: number, ay: number, slack = 1) =>
    ax >= area.x1 - slack && ax <= area.x2 + slack && ay >= area.y1 - slack && ay <= area.y2 + slack
  switch (type) {
    case 'rect': {
      const [w, h] = [num(width), num(height)]
      if (!(w > 0) || !(h > 0)) return `width ${w} × height ${h}: no area`
      return inside(px, py, 1 + stroke / 2) && inside(px + w, py + h, 1 + stroke / 2)
        ? null
        : `spans (${px}, ${py}) to (${px + w}, ${py + h}), outside the plot area`
    }
    case 'symbol':
      if (size !== undefined && !(num(size) > 0)) return `size ${size}: no area`
      return inside(px, py) ? null : `centre (${px}, ${py}) outside the plot area`
    case 'rule': {
      const [ex, ey] = [x2 === undefined ? px : num(x2), y2 === undefined ? py : num(y2)]
      const capped = (item.strokeCap === 'round' || item.strokeCap === 'square') && stroke > 0
      if (ex === px && ey === py && !capped) return `from (${px}, ${py}) to itself: no length`
      return inside(px, py, 1 + stroke / 2) && inside(ex, ey, 1 + stroke / 2)
        ? null
        : `from (${px}, ${py}) to (${ex}, ${ey}), outside the plot area`
    }
    case 'text':
      if (item.text === undefined || item.text === null || String(item.text).length === 0) return 'no text'
      return inside(px, py) ? null : `anchor (${px}, ${py}) outside the plot area`
    default: {
      const b = item.bounds ?? EMPTY
      const ok = [b.x1, b.y1, b.x2, b.y2].every(Number.isFinite) && b.x2 > b.x1 && b.y2 > b.y1
      return ok ? null : `bounds (${b.x1}, ${b.y1}) to (${b.x2}, ${b.y2}): no area`
    }
  }
}

/** Why a line or area (all of its items, one per point) has no extent or leaves `area`, or null. */
function pathProblem(type: string, items: readonly SceneItem[], area: Bounds): string | null {
  const points: [number, number][] = []
  for (const [i, item] of items.entries()) {
    if (item.defined === false) return `point ${i} is undefined and not drawn`
    for (const [k, v] of Object.entries({ x: item.x, y: item.y, x2: item.x2, y2: item.y2 }))
      if (!finite(v)) return `point ${i} has ${k} = ${v}: not finite`
    points.push([num(item.x), num(item.y)])
    if (type === 'area')
      points.push([
        item.x2 === undefined ? num(item.x) : num(item.x2),
        item.y2 === undefined ? num(item.y) : num(item.y2),
      ])
  }
  const xs = points.map((p) => p[0])
  const ys = points.map((p) => p[1])
  const [w, h] = [Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)]
  // a line of one point has nothing to join; several points in one spot mean a collapsed scale
  if (type === 'area' ? !(w > 0 && h > 0) : items.length > 1 && w === 0 && h === 0)
    return `${items.length} points spanning ${w} × ${h}: no extent`
  const out = points.findIndex(
    ([px, py]) => px < area.x1 - 1 || px > area.x2 + 1 || py < area.y1 - 1 || py > area.y2 + 1,
  )
  return out < 0 ? null : `point (${points[out]![0]}, ${points[out]![1]}) outside the plot area`
}

/** The marks of a compiled vega spec that draw data, with the data set each one draws. */
function dataMarks(spec: VegaSpec): { name: string; type: string; data: string }[] {
  const out: { name: string; type: string; data: string }[] = []
  const walk = (marks: readonly unknown[] | undefined, facets: ReadonlyMap<string, string>) => {
    for (const m of (marks ?? []) as {
      name?: string
      type: string
      role?: string
      from?: { data?: string; facet?: { name: string; data: string } }
      marks?: unknown[]
    }[]) {
      if (m.type === 'group') {
        const inner = new Map(facets)
        if (m.from?.facet) inner.set(m.from.facet.name, facets.get(m.from.facet.data) ?? m.from.facet.data)
        walk(m.marks, inner)
      } else if (m.name !== undefined && m.from?.data !== undefined && (m.role ?? 'mark') === 'mark') {
        out.push({ name: m.name, type: m.type, data: facets.get(m.from.data) ?? m.from.data })
      }
    }
  }
  walk(spec.marks, new Map())
  return out
}

/** Rows of a data set of the view; 0 when it is not a data set of the view. */
function rowCount(view: View, name: string): number {
  try {
    return view.data(name).length
  } catch {
    return 0
  }
}

/** A short description of a data row for a problem message. */
function describeDatum(datum: Readonly<Record<string, unknown>> | undefined): string {
  if (datum === undefined) return ''
  const fields = Object.entries(datum)
    .filter(([k, v]) => !k.startsWith('_') && (typeof v === 'string' || typeof v === 'number'))
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : String(v)}`)
  return fields.length === 0 ? '' : ` (${fields.join(', ')})`
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/**
 * Writes SVG text to a file, creating the missing directories on the way. Node only: in a
 * browser bundle it rejects with a BackendError; put the string from `renderVegaLite` into the
 * page instead.
 */
export async function writeSvg(path: string, svg: string): Promise<void> {
  await writeTextFile(path, svg)
}
