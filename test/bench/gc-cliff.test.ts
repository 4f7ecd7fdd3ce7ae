import { describe, expect, test } from 'vitest'
import { GC_CLIFF_TARGET, benchGcCliff, formatGcCliff } from '../../bench/gc-cliff.js'

// The garbage-collection cliff check runs and reports; its figures are read from the report,
// never asserted here (a timed test on a shared machine would only measure the neighbours).
describe('gc-cliff benchmark', () => {
  test('times the gradient and the control after full collections and says whether the target is met', () => {
    const rows = benchGcCliff({ quick: true })
    expect(rows.map((r) => r.workload)).toEqual(['10-op gradient', 'control: plain JavaScript'])
    for (const r of rows) {
      for (const v of [r.steady, r.first, r.next, r.cpuSteady, r.cpuAfter])
        expect(v).toBeGreaterThanOrEqual(0)
      for (const s of [r.firstRatio, r.nextRatio]) {
        expect(s.median).toBeGreaterThan(0)
        expect(s.q1).toBeLessThanOrEqual(s.median)
        expect(s.median).toBeLessThanOrEqual(s.q3)
      }
    }
    const table = formatGcCliff(rows)
    expect(table).toContain('| 10-op gradient |')
    expect(table).toMatch(
      new RegExp(`within ${GC_CLIFF_TARGET}× of steady state: (met|missed \\(\\d+\\.\\d\\d×\\))$`),
    )
  }, 60_000)
})
