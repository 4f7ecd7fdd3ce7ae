/**
 * Measuring side by side: every contender (a subject on some host) is warmed up until stable,
 * then timed in rounds; in each round every contender gives one sample, in an order rotated from
 * round to round, so that a change of load on the machine hits all of them alike and a ratio can
 * be taken round by round (paired).
 */
import type { Host } from './host.js'
import type { WarmupOptions, WarmupRecord } from './sampler.js'
import { type Timing, estimate } from './stats.js'

/** How long and how often to measure. */
export interface TimingPlan {
  readonly warmup: WarmupOptions
  /** Rounds: at least `min`, at most `max`, as many as fit in `budgetMs` of wall time. */
  readonly rounds: { readonly min: number; readonly max: number; readonly budgetMs: number }
}

/** A subject on a host, by its (prefixed) name. */
export interface Contender {
  readonly host: Host
  readonly name: string
}

/** The timings of the contenders, in their order, with their warm-ups. */
export interface Measured {
  readonly timings: readonly Timing[]
  readonly warmups: readonly WarmupRecord[]
  readonly rounds: number
}

/** A warm-up record with the host's label, as results.json keeps it. */
export type WarmupNote = WarmupRecord & { readonly host: string }

/**
 * Warms every contender up (host by host), then times them in rotated rounds and returns a
 * timing per contender whose samples are paired by round across contenders.
 */
export async function measureSideBySide(
  contenders: readonly Contender[],
  plan: TimingPlan,
): Promise<Measured> {
  const warmups: WarmupRecord[] = new Array<WarmupRecord>(contenders.length)
  const byHost = new Map<Host, number[]>()
  contenders.forEach((c, i) => byHost.set(c.host, [...(byHost.get(c.host) ?? []), i]))
  for (const [host, idx] of byHost) {
    const records = await host.warmUp(
      idx.map((i) => contenders[i]!.name),
      plan.warmup,
    )
    for (const i of idx) warmups[i] = records[contenders[i]!.name]!
  }
  const cpu: number[][] = contenders.map(() => [])
  const wall: number[][] = contenders.map(() => [])
  const n = contenders.length
  let rounds = plan.rounds.max
  const t0 = performance.now()
  for (let r = 0; r < rounds; r++) {
    for (let q = 0; q < n; q++) {
      const i = (q + r) % n
      const s = await contenders[i]!.host.sample(contenders[i]!.name)
      cpu[i]!.push(s.cpuMs)
      wall[i]!.push(s.wallMs)
    }
    if (r === 0) {
      const perRound = Math.max(performance.now() - t0, 1e-3)
      rounds = Math.max(
        plan.rounds.min,
        Math.min(plan.rounds.max, Math.floor(plan.rounds.budgetMs / perRound)),
      )
    }
    // let the event loop run (progress bar) between rounds
    await new Promise((resolve) => setImmediate(resolve))
  }
  return {
    timings: contenders.map((_, i) => ({ cpu: estimate(cpu[i]!), wall: estimate(wall[i]!) })),
    warmups,
    rounds,
  }
}
