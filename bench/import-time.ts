/**
 * The time of a cold `import` of each entry point of the built package (dist/, made by
 * `npm run build`): each sample is a fresh Node process that imports one entry point, with the
 * entry points taken in turn round by round. Prints the median and the interquartile range of
 * the wall time and of the CPU time (process.cpuUsage) the import took.
 *
 * Run: npm run build && npx tsx bench/import-time.ts [rounds]
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { entryPoints } from './entry-points.js'

const root = resolve(import.meta.dirname, '..')

interface Sample {
  readonly wall: number
  readonly cpu: number
}

/** The entry points and their compiled files; dualtape/vitest loads vitest itself: its time is vitest's. */
const entries = (): { name: string; file: string }[] =>
  entryPoints(root)
    .filter((e) => e.specifier !== 'dualtape/vitest')
    .map((e) => ({ name: e.specifier, file: resolve(root, e.compiled) }))

function sample(file: string): Sample {
  const code =
    `const t = performance.now(); const c = process.cpuUsage(); await import(${JSON.stringify(pathToFileURL(file).href)}); ` +
    `const u = process.cpuUsage(c); console.log(performance.now() - t, (u.user + u.system) / 1000)`
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
  const [wall, cpu] = out.trim().split(' ').map(Number)
  return { wall: wall!, cpu: cpu! }
}

const quantile = (sorted: readonly number[], p: number): number =>
  sorted[Math.round(p * (sorted.length - 1))]!
const summary = (xs: readonly number[]): string => {
  const s = [...xs].sort((a, b) => a - b)
  return `${quantile(s, 0.5).toFixed(0)} ms (IQR ${quantile(s, 0.25).toFixed(0)}–${quantile(s, 0.75).toFixed(0)})`
}

/** Runs `rounds` rounds over the entry points and prints one line per entry point. */
export function importTimes(rounds = 15): void {
  const list = entries()
  const missing = list.filter((e) => !existsSync(e.file))
  if (missing.length > 0) throw new Error(`not built: ${missing[0]!.file} (run npm run build)`)
  const samples = new Map<string, Sample[]>(list.map((e) => [e.name, []]))
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? list : [...list].reverse()
    for (const e of order) samples.get(e.name)!.push(sample(e.file))
  }
  console.log(`cold import, ${rounds} fresh processes each: wall time, CPU time`)
  for (const e of list) {
    const s = samples.get(e.name)!
    console.log(
      `${e.name.padEnd(16)} wall ${summary(s.map((x) => x.wall))}, cpu ${summary(s.map((x) => x.cpu))}`,
    )
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) importTimes(Number(process.argv[2] ?? 15))
