/**
 * Side-by-side timing in this process, for the standalone scripts of bench/ (engine, sparse,
 * tfjs): the same measurement as the suites (bench/measure), without child processes. Each
 * function is warmed up until stable, then all are timed in rounds, one sample each per round
 * in a rotated order; a timing is the median CPU time per call with its 95% interval, and wall
 * time beside it.
 */
import type { TimingPlan } from './measure/rounds.js'
import { takeSample, warmUp } from './measure/sampler.js'
import { TIMING_PLANS } from './measure/session.js'
import { type Timing, estimate } from './measure/stats.js'

export { median } from './measure/stats.js'

/**
 * Times functions side by side in this process and returns a timing per function, whose samples
 * are paired by round.
 */
export function timeSideBySide(
  fns: readonly (() => unknown)[],
  size: keyof typeof TIMING_PLANS | TimingPlan = 'quick',
): Timing[] {
  const plan = typeof size === 'string' ? TIMING_PLANS[size] : size
  const calls = fns.map((f) => warmUp(f, plan.warmup).callsPerSample)
  const cpu: number[][] = fns.map(() => [])
  const wall: number[][] = fns.map(() => [])
  let rounds = plan.rounds.max
  const t0 = performance.now()
  for (let r = 0; r < rounds; r++) {
    for (let q = 0; q < fns.length; q++) {
      const i = (q + r) % fns.length
      const s = takeSample(fns[i]!, calls[i]!)
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
  }
  return fns.map((_, i) => ({ cpu: estimate(cpu[i]!), wall: estimate(wall[i]!) }))
}
