import { describe, expect, it } from 'vitest'
import { checkpointSuite } from '../../bench/suites/checkpoint.js'
import { TIMING_PLANS, hostOpener } from '../../bench/measure/session.js'
import { judge, type Timing } from '../../bench/measure/stats.js'
import { renderVegaLite } from '../../bench/plot/plot.js'
import { CHECKPOINT_SIZES } from '../../bench/workloads/checkpoint.js'
import { revolveAdvances } from '../../src/index.js'
import { checkPicture } from '../support/plot-picture.js'

// The checkpoint suite at the smoke size (a 200-step loop): its counts against revolve's
// formula, its memory against the bound, its targets and its plots as pictures.

describe('checkpoint (smoke size)', () => {
  it('times every configuration, counts recomputations against t(n, c), and draws both plots', async () => {
    let ticks = 0
    const out = await checkpointSuite.run({
      size: 'smoke',
      backend: 'cpu',
      tick: () => ticks++,
      openHost: hostOpener(false),
      timing: TIMING_PLANS.smoke,
    })
    expect(ticks).toBe(checkpointSuite.steps('smoke'))
    const { n, cs } = CHECKPOINT_SIZES.smoke
    const t = out.tables[0]!
    expect(t.rows).toHaveLength(cs.length + 1)
    const [unchecked, ...checked] = t.rows
    expect(unchecked!['evaluations']).toBe(n)
    // one tape of n steps: two inputs, two ops per step and the sum
    expect(unchecked!['peakTapeNodes']).toBe(2 + 2 * n + 1)
    checked.forEach((r, i) => {
      const c = cs[i]!
      expect(r['theory']).toBe(revolveAdvances(n, c))
      expect(r['recomputed']).toBe(r['theory'])
      expect(r['evaluations']).toBe(n + revolveAdvances(n, c))
      expect(r['peakSnapshots']).toBe(c)
      expect(r['peakTapeNodes']).toBe(4)
      expect(r['stepTapes'] as number).toBeLessThanOrEqual(c + 1)
      expect(r['peakBytes'] as number).toBeLessThan(unchecked!['peakBytes'] as number)
      expect(r['gradError'] as number).toBeLessThanOrEqual(1e-12)
      const ms = r['ms'] as Timing
      expect(ms.cpu.n).toBe(TIMING_PLANS.smoke.rounds.min)
      expect(ms.cpu.median).toBeGreaterThan(0)
    })
    expect(out.targets).toHaveLength(3 * cs.length)
    for (const x of out.targets) {
      expect(x.status).toBe('held')
      expect(x.status).toBe(judge(x.measured, x.comparison, x.limit))
    }
    expect(out.plots.map((p) => p.file)).toEqual(['checkpoint-memory-time', 'checkpoint-recomputations'])
    for (const p of out.plots) {
      await expect(renderVegaLite(p.spec, { strict: true }), p.file).resolves.toMatch(/^<svg/)
      const check = await checkPicture(p.spec)
      expect(check.problems, p.file).toEqual([])
      expect(check.marks.length, p.file).toBeGreaterThan(0)
    }
  })
})
