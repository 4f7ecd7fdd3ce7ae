/**
 * The statistics of the benchmark report: a figure is the median of its samples, with a 95%
 * confidence interval of that median and the interquartile range; a comparison is the median of
 * ratios paired per round; a target is held, missed, or too noisy to say.
 *
 * The interval of a median comes from order statistics: the number of samples below the true
 * median is Binomial(n, ½) whatever the distribution of the samples, so [x₍ᵣ₎, x₍ₙ₊₁₋ᵣ₎] covers it
 * with probability 1 − 2·P(B ≤ r − 1). This needs no resampling and no assumption of normality
 * (timings are skewed: a sample can be slowed, rarely sped up). Two medians of independent runs
 * (`bench compare`) are compared by a seeded bootstrap of the ratio of their medians.
 */

/** A figure measured n times: its median, the 95% interval of the median, the quartiles, the samples. */
export interface Estimate {
  readonly median: number
  /** The 95% confidence interval of the median (lower end). */
  readonly lo: number
  /** The 95% confidence interval of the median (upper end). */
  readonly hi: number
  /** The confidence the interval actually has: 0.95 or more from six samples up, less below. */
  readonly level: number
  /** First and third quartiles of the samples. */
  readonly q1: number
  readonly q3: number
  readonly n: number
  /** The samples, in the order they were taken. */
  readonly samples: readonly number[]
}

/** A timing: process CPU time (user + system, all threads) per call, and wall time beside it. */
export interface Timing {
  readonly cpu: Estimate
  readonly wall: Estimate
}

/** The median of a list of numbers (NaN for none). */
export function median(xs: readonly number[]): number {
  return quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  )
}

/** A median with its quartiles. */
export interface Spread {
  readonly median: number
  readonly q1: number
  readonly q3: number
}

/** The median and quartiles of a list of numbers. */
export function spread(xs: readonly number[]): Spread {
  const s = [...xs].sort((a, b) => a - b)
  return { median: quantile(s, 0.5), q1: quantile(s, 0.25), q3: quantile(s, 0.75) }
}

/** The q-quantile of sorted numbers, interpolated linearly between order statistics. */
export function quantile(sorted: readonly number[], q: number): number {
  const n = sorted.length
  if (n === 0) return NaN
  const h = (n - 1) * q
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

/** P(B ≤ k) for B ~ Binomial(n, ½). */
function binomialCdfHalf(n: number, k: number): number {
  let term = Math.pow(0.5, n)
  let sum = term
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i
    sum += term
  }
  return Math.min(1, sum)
}

/**
 * The 1-based rank r of the 95% interval [x₍ᵣ₎, x₍ₙ₊₁₋ᵣ₎] of a median of n samples, and the
 * coverage it has: the largest r whose coverage is at least 95%, or r = 1 (the range) when even
 * that covers less (n ≤ 5).
 */
export function medianIntervalRank(n: number): { rank: number; level: number } {
  let rank = 1
  while (rank + 1 <= (n + 1) / 2 && 1 - 2 * binomialCdfHalf(n, rank) >= 0.95) rank++
  return { rank, level: n === 0 ? 0 : 1 - 2 * binomialCdfHalf(n, rank - 1) }
}

/**
 * The estimate of a list of samples.
 */
export function estimate(samples: readonly number[]): Estimate {
  const sorted = [...samples].sort((a, b) => a - b)
  const n = sorted.length
  const { rank, level } = medianIntervalRank(n)
  return {
    median: quantile(sorted, 0.5),
    lo: n === 0 ? NaN : sorted[rank - 1]!,
    hi: n === 0 ? NaN : sorted[n - rank]!,
    level,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    n,
    samples: [...samples],
  }
}

/** The estimate of a ratio paired per round: a[i] / b[i] for every round i. */
export function pairedRatio(a: readonly number[], b: readonly number[]): Estimate {
  if (a.length !== b.length) throw new Error(`pairedRatio: ${a.length} against ${b.length} rounds`)
  return estimate(a.map((x, i) => x / b[i]!))
}

/** A timing's CPU and wall estimates, divided pairwise by another's (same rounds). */
export function pairedTimingRatio(a: Timing, b: Timing): Timing {
  return { cpu: pairedRatio(a.cpu.samples, b.cpu.samples), wall: pairedRatio(a.wall.samples, b.wall.samples) }
}

/** An estimate scaled by a constant (a per-call time into a per-op time, say). */
export function scale(e: Estimate, k: number): Estimate {
  const s = (x: number): number => x * k
  const [lo, hi] = k >= 0 ? [e.lo, e.hi] : [e.hi, e.lo]
  return {
    ...e,
    median: s(e.median),
    lo: s(lo),
    hi: s(hi),
    q1: s(k >= 0 ? e.q1 : e.q3),
    q3: s(k >= 0 ? e.q3 : e.q1),
    samples: e.samples.map(s),
  }
}

/** A timing scaled by a constant. */
export const scaleTiming = (t: Timing, k: number): Timing => ({
  cpu: scale(t.cpu, k),
  wall: scale(t.wall, k),
})

/**
 * The spread of an estimate relative to its median: the larger distance from the median to an
 * end of its interval, over the median.
 */
export function relativeSpread(e: Pick<Estimate, 'median' | 'lo' | 'hi'>): number {
  return Math.max(e.median - e.lo, e.hi - e.median) / Math.abs(e.median)
}

// ---------------------------------------------------------------------------------------------
// targets
// ---------------------------------------------------------------------------------------------

/** What a measured figure says of a limit: held, missed, or noisy (its interval holds the limit). */
export type Verdict = 'held' | 'missed' | 'noisy'

/**
 * Judges a figure against a limit: with an interval, `held` when the whole interval is on the
 * right side, `missed` when the whole interval is on the wrong side, `noisy` when the limit lies
 * inside it; a plain number is held or missed.
 */
export function judge(
  measured: number | Pick<Estimate, 'median' | 'lo' | 'hi'>,
  comparison: '>=' | '<=',
  limit: number,
): Verdict {
  const ok = (x: number): boolean => (comparison === '>=' ? x >= limit : x <= limit)
  if (typeof measured === 'number') return ok(measured) ? 'held' : 'missed'
  const [worst, best] = comparison === '>=' ? [measured.lo, measured.hi] : [measured.hi, measured.lo]
  if (ok(worst)) return 'held'
  if (!ok(best)) return 'missed'
  return 'noisy'
}

// ---------------------------------------------------------------------------------------------
// two runs
// ---------------------------------------------------------------------------------------------

/** A small seeded generator (xorshift32), so that a comparison prints the same interval each time. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 2 ** 32
  }
}

/**
 * The ratio of the medians of two independent sets of samples (b ÷ a), with a 95% percentile
 * bootstrap interval: both sets are resampled with replacement `resamples` times.
 */
export function ratioOfMedians(
  a: readonly number[],
  b: readonly number[],
  resamples = 2000,
  seed = 12345,
): { median: number; lo: number; hi: number } {
  const ma = median(a)
  const mb = median(b)
  if (a.length < 2 || b.length < 2) return { median: mb / ma, lo: NaN, hi: NaN }
  const next = xorshift(seed)
  const pick = (xs: readonly number[]): number[] => xs.map(() => xs[Math.floor(next() * xs.length)]!)
  const ratios: number[] = []
  for (let i = 0; i < resamples; i++) ratios.push(median(pick(b)) / median(pick(a)))
  ratios.sort((x, y) => x - y)
  return { median: mb / ma, lo: quantile(ratios, 0.025), hi: quantile(ratios, 0.975) }
}
