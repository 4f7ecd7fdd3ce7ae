import { describe, expect, it } from 'vitest'
import { chainSuite } from '../../bench/suites/chain.js'
import { SUITES, findSuite, suiteNames } from '../../bench/suites/index.js'
import { linearizeSuite } from '../../bench/suites/linearize.js'
import { modesSuite, netWidths, tanhNet } from '../../bench/suites/modes.js'
import { overheadSuite } from '../../bench/suites/overhead.js'
import { TIMING_PLANS, hostOpener } from '../../bench/measure/session.js'
import { type Timing, judge } from '../../bench/measure/stats.js'
import type { Suite, SuiteOutput, Table } from '../../bench/suites/types.js'
import { jacrev, randn } from '../../src/index.js'
import { renderVegaLite } from '../../bench/plot/plot.js'
import { checkPicture } from '../support/plot-picture.js'

/**
 * Runs a suite at the smoke size, counting its ticks: its hosts in child processes (as the
 * command runs them) or, faster, in this process.
 */
async function smoke(suite: Suite, isolated = false): Promise<{ out: SuiteOutput; ticks: number }> {
  let ticks = 0
  const out = await suite.run({
    size: 'smoke',
    backend: 'cpu',
    tick: () => ticks++,
    openHost: hostOpener(isolated),
    timing: TIMING_PLANS.smoke,
  })
  return { out, ticks }
}

const column = (t: Table, key: string): unknown[] => t.rows.map((r) => r[key])

/** A timing cell: CPU and wall medians inside their intervals, positive and finite, `n` samples. */
function isTiming(x: unknown, n = TIMING_PLANS.smoke.rounds.min): asserts x is Timing {
  expect(x).toBeTypeOf('object')
  const t = x as Timing
  for (const e of [t.cpu, t.wall]) {
    expect(e.n).toBe(n)
    expect(e.samples).toHaveLength(n)
    expect(Number.isFinite(e.median)).toBe(true)
    expect(e.lo).toBeLessThanOrEqual(e.median)
    expect(e.median).toBeLessThanOrEqual(e.hi)
    expect(e.lo).toBeGreaterThan(0)
  }
}

/** The median of per-round ratios of two timings' CPU samples. */
const pairedMedian = (a: Timing, b: Timing): number => {
  const r = a.cpu.samples.map((x, i) => x / b.cpu.samples[i]!).sort((p, q) => p - q)
  return r[(r.length - 1) / 2]!
}

/**
 * Every plot renders strictly (no vega warning, every mark with extent) and shows each of its
 * marks in the picture (rendered to pixels).
 */
async function plotsShowTheirData(out: SuiteOutput): Promise<void> {
  for (const p of out.plots) {
    await expect(renderVegaLite(p.spec, { strict: true }), p.file).resolves.toMatch(/^<svg/)
    const check = await checkPicture(p.spec)
    expect(check.problems, p.file).toEqual([])
    expect(check.marks.length, p.file).toBeGreaterThan(0)
  }
}

/** Every row has a cell for every column; every target's status follows from its interval. */
function wellFormed(out: SuiteOutput): void {
  for (const t of out.tables) {
    expect(t.title.length).toBeGreaterThan(0)
    for (const row of t.rows) for (const c of t.columns) expect(row).toHaveProperty(c.key)
  }
  for (const t of out.targets) {
    const figure = t.lo === undefined ? t.measured : { median: t.measured, lo: t.lo, hi: t.hi! }
    expect(t.status).toBe(judge(figure, t.comparison, t.limit))
  }
  for (const p of out.plots) {
    expect(p.file).toMatch(/^[a-z0-9-]+$/)
    expect(p.spec).toBeTypeOf('object')
  }
  for (const w of out.warmups ?? []) {
    expect(w.calls).toBeGreaterThan(0)
    expect(w.callsPerSample).toBeGreaterThan(0)
  }
}

describe('the registry', () => {
  it('names the six suites, in order', () => {
    expect(suiteNames()).toEqual(['overhead', 'modes', 'chain', 'linearize', 'checkpoint', 'peers'])
    expect(findSuite('modes')).toBe(modesSuite)
    expect(findSuite('nope')).toBeUndefined()
    for (const s of SUITES) expect(s.steps('smoke')).toBeGreaterThan(0)
  })
})

describe('overhead (smoke size)', () => {
  it('measures f, grad and jvp, each function in a child process; ω is the median of paired ratios', async () => {
    const { out, ticks } = await smoke(overheadSuite, true)
    expect(ticks).toBe(overheadSuite.steps('smoke'))
    wellFormed(out)
    expect(out.problems).toEqual([])
    const [tensorTable, dualTable] = out.tables
    expect(tensorTable!.rows).toHaveLength(3)
    for (const r of tensorTable!.rows) {
      for (const k of ['f', 'grad', 'jvp', 'omegaGrad', 'omegaJvp']) isTiming(r[k])
      const t = (k: string): Timing => r[k] as Timing
      expect(t('omegaGrad').cpu.median).toBeCloseTo(pairedMedian(t('grad'), t('f')), 10)
      expect(t('omegaJvp').cpu.median).toBeCloseTo(pairedMedian(t('jvp'), t('f')), 10)
    }
    // the scalar chain starts away from tanh's fixed point 0
    expect(String(tensorTable!.rows[2]!['fn'])).toContain('from x = 0.7')
    expect(dualTable!.rows.map((r) => r['workload'])).toEqual([
      'polyval, 1,000 terms',
      'transcendental, 20 ops',
      'horner by add and mul, 1,000 terms',
      'horner by add and mul, also run on numbers',
      'horner, duals inline (floor)',
    ])
    for (const r of dualTable!.rows) for (const k of ['plain', 'dual', 'omega']) isTiming(r[k])
    // the two targets of the dual numbers: the polynomial by polyval and the transcendental expression
    expect(out.targets.map((t) => t.name)).toEqual([
      'scalar duals ÷ plain numbers: 1,000-term polynomial (polyval)',
      'scalar duals ÷ plain numbers: 20-op transcendental expression',
    ])
    const omega = (w: string): Timing => dualTable!.rows.find((r) => r['workload'] === w)!['omega'] as Timing
    expect(out.targets.map((t) => [t.measured, t.lo, t.hi])).toEqual(
      ['polyval, 1,000 terms', 'transcendental, 20 ops'].map((w) => [
        omega(w).cpu.median,
        omega(w).cpu.lo,
        omega(w).cpu.hi,
      ]),
    )
    expect(out.plots.map((p) => p.file)).toEqual(['omega'])
    await plotsShowTheirData(out)
    // every measured function was warmed up, in its own host
    expect(out.warmups).toHaveLength(3 * 3 + 2 * 5)
    expect(new Set(out.warmups!.map((w) => w.host)).size).toBe(4)
  }, 120_000)
})

describe('modes (smoke size)', () => {
  it('builds the network of the widths', () => {
    expect(netWidths(5, 3, 1, 100)).toEqual([5, 3])
    expect(netWidths(5, 3, 4, 100)).toEqual([5, 100, 100, 100, 3])
    const f = tanhNet([4, 6, 2])
    const x = randn([4], { seed: 1 })
    expect(f(x).shape).toEqual([2])
    expect(jacrev(f)(x).shape).toEqual([2, 4])
  })

  it('times both modes on every configuration and checks the targets', async () => {
    const { out, ticks } = await smoke(modesSuite)
    expect(ticks).toBe(modesSuite.steps('smoke'))
    wellFormed(out)
    const [acc, vector, grid, cross] = out.tables
    // one stack of 3 tanh layers of width 32: 32 tangent directions in one pass against 32 JVPs
    expect(vector!.rows).toHaveLength(1)
    for (const r of vector!.rows) {
      expect(r['name']).toBe('Jacobian of 3 tanh layers R^32 → R^32, k = 32')
      isTiming(r['speedup'])
      expect((r['speedup'] as Timing).cpu.median).toBeCloseTo(
        pairedMedian(r['separate'] as Timing, r['batched'] as Timing),
        10,
      )
      expect(r['maxDiff'] as number).toBeLessThan(1e-12)
    }
    // 2 sizes of n, 2 of m, 2 depths
    expect(grid!.rows).toHaveLength(8)
    for (const r of grid!.rows) {
      for (const k of ['f', 'fwd', 'rev', 'ratio']) isTiming(r[k])
      expect((r['ratio'] as Timing).cpu.median).toBeCloseTo(
        pairedMedian(r['fwd'] as Timing, r['rev'] as Timing),
        10,
      )
      expect(r['faster']).toBe((r['fwdMs'] as number) <= (r['revMs'] as number) ? 'jacfwd' : 'jacrev')
      expect(r['maxDiff'] as number).toBeLessThan(1e-8)
      for (const k of ['predRatio', 'flopRatio']) expect(r[k] as number).toBeGreaterThan(0)
    }
    expect(cross!.rows).toHaveLength(4)
    for (const r of cross!.rows) {
      for (const k of ['flops', 'model', 'measured'])
        expect(r[k]).toMatch(/^(n\* ≈ [0-9.]+|jac(fwd|rev) cheaper throughout)$/)
    }
    expect(acc!.rows).toHaveLength(2)
    for (const r of acc!.rows) {
      const [fast, slow] = (
        r['expect'] === 'jacrev' ? [r['rev'], r['fwd']] : [r['fwd'], r['rev']]
      ) as Timing[]
      expect((r['speedup'] as Timing).cpu.median).toBeCloseTo(pairedMedian(slow!, fast!), 10)
      expect((r['best'] as Timing).cpu.median).toBeCloseTo(pairedMedian(fast!, r['f'] as Timing), 10)
    }
    expect(out.targets).toHaveLength(5)
    expect(out.plots.map((p) => p.file)).toEqual(['fwd-rev-ratio', 'predicted-vs-measured'])
    await plotsShowTheirData(out)
  })
})

describe('chain (smoke size)', () => {
  it('accumulates every chain by every strategy, predicted beside measured, and judges plan()’s choice', async () => {
    const { out, ticks } = await smoke(chainSuite)
    expect(ticks).toBe(1)
    wellFormed(out)
    const t = out.tables[0]!
    const shapes = [...new Set(column(t, 'shape'))]
    expect(shapes.some((s) => String(s).startsWith('operators '))).toBe(true)
    for (const r of t.rows) {
      expect([
        'left',
        'right',
        'optimal',
        'tangent',
        'adjoint',
        'segments',
        'plan()',
        'least flops',
      ]).toContain(r['strategy'])
      isTiming(r['ms'])
      isTiming(r['vsBest'])
      expect(r['predictedMs'] as number).toBeGreaterThan(0)
    }
    // one plan() per chain, and a target on it
    for (const shape of shapes) {
      expect(t.rows.filter((r) => r['shape'] === shape && r['chosen'] === true).length).toBeGreaterThan(0)
    }
    expect(out.targets.map((x) => x.name)).toEqual(
      shapes.map((s) => `${s}: plan()’s choice ÷ the fastest strategy`),
    )
    expect(out.plots.map((p) => p.file)).toEqual(['strategies', 'predicted-vs-measured'])
    await plotsShowTheirData(out)
  })
})

describe('linearize (smoke size)', () => {
  it('times jvp against jvpFn and the tape against linearVjp, with the memory of each, and judges jvpFn on the MLP', async () => {
    const { out, ticks } = await smoke(linearizeSuite)
    expect(ticks).toBe(linearizeSuite.steps('smoke'))
    wellFormed(out)
    expect(out.problems).toEqual([])
    const [jvpTable, vjpTable] = out.tables
    expect(jvpTable!.rows).toHaveLength(4)
    expect(vjpTable!.rows).toHaveLength(4)
    for (const r of jvpTable!.rows) for (const k of ['jvp', 'jvpFn', 'ratio', 'linearize']) isTiming(r[k])
    for (const r of vjpTable!.rows) {
      for (const k of ['vjp', 'linearVjp', 'ratio', 'pullback', 'transposed', 'pullRatio']) isTiming(r[k])
      // at the smoke size a few KiB, within the heap's noise: only measured, not compared
      expect(Number.isFinite(r['tapeKiB'])).toBe(true)
      expect(Number.isFinite(r['linearKiB'])).toBe(true)
    }
    expect(out.targets.map((x) => x.name)).toEqual([
      'MLP 4×8, 2 tanh + linear, in the input: one call of jvpFn ÷ one jvp',
    ])
    const ratio = jvpTable!.rows[0]!['ratio'] as Timing
    expect(out.targets[0]!.measured).toBe(ratio.cpu.median)
  }, 120_000)
})
