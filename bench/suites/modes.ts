/**
 * The modes suite, wide against deep: the full Jacobian of f: R^n → R^m by forward mode (`jacfwd`,
 * one vector-mode sweep of width n) and by reverse mode (`jacrev`, m pullbacks of one tape), on
 * networks of tanh layers, against the FLOP cost model of bench/costmodel.ts.
 *
 * The network: y ← tanh(y W_i) on a vector, with widths n → h → … → h → m for depth L ≥ 2 (L
 * layers, h = 100 hidden units), and n → m for L = 1; W_i has N(0, 1/fan-in) entries, no bias.
 */
import { type Tensor, matmul, mul, randn, tanh } from '../../src/index.js'
import {
  type Crossover,
  type MachineModel,
  crossover,
  fitMachine,
  formatCrossover,
  measuredCrossover,
  perCallFlops,
  predictModes,
  predictTimes,
  programCost,
  tanhNetCost,
} from '../costmodel.js'
import type { TimingPlan } from '../measure/rounds.js'
import { Session, TIMING_PLANS } from '../measure/session.js'
import { predictedVsMeasured } from '../plots.js'
import { type Timing, pairedTimingRatio } from '../measure/stats.js'
import {
  type Plot,
  type Suite,
  type SuiteOutput,
  type SuiteSize,
  type Table,
  type Target,
  target,
} from './types.js'

/** The widths of the network with n inputs, m outputs, `depth` layers and `hidden` units. */
export function netWidths(n: number, m: number, depth: number, hidden: number): number[] {
  return depth === 1 ? [n, m] : [n, ...new Array<number>(depth - 1).fill(hidden), m]
}

/** The network `y ← tanh(y W_i)` over `widths`, with N(0, 1/fan-in) weights. */
export function tanhNet(widths: readonly number[], seed = 1): (x: Tensor) => Tensor {
  const ws = widths
    .slice(1)
    .map((w, i) => mul(randn([widths[i]!, w], { seed: seed + i }), 1 / Math.sqrt(widths[i]!)))
  return (x) => {
    let y = x
    for (const w of ws) y = tanh(matmul(y, w))
    return y
  }
}

/** One measured configuration (times: CPU ms per call, medians; the timings carry their spread). */
export interface ModesRow {
  readonly depth: number
  readonly n: number
  readonly m: number
  readonly fMs: number
  readonly fwdMs: number
  readonly revMs: number
  readonly f: Timing
  readonly fwd: Timing
  readonly rev: Timing
  /** jacfwd ÷ jacrev, paired per round. */
  readonly ratio: Timing
  /** max |J_fwd − J_rev|: the two Jacobians agree. */
  readonly maxDiff: number
}

interface Sizes {
  readonly ns: readonly number[]
  readonly depths: readonly number[]
  readonly hidden: number
  /**
   * The timing of each grid configuration, where it differs from the size's plan (the grid has
   * many cases and no targets; the acceptance cases get the size's full plan).
   */
  readonly grid: Partial<Pick<TimingPlan, 'rounds' | 'warmup'>>
  /** The acceptance case: three layers of `hidden` units, (wide, narrow) and (narrow, wide). */
  readonly acceptance: { readonly hidden: number; readonly wide: number; readonly narrow: number }
}

const SIZES: Record<SuiteSize, Sizes> = {
  full: {
    ns: [1, 10, 100, 1000],
    depths: [1, 4, 16, 64],
    hidden: 100,
    // the quick run's warm-up, and rounds down to 7 for configurations of seconds per round
    grid: { rounds: { min: 7, max: 41, budgetMs: 1500 }, warmup: TIMING_PLANS.quick.warmup },
    acceptance: { hidden: 100, wide: 1000, narrow: 10 },
  },
  quick: {
    ns: [1, 10, 100],
    depths: [1, 4, 16],
    hidden: 100,
    grid: { rounds: { min: 11, max: 21, budgetMs: 300 } },
    acceptance: { hidden: 100, wide: 1000, narrow: 10 },
  },
  smoke: {
    ns: [1, 4],
    depths: [1, 2],
    hidden: 6,
    grid: {},
    acceptance: { hidden: 6, wide: 40, narrow: 2 },
  },
}

const workloadModule = new URL('../workloads/dualtape.js', import.meta.url).href

/**
 * Times f, jacfwd and jacrev side by side on one network in the session's dualtape host, after
 * checking that the two Jacobians agree.
 */
async function measure(
  session: Session,
  backend: string,
  widths: readonly number[],
  depth: number,
  override: Partial<Pick<TimingPlan, 'rounds' | 'warmup'>>,
  seed: number,
): Promise<ModesRow> {
  const n = widths[0]!
  const m = widths[widths.length - 1]!
  const { subjects, info, drop } = await session.setup<{ maxDiff: number; size: number }>(
    `dualtape ${backend}`,
    { module: workloadModule, name: 'modesSetup', args: [widths, seed, backend] },
  )
  try {
    if (info.size !== n * m || !(info.maxDiff < 1e-8)) {
      throw new Error(
        `modes: jacfwd and jacrev disagree on ${widths.join('→')} (max |difference| ${info.maxDiff})`,
      )
    }
    const what = `L = ${depth}, ${n} → ${m}`
    const r = await session.measure(
      [subjects['f']!, subjects['jacfwd']!, subjects['jacrev']!],
      [`${what}: f`, `${what}: jacfwd`, `${what}: jacrev`],
      override,
    )
    const [f, fwd, rev] = r.timings as [Timing, Timing, Timing]
    return {
      depth,
      n,
      m,
      fMs: f.cpu.median,
      fwdMs: fwd.cpu.median,
      revMs: rev.cpu.median,
      f,
      fwd,
      rev,
      ratio: pairedTimingRatio(fwd, rev),
      maxDiff: info.maxDiff,
    }
  } finally {
    await drop()
  }
}

const costOf = (n: number, m: number, depth: number, hidden: number) =>
  programCost(tanhNetCost(netWidths(n, m, depth, hidden)))

/** The crossover input size of the model for fixed m and depth, searched over [lo, hi]. */
function predictedCrossover(
  m: number,
  depth: number,
  hidden: number,
  lo: number,
  hi: number,
  machine: MachineModel | null,
): Crossover {
  return crossover(
    (n) => {
      const c = costOf(n, m, depth, hidden)
      const p = machine === null ? predictModes(c, n, m) : predictTimes(c, n, m, machine)
      return p.jacfwd - p.jacrev
    },
    lo,
    hi,
  )
}

function ratioPlot(rows: readonly ModesRow[], predictedRatio: readonly number[]): Plot {
  const log = { type: 'log' }
  const data = rows.flatMap((r, i) => [
    {
      'n/m': r.n / r.m,
      ratio: r.ratio.cpu.median,
      lo: r.ratio.cpu.lo,
      hi: r.ratio.cpu.hi,
      depth: `L = ${r.depth}`,
      source: 'measured',
    },
    { 'n/m': r.n / r.m, ratio: predictedRatio[i]!, depth: `L = ${r.depth}`, source: 'predicted' },
  ])
  const x = { field: 'n/m', type: 'quantitative', scale: log, title: 'n / m (inputs ÷ outputs, log scale)' }
  const color = { field: 'depth', type: 'nominal', sort: null, title: 'depth' }
  return {
    file: 'fwd-rev-ratio',
    title: 'jacfwd ÷ jacrev against n/m',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'jacfwd time ÷ jacrev time against n/m (below the line: forward mode faster)',
      width: 480,
      height: 320,
      layer: [
        {
          data: { values: [{ y: 1 }] },
          mark: { type: 'rule', color: 'gray', strokeDash: [4, 4] },
          encoding: { y: { field: 'y', type: 'quantitative', scale: log } },
        },
        {
          // the 95% interval of each measured ratio
          data: { values: data.filter((d) => d.source === 'measured' && d.hi! > d.lo!) },
          mark: { type: 'rule', strokeWidth: 1.5 },
          encoding: {
            x,
            y: { field: 'lo', type: 'quantitative', scale: log },
            y2: { field: 'hi' },
            color,
          },
        },
        {
          data: { values: data },
          mark: { type: 'point', size: 60 },
          encoding: {
            x,
            y: {
              field: 'ratio',
              type: 'quantitative',
              scale: log,
              title: 'jacfwd ÷ jacrev (CPU time ratio, log scale)',
            },
            color,
            shape: { field: 'source', type: 'nominal', title: '' },
            fill: {
              condition: { test: "datum.source === 'measured'", field: 'depth', type: 'nominal', sort: null },
              value: 'transparent',
            },
          },
        },
      ],
    } as any,
  }
}

/** The modes suite. */
export const modesSuite: Suite = {
  name: 'modes',
  title: 'Wide against deep: jacfwd and jacrev',
  description:
    'jacfwd (vector mode) and jacrev on tanh networks R^n → R^m over n, m and depth, against the FLOP cost model; the acceptance case of the Jacobian issue; one vector-mode pass against k JVPs',
  steps: (size) => {
    const s = SIZES[size]
    return s.ns.length * s.ns.length * s.depths.length + 3
  },
  run: async (ctx) => {
    const s = SIZES[ctx.size]
    const session = new Session(ctx.openHost, ctx.timing)
    try {
      return await runModes(ctx.backend, s, session, ctx.tick)
    } finally {
      await session.close()
    }
  },
}

async function runModes(
  backend: string,
  s: Sizes,
  session: Session,
  tick: (label: string) => void,
): Promise<SuiteOutput> {
  {
    const rows: ModesRow[] = []
    for (const depth of s.depths) {
      for (const m of s.ns) {
        for (const n of s.ns) {
          tick(`modes: L = ${depth}, n = ${n}, m = ${m}`)
          rows.push(
            await measure(
              session,
              backend,
              netWidths(n, m, depth, s.hidden),
              depth,
              s.grid,
              7 * depth + 3 * n + m,
            ),
          )
        }
      }
    }

    // the machine from the evaluations of f alone, then every prediction from it
    const machine = fitMachine(
      rows.map((r) => {
        const c = costOf(r.n, r.m, r.depth, s.hidden)
        return { flops: c.primal, calls: c.calls, ms: r.fMs }
      }),
    )
    const perCall = perCallFlops(machine)
    const predicted = rows.map((r) => {
      const c = costOf(r.n, r.m, r.depth, s.hidden)
      return { flops: predictModes(c, r.n, r.m), ms: predictTimes(c, r.n, r.m, machine) }
    })

    const gridTable: Table = {
      title: 'jacfwd (vector mode) and jacrev: measured, and predicted by the cost model',
      columns: [
        { key: 'depth', header: 'L', format: 'int' },
        { key: 'n', header: 'n', format: 'int' },
        { key: 'm', header: 'm', format: 'int' },
        { key: 'f', header: 'f ms', format: 'ms' },
        { key: 'fwd', header: 'jacfwd ms', format: 'ms' },
        { key: 'rev', header: 'jacrev ms', format: 'ms' },
        { key: 'ratio', header: 'fwd ÷ rev', format: 'ratio' },
        { key: 'predRatio', header: 'predicted', format: 'ratio' },
        { key: 'flopRatio', header: 'FLOPs only', format: 'ratio' },
        { key: 'faster', header: 'faster', format: 'text' },
        { key: 'agrees', header: 'model agrees', format: 'check' },
      ],
      key: ['depth', 'n', 'm'],
      rows: rows.map((r, i) => {
        const p = predicted[i]!
        const faster = r.fwdMs <= r.revMs ? 'jacfwd' : 'jacrev'
        return {
          ...r,
          predRatio: p.ms.jacfwd / p.ms.jacrev,
          flopRatio: p.flops.jacfwd / p.flops.jacrev,
          faster,
          agrees: (p.ms.jacfwd <= p.ms.jacrev ? 'jacfwd' : 'jacrev') === faster,
        }
      }),
      notes: [
        `Network: y ← tanh(y W_i), widths n → ${s.hidden} → … → ${s.hidden} → m (L layers; n → m for L = 1).`,
        'fwd ÷ rev below 1: forward mode faster. "predicted": the cost model with the machine fitted on the f column alone;',
        '"FLOPs only": the same model without the per-call cost. Theory: jacfwd ≈ n tangent sweeps, jacrev ≈ m adjoint sweeps,',
        'so forward mode wins when n < m, the crossover moved by what a sweep costs in each mode.',
      ],
    }

    const lo = s.ns[0]!
    const hi = s.ns[s.ns.length - 1]!
    const crossRows = s.depths.flatMap((depth) =>
      s.ns.map((m) => {
        const at = rows.filter((r) => r.depth === depth && r.m === m).sort((a, b) => a.n - b.n)
        return {
          depth,
          m,
          flops: formatCrossover(predictedCrossover(m, depth, s.hidden, lo, hi, null)),
          model: formatCrossover(predictedCrossover(m, depth, s.hidden, lo, hi, machine)),
          measured: formatCrossover(
            measuredCrossover(
              at.map((r) => r.n),
              at.map((r) => r.fwdMs),
              at.map((r) => r.revMs),
            ),
          ),
        }
      }),
    )
    const crossTable: Table = {
      title: `Crossover: the input size n* where jacfwd and jacrev cost the same, for n in [${lo}, ${hi}]`,
      columns: [
        { key: 'depth', header: 'L', format: 'int' },
        { key: 'm', header: 'm', format: 'int' },
        { key: 'flops', header: 'predicted (FLOPs only)', format: 'text' },
        { key: 'model', header: 'predicted (fitted)', format: 'text' },
        { key: 'measured', header: 'measured', format: 'text' },
      ],
      rows: crossRows,
      notes: ['Measured n*: interpolated in log n between the grid sizes where fwd ÷ rev passes 1.'],
    }

    // the acceptance case: three tanh layers of hidden width h
    const { hidden, wide, narrow } = s.acceptance
    const cases = [
      { label: `${wide} → ${narrow}`, n: wide, m: narrow, expect: 'jacrev' as const },
      { label: `${narrow} → ${wide}`, n: narrow, m: wide, expect: 'jacfwd' as const },
    ]
    const targets: Target[] = []
    const accRows = []
    for (const c of cases) {
      tick(`modes: acceptance ${c.label}`)
      const r = await measure(session, backend, netWidths(c.n, c.m, 3, hidden), 3, {}, 11 + c.n)
      const [fast, slow] = c.expect === 'jacrev' ? [r.rev, r.fwd] : [r.fwd, r.rev]
      const limit = 3 * Math.min(c.n, c.m)
      const speedup = pairedTimingRatio(slow, fast)
      const best = pairedTimingRatio(fast, r.f)
      accRows.push({ case: c.label, f: r.f, fwd: r.fwd, rev: r.rev, expect: c.expect, speedup, best, limit })
      const name = `${c.label}, 3 tanh layers of ${hidden}`
      targets.push(target(`${name}: ${c.expect} faster than the other mode by`, speedup, '>=', 10))
      targets.push(target(`${name}: the faster mode ÷ one evaluation of f`, best, '<=', limit))
    }
    const accTable: Table = {
      title: `Acceptance case: three tanh(W·) layers of width ${hidden}`,
      columns: [
        { key: 'case', header: 'n → m', format: 'text' },
        { key: 'f', header: 'f ms', format: 'ms' },
        { key: 'fwd', header: 'jacfwd ms', format: 'ms' },
        { key: 'rev', header: 'jacrev ms', format: 'ms' },
        { key: 'expect', header: 'should win', format: 'text' },
        { key: 'speedup', header: 'speed-up (≥ 10×)', format: 'ratio' },
        { key: 'best', header: 'faster ÷ f', format: 'ratio' },
        { key: 'limit', header: '3·min(n, m)', format: 'int' },
      ],
      rows: accRows,
      notes: ['Whether each held, and with what confidence, is under Targets.'],
    }

    // vector mode: the Jacobian by one pass carrying every tangent direction, against one JVP per direction
    tick('modes: vector mode')
    const width = s.hidden === 6 ? 32 : 256
    const depth = 3
    const vector = await session.setup<{ maxDiff: number }>(`dualtape ${backend}`, {
      module: workloadModule,
      name: 'vectorModeSetup',
      args: [width, depth, backend],
    })
    const vm = await session.measure(
      [vector.subjects['batched']!, vector.subjects['separate']!],
      ['vector mode: one pass', 'vector mode: k JVPs'],
    )
    await vector.drop()
    const [batched, separate] = vm.timings as [Timing, Timing]
    const vectorName = `Jacobian of ${depth} tanh layers R^${width} → R^${width}, k = ${width}`
    const vectorSpeedup = pairedTimingRatio(separate, batched)
    targets.push(target(`${vectorName}: one batched pass faster than k JVPs by`, vectorSpeedup, '>=', 3))
    const vectorTable: Table = {
      title: 'Vector mode: the Jacobian by one pass with k tangent directions, against k separate JVPs',
      columns: [
        { key: 'name', header: 'function', format: 'text' },
        { key: 'batched', header: 'one pass ms', format: 'ms' },
        { key: 'separate', header: 'k JVPs ms', format: 'ms' },
        { key: 'speedup', header: 'speed-up (≥ 3×)', format: 'ratio' },
        { key: 'maxDiff', header: 'max |difference|', format: 'err' },
      ],
      rows: [{ name: vectorName, batched, separate, speedup: vectorSpeedup, maxDiff: vector.info.maxDiff }],
      notes: [
        'The k tangents ride as a leading axis through every JVP rule: one primal evaluation, and matrix products instead of k matrix-vector products.',
      ],
    }

    const points = rows.flatMap((r, i) => {
      const p = predicted[i]!.ms
      return [
        { predicted: p.f, measured: r.f, group: 'f' },
        { predicted: p.jacfwd, measured: r.fwd, group: 'jacfwd' },
        { predicted: p.jacrev, measured: r.rev, group: 'jacrev' },
      ]
    })
    return {
      notes: [
        `Fitted machine (least squares on the times of f): ${machine.msPerFlop > 0 ? `${(1e-6 / machine.msPerFlop).toFixed(2)} GFLOP/s` : 'flops not resolved'} and ${(machine.msPerCall * 1000).toFixed(2)} µs per op call (≈ ${Math.round(perCall).toLocaleString('en-US')} flop-equivalents).`,
        'Every Jacobian is checked first: jacfwd and jacrev agree to 1e-8.',
      ],
      tables: [accTable, vectorTable, gridTable, crossTable],
      targets,
      plots: [
        ratioPlot(
          rows,
          predicted.map((p) => p.ms.jacfwd / p.ms.jacrev),
        ),
        predictedVsMeasured({
          file: 'predicted-vs-measured',
          title: 'predicted against measured time',
          plotTitle: 'Cost model (fitted on f alone) against measurement; the line is predicted = measured',
          points,
          groupTitle: 'computation',
          predictedTitle: 'predicted CPU ms (log scale)',
        }),
      ],
      problems: [],
      warmups: session.warmups,
      processSpreads: session.processSpreads,
    }
  }
}
