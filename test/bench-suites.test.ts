import { describe, expect, it } from 'vitest'
import { chainSuite } from '../bench/suites/chain.js'
import { SUITES, findSuite, suiteNames } from '../bench/suites/index.js'
import { modesSuite, netWidths, tanhNet } from '../bench/suites/modes.js'
import { overheadSuite } from '../bench/suites/overhead.js'
import type { Suite, SuiteOutput, Table } from '../bench/suites/types.js'
import { jacrev, randn } from '../src/index.js'

/** Runs a suite at the smoke size, counting its ticks. */
async function smoke(suite: Suite): Promise<{ out: SuiteOutput; ticks: number }> {
  let ticks = 0
  const out = await suite.run({ size: 'smoke', backend: 'cpu', tick: () => ticks++ })
  return { out, ticks }
}

const column = (t: Table, key: string): unknown[] => t.rows.map((r) => r[key])

const positiveFinite = (xs: unknown[]): void => {
  expect(xs.length).toBeGreaterThan(0)
  for (const x of xs) {
    expect(typeof x).toBe('number')
    expect(Number.isFinite(x as number)).toBe(true)
    expect(x as number).toBeGreaterThan(0)
  }
}

/** Every row has a cell for every column, and every column key is used. */
function wellFormed(out: SuiteOutput): void {
  for (const t of out.tables) {
    expect(t.title.length).toBeGreaterThan(0)
    for (const row of t.rows) for (const c of t.columns) expect(row).toHaveProperty(c.key)
  }
  for (const t of out.targets) {
    expect(t.held).toBe(t.comparison === '>=' ? t.measured >= t.limit : t.measured <= t.limit)
  }
  for (const p of out.plots) {
    expect(p.file).toMatch(/^[a-z0-9-]+$/)
    expect(p.spec).toBeTypeOf('object')
  }
}

describe('the registry', () => {
  it('names the four suites, in order', () => {
    expect(suiteNames()).toEqual(['overhead', 'modes', 'chain', 'peers'])
    expect(findSuite('modes')).toBe(modesSuite)
    expect(findSuite('nope')).toBeUndefined()
    for (const s of SUITES) expect(s.steps('smoke')).toBeGreaterThan(0)
  })
})

describe('overhead (smoke size)', () => {
  it('measures f, grad and jvp, and ω is their ratio', async () => {
    const { out, ticks } = await smoke(overheadSuite)
    expect(ticks).toBe(overheadSuite.steps('smoke'))
    wellFormed(out)
    expect(out.problems).toEqual([])
    const [tensorTable, dualTable] = out.tables
    expect(tensorTable!.rows).toHaveLength(3)
    for (const k of ['fMs', 'gradMs', 'jvpMs', 'omegaGrad', 'omegaJvp'])
      positiveFinite(column(tensorTable!, k))
    for (const r of tensorTable!.rows) {
      expect(r['omegaGrad']).toBeCloseTo((r['gradMs'] as number) / (r['fMs'] as number), 10)
      expect(r['omegaJvp']).toBeCloseTo((r['jvpMs'] as number) / (r['fMs'] as number), 10)
      expect(r['gradWithin']).toBe((r['omegaGrad'] as number) <= 4)
      expect(r['jvpWithin']).toBe((r['omegaJvp'] as number) <= 2.5)
    }
    expect(dualTable!.rows.map((r) => r['workload'])).toEqual([
      'polyval, 1,000 terms',
      'transcendental, 20 ops',
      'horner by add and mul, 1,000 terms',
      'horner by add and mul, also run on numbers',
      'horner, duals inline (floor)',
    ])
    for (const k of ['plainNs', 'dualNs', 'omega']) positiveFinite(column(dualTable!, k))
    for (const r of dualTable!.rows) {
      expect(r['omega']).toBeCloseTo((r['dualNs'] as number) / (r['plainNs'] as number), 10)
    }
    // the two targets of the dual numbers: the polynomial by polyval and the transcendental expression
    expect(out.targets.map((t) => t.name)).toEqual([
      'scalar duals ÷ plain numbers: 1,000-term polynomial (polyval)',
      'scalar duals ÷ plain numbers: 20-op transcendental expression',
    ])
    const omega = (w: string): number => dualTable!.rows.find((r) => r['workload'] === w)!['omega'] as number
    expect(out.targets.map((t) => t.measured)).toEqual([
      omega('polyval, 1,000 terms'),
      omega('transcendental, 20 ops'),
    ])
    expect(out.plots.map((p) => p.file)).toEqual(['omega'])
  })
})

describe('modes (smoke size)', () => {
  it('builds the network of the widths', () => {
    expect(netWidths(5, 3, 1, 100)).toEqual([5, 3])
    expect(netWidths(5, 3, 4, 100)).toEqual([5, 100, 100, 100, 3])
    const f = tanhNet([4, 6, 2])
    const x = randn([4], { seed: 1 })
    expect(f(x).shape).toEqual([2])
    expect((jacrev(f)(x) as { shape: number[] }).shape).toEqual([2, 4])
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
      expect(r['speedup']).toBeCloseTo((r['separateMs'] as number) / (r['batchedMs'] as number), 10)
      expect(r['held']).toBe((r['speedup'] as number) >= 3)
      expect(Number(r['maxDiff'])).toBeLessThan(1e-12)
    }
    // 2 sizes of n, 2 of m, 2 depths
    expect(grid!.rows).toHaveLength(8)
    for (const k of ['fMs', 'fwdMs', 'revMs', 'ratio', 'predRatio', 'flopRatio'])
      positiveFinite(column(grid!, k))
    for (const r of grid!.rows) {
      expect(r['ratio']).toBeCloseTo((r['fwdMs'] as number) / (r['revMs'] as number), 10)
      expect(r['faster']).toBe((r['fwdMs'] as number) <= (r['revMs'] as number) ? 'jacfwd' : 'jacrev')
      expect(r['maxDiff'] as number).toBeLessThan(1e-8)
    }
    expect(cross!.rows).toHaveLength(4)
    for (const r of cross!.rows) {
      for (const k of ['flops', 'model', 'measured'])
        expect(r[k]).toMatch(/^(n\* ≈ [0-9.]+|jac(fwd|rev) cheaper throughout)$/)
    }
    expect(acc!.rows).toHaveLength(2)
    for (const r of acc!.rows) {
      const fwd = r['fwdMs'] as number
      const rev = r['revMs'] as number
      const speedup = r['expect'] === 'jacrev' ? fwd / rev : rev / fwd
      expect(r['speedup']).toBeCloseTo(speedup, 10)
      expect(r['best']).toBeCloseTo(Math.min(fwd, rev) / (r['fMs'] as number), 10)
    }
    expect(out.targets).toHaveLength(5)
    expect(out.plots.map((p) => p.file)).toEqual(['fwd-rev-ratio', 'predicted-vs-measured'])
  })
})

describe('chain (smoke size)', () => {
  it('accumulates every chain by every strategy; optimal never predicts more flops', async () => {
    const { out, ticks } = await smoke(chainSuite)
    expect(ticks).toBe(1)
    wellFormed(out)
    const t = out.tables[0]!
    expect(t.rows.length).toBeGreaterThan(0)
    expect(t.rows.length % 3).toBe(0)
    positiveFinite(column(t, 'predictedMflop'))
    positiveFinite(column(t, 'ms'))
    for (const r of t.rows) {
      expect(['left', 'right', 'optimal']).toContain(r['strategy'])
      expect(r['flopsVsOptimal'] as number).toBeGreaterThanOrEqual(1 - 1e-12)
    }
    expect(out.plots.map((p) => p.file)).toEqual(['strategies'])
  })
})
