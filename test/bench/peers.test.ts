import { describe, expect, it } from 'vitest'
import { TIMING_PLANS, hostOpener } from '../../bench/measure/session.js'
import type { Timing } from '../../bench/measure/stats.js'
import { PEERS, peersSuite, runStandalone } from '../../bench/suites/peers.js'
import { renderVegaLite } from '../../bench/plot/plot.js'
import { checkPicture } from '../support/plot-picture.js'

describe('peers (smoke size)', () => {
  it('runs tfjs (cpu, wasm), jax-js and dualtape each in a process of its own, checks their gradients and times them side by side', async () => {
    let ticks = 0
    const out = await peersSuite.run({
      size: 'smoke',
      backend: 'cpu',
      tick: () => ticks++,
      openHost: hostOpener(true),
      timing: TIMING_PLANS.smoke,
    })
    expect(ticks).toBe(peersSuite.steps('smoke'))
    expect(out.problems).toEqual([])
    const [table, rates, probe] = out.tables
    // 6 configurations (tfjs cpu, tfjs wasm, jax-js × 2 dtypes × eager/jit) × 4 functions
    expect(table!.rows).toHaveLength(24)
    for (const r of table!.rows) {
      for (const c of table!.columns) expect(r).toHaveProperty(c.key)
      expect(r['agrees']).toBe(true)
      const relErr = r['relErr'] as number
      expect(relErr).toBeGreaterThanOrEqual(0)
      expect(relErr).toBeLessThanOrEqual(r['tolerance'] as number)
      const [peer, ours, ratio] = ['peer', 'dualtape', 'ratio'].map((k) => r[k] as Timing)
      for (const t of [peer!, ours!, ratio!]) {
        expect(t.cpu.n).toBe(TIMING_PLANS.smoke.rounds.min)
        expect(t.cpu.median).toBeGreaterThan(0)
      }
      // dualtape ÷ peer is paired by round: the median of the per-round ratios
      const perRound = ours!.cpu.samples.map((x, i) => x / peer!.cpu.samples[i]!).sort((a, b) => a - b)
      expect(ratio!.cpu.median).toBeCloseTo(perRound[1]!, 12)
    }
    // the products alone, in GFLOP/s: dualtape in 2 dtypes and the 6 peers, for each of the 2 products
    expect(rates!.rows).toHaveLength(16)
    for (const r of rates!.rows) {
      const g = r['gflops'] as Timing['cpu']
      expect(g.median).toBeGreaterThan(0)
      expect(g.lo).toBeLessThanOrEqual(g.median)
      // no scalar peak in a smoke run
      expect(r['vsPeak']).toBeNull()
    }
    expect(new Set(rates!.rows.map((r) => r['fn']))).toEqual(new Set(['matmul 16³', 'matrix–vector 50×50']))
    // each library ran in its own process: 6 peers and dualtape in 2 dtypes, 4 workloads each
    const hosts = new Set(out.warmups!.map((w) => w.host))
    expect(hosts.size).toBe(8)
    expect(out.warmups).toHaveLength(4 * 8)
    // the float64 probe of jax-js: one row per elementary function, errors finite and small
    expect(probe!.rows.map((r) => r['fn'])).toEqual(['sin', 'cos', 'exp', 'tanh', 'sigmoid', 'softplus'])
    for (const r of probe!.rows) expect(r['relErr'] as number).toBeLessThan(1e-3)
    expect(out.plots.map((p) => p.file)).toEqual(['times', 'ratio'])
    // each plot shows every one of its marks in the picture
    for (const p of out.plots) {
      await expect(renderVegaLite(p.spec, { strict: true })).resolves.toMatch(/^<svg/)
      expect((await checkPicture(p.spec)).problems, p.file).toEqual([])
    }
  }, 120_000)
})

describe('the standalone scripts of the peers', () => {
  it('time a peer on its own and print its medians, as the full run compares them', async () => {
    for (const peer of [PEERS[1]!, PEERS.find((p) => p.library === 'jax-js' && p.mode === 'jit')!]) {
      const r = await runStandalone(peer, 'chain')
      expect(r.n).toBe(30)
      for (const k of ['cpuMs', 'wallMs', 'cpuQ1', 'cpuQ3'] as const) expect(r[k]).toBeGreaterThan(0)
      expect(r.cpuQ1).toBeLessThanOrEqual(r.cpuMs)
      expect(r.cpuMs).toBeLessThanOrEqual(r.cpuQ3)
    }
  }, 60_000)
})
