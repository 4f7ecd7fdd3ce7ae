/**
 * Timing one function in the process that runs it: a sample runs the function k times and
 * records the process CPU time (user + system, every thread: garbage collection and compilation
 * included) and the wall time per call; k is chosen so that a sample lasts at least a few
 * milliseconds. Before any sample counts, the function is warmed up until its time per call is
 * stable, not for a fixed number of calls.
 */

/** One sample: milliseconds per call, CPU and wall. */
export interface Sample {
  readonly cpuMs: number
  readonly wallMs: number
}

/** How a function is warmed up. */
export interface WarmupOptions {
  /** A sample lasts at least this long (wall ms); k calls per sample are chosen accordingly. */
  readonly minSampleMs: number
  /** Warm up for at least this long (CPU ms of the function's calls). */
  readonly minMs: number
  /** Give up waiting for stability after this long (CPU ms); the figure is then flagged. */
  readonly maxMs: number
  /** Stable: the median of the last `window` samples is within `tolerance` of the window before. */
  readonly window: number
  readonly tolerance: number
}

/** What the warm-up did. */
export interface WarmupRecord {
  /** Calls made during warm-up. */
  readonly calls: number
  /** CPU ms spent warming up. */
  readonly ms: number
  /** Whether the time per call settled (false: stopped at `maxMs`). */
  readonly stable: boolean
  /** Calls per timed sample. */
  readonly callsPerSample: number
}

const cpuNowMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** A sink for results, so that the optimiser cannot drop a call whose result is unused. */
let sink: unknown

/**
 * Runs `fn` k times and returns CPU and wall milliseconds per call; `preroll` untimed calls come
 * first, so that a process that sat idle while others were timed starts its sample hot (caches,
 * branch predictors, pages), as a function called in a loop is.
 */
export function takeSample(fn: () => unknown, k: number, preroll = 0): Sample {
  for (let i = 0; i < preroll; i++) sink = fn()
  const c0 = cpuNowMs()
  const t0 = performance.now()
  for (let i = 0; i < k; i++) sink = fn()
  const wall = performance.now() - t0
  const cpu = cpuNowMs() - c0
  return { cpuMs: cpu / k, wallMs: wall / k }
}

/** The sink's current value (read once by the host, so that the writes stay observable). */
export const sinkValue = (): unknown => sink

const medianOf = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Calls per sample so that a sample of calls of `perCallMs` lasts `minSampleMs`. */
export const callsFor = (perCallMs: number, minSampleMs: number): number =>
  Math.max(1, Math.min(1_000_000, Math.ceil(minSampleMs / Math.max(perCallMs, 1e-6))))

/**
 * Warms `fn` up until its CPU time per call is stable: samples are taken (k calls each, k
 * adjusted to the current speed) until at least `minMs` of CPU time has passed and the median of
 * the last `window` samples is within `tolerance` both of the median of the `window` samples
 * before them and of the `window` samples halfway through the warm-up so far, or until `maxMs`.
 * The second comparison catches a slow drift that two neighbouring windows are too close to see
 * (code still being optimised, a heap still growing); no test can see a drop that has not begun,
 * which is what `minMs` is for. Returns what it did and the calls per sample for the timed rounds.
 */
export function warmUp(fn: () => unknown, opts: WarmupOptions): WarmupRecord {
  const start = cpuNowMs()
  const times: number[] = []
  let calls = 0
  let k = 1
  const w = opts.window
  const close = (a: number, b: number): boolean => Math.abs(a / b - 1) <= opts.tolerance
  for (;;) {
    const s = takeSample(fn, k)
    calls += k
    times.push(s.cpuMs)
    k = callsFor(s.wallMs, opts.minSampleMs)
    const spent = cpuNowMs() - start
    const n = times.length
    if (spent >= opts.minMs && n >= 4 * w) {
      const recent = medianOf(times.slice(n - w))
      const before = medianOf(times.slice(n - 2 * w, n - w))
      const mid = Math.floor(n / 2)
      const halfway = medianOf(times.slice(mid - w, mid))
      if (close(recent, before) && close(recent, halfway)) {
        return { calls, ms: spent, stable: true, callsPerSample: callsFor(recent, opts.minSampleMs) }
      }
    }
    if (spent >= opts.maxMs) {
      return {
        calls,
        ms: spent,
        stable: false,
        callsPerSample: callsFor(medianOf(times.slice(-w)), opts.minSampleMs),
      }
    }
  }
}
