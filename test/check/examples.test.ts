import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, test } from 'vitest'
import { checkLogsumexp, main, stableLogsumexp, unnormalisedLogsumexp } from '../../examples/custom-op.js'
import { materialize } from '../../src/check/index.js'
import { logsumexp } from '../../src/ops/reduce.js'

describe('examples/custom-op.ts', () => {
  const lines: string[] = []
  const result = main({ log: (l) => lines.push(...l.split('\n')) })

  test('the stable logsumexp is finite and exact where the naive form overflows', () => {
    expect(result.big.value).toBeCloseTo(1000 + Math.log(3), 10)
    for (const v of result.big.gradient) expect(v).toBeCloseTo(1 / 3, 12)
  })

  test('its rules pass checkGrads at order 2 in both modes; the unnormalised VJP fails only the VJP checks', () => {
    expect(result.stable.ok).toBe(true)
    expect(result.stable.order).toBe(2)
    expect(result.stable.checks).toHaveLength(9)
    expect(result.unnormalised.ok).toBe(false)
    const failed = result.unnormalised.checks.filter((c) => c.failed > 0).map((c) => c.name)
    expect(failed).toContain('f: VJP vs finite differences')
    expect(failed).toContain('f: adjoint identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩')
    expect(failed).not.toContain('f: JVP vs finite differences')
    expect(failed).not.toContain('JVP of f: JVP vs finite differences')
  })

  test('it prints both reports', () => {
    expect(lines.filter((l) => l.startsWith('checkGrads passed'))).toHaveLength(1)
    expect(lines.filter((l) => l.startsWith('checkGrads FAILED'))).toHaveLength(1)
    expect(
      lines.some((l) => l.includes('argument 0 at [0, 2] → output [0]: analytic 1, numeric 0.7912')),
    ).toBe(true)
  })

  test('it agrees with the built-in logsumexp over the last axis', () => {
    const x = materialize({ shape: [3, 4], domain: 'real', seed: 11 })
    const a = stableLogsumexp(x).dataSync()
    const b = logsumexp(x, -1).dataSync()
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 13))
  })

  test('checkLogsumexp holds at other points and seeds, and fast mode catches the variant too', () => {
    for (const seed of [1, 2, 3]) {
      const x = materialize({ shape: [2, 3], domain: 'real', seed })
      expect(E.isRight(checkLogsumexp(stableLogsumexp, x, { seed }))).toBe(true)
      expect(E.isLeft(checkLogsumexp(unnormalisedLogsumexp, x, { seed, fast: true, order: 1 }))).toBe(true)
    }
  })
})
