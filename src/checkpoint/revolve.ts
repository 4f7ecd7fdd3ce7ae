/**
 * Griewank and Walther's binomial checkpointing ("revolve", ACM TOMS Algorithm 799): the
 * schedule that reverses a loop of l steps while holding at most c states at once, with the
 * fewest step evaluations.
 *
 * @module
 */
import { ValueError, fmtValue } from '../core/errors.js'

/**
 * One action of a revolve schedule, in Griewank and Walther's vocabulary. Positions count the
 * states of the loop: state `i` is x after `i` steps, and step `i` maps state `i` to state `i + 1`.
 *
 * - `takeshot`: store the current state (at position `at`) in snapshot slot `slot`;
 * - `restore`: make the state in slot `slot` (at position `at`) the current state;
 * - `advance`: run steps `from` to `to − 1` without recording, from state `from` to state `to`;
 * - `firsturn`, `youturn`: run step `at` on a tape and pull the cotangent of state `at + 1` back
 *   through it to state `at` (`firsturn` is the first such turn, on the last step).
 *
 * @example
 * import { revolveSchedule, type RevolveAction } from 'dualtape'
 * const first: RevolveAction = revolveSchedule(3, 2).actions[0]!
 * first // → { kind: 'takeshot', slot: 0, at: 0 }
 */
export type RevolveAction =
  | { readonly kind: 'takeshot'; readonly slot: number; readonly at: number }
  | { readonly kind: 'restore'; readonly slot: number; readonly at: number }
  | { readonly kind: 'advance'; readonly from: number; readonly to: number }
  | { readonly kind: 'firsturn'; readonly at: number }
  | { readonly kind: 'youturn'; readonly at: number }

/**
 * A revolve schedule and what it costs.
 *
 * @example
 * import { revolveSchedule, type RevolveSchedule } from 'dualtape'
 * const s: RevolveSchedule = revolveSchedule(10, 3)
 * s.advances // → 15
 * s.turns // → 10
 * s.slotsUsed // → 3
 */
export interface RevolveSchedule {
  /** The number of steps l of the loop. */
  readonly steps: number
  /** The number of snapshot slots c (the initial state occupies one). */
  readonly snapshots: number
  /** The actions, in order. */
  readonly actions: readonly RevolveAction[]
  /**
   * The steps evaluated without recording (the sum of the advances): the recomputations. It
   * equals `revolveAdvances(steps, snapshots)`, the minimum over all schedules.
   */
  readonly advances: number
  /** The steps run on a tape and pulled back: one per step (`steps`). */
  readonly turns: number
  /** The repetition number r: no step is evaluated without recording more than r times. */
  readonly repetitions: number
  /** The most slots that hold a state at once (at most `snapshots`). */
  readonly slotsUsed: number
}

/** C(n, k), exact while it stays below 2^53; 0 when k < 0 or k > n. */
function binomial(n: number, k: number): number {
  if (k < 0 || n < 0 || k > n) return 0
  const m = Math.min(k, n - k)
  let b = 1
  // each partial product b = C(n - m + i, i) is an integer, so the division is exact
  for (let i = 1; i <= m; i++) b = (b * (n - m + i)) / i
  return b
}

/** β(c, r) = C(c + r, c): the most steps that c snapshots reverse with no step advanced more than r times. */
const beta = (c: number, r: number): number => (r < 0 ? 0 : binomial(c + r, c))

/** The repetition number: the least r with β(c, r) ≥ l. */
function repetitions(l: number, c: number): number {
  if (c === 1) return Math.max(0, l - 1)
  // β(c, r + 1) = β(c, r) · (c + r + 1) / (r + 1)
  let r = 0
  for (let b = 1; b < l; r++) b = (b * (c + r + 1)) / (r + 1)
  return r
}

/** t(l, c) = r·l − β(c + 1, r − 1), for l ≥ 1 and c ≥ 1 (checked by the callers). */
function minimalAdvances(l: number, c: number): number {
  const r = repetitions(l, c)
  return r * l - beta(c + 1, r - 1)
}

function checkArgs(where: string, steps: unknown, snapshots: unknown): asserts steps is number {
  if (typeof steps !== 'number' || !Number.isSafeInteger(steps) || steps < 0) {
    throw new ValueError(`${where}: steps must be a non-negative integer, got ${fmtValue(steps)}`)
  }
  if (typeof snapshots !== 'number' || !Number.isSafeInteger(snapshots) || snapshots < 1) {
    throw new ValueError(
      `${where}: snapshots must be an integer ≥ 1 (the initial state takes one), got ${fmtValue(snapshots)}`,
    )
  }
}

/**
 * The least number of step evaluations without recording (advances) that reverses a loop of
 * `steps` steps with `snapshots` snapshot slots, the initial state's included (Griewank and
 * Walther): t(l, c) = r·l − β(c + 1, r − 1), with β(c, r) = C(c + r, c) and r the least
 * integer with β(c, r) ≥ l. Each step is also run once on a tape, so a reverse sweep evaluates
 * l + t(l, c) steps. With one slot it is l(l − 1)/2 (recompute from the start); with l − 1 or
 * more, l − 1 (store every state).
 *
 * @example
 * import { revolveAdvances } from 'dualtape'
 * revolveAdvances(10, 1) // → 45
 * revolveAdvances(10, 3) // → 15
 * revolveAdvances(10, 9) // → 9
 * revolveAdvances(10000, 10) // → 57624
 */
export function revolveAdvances(steps: number, snapshots: number): number {
  checkArgs('revolveAdvances', steps, snapshots)
  return steps === 0 ? 0 : minimalAdvances(steps, snapshots)
}

/**
 * The range of optimal split points Griewank and Walther give for l ≥ 2 steps and c ≥ 2 slots:
 * [β(c, r − 2), β(c, r − 1)] ∩ [l − β(c − 1, r), l − β(c − 1, r − 1)], within [1, l − 1] (internal).
 */
export function splitRange(l: number, c: number): [number, number] {
  const r = repetitions(l, c)
  return [
    Math.max(1, beta(c, r - 2), l - beta(c - 1, r)),
    Math.min(l - 1, beta(c, r - 1), l - beta(c - 1, r - 1)),
  ]
}

/**
 * Where an optimal schedule for l steps and c ≥ 2 slots takes its second snapshot: k steps
 * from the start, with k in [β(c, r − 2), β(c, r − 1)] ∩ [l − β(c − 1, r), l − β(c − 1, r − 1)]
 * (Griewank and Walther), so that k + t(l − k, c − 1) + t(k, c) = t(l, c). The bound is
 * checked; should it ever fail, the split is searched for.
 */
function split(l: number, c: number): number {
  const best = minimalAdvances(l, c)
  const cost = (k: number): number => k + minimalAdvances(l - k, c - 1) + minimalAdvances(k, c)
  const [lo, hi] = splitRange(l, c)
  if (lo <= hi && cost(lo) === best) return lo
  for (let k = 1; k < l; k++) if (cost(k) === best) return k
  throw new Error(`unreachable: no optimal split for l = ${l}, c = ${c}`)
}

/** A reverse task: steps s to e − 1, with state s in `slot` and c slots (that one included). */
interface Task {
  readonly s: number
  readonly e: number
  readonly c: number
  readonly slot: number
}

/**
 * The revolve schedule for a loop of `steps` steps with `snapshots` snapshot slots (the initial
 * state takes slot 0 and keeps it): the actions that compute the loop's cotangent from the
 * initial state with no more than `snapshots` states held at once, and with the fewest steps
 * evaluated again, `revolveAdvances(steps, snapshots)` of them. With one slot, every step is
 * reached from the initial state; with more, the schedule advances to an optimal split point,
 * stores a snapshot there, reverses the part after it with one slot fewer and then the part
 * before it with the slot back.
 *
 * @example
 * import { revolveSchedule } from 'dualtape'
 * const s = revolveSchedule(4, 2)
 * s.actions.map((a) => ('at' in a ? `${a.kind} ${a.at}` : `advance ${a.from}→${a.to}`)).join(', ')
 * // → 'takeshot 0, advance 0→1, takeshot 1, advance 1→3, firsturn 3, restore 1, advance 1→2, youturn 2, restore 1, youturn 1, restore 0, youturn 0'
 * s.advances // → 4
 */
export function revolveSchedule(steps: number, snapshots: number): RevolveSchedule {
  checkArgs('revolveSchedule', steps, snapshots)
  const actions: RevolveAction[] = []
  let advances = 0
  let slotsUsed = 0
  if (steps > 0) {
    // current: the position of the current state, -1 after a turn (the state went to the tape)
    let current = 0
    let first = true
    const free: number[] = []
    let nextSlot = 1
    slotsUsed = 1
    actions.push({ kind: 'takeshot', slot: 0, at: 0 })
    const turn = (at: number): void => {
      actions.push(first ? { kind: 'firsturn', at } : { kind: 'youturn', at })
      first = false
      current = -1
    }
    const goTo = (slot: number, from: number, to: number): void => {
      if (current !== from) actions.push({ kind: 'restore', slot, at: from })
      if (to > from) {
        actions.push({ kind: 'advance', from, to })
        advances += to - from
      }
      current = to
    }
    // a stack of tasks instead of recursion: a split per step nests l deep when c ≥ l
    const stack: (Task | { readonly release: number })[] = [
      { s: 0, e: steps, c: Math.min(snapshots, steps), slot: 0 },
    ]
    while (stack.length > 0) {
      const task = stack.pop()!
      if ('release' in task) {
        free.push(task.release)
        continue
      }
      const { s, e, c, slot } = task
      if (e - s === 1) {
        goTo(slot, s, s)
        turn(s)
      } else if (c === 1) {
        for (let i = e - 1; i >= s; i--) {
          goTo(slot, s, i)
          turn(i)
        }
      } else {
        const k = split(e - s, c)
        goTo(slot, s, s + k)
        const shot = free.length > 0 ? free.pop()! : nextSlot++
        slotsUsed = Math.max(slotsUsed, nextSlot)
        actions.push({ kind: 'takeshot', slot: shot, at: s + k })
        // run the part after the snapshot first, then free its slot, then the part before it
        stack.push({ s, e: s + k, c, slot }, { release: shot }, { s: s + k, e, c: c - 1, slot: shot })
      }
    }
  }
  return {
    steps,
    snapshots,
    actions,
    advances,
    turns: steps,
    repetitions: steps === 0 ? 0 : repetitions(steps, snapshots),
    slotsUsed,
  }
}
