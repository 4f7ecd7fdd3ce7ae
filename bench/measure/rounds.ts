/**
 * Measuring side by side: every contender (a subject on some host) is warmed up until stable,
 * then timed in rounds; in each round every contender gives one sample, in an order rotated from
 * round to round, so that a change of load on the machine hits all of them alike and a ratio can
 * be taken round by round (paired).
 */
import { availableParallelism } from 'node:os'
import type { Host } from './host.js'
import type { WarmupOptions, WarmupRecord } from './sampler.js'
import { type Timing, estimate, median } from './stats.js'

/** How long and how often to measure. */
export interface TimingPlan {
  readonly warmup: WarmupOptions
  /** Rounds: at least `min`, at most `max`, as many as fit in `budgetMs` of wall time. */
  readonly rounds: { readonly min: number; readonly max: number; readonly budgetMs: number }
  /**
   * Processes per host: each library (backend, dtype) runs in this many processes, and the rounds
   * take their samples from each in turn, so that a figure's spread includes how much it varies
   * from one process to the next (V8 does not compile the same code the same way every time).
   */
  readonly replicas: number
  /**
   * Untimed calls before each sample (default none): each sample then starts hot, as in a loop,
   * whatever the processes timed before it left in the caches.
   */
  readonly preroll?: number
}

/** A subject on its host's processes (replicas), by its (prefixed) name, the same in each. */
export interface Contender {
  readonly hosts: readonly Host[]
  readonly name: string
}

/** The timings of the contenders, in their order, with their warm-ups. */
export interface Measured {
  readonly timings: readonly Timing[]
  /** Per contender, the warm-up in each of its processes. */
  readonly warmups: readonly (readonly WarmupRecord[])[]
  /** Per contender, the median CPU time per call in each of its processes. */
  readonly processMedians: readonly (readonly number[])[]
  readonly rounds: number
}

/** A warm-up record with the host's label, as results.json keeps it. */
export type WarmupNote = WarmupRecord & { readonly host: string }

/**
 * Warms every contender up in each of its processes (as many processes at a time as there are
 * cores: nothing is timed yet), then times them in rotated rounds, round r taking each contender's sample from its
 * process r mod P, and returns a timing per contender whose samples are paired by round.
 */
export async function measureSideBySide(
  contenders: readonly Contender[],
  plan: TimingPlan,
): Promise<Measured> {
  const warmups: WarmupRecord[][] = contenders.map(() => [])
  const byHost = new Map<Host, { contender: number; replica: number }[]>()
  contenders.forEach((c, i) =>
    c.hosts.forEach((h, replica) => byHost.set(h, [...(byHost.get(h) ?? []), { contender: i, replica }])),
  )
  // as many processes warming up at once as there are cores: more would only slow each down
  const queue = [...byHost]
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [host, entries] = next
      const records = await host.warmUp(
        entries.map((e) => contenders[e.contender]!.name),
        plan.warmup,
      )
      for (const e of entries) warmups[e.contender]![e.replica] = records[contenders[e.contender]!.name]!
    }
  }
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), queue.length) }, worker))
  const cpu: number[][] = contenders.map(() => [])
  const wall: number[][] = contenders.map(() => [])
  const byProcess: number[][][] = contenders.map((c) => c.hosts.map(() => []))
  const n = contenders.length
  let rounds = plan.rounds.max
  const t0 = performance.now()
  for (let r = 0; r < rounds; r++) {
    for (let q = 0; q < n; q++) {
      const i = (q + r) % n
      const c = contenders[i]!
      const replica = r % c.hosts.length
      const s = await c.hosts[replica]!.sample(c.name, plan.preroll ?? 0)
      cpu[i]!.push(s.cpuMs)
      wall[i]!.push(s.wallMs)
      byProcess[i]![replica]!.push(s.cpuMs)
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
    processMedians: byProcess.map((ps) => ps.map(median)),
    rounds,
  }
}
