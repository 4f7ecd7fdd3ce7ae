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
  // the full report: long warm-ups, three processes per library, many rounds
  full: {
    warmup: { minSampleMs: 20, minMs: 300, maxMs: 6000, window: 5, tolerance: 0.03 },
    rounds: { min: 21, max: 81, budgetMs: 4000 },
    replicas: 3,
  },
  // npm start: warm until stable within 5%, two processes per library, at least 16 rounds (a 95%
  // interval of the median from the 4th to the 13th of 16 samples)
  quick: {
    warmup: { minSampleMs: 10, minMs: 100, maxMs: 2000, window: 3, tolerance: 0.05 },
    rounds: { min: 16, max: 42, budgetMs: 900 },
    replicas: 2,
  },
  // the tests: everything runs, the figures mean little
  smoke: {
    warmup: { minSampleMs: 1, minMs: 0, maxMs: 20, window: 1, tolerance: 1 },
    rounds: { min: 3, max: 3, budgetMs: 0 },
    replicas: 1,
  },
}

/** Opens hosts: each a child process (`isolated`), or all in this process. */
export const hostOpener =
  (isolated: boolean) =>
  (label: string): Promise<Host> =>
    isolated ? childHost(label) : Promise.resolve(localHost(label))

/** How a figure varied between the processes that measured it: the median CPU ms in each. */
export interface ProcessSpread {
  readonly subject: string
  readonly host: string
  readonly medians: readonly number[]
}

/** A workload set up on every process of a host. */
export interface SetUp<I> {
  /** The processes. */
  readonly hosts: readonly Host[]
  readonly prefix: string
  readonly subjects: Record<string, Contender>
  /** What the setup function returned as info, in the first process. */
  readonly info: I
  /** Drops the workload's subjects (and what they hold) in every process. */
  readonly drop: () => Promise<void>
}

/** A suite's measurements: its hosts, its subjects, its warm-up records. */
export class Session {
  private readonly hosts = new Map<string, Promise<Host[]>>()
  private readonly notes: (WarmupNote & { subject: string })[] = []
  private readonly spreads: ProcessSpread[] = []
  private setups = 0

  constructor(
    private readonly open: (label: string) => Promise<Host>,
    readonly plan: TimingPlan,
  ) {}

  /** The processes of a label (`plan.replicas` of them), opened on first use. */
  host(label: string): Promise<Host[]> {
    let h = this.hosts.get(label)
    if (h === undefined) {
      const opening = Array.from({ length: Math.max(1, this.plan.replicas) }, () => this.open(label))
      h = Promise.all(opening)
      // a process that did start is closed with the others, even if a sibling failed to
      this.hosts.set(label, h)
      void Promise.allSettled(opening).then((all) => {
        if (all.some((x) => x.status === 'rejected')) {
          for (const x of all) if (x.status === 'fulfilled') void x.value.close()
        }
      })
    }
    return h
  }

  /**
   * Builds a workload's subjects on every process of `label` (side by side); returns them as
   * contenders by their short names, and the workload's info from the first process.
   */
  async setup<I = unknown>(label: string, ref: SetupRef): Promise<SetUp<I>> {
    const hosts = await this.host(label)
    const prefix = `w${this.setups++}`
    const built = await Promise.all(hosts.map((h) => h.setup(ref, prefix)))
    const { names, info } = built[0]!
    // a contender is the same subject in every process: their setups must agree on the names
    for (const b of built.slice(1)) {
      if (b.names.join('\n') !== names.join('\n')) {
        throw new Error(
          `${ref.name} built different subjects in the processes of '${label}' (${names.length} against ${b.names.length}); its arguments must fix them`,
        )
      }
    }
    const subjects: Record<string, Contender> = {}
    for (const n of names) subjects[n.slice(prefix.length + 1)] = { hosts, name: n }
    const drop = async (): Promise<void> => {
      await Promise.all(hosts.map((h) => h.drop(prefix)))
    }
    return { hosts, prefix, subjects, info: info as I, drop }
  }

  /**
   * Measures contenders side by side (see measureSideBySide); `what` names them in the warm-up
   * records; `override` replaces parts of the plan (a grid of many cheap cases takes fewer rounds
   * and a shorter warm-up).
   */
  async measure(
    contenders: readonly Contender[],
    what: readonly string[],
    override: Partial<Pick<TimingPlan, 'rounds' | 'warmup'>> = {},
  ): Promise<Measured> {
    const plan = { ...this.plan, ...override }
    const m = await measureSideBySide(contenders, plan)
    m.warmups.forEach((ws, i) => {
      const subject = what[i] ?? contenders[i]!.name
      const host = contenders[i]!.hosts[0]!.label
      for (const w of ws) this.notes.push({ ...w, host, subject })
      this.spreads.push({ subject, host, medians: m.processMedians[i]! })
    })
    return m
  }

  /** How every measured function was warmed up, in the order measured (one record per process). */
  get warmups(): readonly (WarmupNote & { subject: string })[] {
    return this.notes
  }

  /** The median CPU time per call of every measured function in each of its processes. */
  get processSpreads(): readonly ProcessSpread[] {
    return this.spreads
  }

  /** Closes every host opened (the children exit). */
  async close(): Promise<void> {
    const groups = await Promise.allSettled(this.hosts.values())
    const hosts = groups.flatMap((g) => (g.status === 'fulfilled' ? g.value : []))
    await Promise.all(hosts.map((h) => h.close()))
    this.hosts.clear()
  }
}
