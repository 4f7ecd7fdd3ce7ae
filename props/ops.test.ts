import { describe, expect, test } from 'vitest'
import { contractChecks } from '../src/check/index.js'
import { propsRuns } from '../src/check/config.js'
import { testOp } from '../src/check/vitest.js'
import { type OpName, registry } from '../src/ops/registry.js'
import { samplers } from './samplers.js'

// Every primitive of the registry through its op contract: a new op is checked the moment it
// is registered (and without a sampler it does not compile).

const names = Object.keys(registry) as OpName[]

function contractFor<K extends OpName>(name: K): void {
  const s = samplers[name]
  const skipped = new Set(s.skip?.checks ?? [])
  testOp(name, {
    arbitraries: s.cases,
    checks: contractChecks.filter((c) => !skipped.has(c)),
    numRuns: propsRuns(50),
    name: `${name} satisfies its op contract${s.skip === undefined ? '' : ` (except ${s.skip.checks.join(', ')}: ${s.skip.why})`}`,
  })
}

describe('op contracts of the registry', () => {
  test('every registered op has a sampler', () => {
    expect(Object.keys(samplers).sort()).toEqual([...names].sort())
  })
  for (const name of names) contractFor(name)
})
