/**
 * Plots the suites share: a model's predicted time against the measured one.
 */
import type { Timing } from './measure/stats.js'
import type { Plot } from './suites/types.js'

/** One computation: what a model predicts for it, what was measured, and its group (a colour). */
export interface PredictedPoint {
  readonly predicted: number
  readonly measured: Timing
  readonly group: string
}

/**
 * A log-log scatter of predicted against measured CPU time per call (the median, with its 95%
 * interval as a whisker), coloured by group, with the line predicted = measured.
 */
export function predictedVsMeasured(opts: {
  readonly file: string
  readonly title: string
  readonly plotTitle: string
  readonly points: readonly PredictedPoint[]
  readonly groupTitle: string
  readonly predictedTitle: string
}): Plot {
  const points = opts.points
    .filter((p) => p.predicted > 0 && p.measured.cpu.median > 0)
    .map((p) => ({
      predicted: p.predicted,
      measured: p.measured.cpu.median,
      lo: p.measured.cpu.lo,
      hi: p.measured.cpu.hi,
      group: p.group,
    }))
  const ends = points.flatMap((p) => [p.predicted, p.lo, p.hi])
  const [lo, hi] = [Math.min(...ends), Math.max(...ends)]
  const log = { type: 'log' }
  const x = { field: 'predicted', type: 'quantitative', scale: log, title: opts.predictedTitle }
  const yTitle = 'measured CPU ms, median and 95% interval (log scale)'
  const color = { field: 'group', type: 'nominal', title: opts.groupTitle }
  return {
    file: opts.file,
    title: opts.title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: opts.plotTitle,
      width: 440,
      height: 400,
      layer: [
        {
          data: {
            values: [
              { a: lo, b: lo },
              { a: hi, b: hi },
            ],
          },
          mark: { type: 'line', color: 'gray', strokeDash: [4, 4] },
          encoding: {
            x: { field: 'a', type: 'quantitative', scale: log, title: opts.predictedTitle },
            y: { field: 'b', type: 'quantitative', scale: log, title: yTitle },
          },
        },
        {
          data: { values: points.filter((p) => p.hi > p.lo) },
          mark: { type: 'rule' },
          encoding: { x, y: { field: 'lo', type: 'quantitative', scale: log }, y2: { field: 'hi' }, color },
        },
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 50 },
          encoding: { x, y: { field: 'measured', type: 'quantitative', scale: log, title: yTitle }, color },
        },
      ],
    } as never,
  }
}
