/** The benchmark suites of `dualtape bench`, in the order they run. */
import { chainSuite } from './chain.js'
import { linearizeSuite } from './linearize.js'
import { checkpointSuite } from './checkpoint.js'
import { modesSuite } from './modes.js'
import { overheadSuite } from './overhead.js'
import { peersSuite } from './peers.js'
import type { Suite } from './types.js'

export type { Suite, SuiteContext, SuiteOutput, SuiteSize } from './types.js'

/** Every suite, by name, in the order of a full run. */
export const SUITES: readonly Suite[] = [
  overheadSuite,
  modesSuite,
  chainSuite,
  linearizeSuite,
  checkpointSuite,
  peersSuite,
]

/** The names of the suites, in order. */
export const suiteNames = (): string[] => SUITES.map((s) => s.name)

/** The suite of a name, or undefined. */
export const findSuite = (name: string): Suite | undefined => SUITES.find((s) => s.name === name)
