/**
 * The overhead suite: ω = cost(derivative) / cost(f) for a gradient and for a JVP, on the MLP of
 * the engine benchmark, on an elementwise chain and on a dispatch-bound scalar chain, and for
 * scalar dual numbers against plain numbers, each beside Griewank and Walther's bounds (a tangent
 * costs 2–2.5 evaluations, a gradient 3–4). f, its gradient and its JVP are timed side by side in
 * processes of their own, and ω is the median of the ratios taken round by round.
 */
import { OMEGA_BOUNDS } from '../costmodel.js'
import { Session } from '../measure/session.js'
import { type Timing, pairedTimingRatio, scaleTiming } from '../measure/stats.js'
import type { OverheadFunction } from '../workloads/dualtape.js'
import {
  type Plot,
  type Problem,
  type Suite,
  type SuiteSize,
  type Table,
  type Target,
  target,
} from './types.js'

/** One measured function: f, its gradient and one JVP, and their ratios ω paired per round. */
export interface OverheadRow {
  readonly fn: string
  readonly f: Timing
  readonly grad: Timing
  readonly jvp: Timing
  readonly omegaGrad: Timing
  readonly omegaJvp: Timing
}

/** One scalar workload: plain numbers against first-order duals, ns per evaluation. */
export interface DualRow {
  readonly workload: string
  readonly plain: Timing
  readonly dual: Timing
  readonly omega: Timing
}

interface Sizes {
  readonly mlp: { batch: number; width: number; layers: number }
  readonly chainN: number
  readonly scalarChain: number
}

const SIZES: Record<SuiteSize, Sizes> = {
  full: { mlp: { batch: 64, width: 256, layers: 4 }, chainN: 10_000, scalarChain: 1000 },
  quick: { mlp: { batch: 64, width: 256, layers: 4 }, chainN: 10_000, scalarChain: 1000 },
  smoke: { mlp: { batch: 4, width: 8, layers: 2 }, chainN: 100, scalarChain: 20 },
}

/** The start of the scalar chain: tanh(tanh(…(0.7))) stays away from 0, where tanh is the identity to first order. */
const SCALAR_X0 = 0.7

const bound = (b: { low: number; high: number }): string => `${b.low}–${b.high}`

/** The functions of the suite: a name and what builds them. */
function functions(s: Sizes): { fn: string; short: string; spec: OverheadFunction }[] {
  const { batch, width, layers } = s.mlp
  return [
    {
      fn: `MLP ${batch}×${width}, ${layers} tanh + linear (grad: all parameters; JVP: one input direction)`,
      short: `MLP ${batch}×${width}`,
      spec: { kind: 'mlp', batch, width, layers },
    },
    {
      fn: `12-op elementwise chain, n = ${s.chainN.toLocaleString('en-US')}`,
      short: `elementwise chain, n = ${s.chainN.toLocaleString('en-US')}`,
      spec: { kind: 'chain', n: s.chainN },
    },
    {
      fn: `scalar chain of ${s.scalarChain} tanh from x = ${SCALAR_X0} (dispatch-bound)`,
      short: `scalar chain of ${s.scalarChain} tanh`,
      spec: { kind: 'scalar', depth: s.scalarChain, x0: SCALAR_X0 },
    },
  ]
}

const workloadModule = new URL('../workloads/dualtape.js', import.meta.url).href
const dualsModule = new URL('../scalar-duals.js', import.meta.url).href

async function omegaPlot(
  rows: readonly (OverheadRow & { short: string })[],
  duals: readonly DualRow[],
): Promise<Plot> {
  const { intervalPlot } = await import('../plot/plot.js')
  const point = (fn: string, derivative: string, t: Timing) => ({
    function: fn,
    derivative,
    omega: t.cpu.median,
    lo: t.cpu.lo,
    hi: t.cpu.hi,
  })
  const data = [
    ...rows.flatMap((r) => [point(r.short, 'gradient', r.omegaGrad), point(r.short, 'JVP', r.omegaJvp)]),
    ...duals.map((d) => point(`scalar duals: ${d.workload}`, 'JVP', d.omega)),
  ]
  const tg = OMEGA_BOUNDS.gradient
  const tt = OMEGA_BOUNDS.tangent
  return {
    file: 'omega',
    title: 'ω per function',
    spec: intervalPlot({
      title: 'ω = cost(derivative) ÷ cost(f), median and 95% interval; bands: the theory',
      data,
      x: 'function',
      y: 'omega',
      low: 'lo',
      high: 'hi',
      color: 'derivative',
      horizontal: true,
      logY: true,
      xTitle: 'function',
      yTitle: 'ω (CPU time ratio, log scale)',
      bands: [
        { from: tg.low, to: tg.high, label: `ω gradient ∈ [${tg.low}, ${tg.high}]`, group: 'gradient' },
        { from: tt.low, to: tt.high, label: `ω JVP ∈ [${tt.low}, ${tt.high}]`, group: 'JVP' },
      ],
      width: 480,
      height: 34 * data.length,
    }),
  }
}

/** The overhead suite. */
export const overheadSuite: Suite = {
  name: 'overhead',
  title: 'Overhead of the modes: ω = cost(derivative) / cost(f)',
  description:
    'ω of grad and jvp on the MLP and elementwise chains, and of scalar duals, beside the theory bounds',
  steps: () => 4,
  run: async (ctx) => {
    const s = SIZES[ctx.size]
    const session = new Session(ctx.openHost, ctx.timing)
    const problems: Problem[] = []
    const rows: (OverheadRow & { short: string })[] = []
    const duals: DualRow[] = []
    const targets: Target[] = []
    try {
      for (const { fn, short, spec } of functions(s)) {
        ctx.tick(`overhead: ${short}`)
        // each function in a process of its own: one function's garbage and JIT state stay out of the others'
        const { subjects } = await session.setup(`dualtape ${ctx.backend}: ${short}`, {
          module: workloadModule,
          name: 'overheadSetup',
          args: [spec, ctx.backend],
        })
        const m = await session.measure(
          [subjects['f']!, subjects['grad']!, subjects['jvp']!],
          [`${short}: f`, `${short}: grad`, `${short}: jvp`],
        )
        const [f, g, t] = m.timings as [Timing, Timing, Timing]
        rows.push({
          fn,
          short,
          f,
          grad: g,
          jvp: t,
          omegaGrad: pairedTimingRatio(g, f),
          omegaJvp: pairedTimingRatio(t, f),
        })
      }
      ctx.tick('overhead: scalar duals')
      try {
        const { subjects, info } = await session.setup<{ key: string; name: string; calls: number }[]>(
          'scalar duals',
          { module: dualsModule, name: 'scalarDualsSetup', args: [] },
        )
        for (const w of info) {
          const m = await session.measure(
            [subjects[`${w.key}/plain`]!, subjects[`${w.key}/dual`]!],
            [`${w.name}: plain`, `${w.name}: dual`],
          )
          // a call evaluates the function at `calls` points: ns per evaluation
          const [plain, dual] = m.timings.map((x) => scaleTiming(x, 1e6 / w.calls)) as [Timing, Timing]
          duals.push({
            workload: w.name,
            plain,
            dual,
            omega: pairedTimingRatio(m.timings[1]!, m.timings[0]!),
          })
          if (w.key === 'polyval') {
            targets.push(
              target(
                'scalar duals ÷ plain numbers: 1,000-term polynomial (polyval)',
                duals.at(-1)!.omega,
                '<=',
                3,
              ),
            )
          }
          if (w.key === 'transcendental') {
            targets.push(
              target(
                'scalar duals ÷ plain numbers: 20-op transcendental expression',
                duals.at(-1)!.omega,
                '<=',
                3,
              ),
            )
          }
        }
      } catch (e) {
        problems.push({
          kind: 'error',
          message: `scalar duals: ${e instanceof Error ? e.message : String(e)}`,
        })
      }
    } finally {
      await session.close()
    }
    const tg = OMEGA_BOUNDS.gradient
    const tt = OMEGA_BOUNDS.tangent
    const tables: Table[] = [
      {
        title: 'Tensor functions: gradient and JVP against one evaluation',
        columns: [
          { key: 'fn', header: 'function', format: 'text' },
          { key: 'f', header: 'f ms', format: 'ms' },
          { key: 'grad', header: 'grad ms', format: 'ms' },
          { key: 'omegaGrad', header: 'ω grad', format: 'ratio' },
          { key: 'gradBound', header: 'theory', format: 'text' },
          { key: 'jvp', header: 'jvp ms', format: 'ms' },
          { key: 'omegaJvp', header: 'ω jvp', format: 'ratio' },
          { key: 'jvpBound', header: 'theory', format: 'text' },
        ],
        rows: rows.map(({ short: _short, ...r }) => ({ ...r, gradBound: bound(tg), jvpBound: bound(tt) })),
        notes: [
          'Times: CPU ms per call, median ± the larger half-width of its 95% interval. ω: the median of the per-round ratios (paired), with its interval.',
          `Theory (Griewank and Walther, Evaluating Derivatives §4.5–4.6): ω_grad ∈ [${tg.low}, ${tg.high}] and ω_jvp ∈ [${tt.low}, ${tt.high}] in operation counts; the bounds say nothing of per-op bookkeeping (tape records, dual wrappers), which dominates the dispatch-bound scalar chain.`,
        ],
      },
      {
        title: 'Scalar dual numbers against plain numbers (a tangent, one direction)',
        columns: [
          { key: 'workload', header: 'workload', format: 'text' },
          { key: 'plain', header: 'plain ns', format: 'ns' },
          { key: 'dual', header: 'dual ns', format: 'ns' },
          { key: 'omega', header: 'ω (dual ÷ plain)', format: 'ratio' },
          { key: 'bound', header: 'theory', format: 'text' },
        ],
        rows: duals.map((d) => ({ ...d, bound: bound(tt) })),
        notes: [
          'CPU ns per evaluation. Plain numbers run JIT-compiled doubles; duals allocate a small object per operation.',
          'The polynomial rows: `N.polyval` runs Horner inside the algebra and builds one dual per evaluation; written with add and mul it builds one per term, carried around the loop (V8 cannot keep it in registers; the inline row is that floor without the algebra); the shared row runs the same function on plain numbers too, which turns its call sites polymorphic.',
        ],
      },
    ]
    return {
      notes: [
        'For each function: one evaluation f, its gradient (valueAndGrad: the value and the reverse sweep), and one JVP along a random direction, timed side by side in processes of their own. Inputs are random, so that no op sits at a special value (tanh(0) = 0, say).',
      ],
      tables,
      targets,
      plots: rows.length + duals.length === 0 ? [] : [await omegaPlot(rows, duals)],
      problems,
      warmups: session.warmups,
      processSpreads: session.processSpreads,
    }
  },
}
