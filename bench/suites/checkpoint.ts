/**
 * The checkpoint suite: the gradient of a loop of 10⁴ scalar steps, unchecked (every step on one
 * tape) and by `checkpointLoop` as the number of snapshots c varies: its time (CPU and wall,
 * paired rounds), the peak memory of its tapes and snapshots, and the steps it evaluated again
 * against revolve's t(n, c) (bench/workloads/checkpoint.ts).
 */
import { revolveAdvances } from '../../src/index.js'
import { Session } from '../measure/session.js'
import { type Timing, pairedTimingRatio } from '../measure/stats.js'
import type { CheckpointInfo } from '../workloads/checkpoint.js'
import { CHECKPOINT_SIZES } from '../workloads/checkpoint.js'
import { type Plot, type Suite, type SuiteOutput, type Table, type Target, target } from './types.js'

const workloadModule = new URL('../workloads/checkpoint.js', import.meta.url).href

/** A configuration measured: its label, its time and the time against the unchecked gradient. */
interface Row {
  readonly label: string
  readonly c: number | null
  readonly time: Timing
  readonly vsUnchecked: Timing
  readonly peakBytes: number
}

/** Peak memory against CPU time per gradient, one point per configuration, log-log. */
function memoryTimePlot(n: number, rows: readonly Row[]): Plot {
  const points = rows.map((r) => ({
    label: r.label,
    kind: r.c === null ? 'unchecked' : 'checkpointLoop',
    ms: r.time.cpu.median,
    lo: r.time.cpu.lo,
    hi: r.time.cpu.hi,
    bytes: r.peakBytes,
  }))
  const log = { type: 'log' }
  const xTitle = 'CPU ms per gradient, median and 95% interval (log scale)'
  const yTitle = 'peak tape and snapshot data, bytes (log scale)'
  const x = { field: 'ms', type: 'quantitative', scale: log, title: xTitle }
  const y = { field: 'bytes', type: 'quantitative', scale: log, title: yTitle }
  const color = { field: 'kind', type: 'nominal', title: 'gradient' }
  return {
    file: 'checkpoint-memory-time',
    title: `Peak memory against time, gradient of a ${n}-step loop`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `Gradient of a ${n}-step loop: peak memory against time, by snapshots c`,
      width: 480,
      height: 360,
      layer: [
        {
          data: { values: points.filter((p) => p.hi > p.lo) },
          mark: { type: 'rule' },
          encoding: { x: { ...x, field: 'lo' }, x2: { field: 'hi' }, y, color },
        },
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 60 },
          encoding: { x, y, color },
        },
        {
          data: { values: points },
          mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 11 },
          encoding: { x, y, text: { field: 'label' } },
        },
      ],
    } as never,
  }
}

/** Steps evaluated again against c: the counts measured (points) on revolve's t(n, c) (line). */
function recomputationPlot(info: CheckpointInfo): Plot {
  // t(n, c) at every c from the least to the most measured (log-spaced above 100)
  const cs = info.cases.map((k) => k.c)
  const [first, last] = [Math.min(...cs), Math.max(...cs)]
  const curve: number[] = []
  for (let c = first; c <= last; c = c < 100 ? c + 1 : Math.ceil(c * 1.1)) curve.push(c)
  if (curve.at(-1) !== last) curve.push(last)
  const values = [
    ...curve.map((c) => ({ c, steps: revolveAdvances(info.n, c), series: 'revolve’s t(n, c)' })),
    ...info.cases.map((k) => ({ c: k.c, steps: Math.max(k.recomputed, 1), series: 'measured' })),
  ]
  const log = { type: 'log' }
  const x = { field: 'c', type: 'quantitative', scale: log, title: 'snapshots c (log scale)' }
  const y = {
    field: 'steps',
    type: 'quantitative',
    scale: log,
    title: 'steps evaluated without recording (log scale)',
  }
  const color = { field: 'series', type: 'nominal', title: 'steps again' }
  return {
    file: 'checkpoint-recomputations',
    title: `Recomputations against snapshots, ${info.n}-step loop`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `Recomputed steps of a ${info.n}-step loop: measured and t(n, c)`,
      width: 480,
      height: 300,
      layer: [
        {
          data: { values: values.filter((v) => v.series !== 'measured') },
          mark: { type: 'line', strokeDash: [4, 3] },
          encoding: { x, y, color },
        },
        {
          data: { values: values.filter((v) => v.series === 'measured') },
          mark: { type: 'point', filled: true, size: 60 },
          encoding: { x, y, color },
        },
      ],
    } as never,
  }
}

/** The checkpoint suite. */
export const checkpointSuite: Suite = {
  name: 'checkpoint',
  title: 'Checkpointing: memory against time for a long loop',
  description:
    'the gradient of a 10⁴-step loop by checkpointLoop as the snapshots c vary: time, peak tape memory, and the steps evaluated again against revolve’s t(n, c)',
  steps: () => 1,
  run: async (ctx): Promise<SuiteOutput> => {
    ctx.tick('checkpoint: counting and timing the gradients')
    const session = new Session(ctx.openHost, ctx.timing)
    let info: CheckpointInfo
    let timings: readonly Timing[]
    const names = ['unchecked', ...CHECKPOINT_SIZES[ctx.size].cs.map((c) => `c=${c}`)]
    try {
      const built = await session.setup<CheckpointInfo>('dualtape checkpoint', {
        module: workloadModule,
        name: 'checkpointSetup',
        args: [ctx.size],
      })
      info = built.info
      // a gradient takes up to seconds: a short warm-up and seven paired rounds (a 95% interval of
      // the median from the 1st to the 7th sample) outside the smoke size
      const override =
        ctx.size === 'smoke'
          ? {}
          : {
              warmup: { minSampleMs: 1, minMs: 0, maxMs: 3000, window: 2, tolerance: 0.1 },
              rounds: { min: 7, max: 7, budgetMs: 0 },
            }
      const m = await session.measure(
        names.map((s) => built.subjects[s]!),
        names.map((s) => `checkpoint ${info.n} steps: ${s}`),
        override,
      )
      timings = m.timings
    } finally {
      await session.close()
    }
    const { n, cases, unchecked, stepTape } = info
    const base = timings[0]!
    const rows: Row[] = [
      {
        label: 'unchecked',
        c: null,
        time: base,
        vsUnchecked: pairedTimingRatio(base, base),
        peakBytes: unchecked.bytes,
      },
      ...cases.map((k, i) => ({
        label: `c=${k.c}`,
        c: k.c,
        time: timings[i + 1]!,
        vsUnchecked: pairedTimingRatio(timings[i + 1]!, base),
        peakBytes: k.report.peakBytes,
      })),
    ]
    const targets: Target[] = []
    for (const k of cases) {
      targets.push(
        target(`c=${k.c}: steps evaluated again − t(n, c)`, Math.abs(k.recomputed - k.theory), '<=', 0),
      )
      targets.push(
        target(
          `c=${k.c}: peak memory in step tapes (bound c + 1)`,
          k.report.peakBytes / stepTape.bytes,
          '<=',
          k.c + 1,
        ),
      )
      targets.push(
        target(`c=${k.c}: relative difference from the unchecked gradient`, k.gradError, '<=', 1e-12),
      )
    }
    const table: Table = {
      title: `Gradient of a ${n}-step loop x ← sin(a·x), with respect to x0 and a`,
      key: ['config'],
      columns: [
        { key: 'config', header: 'gradient', format: 'text' },
        { key: 'ms', header: 'CPU ms (wall)', format: 'ms' },
        { key: 'vsUnchecked', header: '÷ unchecked', format: 'ratio' },
        { key: 'recomputed', header: 'steps again', format: 'int' },
        { key: 'theory', header: 't(n, c)', format: 'int' },
        { key: 'evaluations', header: 'steps in all', format: 'int' },
        { key: 'peakSnapshots', header: 'snapshots held', format: 'int' },
        { key: 'peakTapeNodes', header: 'tape nodes held', format: 'int' },
        { key: 'peakBytes', header: 'peak bytes', format: 'int' },
        { key: 'stepTapes', header: 'in step tapes', format: 'num' },
        { key: 'gradError', header: 'rel. diff.', format: 'err' },
      ],
      rows: rows.map((r, i) => {
        const k = i === 0 ? null : cases[i - 1]!
        return {
          config: k === null ? 'unchecked (one tape)' : `checkpointLoop, c = ${k.c}`,
          ms: r.time,
          vsUnchecked: r.vsUnchecked,
          recomputed: k === null ? 0 : k.recomputed,
          theory: k === null ? null : k.theory,
          evaluations: k === null ? n : n + k.recomputed,
          peakSnapshots: k === null ? null : k.report.peakSnapshots,
          peakTapeNodes: k === null ? unchecked.tapeNodes : k.report.peakTapeNodes,
          peakBytes: r.peakBytes,
          stepTapes: r.peakBytes / stepTape.bytes,
          gradError: k === null ? 0 : k.gradError,
        }
      }),
      notes: [
        'steps again: steps evaluated without recording, in the forward pass (the schedule’s first sweep) and the reverse sweep, counted by the step function; t(n, c) = r·n − C(c + r, r − 1), r the least with C(c + r, c) ≥ n (Griewank and Walther).',
        'steps in all: the steps evaluated without recording (the forward pass’s first sweep included) + the n recorded steps, t(n, c) + n; the unchecked gradient records its n steps once.',
        `peak bytes: the most tensor data held at once by the snapshots and the live step tapes (8 bytes per float64 element; V8 adds its object overhead to each, alike for both); one step's tape holds ${stepTape.nodes} nodes, ${stepTape.bytes} bytes.`,
      ],
    }
    return {
      notes: [
        `The gradient of x_n with respect to x0 and a, x ← sin(a·x) run n = ${n} times (one scalar per step), unchecked and by checkpointLoop with c snapshots. Gradients timed side by side in paired rounds, CPU time with wall time beside it.`,
      ],
      tables: [table],
      targets,
      plots: [memoryTimePlot(n, rows), recomputationPlot(info)],
      problems: [],
      warmups: session.warmups,
      processSpreads: session.processSpreads,
    }
  },
}
