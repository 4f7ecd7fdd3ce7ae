/**
 * `testOp`, which registers an op's contract as a vitest test (`import { testOp } from
 * 'dualtape/vitest'`).
 *
 * @module dualtape/vitest
 */
import { test } from '@fast-check/vitest'
import fc from 'fast-check'
import type { OpName, OpParams } from '../ops/registry.js'
import { runSettings } from './config.js'
import { type ContractOptions, type OpLike, opContract, resolveOp } from './contract.js'

export { runSettings }

// ---------------------------------------------------------------------------------------------
// testOp registers an op's contract as a vitest test. It lives apart from the rest of the
// checking API because it imports vitest: the library itself never loads a test runner.
// ---------------------------------------------------------------------------------------------

/**
 * Options of `testOp`: the contract's options plus the run settings.
 *
 * @example
 * // my-op.test.ts
 * import { testOp, type TestOpOptions } from 'dualtape/vitest'
 * import { defineOp, mul, exp } from 'dualtape'
 * import { opCase, arrays, shapes } from 'dualtape/check'
 * const myExp = defineOp({
 *   name: 'myExp',
 *   impl: ([x]) => exp(x!),
 *   jvp: ({ dx: [dx], y }) => mul(dx!, y), // d eˣ = eˣ dx
 *   vjp: ({ ct, y }) => [mul(ct, y)],
 * })
 * const options: TestOpOptions<null> = {
 *   arbitraries: opCase([arrays(shapes({ maxRank: 2 }), 'real')]),
 *   name: 'myExp follows its contract',
 *   numRuns: 10,
 *   seed: 7,
 * }
 * testOp(myExp, options)
 */
export interface TestOpOptions<P> extends ContractOptions<P> {
  /** The test's name (by default from the op's name). */
  readonly name?: string
  /** Cases per run (default: fast-check's global `numRuns` if configured, else 25; scaled by DUALTAPE_PROPS_RUNS). */
  readonly numRuns?: number
  /**
   * The fast-check seed (default: DUALTAPE_SEED, else fast-check's global `seed` if configured,
   * else a fixed seed); it is printed in the test name and, with the path, on failure.
   */
  readonly seed?: number
  /** A fast-check path, as a failure prints it with its seed: replays that one counterexample. */
  readonly path?: string
  /** The test's timeout in milliseconds. */
  readonly timeout?: number
}

/**
 * Registers the contract of an op (see `opContract`) as a vitest test. On failure fast-check
 * prints the seed, the path and the shrunk counterexample; replay that case by passing the two
 * to `testOp` (`{ seed, path }`), or with `fc.assert(opContract(op, options), { seed, path })`.
 * Seeds and run counts follow fast-check's global configuration unless the options or
 * DUALTAPE_SEED / DUALTAPE_PROPS_RUNS say otherwise.
 *
 * @example
 * // my-op.test.ts
 * import { testOp } from 'dualtape/vitest' // src/check/vitest.ts
 * import { defineOp, mul, cos, sin } from 'dualtape'
 * import { opCase, arrays, shapes } from 'dualtape/check'
 * const mySin = defineOp({
 *   name: 'mySin',
 *   impl: ([x]) => sin(x),
 *   jvp: ({ x: [x], dx: [dx] }) => mul(dx!, cos(x)), // d sin x = cos x dx
 *   vjp: ({ ct, x: [x] }) => [mul(ct, cos(x))],
 * })
 * testOp(mySin, { arbitraries: opCase([arrays(shapes(), 'real')]) })
 */
export function testOp<K extends OpName>(op: K, options: TestOpOptions<OpParams[K]>): void
export function testOp<P>(op: OpLike<P>, options: TestOpOptions<P>): void
export function testOp<P>(op: OpName | OpLike<P>, options: TestOpOptions<P>): void {
  const def = resolveOp(op)
  const { seed, numRuns } = runSettings(options)
  const name = options.name ?? `${def.name} satisfies its op contract`
  const replay = options.path === undefined ? {} : { path: options.path }
  test(
    `${name} (seed ${seed}, ${numRuns} runs)`,
    () => {
      // fast-check's other global settings (verbose, endOnFailure, ...) apply as to any fc.assert
      fc.assert(opContract(def, options), { seed, numRuns, includeErrorInReport: true, ...replay })
    },
    options.timeout,
  )
}
