/**
 * What a suite measures with: the timing plan of each run size, and a session that opens one
 * host per label (a library, a backend, a dtype), builds subjects on it, measures contenders side
 * by side and remembers how each was warmed up.
 */
import type { SuiteSize } from '../suites/types.js'
import { type Host, type SetupRef, childHost, localHost } from './host.js'
import {
  type Contender,
  type Measured,
  type TimingPlan,
  type WarmupNote,
  measureSideBySide,
} from './rounds.js'

/** The timing plan of each run size. */
export const TIMING_PLANS: Record<SuiteSize, TimingPlan> = {
  // the full report: long warm-ups, many rounds
  full: {
    warmup: { minSampleMs: 20, minMs: 300, maxMs: 6000, window: 5, tolerance: 0.03 },
    rounds: { min: 21, max: 81, budgetMs: 4000 },
  },
  // npm start: warm until stable within 5%, at least 15 rounds (a 95% interval of the median
  // from the 4th to the 12th of 15 samples)
  quick: {
    warmup: { minSampleMs: 10, minMs: 100, maxMs: 2000, window: 3, tolerance: 0.05 },
    rounds: { min: 15, max: 41, budgetMs: 900 },
  },
  // the tests: everything runs, the figures mean little
  smoke: {
    warmup: { minSampleMs: 1, minMs: 0, maxMs: 20, window: 1, tolerance: 1 },
    rounds: { min: 3, max: 3, budgetMs: 0 },
  },
}

/** Opens hosts: each a child process (`isolated`), or all in this process. */
export const hostOpener =
  (isolated: boolean) =>
  (label: string): Promise<Host> =>
    isolated ? childHost(label) : Promise.resolve(localHost(label))

/** A suite's measurements: its hosts, its subjects, its warm-up records. */
export class Session {
  private readonly hosts = new Map<string, Promise<Host>>()
  private readonly notes: (WarmupNote & { subject: string })[] = []
  private setups = 0

  constructor(
    private readonly open: (label: string) => Promise<Host>,
    readonly plan: TimingPlan,
  ) {}

  /** The host of a label, opened on first use. */
  host(label: string): Promise<Host> {
    let h = this.hosts.get(label)
    if (h === undefined) {
      h = this.open(label)
      this.hosts.set(label, h)
    }
    return h
  }

  /**
   * Builds a workload's subjects on the host of `label`; returns them as contenders by their
   * short names, and the workload's info.
   */
  async setup<I = unknown>(
    label: string,
    ref: SetupRef,
  ): Promise<{ host: Host; prefix: string; subjects: Record<string, Contender>; info: I }> {
    const host = await this.host(label)
    const prefix = `w${this.setups++}`
    const { names, info } = await host.setup(ref, prefix)
    const subjects: Record<string, Contender> = {}
    for (const n of names) subjects[n.slice(prefix.length + 1)] = { host, name: n }
    return { host, prefix, subjects, info: info as I }
  }

  /**
   * Measures contenders side by side (see measureSideBySide); `what` names them in the warm-up
   * records; `rounds` replaces the plan's rounds (a grid of many cheap cases takes fewer).
   */
  async measure(
    contenders: readonly Contender[],
    what: readonly string[],
    rounds?: TimingPlan['rounds'],
  ): Promise<Measured> {
    const plan = rounds === undefined ? this.plan : { ...this.plan, rounds }
    const m = await measureSideBySide(contenders, plan)
    m.warmups.forEach((w, i) =>
      this.notes.push({ ...w, host: contenders[i]!.host.label, subject: what[i] ?? contenders[i]!.name }),
    )
    return m
  }

  /** How every measured function was warmed up, in the order measured. */
  get warmups(): readonly (WarmupNote & { subject: string })[] {
    return this.notes
  }

  /** Closes every host opened (the children exit). */
  async close(): Promise<void> {
    const hosts = await Promise.allSettled(this.hosts.values())
    await Promise.all(hosts.map((h) => (h.status === 'fulfilled' ? h.value.close() : undefined)))
    this.hosts.clear()
  }
}
