import { describe, expect, test } from 'vitest'
import { VMAP_TARGET, benchVmap, formatVmap } from '../../bench/vmap.js'

// The per-example gradient benchmark runs, checks that vmap and the loop agree, and reports; its
// figures are read from the report, never asserted here (a timed test on a shared machine would
// only measure the neighbours).
describe('vmap benchmark', () => {
  test('times vmap(grad) against a loop of grad in paired rounds, on gradients that agree', () => {
    const rows = benchVmap({ examples: 6, width: 8, layers: 2, rounds: 3 })
    expect(rows.map((r) => r.workload)).toEqual([
      'MLP width 8, 2 tanh + linear: per-example gradients w.r.t. the parameters',
      'MLP width 8, 2 tanh + linear: per-example gradients w.r.t. the inputs',
    ])
    for (const r of rows) {
      expect(r.maxDiff).toBeLessThan(1e-12)
      const floor = r.floor === undefined ? [] : [r.floor.biases, r.floor.writes, r.floor.bound]
      for (const s of [r.loopCpu, r.vmapCpu, r.loopWall, r.vmapWall, r.speedup, ...floor]) {
        expect(s.q1).toBeLessThanOrEqual(s.median)
        expect(s.median).toBeLessThanOrEqual(s.q3)
      }
    }
    // the floor, for the parameters only: 3 weight gradients of 6 examples × 8 × 8 float64 values
    expect(rows.map((r) => r.floor?.bytes)).toEqual([3 * 6 * 8 * 8 * 8, undefined])
    const table = formatVmap(rows)
    expect(table).toContain(
      '| MLP width 8, 2 tanh + linear: per-example gradients w.r.t. the parameters | 6 |',
    )
    expect(table).toMatch(/^Floor of vmap w\.r\.t\. the parameters .* loop ÷ vmap can be at most [\d.]+ \[/m)
    expect(table).toMatch(new RegExp(`target ≥ ${VMAP_TARGET}×: (met|missed)\\)$`))
  }, 60_000)
})
