/**
 * The chain suite: the Jacobian of a chain J_L ⋯ J_1 accumulated from the left (adjoint order),
 * from the right (tangent order) and in the bracketing of least predicted flops, on chains of
 * constant, widening, narrowing, hourglass and random widths (bench/chain.ts).
 */
import { dense, diagonal, type JacobianForm } from '../../src/jacobian/structured.js'
import { accumulate, chainFromFactors, plan } from '../../src/jacobian/chain.js'
import type { ChainBenchRow } from '../chain.js'
import { median } from '../timing.js'
import { type Suite, type SuiteOutput, type Target, breathe, target } from './types.js'

/** A few tiny chains, for the smoke size: every strategy on every shape, in milliseconds. */
function tinyChains(): ChainBenchRow[] {
  let s = 1
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 31 - 1
  }
  const denseOf = (rows: number, cols: number): JacobianForm =>
    dense({ rows, cols, data: Float64Array.from({ length: rows * cols }, next) })
  const shapes: { name: string; widths: number[] }[] = [
    { name: 'hourglass', widths: [12, 2, 12, 2, 12] },
    { name: 'widening', widths: [2, 4, 8, 16] },
    { name: 'narrowing', widths: [16, 8, 4, 2] },
  ]
  const rows: ChainBenchRow[] = []
  for (const { name, widths } of shapes) {
    const factors: JacobianForm[] = []
    for (let t = 1; t < widths.length; t++) {
      factors.push(denseOf(widths[t]!, widths[t - 1]!))
      if (t < widths.length - 1) factors.push(diagonal(Array.from({ length: widths[t]! }, next)))
    }
    const chain = chainFromFactors(factors)
    for (const strategy of ['left', 'right', 'optimal'] as const) {
      const p = plan(chain, strategy)
      const times: number[] = []
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now()
        accumulate(chain, p)
        times.push(performance.now() - t0)
      }
      rows.push({
        shape: `${name} ${widths.join('→')}`,
        strategy,
        predictedFlops: p.flops,
        ms: median(times),
      })
    }
  }
  return rows
}

/** The chain suite. */
export const chainSuite: Suite = {
  name: 'chain',
  title: 'Jacobian chains: left, right and optimal bracketing',
  description:
    'accumulating J_L ⋯ J_1 from the left, from the right and in the cheapest bracketing, predicted flops against measured time',
  steps: () => 1,
  run: async (ctx): Promise<SuiteOutput> => {
    ctx.tick('chain: accumulating')
    await breathe()
    const rows =
      ctx.size === 'smoke'
        ? tinyChains()
        : await (await import('../chain.js')).benchChain({ quick: ctx.size === 'quick' })
    const optimal = new Map(rows.filter((r) => r.strategy === 'optimal').map((r) => [r.shape, r]))
    const tableRows = rows.map((r) => {
      const o = optimal.get(r.shape)
      return {
        shape: r.shape,
        strategy: r.strategy,
        predictedMflop: r.predictedFlops / 1e6,
        ms: r.ms,
        flopsVsOptimal: o === undefined ? null : r.predictedFlops / o.predictedFlops,
        timeVsOptimal: o === undefined ? null : r.ms / o.ms,
      }
    })
    // the first chain is the hourglass: optimal against the better of left and right
    const first = rows[0]?.shape
    const targets: Target[] = []
    if (first !== undefined && ctx.size !== 'smoke') {
      const of = (s: string): ChainBenchRow | undefined =>
        rows.find((r) => r.shape === first && r.strategy === s)
      const [l, r, o] = [of('left'), of('right'), of('optimal')]
      if (l !== undefined && r !== undefined && o !== undefined) {
        const predicted = Math.min(l.predictedFlops, r.predictedFlops) / o.predictedFlops
        const measured = Math.min(l.ms, r.ms) / o.ms
        targets.push(
          target(`${first}: optimal faster than the better of left and right by`, measured, '>=', 2),
        )
        targets.push(
          target(
            `${first}: predicted speed-up (${predicted.toFixed(2)}×) within a factor of the measured one`,
            Math.max(predicted / measured, measured / predicted),
            '<=',
            1.5,
          ),
        )
      }
    }
    const { barPlot } = await import('../../src/viz/plot.js')
    return {
      notes: [
        'Dense factors (D) are matrices; diagonal ones (d, elementwise activations) are never formed densely.',
        'left = adjoint (reverse-mode) order, right = tangent (forward-mode) order, optimal = dynamic programming on the FLOP model.',
      ],
      tables: [
        {
          title: 'Accumulation of the chain, per strategy',
          columns: [
            { key: 'shape', header: 'chain', format: 'text' },
            { key: 'strategy', header: 'strategy', format: 'text' },
            { key: 'predictedMflop', header: 'predicted MFLOP', format: 'num' },
            { key: 'ms', header: 'ms', format: 'ms' },
            { key: 'flopsVsOptimal', header: 'flops ÷ optimal', format: 'ratio' },
            { key: 'timeVsOptimal', header: 'time ÷ optimal', format: 'ratio' },
          ],
          rows: tableRows,
          notes: ['Times: medians of interleaved rounds after warm-up.'],
        },
      ],
      targets,
      plots: [
        {
          file: 'strategies',
          title: 'chain strategies',
          spec: barPlot({
            title: 'Accumulating a Jacobian chain: time per strategy',
            data: rows.map((r) => ({ chain: r.shape, strategy: r.strategy, ms: r.ms })),
            x: 'chain',
            y: 'ms',
            color: 'strategy',
            horizontal: true,
            logY: true,
            width: 420,
            height: 36 * rows.length,
          }),
        },
      ],
      problems: [],
    }
  },
}
