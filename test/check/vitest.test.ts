import fc from 'fast-check'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { runSettings, testOp } from '../../src/check/vitest.js'
import { arrays, opCase, opContract, shapes } from '../../src/check/index.js'
import { defaultSeed } from '../../src/check/config.js'
import { defineOp, exp, mul, sin } from '../../src/index.js'

// dualtape/vitest follows fast-check's conventions: fc.configureGlobal sets the seed and the run
// count unless the options or DUALTAPE_SEED / DUALTAPE_PROPS_RUNS say otherwise, and a failure
// prints its seed and path, which replay it.

const myExp = defineOp({
  name: 'myExp',
  impl: ([x]) => exp(x!),
  jvp: ({ dx: [dx], y }) => mul(dx!, y),
  vjp: ({ ct, y }) => [mul(ct, y)],
})
// a VJP that forgot the chain rule's factor: the contract must catch it
const badExp = defineOp({
  name: 'badExp',
  impl: ([x]) => exp(x!),
  jvp: ({ dx: [dx], y }) => mul(dx!, y),
  vjp: ({ ct, x: [x] }) => [mul(ct, sin(x!))],
})
const arbitraries = opCase([arrays(shapes({ maxRank: 1 }), 'real')])

testOp(myExp, { arbitraries, numRuns: 5 })

describe('run settings', () => {
  afterEach(() => {
    fc.resetConfigureGlobal()
    vi.unstubAllEnvs()
  })
  const noEnv = () => {
    vi.stubEnv('DUALTAPE_SEED', '')
    vi.stubEnv('DUALTAPE_PROPS_RUNS', '')
  }

  test('defaults: the fixed seed and 25 runs', () => {
    noEnv()
    expect(runSettings({})).toEqual({ seed: defaultSeed, numRuns: 25 })
  })

  test("fast-check's global configuration applies; the options win over it", () => {
    noEnv()
    fc.configureGlobal({ seed: 42, numRuns: 7 })
    expect(runSettings({})).toEqual({ seed: 42, numRuns: 7 })
    expect(runSettings({ seed: 5, numRuns: 3 })).toEqual({ seed: 5, numRuns: 3 })
  })

  test('DUALTAPE_SEED wins over the global seed; DUALTAPE_PROPS_RUNS scales the global count', () => {
    fc.configureGlobal({ seed: 42, numRuns: 7 })
    vi.stubEnv('DUALTAPE_SEED', '9')
    vi.stubEnv('DUALTAPE_PROPS_RUNS', '2x')
    expect(runSettings({})).toEqual({ seed: 9, numRuns: 14 })
  })
})

describe('a failure prints its seed and path, and they replay it', () => {
  test('the planted bug is found, and replayed from the printed seed and path in one run', () => {
    const first = (() => {
      try {
        fc.assert(opContract(badExp, { arbitraries }), { seed: 3, numRuns: 50 })
      } catch (e) {
        return (e as Error).message
      }
      return ''
    })()
    const m = /seed: (-?\d+), path: "([^"]+)"/.exec(first)
    expect(m, first).not.toBeNull()
    const counterexample = /Counterexample: (.*)/.exec(first)?.[1]
    expect(counterexample).toBeDefined()
    let replayed = ''
    try {
      fc.assert(opContract(badExp, { arbitraries }), { seed: Number(m![1]), path: m![2]!, numRuns: 1 })
    } catch (e) {
      replayed = (e as Error).message
    }
    expect(/Counterexample: (.*)/.exec(replayed)?.[1]).toBe(counterexample)
  })
})
