import { describe, expect, test } from 'vitest'
import { ValueError, revolveAdvances, revolveSchedule, type RevolveSchedule } from '../../src/index.js'
import { splitRange } from '../../src/checkpoint/revolve.js'

// The schedule against the recurrence it solves, computed by brute force: T(1, c) = 0,
// T(l, 1) = l(l − 1)/2, T(l, c) = min over 1 ≤ k < l of k + T(l − k, c − 1) + T(k, c) (advance
// k steps, store a snapshot, reverse the l − k steps after it with one slot fewer, then the k
// before it). "Advances" counts the steps evaluated without recording, those of the first sweep
// included; each step is also recorded once (its turn), which the count leaves out.

const L = 60
const C = 6
/** T[l][c] by brute force over every split. */
const T: number[][] = Array.from({ length: L + 1 }, () => [])
for (let c = 1; c <= C; c++) {
  for (let l = 1; l <= L; l++) {
    if (l === 1) T[l]![c] = 0
    else if (c === 1) T[l]![c] = (l * (l - 1)) / 2
    else {
      let best = Infinity
      for (let k = 1; k < l; k++) best = Math.min(best, k + T[l - k]![c - 1]! + T[k]![c]!)
      T[l]![c] = best
    }
  }
}

const binomial = (n: number, k: number): number => {
  let b = 1
  for (let i = 1; i <= k; i++) b = (b * (n - k + i)) / i
  return b
}

/**
 * Runs a schedule on positions instead of states: every action must be possible (a restore
 * names a slot holding that position, an advance starts at the current position, a turn
 * reverses the step whose output cotangent is known), every step turns exactly once, from the
 * last to the first, and no more than c slots are in use. Returns the advances it counted and
 * how often each step was advanced.
 */
function simulate(s: RevolveSchedule): { advances: number; perStep: number[] } {
  const slots = new Map<number, number>()
  let current: number | null = 0
  let next = s.steps - 1 // the step whose turn comes next
  let advances = 0
  const perStep = new Array<number>(s.steps).fill(0)
  // plain checks in the loop (an expect per action would dominate the test's time)
  const check = (ok: boolean, what: string, i: number): void => {
    if (!ok) throw new Error(`action ${i} (${JSON.stringify(s.actions[i])}): ${what}`)
  }
  s.actions.forEach((a, i) => {
    switch (a.kind) {
      case 'takeshot':
        check(
          current === a.at && a.slot < s.snapshots,
          'stores a state that is not current, or a slot beyond c',
          i,
        )
        slots.set(a.slot, a.at)
        break
      case 'restore':
        check(slots.get(a.slot) === a.at, 'restores a slot that holds another position', i)
        current = a.at
        break
      case 'advance':
        check(
          current === a.from && a.to > a.from && a.to <= next,
          'advances from elsewhere or past the next turn',
          i,
        )
        for (let j = a.from; j < a.to; j++) perStep[j]!++
        advances += a.to - a.from
        current = a.to
        break
      case 'firsturn':
      case 'youturn':
        check(
          a.kind === (next === s.steps - 1 ? 'firsturn' : 'youturn'),
          'firsturn is the first turn only',
          i,
        )
        check(a.at === next && current === a.at, 'turns a step out of order or without its input state', i)
        next--
        current = null
        break
    }
  })
  expect(next).toBe(-1)
  expect(slots.size).toBeLessThanOrEqual(s.snapshots)
  return { advances, perStep }
}

describe('revolve', () => {
  test('the advances of the schedule equal the brute-force minimum and the closed form, l ≤ 60, c ≤ 6', () => {
    for (let c = 1; c <= C; c++) {
      for (let l = 1; l <= L; l++) {
        const s = revolveSchedule(l, c)
        const { advances, perStep } = simulate(s)
        expect(advances).toBe(T[l]![c])
        expect(s.advances).toBe(T[l]![c])
        expect(revolveAdvances(l, c)).toBe(T[l]![c])
        expect(s.turns).toBe(l)
        expect(s.slotsUsed).toBeLessThanOrEqual(c)
        // r: no step is advanced more than r times, and r is the least with C(c + r, c) ≥ l
        const r = s.repetitions
        expect(binomial(c + r, c)).toBeGreaterThanOrEqual(l)
        if (r > 0) expect(binomial(c + r - 1, c)).toBeLessThan(l)
        expect(Math.max(...perStep)).toBeLessThanOrEqual(r)
      }
    }
  })

  test("Griewank and Walther's range of split points holds optimal splits only", () => {
    for (let c = 2; c <= C; c++) {
      for (let l = 2; l <= L; l++) {
        const [lo, hi] = splitRange(l, c)
        expect(lo).toBeLessThanOrEqual(hi)
        for (let k = lo; k <= hi; k++) expect(k + T[l - k]![c - 1]! + T[k]![c]!).toBe(T[l]![c])
      }
    }
  })

  test('closed forms at the ends: one slot recomputes from the start, l − 1 slots store every state', () => {
    for (const l of [1, 2, 7, 100, 1000]) {
      expect(revolveAdvances(l, 1)).toBe((l * (l - 1)) / 2)
      expect(revolveAdvances(l, Math.max(1, l - 1))).toBe(l - 1)
      expect(revolveAdvances(l, l + 5)).toBe(l - 1)
    }
    expect(revolveAdvances(0, 3)).toBe(0)
    expect(revolveSchedule(0, 3).actions).toEqual([])
  })

  test('10⁴ steps: the schedule is valid and its advances equal r·l − β(c + 1, r − 1) for several c', () => {
    const l = 10_000
    // r and t(l, c) worked out by hand from the binomials
    const expected: [number, number, number][] = [
      // c, r, t
      [2, 140, 140 * l - binomial(142, 3)],
      [5, 14, 14 * l - binomial(19, 6)],
      [10, 7, 7 * l - binomial(17, 11)],
      [100, 3, 3 * l - binomial(103, 101)],
    ]
    for (const [c, r, t] of expected) {
      const s = revolveSchedule(l, c)
      expect(s.repetitions).toBe(r)
      expect(s.advances).toBe(t)
      expect(simulate(s).advances).toBe(t)
      expect(s.slotsUsed).toBe(c)
    }
    expect(revolveAdvances(l, 10)).toBe(57_624)
  })

  test('bad steps or snapshots: a ValueError naming the argument', () => {
    for (const c of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(() => revolveSchedule(10, c)).toThrow(ValueError)
      expect(() => revolveSchedule(10, c)).toThrow(/snapshots must be an integer ≥ 1/)
      expect(() => revolveAdvances(10, c)).toThrow(/revolveAdvances: snapshots/)
    }
    for (const l of [-1, 2.5, Number.NaN]) {
      expect(() => revolveSchedule(l, 2)).toThrow(/revolveSchedule: steps must be a non-negative integer/)
    }
    expect(() => revolveSchedule('10' as unknown as number, 2)).toThrow(ValueError)
  })
})
