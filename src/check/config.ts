import fc from 'fast-check'
import { ValueError } from '../core/errors.js'

// ---------------------------------------------------------------------------------------------
// Run counts and seeds of property tests. Seeds are fixed by default so that every run checks
// the same cases; DUALTAPE_SEED picks other ones, and DUALTAPE_PROPS_RUNS asks for more runs
// ('4x' multiplies every run count, '500' sets each to 500).
// ---------------------------------------------------------------------------------------------

/**
 * The seed used when neither the caller nor DUALTAPE_SEED gives one.
 */
export const defaultSeed = 20240611

const env = (name: string): string | undefined =>
  typeof process === 'undefined' ? undefined : process.env[name]?.trim() || undefined

/**
 * The seed of property tests: DUALTAPE_SEED if set, else `fallback` (the fixed default seed).
 */
export function propsSeed(fallback: number = defaultSeed): number {
  const s = env('DUALTAPE_SEED')
  if (s === undefined) return fallback
  const n = Number(s)
  if (!Number.isInteger(n)) throw new ValueError(`DUALTAPE_SEED must be an integer, got '${s}'`)
  return n
}

/**
 * The number of runs of a property whose default is `base`: DUALTAPE_PROPS_RUNS='4x' gives
 * 4 · base, DUALTAPE_PROPS_RUNS='500' gives 500, unset gives base.
 */
export function propsRuns(base: number): number {
  const s = env('DUALTAPE_PROPS_RUNS')
  if (s === undefined) return base
  const m = /^(\d+(?:\.\d+)?)x$|^x(\d+(?:\.\d+)?)$/i.exec(s)
  if (m !== null) return Math.max(1, Math.round(base * Number(m[1] ?? m[2])))
  const n = Number(s)
  if (!Number.isInteger(n) || n < 1) {
    throw new ValueError(`DUALTAPE_PROPS_RUNS must be a count ('500') or a multiplier ('4x'), got '${s}'`)
  }
  return n
}

/**
 * The seed and run count a `testOp` uses: the options first, then DUALTAPE_SEED and
 * DUALTAPE_PROPS_RUNS, then fast-check's global configuration (`fc.configureGlobal`), then the
 * defaults (a fixed seed, 25 runs). DUALTAPE_PROPS_RUNS='4x' scales whichever count applies.
 *
 * @example
 * import { runSettings } from 'dualtape/vitest'
 * runSettings({ seed: 5, numRuns: 3 }) // → { seed: 5, numRuns: 3 }
 */
export function runSettings(options: { readonly seed?: number; readonly numRuns?: number }): {
  seed: number
  numRuns: number
} {
  const global = fc.readConfigureGlobal() as { seed?: number; numRuns?: number } | undefined
  return {
    seed: options.seed ?? propsSeed(global?.seed ?? defaultSeed),
    numRuns: options.numRuns ?? propsRuns(global?.numRuns ?? 25),
  }
}
