import { afterAll, describe, expect, it } from 'vitest'
import { type Host, childHost, localHost } from '../../bench/measure/host.js'
import { measureSideBySide } from '../../bench/measure/rounds.js'
import { takeSample, warmUp } from '../../bench/measure/sampler.js'
import { Session, TIMING_PLANS, hostOpener } from '../../bench/measure/session.js'
import {
  estimate,
  judge,
  median,
  medianIntervalRank,
  pairedRatio,
  quantile,
  ratioOfMedians,
  scale,
} from '../../bench/measure/stats.js'

const workload = new URL('../support/bench-workload.ts', import.meta.url).href

/** A seeded generator of uniform numbers in [0, 1). */
function uniform(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('statistics', () => {
  it('median and quantiles interpolate between order statistics', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2)
    expect(quantile([1, 2, 3, 4], 0.75)).toBe(3.25)
  })

  it('the interval of a median: order statistics with binomial coverage of at least 95% from six samples', () => {
    expect(medianIntervalRank(5)).toEqual({ rank: 1, level: 1 - 2 / 32 })
    expect(medianIntervalRank(6).rank).toBe(1)
    expect(medianIntervalRank(15).rank).toBe(4)
    expect(medianIntervalRank(20).rank).toBe(6)
    // P(B ≤ k) for B ~ Binomial(n, 1/2), summed term by term in logs
    const lchoose = (n: number, k: number): number => {
      let s = 0
      for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i)
      return s
    }
    const cdf = (n: number, k: number): number => {
      let p = 0
      for (let i = 0; i <= k; i++) p += Math.exp(lchoose(n, i) - n * Math.LN2)
      return p
    }
    const coverage = (n: number, r: number): number => 1 - 2 * cdf(n, r - 1)
    for (let n = 6; n <= 200; n++) {
      const { rank, level } = medianIntervalRank(n)
      expect(level).toBeCloseTo(coverage(n, rank), 10)
      expect(level).toBeGreaterThanOrEqual(0.95)
      // one rank further in would cover less than 95%
      expect(coverage(n, rank + 1)).toBeLessThan(0.95)
    }
  })

  it('covers the true median of a skewed distribution at least 95% of the time', () => {
    // exponential samples (timings are skewed): the true median is ln 2
    const next = uniform(7)
    for (const n of [7, 15, 31]) {
      let covered = 0
      const trials = 2000
      for (let t = 0; t < trials; t++) {
        const xs = Array.from({ length: n }, () => -Math.log(1 - next()))
        const e = estimate(xs)
        if (e.lo <= Math.LN2 && Math.LN2 <= e.hi) covered++
      }
      expect(covered / trials).toBeGreaterThanOrEqual(0.94)
    }
  })

  it('an estimate keeps its samples in order, and its quartiles and interval around the median', () => {
    const xs = [5, 1, 4, 2, 3, 9, 7]
    const e = estimate(xs)
    expect(e.samples).toEqual(xs)
    expect(e.n).toBe(7)
    expect(e.median).toBe(4)
    expect([e.q1, e.q3]).toEqual([2.5, 6])
    expect(e.lo).toBeLessThanOrEqual(e.median)
    expect(e.hi).toBeGreaterThanOrEqual(e.median)
    const s = scale(e, 1000)
    expect([s.median, s.lo, s.hi, s.q1]).toEqual([4000, e.lo * 1000, e.hi * 1000, 2500])
  })

  it('a paired ratio divides round by round', () => {
    const r = pairedRatio([2, 4, 6], [1, 2, 2])
    expect(r.samples).toEqual([2, 2, 3])
    expect(r.median).toBe(2)
    expect(() => pairedRatio([1, 2], [1])).toThrow(/2 against 1 rounds/)
  })

  it('judges a figure by its interval: held, missed, or noisy', () => {
    expect(judge({ median: 5, lo: 4, hi: 6 }, '<=', 7)).toBe('held')
    expect(judge({ median: 5, lo: 4, hi: 6 }, '<=', 5.5)).toBe('noisy')
    expect(judge({ median: 5, lo: 4, hi: 6 }, '<=', 3)).toBe('missed')
    expect(judge({ median: 5, lo: 4, hi: 6 }, '>=', 3)).toBe('held')
    expect(judge({ median: 5, lo: 4, hi: 6 }, '>=', 4.5)).toBe('noisy')
    expect(judge(5, '>=', 6)).toBe('missed')
  })

  it('two runs: the ratio of their medians with a seeded bootstrap interval', () => {
    const next = uniform(3)
    const a = Array.from({ length: 21 }, () => 10 + next())
    const b = a.map((x) => 1.5 * x)
    const r = ratioOfMedians(a, b)
    expect(r.median).toBeCloseTo(1.5, 12)
    expect(r.lo).toBeGreaterThan(1.3)
    expect(r.hi).toBeLessThan(1.7)
    expect(ratioOfMedians(a, b)).toEqual(r)
    const same = ratioOfMedians(a, [...a].reverse())
    expect(same.lo).toBeLessThanOrEqual(1)
    expect(same.hi).toBeGreaterThanOrEqual(1)
    expect(ratioOfMedians([1], [2]).lo).toBeNaN()
  })
})

describe('a sample', () => {
  it('runs the function k times in the timed part, after its untimed preroll calls', () => {
    let calls = 0
    const s = takeSample(() => calls++, 5, 2)
    expect(calls).toBe(7)
    expect(s.cpuMs).toBeGreaterThanOrEqual(0)
    expect(s.wallMs).toBeGreaterThanOrEqual(0)
  })
})

describe('warming up', () => {
  it('waits until the time per call settles', () => {
    // the work per call falls geometrically towards 2,000 (a stand-in for code being optimised):
    // within 5% of that floor only after about 500 calls
    let calls = 0
    const settling = (): number => {
      const k = Math.round(2000 + 40_000 * 0.99 ** calls++)
      let s = 0
      for (let i = 0; i < k; i++) s += Math.sqrt(i)
      return s
    }
    const w = warmUp(settling, { minSampleMs: 1, minMs: 0, maxMs: 5000, window: 3, tolerance: 0.05 })
    expect(w.stable).toBe(true)
    expect(w.calls).toBeGreaterThan(400)
    expect(w.callsPerSample).toBeGreaterThan(0)
  })

  it('gives up at its time limit when the time per call never settles, and says so', () => {
    // a spin of 1 ms of CPU time, 30% longer each call (spinning on the CPU clock: neither the
    // JIT nor other processes on the machine change how much CPU time a call takes)
    let ms = 1
    const cpuMs = (): number => {
      const u = process.cpuUsage()
      return (u.user + u.system) / 1000
    }
    const growing = (): number => {
      ms *= 1.3
      const t0 = cpuMs()
      let spins = 0
      while (cpuMs() - t0 < ms) spins++
      return spins
    }
    const w = warmUp(growing, { minSampleMs: 0, minMs: 0, maxMs: 100, window: 2, tolerance: 0.05 })
    expect(w.stable).toBe(false)
    expect(w.ms).toBeGreaterThanOrEqual(100)
  })
})

describe('hosts', () => {
  const open: Host[] = []
  afterAll(async () => {
    for (const h of open) await h.close()
  })

  it('a child host builds subjects from a workload module in its own process and times them', async () => {
    const host = await childHost('test child')
    open.push(host)
    expect(host.isolated).toBe(true)
    const { names, info } = await host.setup({ module: workload, name: 'busyLoops', args: [2000, 4] }, 'w0')
    expect(names).toEqual(['w0/short', 'w0/long'])
    expect(info).toMatchObject({ n: 2000, ratio: 4 })
    expect((info as { pid: number }).pid).not.toBe(process.pid)
    const warm = await host.warmUp(names, TIMING_PLANS.smoke.warmup)
    expect(Object.keys(warm)).toEqual(names)
    const s = await host.sample('w0/long')
    expect(s.cpuMs).toBeGreaterThan(0)
    expect(s.wallMs).toBeGreaterThan(0)
    await host.drop('w0')
    await expect(host.sample('w0/long')).rejects.toThrow(/not warmed up|no subject/)
    await expect(host.setup({ module: workload, name: 'broken' }, 'w1')).rejects.toThrow(
      'TypeError: this workload cannot be built',
    )
    await expect(host.setup({ module: workload, name: 'nothing' }, 'w2')).rejects.toThrow(
      "has no setup function 'nothing'",
    )
  }, 30_000)

  it('a child that dies fails its pending and later requests with what happened', async () => {
    const host = await childHost('doomed')
    open.push(host)
    const { names } = await host.setup({ module: workload, name: 'dies' }, 'w')
    await expect(host.warmUp(names, TIMING_PLANS.smoke.warmup)).rejects.toThrow(
      /the doomed process exited \(code 3\)/,
    )
    await expect(host.sample('w/exit')).rejects.toThrow(/exited/)
  }, 30_000)

  it('replicas: each round takes its samples from the next process, and each process keeps its median', async () => {
    const session = new Session(hostOpener(true), {
      ...TIMING_PLANS.smoke,
      rounds: { min: 6, max: 6, budgetMs: 0 },
      replicas: 2,
    })
    try {
      const { hosts, subjects, info } = await session.setup<{ pid: number }>('replicated', {
        module: workload,
        name: 'busyLoops',
        args: [5000, 2],
      })
      expect(hosts).toHaveLength(2)
      expect(subjects['short']!.hosts).toBe(hosts)
      expect(info.pid).not.toBe(process.pid)
      const m = await session.measure([subjects['short']!, subjects['long']!], ['short', 'long'])
      expect(m.timings[0]!.cpu.n).toBe(6)
      expect(m.processMedians.map((p) => p.length)).toEqual([2, 2])
      expect(m.warmups.map((w) => w.length)).toEqual([2, 2])
      // samples alternate between the processes: process 0 has rounds 0, 2, 4
      const samples = m.timings[0]!.cpu.samples
      expect(m.processMedians[0]![0]).toBe(median([samples[0]!, samples[2]!, samples[4]!]))
      expect(m.processMedians[0]![1]).toBe(median([samples[1]!, samples[3]!, samples[5]!]))
      expect(session.warmups).toHaveLength(4)
      expect(session.processSpreads.map((p) => p.subject)).toEqual(['short', 'long'])
    } finally {
      await session.close()
    }
  }, 30_000)

  it('replicas whose setups build different subjects are refused, naming the setup', async () => {
    const session = new Session(hostOpener(true), { ...TIMING_PLANS.smoke, replicas: 2 })
    try {
      await expect(session.setup('unlike', { module: workload, name: 'byProcess' })).rejects.toThrow(
        "byProcess built different subjects in the processes of 'unlike'",
      )
    } finally {
      await session.close()
    }
  }, 30_000)

  it('measures side by side in rotated rounds: samples paired by round, ratios near the work ratio', async () => {
    const host = localHost('here')
    const { names } = await host.setup({ module: workload, name: 'busyLoops', args: [20_000, 3] }, 'w')
    const plan = { ...TIMING_PLANS.smoke, rounds: { min: 9, max: 9, budgetMs: 0 } }
    const m = await measureSideBySide(
      names.map((name) => ({ hosts: [host], name })),
      plan,
    )
    expect(m.rounds).toBe(9)
    const [short, long] = m.timings
    expect(short!.cpu.n).toBe(9)
    expect(long!.wall.samples).toHaveLength(9)
    const ratio = pairedRatio(long!.wall.samples, short!.wall.samples).median
    expect(ratio).toBeGreaterThan(1.5)
    expect(ratio).toBeLessThan(6)
  })
})
