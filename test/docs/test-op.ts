import fc from 'fast-check'
import { runSettings } from '../../src/check/config.js'
import { opContract, resolveOp } from '../../src/check/contract.js'
import type { OpName, OpParams } from '../../src/ops/registry.js'
import type { OpLike } from '../../src/check/contract.js'
import type { TestOpOptions } from '../../src/check/vitest.js'

// ---------------------------------------------------------------------------------------------
// What `dualtape/vitest` stands for in documented code run by the tests: `testOp` checks the
// op's contract at once (as the test it would register does) instead of registering a test,
// which cannot be done from inside a running test. Same signature as src/check/vitest.ts.
// ---------------------------------------------------------------------------------------------

export type { TestOpOptions }
export { runSettings }

export function testOp<K extends OpName>(op: K, options: TestOpOptions<OpParams[K]>): void
export function testOp<P>(op: OpLike<P>, options: TestOpOptions<P>): void
export function testOp<P>(op: OpName | OpLike<P>, options: TestOpOptions<P>): void {
  const def = resolveOp(op)
  const { seed, numRuns } = runSettings(options)
  const replay = options.path === undefined ? {} : { path: options.path }
  fc.assert(opContract(def, options), { seed, numRuns, includeErrorInReport: true, ...replay })
}
