/**
 * The chain suite: the Jacobian of a chain J_L ⋯ J_1 accumulated by every strategy of `plan`:
 * from the left (adjoint order), from the right (tangent order) and in the bracketing of least
 * predicted time, on chains of structured factors; by tangent sweeps, adjoint sweeps, segments
 * and the optimal mix, on matrix-free chains (bench/chain.ts). The cost model is calibrated in
 * the suite's own process, every strategy's predicted time stands beside its measured time, and
 * `plan(chain)`'s choice is checked against the fastest strategy.
 */
import { Session } from '../measure/session.js'
import { predictedVsMeasured } from '../plots.js'
import { type Timing, pairedTimingRatio } from '../measure/stats.js'
import type { ChainEntry, ChainInfo } from '../workloads/chain.js'
import { type Plot, type Suite, type SuiteOutput, type Table, type Target, target } from './types.js'

/** How much slower than the fastest strategy plan()'s choice may be. */
const WITHIN = 1.2

const workloadModule = new URL('../workloads/chain.js', import.meta.url).href

/** A plan of a case, measured. */
interface Measured extends ChainEntry {
  readonly time: Timing
}

/** The chain suite. */
export const chainSuite: Suite = {
  name: 'chain',
  title: 'Jacobian chains: every accumulation order, predicted and measured',
  description:
    'accumulating J_L ⋯ J_1 by every strategy (left, right, optimal; tangent, adjoint, segments, optimal), predicted time beside measured time, and plan()’s choice against the fastest',
  steps: () => 1,
  run: async (ctx): Promise<SuiteOutput> => {
    ctx.tick('chain: calibrating and accumulating')
    const session = new Session(ctx.openHost, ctx.timing)
    const cases: { name: string; shape: string; kind: string; chosenEquals: string; plans: Measured[] }[] = []
    let info: ChainInfo
    try {
      // one model for every process, so that all of them make the same plans
      const { info: model } = await session.setup(`dualtape chain`, {
        module: workloadModule,
        name: 'chainCalibration',
        args: [ctx.size],
      })
      const built = await session.setup<ChainInfo>(`dualtape chain`, {
        module: workloadModule,
        name: 'chainSetup',
        args: [ctx.size, model],
      })
      info = built.info
      for (const c of info.cases) {
        const distinct = [...new Set(c.entries.map((e) => e.subject))]
        const m = await session.measure(
          distinct.map((s) => built.subjects[s]!),
          distinct.map((s) => `${c.shape}: ${c.entries.find((e) => e.subject === s)!.strategy}`),
        )
        const timeOf = (subject: string): Timing => m.timings[distinct.indexOf(subject)]!
        cases.push({ ...c, plans: c.entries.map((e) => ({ ...e, time: timeOf(e.subject) })) })
      }
    } finally {
      await session.close()
    }

    const targets: Target[] = []
    const rows: Record<string, unknown>[] = []
    for (const c of cases) {
      const strategies = c.plans.filter((p) => p.strategy !== 'plan()' && p.strategy !== 'least flops')
      const best = strategies.reduce((a, b) => (b.time.cpu.median < a.time.cpu.median ? b : a))
      const chosen = c.plans.find((p) => p.strategy === 'plan()')!
      const vsBest = (p: Measured): Timing => pairedTimingRatio(p.time, best.time)
      targets.push(target(`${c.shape}: plan()’s choice ÷ the fastest strategy`, vsBest(chosen), '<=', WITHIN))
      const shown = c.plans.filter(
        (p, i) =>
          (p.strategy !== 'plan()' && p.strategy !== 'least flops') ||
          c.plans.findIndex((q) => q.subject === p.subject) === i,
      )
      for (const p of shown) {
        rows.push({
          shape: c.shape,
          strategy: p.strategy,
          chosen: p.subject === chosen.subject,
          predictedMflop: p.predictedFlops / 1e6,
          predictedMs: p.predictedMs,
          ms: p.time,
          measuredVsPredicted: p.time.cpu.median / p.predictedMs,
          vsBest: vsBest(p),
        })
      }
    }
    // the hourglass of the issue: the optimal bracketing against the better of left and right
    const hourglass = cases.find((c) => c.name === 'hourglass')
    if (hourglass !== undefined && ctx.size !== 'smoke') {
      const of = (s: string): Measured => hourglass.plans.find((p) => p.strategy === s)!
      const [l, r, o] = [of('left'), of('right'), of('optimal')]
      const better = l.time.cpu.median <= r.time.cpu.median ? l : r
      const measured = pairedTimingRatio(better.time, o.time)
      const predicted = Math.min(l.predictedMs, r.predictedMs) / o.predictedMs
      targets.push(
        target(`${hourglass.shape}: optimal faster than the better of left and right by`, measured, '>=', 2),
      )
      const m = measured.cpu.median
      targets.push(
        target(
          `${hourglass.shape}: predicted speed-up (${predicted.toFixed(2)}×) within a factor of the measured one`,
          Math.max(predicted / m, m / predicted),
          '<=',
          1.5,
        ),
      )
    }
    const model = info.model
    return {
      notes: [
        'Dense factors (D) are matrices; diagonal ones (d, elementwise activations) are never formed densely. Operator chains see the same kinds of factor only through their JVP and VJP.',
        'left = adjoint (reverse-mode) order, right = tangent (forward-mode) order, optimal = dynamic programming on predicted time; on operator chains, tangent and adjoint sweeps, segments (each factor accumulated in its cheaper mode) and the optimal mix.',
        `Cost model${info.calibrated ? ', calibrated in this run' : ' (the default; not calibrated at this size)'}: ${model.callUs} µs per product, gemm ${model.gemmGflops} GFLOP/s, gemv ${model.gemvGflops}, scaling ${model.scaleGflops}, ${model.writeNs} ns per entry written; operator sweeps ${model.sweepCallUs} µs per call, JVP ${model.jvpGflops} GFLOP/s, VJP ${model.vjpGflops}.`,
      ],
      tables: [
        {
          title: 'Accumulation of the chain, per strategy: predicted and measured',
          columns: [
            { key: 'shape', header: 'chain', format: 'text' },
            { key: 'strategy', header: 'strategy', format: 'text' },
            { key: 'chosen', header: 'plan()', format: 'check' },
            { key: 'predictedMflop', header: 'MFLOP', format: 'num' },
            { key: 'predictedMs', header: 'predicted ms', format: 'ms' },
            { key: 'ms', header: 'measured ms', format: 'ms' },
            { key: 'measuredVsPredicted', header: 'measured ÷ predicted', format: 'num' },
            { key: 'vsBest', header: '÷ fastest', format: 'ratio' },
          ],
          key: ['shape', 'strategy'],
          rows: rows as Table['rows'],
          notes: [
            `plan(): ✓ on the strategy whose plan plan(chain) makes (default model); a "plan()" row appears when it equals none of them, a "least flops" row when the plan of fewest flops (what plan chose before it counted time) differs from all the others. ÷ fastest: paired per round against the fastest strategy; plan()'s choice must be within ${WITHIN}×.`,
          ],
        },
      ],
      targets,
      plots: [
        await strategiesPlot(cases),
        predictedVsMeasured({
          file: 'predicted-vs-measured',
          title: 'chain strategies: predicted against measured',
          plotTitle:
            'Every strategy of every chain: the cost model against the clock (line: predicted = measured)',
          points: cases.flatMap((c) =>
            c.plans
              .filter((p, i) => c.plans.findIndex((q) => q.subject === p.subject) === i)
              .map((p) => ({ predicted: p.predictedMs, measured: p.time, group: p.strategy })),
          ),
          groupTitle: 'strategy',
          predictedTitle: 'predicted ms (cost model, log scale)',
        }),
      ],
      problems: [],
      warmups: session.warmups,
      processSpreads: session.processSpreads,
    }
  },
}

type MeasuredCase = { shape: string; plans: readonly Measured[] }

/** Time per strategy per chain, with intervals. */
async function strategiesPlot(cases: readonly MeasuredCase[]): Promise<Plot> {
  const { intervalPlot } = await import('../plot/plot.js')
  const data = cases.flatMap((c) =>
    c.plans
      .filter((p) => p.strategy !== 'plan()' || !c.plans.some((q) => q !== p && q.subject === p.subject))
      .filter((p) => p.strategy !== 'least flops' || !c.plans.some((q) => q !== p && q.subject === p.subject))
      .map((p) => ({
        chain: c.shape,
        strategy: p.strategy,
        ms: p.time.cpu.median,
        lo: p.time.cpu.lo,
        hi: p.time.cpu.hi,
      })),
  )
  return {
    file: 'strategies',
    title: 'chain strategies',
    spec: intervalPlot({
      title: 'Accumulating a Jacobian chain: time per strategy, median and 95% interval',
      data,
      x: 'chain',
      y: 'ms',
      low: 'lo',
      high: 'hi',
      color: 'strategy',
      horizontal: true,
      logY: true,
      xTitle: 'chain (widths, factor kinds)',
      yTitle: 'CPU ms per accumulation (log scale)',
      width: 480,
      height: 16 * data.length,
    }),
  }
}
