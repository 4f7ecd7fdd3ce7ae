/** Timing helpers for the benchmarks: medians over repeats after warm-up, pairs interleaved. */

/** The median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return NaN
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2
}

/** Options for `timeInterleaved`. */
export interface TimingOptions {
  /** Untimed calls of each function first. */
  readonly warmup?: number
  /** Timed rounds; each round times every function once, in turn. */
  readonly repeats?: number
  /** Each timed sample runs the function this many times at least, so short calls are measurable. */
  readonly minSampleMs?: number
}

/**
 * Times several functions side by side: in each round every function runs once (a few calls
 * for fast functions), so that load on the machine affects them alike. Returns the median
 * milliseconds per call of each.
 */
export function timeInterleaved(fns: readonly (() => unknown)[], opts: TimingOptions = {}): number[] {
  const warmup = opts.warmup ?? 2
  const repeats = opts.repeats ?? 7
  const minMs = opts.minSampleMs ?? 5
  const inner = fns.map((f) => {
    for (let i = 0; i < warmup; i++) f()
    // calls per sample so that one sample lasts about minMs
    const t0 = performance.now()
    f()
    const dt = Math.max(performance.now() - t0, 1e-3)
    return Math.max(1, Math.min(100_000, Math.ceil(minMs / dt)))
  })
  const samples: number[][] = fns.map(() => [])
  for (let r = 0; r < repeats; r++) {
    fns.forEach((f, i) => {
      const k = inner[i]!
      const t0 = performance.now()
      for (let j = 0; j < k; j++) f()
      samples[i]!.push((performance.now() - t0) / k)
    })
  }
  return samples.map(median)
}
