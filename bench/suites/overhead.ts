/**
 * The overhead suite: ω = cost(derivative) / cost(f) for a gradient and for a JVP, on the MLP of
 * the engine benchmark, on elementwise chains, and for scalar dual numbers against plain numbers,
 * each beside Griewank and Walther's bounds (a tangent costs 2–2.5 evaluations, a gradient 3–4).
 */
import { type Tensor, grad, jvp, randn, tanh, valueAndGrad, zeros } from '../../src/index.js'
import { OMEGA_BOUNDS } from '../costmodel.js'
import { elementwiseChain, makeMlp } from '../engine.js'
import { timeInterleaved } from '../timing.js'
import {
  type Plot,
  type Problem,
  type Suite,
  type SuiteSize,
  type Table,
  type Target,
  breathe,
  target,
} from './types.js'

/** One measured function: median times of f, of its gradient and of one JVP, and their ratios ω. */
export interface OverheadRow {
  readonly fn: string
  readonly fMs: number
  readonly gradMs: number
  readonly jvpMs: number
  readonly omegaGrad: number
  readonly omegaJvp: number
}

/** One scalar workload: plain numbers against first-order duals, ns per evaluation. */
export interface DualRow {
  readonly workload: string
  readonly plainNs: number
  readonly dualNs: number
  readonly omega: number
}

interface Sizes {
  readonly mlp: { batch: number; width: number; layers: number }
  readonly chainN: number
  readonly scalarChain: number
  readonly repeats: number
  readonly warmup: number
  readonly minSampleMs: number
}

const SIZES: Record<SuiteSize, Sizes> = {
  full: {
    mlp: { batch: 64, width: 256, layers: 4 },
    chainN: 10_000,
    scalarChain: 1000,
    repeats: 15,
    warmup: 2,
    minSampleMs: 5,
  },
  quick: {
    mlp: { batch: 64, width: 256, layers: 4 },
    chainN: 10_000,
    scalarChain: 1000,
    repeats: 7,
    warmup: 2,
    minSampleMs: 5,
  },
  smoke: {
    mlp: { batch: 4, width: 8, layers: 2 },
    chainN: 100,
    scalarChain: 20,
    repeats: 3,
    warmup: 1,
    minSampleMs: 1,
  },
}

const bound = (b: { low: number; high: number }): string => `${b.low}–${b.high}`

/** The functions of the suite: a name, f, its gradient and one JVP, as thunks. */
function functions(s: Sizes): { fn: string; f: () => unknown; g: () => unknown; t: () => unknown }[] {
  const { batch, width, layers } = s.mlp
  const { params, x, forward } = makeMlp({ batch, width, layers })
  const vg = valueAndGrad((ps: typeof params) => forward(ps, x))
  const dx = randn(x.shape, { seed: 99 })
  const ex = randn([s.chainN], { seed: 5 })
  const edx = randn([s.chainN], { seed: 6 })
  const eg = grad(elementwiseChain)
  const depth = s.scalarChain
  const scalarChain = (v: Tensor): Tensor => {
    let y = v
    for (let i = 0; i < depth; i++) y = tanh(y)
    return y
  }
  const sx = zeros([])
  const sg = grad(scalarChain)
  return [
    {
      fn: `MLP ${batch}×${width}, ${layers} tanh + linear (grad: all parameters; JVP: one input direction)`,
      f: () => forward(params, x),
      g: () => vg(params),
      t: () => jvp((xx: Tensor) => forward(params, xx), [x], [dx]),
    },
    {
      fn: `12-op elementwise chain, n = ${s.chainN.toLocaleString('en-US')}`,
      f: () => elementwiseChain(ex),
      g: () => eg(ex),
      t: () => jvp(elementwiseChain, [ex], [edx]),
    },
    {
      fn: `scalar chain of ${depth} tanh (dispatch-bound)`,
      f: () => scalarChain(sx),
      g: () => sg(sx),
      t: () => jvp(scalarChain, [sx], [sx]),
    },
  ]
}

async function omegaPlot(rows: readonly OverheadRow[], duals: readonly DualRow[]): Promise<Plot> {
  const { barPlot } = await import('../../src/viz/plot.js')
  const short = (s: string): string => s.replace(/ \(.*\)$/, '')
  const data = [
    ...rows.flatMap((r) => [
      { function: short(r.fn), derivative: 'gradient', omega: r.omegaGrad },
      { function: short(r.fn), derivative: 'JVP', omega: r.omegaJvp },
    ]),
    ...duals.map((d) => ({ function: `scalar duals: ${d.workload}`, derivative: 'JVP', omega: d.omega })),
  ]
  const bars = barPlot({
    title: 'ω = cost(derivative) / cost(f); dashed: the bounds 2.5 (JVP) and 4 (gradient)',
    data,
    x: 'function',
    y: 'omega',
    color: 'derivative',
    horizontal: true,
    logY: true,
    yTitle: 'ω (log scale)',
    width: 520,
    height: 40 * data.length,
  }) as any
  const { $schema, title, width, height, ...view } = bars
  view.encoding.y.axis = { labelLimit: 320 }
  const rules = {
    data: {
      values: [
        { derivative: 'JVP', bound: OMEGA_BOUNDS.tangent.high },
        { derivative: 'gradient', bound: OMEGA_BOUNDS.gradient.high },
      ],
    },
    mark: { type: 'rule', strokeDash: [4, 4], strokeWidth: 1.5 },
    encoding: {
      x: { field: 'bound', type: 'quantitative' },
      color: { field: 'derivative', type: 'nominal', sort: null },
    },
  }
  return {
    file: 'omega',
    title: 'ω per function',
    spec: { $schema, title, width, height, layer: [view, rules] },
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
    const problems: Problem[] = []
    const rows: OverheadRow[] = []
    for (const { fn, f, g, t } of functions(s)) {
      ctx.tick(`overhead: ${fn.replace(/ \(.*\)$/, '')}`)
      const [fMs, gradMs, jvpMs] = timeInterleaved([f, g, t], {
        repeats: s.repeats,
        warmup: s.warmup,
        minSampleMs: s.minSampleMs,
      }) as [number, number, number]
      rows.push({ fn, fMs, gradMs, jvpMs, omegaGrad: gradMs / fMs, omegaJvp: jvpMs / fMs })
      await breathe()
    }
    ctx.tick('overhead: scalar duals')
    let duals: DualRow[] = []
    const targets: Target[] = []
    try {
      const { benchScalarDuals } = await import('../scalar-duals.js')
      const measured = await benchScalarDuals({ quick: ctx.size !== 'full' })
      for (const [key, label] of [
        ['polyval', 'scalar duals ÷ plain numbers: 1,000-term polynomial (polyval)'],
        ['transcendental', 'scalar duals ÷ plain numbers: 20-op transcendental expression'],
      ] as const) {
        const row = measured.find((r) => r.key === key)
        if (row !== undefined) targets.push(target(label, row.ratio, '<=', 3))
      }
      duals = measured.map((r) => ({
        workload: r.name,
        plainNs: r.plainNs,
        dualNs: r.dualNs,
        omega: r.ratio,
      }))
    } catch (e) {
      problems.push({ kind: 'error', message: `scalar duals: ${e instanceof Error ? e.message : String(e)}` })
    }
    const tg = OMEGA_BOUNDS.gradient
    const tt = OMEGA_BOUNDS.tangent
    const tables: Table[] = [
      {
        title: 'Tensor functions: gradient and JVP against one evaluation',
        columns: [
          { key: 'fn', header: 'function', format: 'text' },
          { key: 'fMs', header: 'f ms', format: 'ms' },
          { key: 'gradMs', header: 'grad ms', format: 'ms' },
          { key: 'omegaGrad', header: 'ω grad', format: 'ratio' },
          { key: 'gradBound', header: 'theory', format: 'text' },
          { key: 'gradWithin', header: '≤ bound', format: 'check' },
          { key: 'jvpMs', header: 'jvp ms', format: 'ms' },
          { key: 'omegaJvp', header: 'ω jvp', format: 'ratio' },
          { key: 'jvpBound', header: 'theory', format: 'text' },
          { key: 'jvpWithin', header: '≤ bound', format: 'check' },
        ],
        rows: rows.map((r) => ({
          ...r,
          gradBound: bound(tg),
          gradWithin: r.omegaGrad <= tg.high,
          jvpBound: bound(tt),
          jvpWithin: r.omegaJvp <= tt.high,
        })),
        notes: [
          'ω is the ratio of two medians measured side by side (interleaved rounds, after warm-up).',
          `Theory (Griewank and Walther, Evaluating Derivatives §4.5–4.6): ω_grad ∈ [${tg.low}, ${tg.high}] and ω_jvp ∈ [${tt.low}, ${tt.high}] in operation counts; the bounds say nothing of per-op bookkeeping (tape records, dual wrappers), which dominates the dispatch-bound scalar chain.`,
        ],
      },
      {
        title: 'Scalar dual numbers against plain numbers (a tangent, one direction)',
        columns: [
          { key: 'workload', header: 'workload', format: 'text' },
          { key: 'plainNs', header: 'plain ns', format: 'ns' },
          { key: 'dualNs', header: 'dual ns', format: 'ns' },
          { key: 'omega', header: 'ω (dual ÷ plain)', format: 'ratio' },
          { key: 'bound', header: 'theory', format: 'text' },
          { key: 'within', header: '≤ bound', format: 'check' },
        ],
        rows: duals.map((d) => ({ ...d, bound: bound(tt), within: d.omega <= tt.high })),
        notes: [
          'Plain numbers run JIT-compiled doubles; duals allocate a small object per operation.',
          'The polynomial rows: `N.polyval` runs Horner inside the algebra and builds one dual per evaluation; written with add and mul it builds one per term, carried around the loop (V8 cannot keep it in registers; the inline row is that floor without the algebra); the shared row runs the same function on plain numbers too, which turns its call sites polymorphic.',
        ],
      },
    ]
    return {
      notes: [
        'For each function: one evaluation f, its gradient (valueAndGrad: the value and the reverse sweep), and one JVP along a random direction.',
      ],
      tables,
      targets,
      plots: [await omegaPlot(rows, duals)],
      problems,
    }
  },
}
