import { describe, expect, it } from 'vitest'
import { peersSuite } from '../bench/suites/peers.js'

describe('peers (smoke size)', () => {
  it('loads tfjs (cpu, wasm) and jax-js, checks their gradients against dualtape and times them', async () => {
    let ticks = 0
    const out = await peersSuite.run({ size: 'smoke', backend: 'cpu', tick: () => ticks++ })
    expect(ticks).toBe(peersSuite.steps('smoke'))
    expect(out.problems.filter((p) => p.kind === 'peer-load')).toEqual([])
    const [table, probe] = out.tables
    // 6 configurations (tfjs cpu, tfjs wasm, jax-js × 2 dtypes × eager/jit) × 2 functions
    expect(table!.rows).toHaveLength(12)
    for (const r of table!.rows) {
      for (const c of table!.columns) expect(r).toHaveProperty(c.key)
      if (r['agrees'] === true) {
        const relErr = r['relErr'] as number
        expect(relErr).toBeGreaterThanOrEqual(0)
        expect(relErr).toBeLessThanOrEqual(r['tolerance'] as number)
        for (const k of ['peerMs', 'dualtapeMs', 'ratio']) {
          expect(Number.isFinite(r[k] as number)).toBe(true)
          expect(r[k] as number).toBeGreaterThan(0)
        }
        expect(r['ratio']).toBeCloseTo((r['dualtapeMs'] as number) / (r['peerMs'] as number), 10)
      } else {
        expect(r['peerMs']).toBeNull()
      }
    }
    // every float32 gradient is right to 1e-3: the workloads are the same functions
    const float32 = table!.rows.filter((r) => r['dtype'] === 'float32')
    expect(float32.every((r) => r['agrees'] === true)).toBe(true)
    // the float64 probe of jax-js: one row per elementary function, errors finite and small
    expect(probe!.rows.map((r) => r['fn'])).toEqual(['sin', 'cos', 'exp', 'tanh', 'sigmoid', 'softplus'])
    for (const r of probe!.rows) expect(r['relErr'] as number).toBeLessThan(1e-3)
    expect(out.plots.map((p) => p.file)).toEqual(['speed'])
  }, 60_000)
})
