/**
 * What every example shares: typed command-line options with clear errors, the folder its
 * pictures go to, and the check that a file is being run rather than imported.
 *
 * @module
 */
import { realpathSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/**
 * A bad command line: an unknown flag, a missing or non-numeric value, a value out of range.
 */
export class UsageError extends Error {
  override name = 'UsageError'
}

/**
 * The kinds of option values.
 */
export type OptionKind = 'number' | 'integer' | 'string' | 'boolean'

type ValueOf<K extends OptionKind> = K extends 'boolean' ? boolean : K extends 'string' ? string : number

/**
 * One command-line option: its kind, default, help text and, for numbers, its range.
 */
export interface OptionSpec<K extends OptionKind = OptionKind> {
  readonly kind: K
  readonly default: ValueOf<K>
  readonly help: string
  readonly min?: number
  readonly max?: number
}

/**
 * The options of an example, by name (camelCase; the flag is its kebab-case form).
 */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>

/**
 * The parsed values of a set of option specs.
 */
export type Parsed<S extends OptionSpecs> = {
  -readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? ValueOf<T> : never
}

/**
 * Where an example writes its output and how it prints.
 */
export interface RunOptions {
  /** Folder for the pictures (default `out/examples/<name>`); null writes nothing. */
  readonly out?: string | null
  /** Prints one line of the account (default console.log). */
  readonly log?: (line: string) => void
}

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/**
 * The usage text of an example: its command and one line per option with default and help.
 */
export function usage(name: string, specs: OptionSpecs): string {
  const rows: [string, string][] = Object.entries(specs).map(([key, s]): [string, string] => {
    const flag = s.kind === 'boolean' ? `--${kebab(key)}` : `--${kebab(key)} <${s.kind}>`
    return [flag, `${s.help} (default ${JSON.stringify(s.default)})`]
  })
  rows.push(['--out <dir>', `folder for the pictures (default out/examples/${name})`])
  rows.push(['--help', 'show this help'])
  const width = Math.max(...rows.map(([f]) => f.length))
  return [
    `usage: npx tsx examples/${name}.ts [options]`,
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`),
  ].join('\n')
}

/**
 * Parses an example's command line. Numbers must be finite (integers where asked) and in range;
 * `--out DIR` and `--help` are always accepted. Throws a `UsageError` naming the bad flag
 * (`demo: --steps expects an integer, got "many"`).
 */
export function parseOptions<S extends OptionSpecs>(
  name: string,
  argv: readonly string[],
  specs: S,
): Parsed<S> & { out: string; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    out: { type: 'string' },
    help: { type: 'boolean' },
  }
  for (const [key, s] of Object.entries(specs)) {
    options[kebab(key)] = { type: s.kind === 'boolean' ? 'boolean' : 'string' }
  }
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | undefined
    >
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    throw new UsageError(`${name}: ${message.replace(/\. To specify a positional argument.*$/s, '')}`)
  }
  const parsed: Record<string, unknown> = {}
  for (const [key, s] of Object.entries(specs)) {
    const flag = `--${kebab(key)}`
    const raw = values[kebab(key)]
    if (raw === undefined) {
      parsed[key] = s.default
      continue
    }
    if (s.kind === 'boolean' || s.kind === 'string') {
      parsed[key] = raw
      continue
    }
    const text = String(raw).trim()
    const v = text === '' ? NaN : Number(text)
    const expected = s.kind === 'integer' ? 'an integer' : 'a number'
    if (!Number.isFinite(v) || (s.kind === 'integer' && !Number.isInteger(v)))
      throw new UsageError(`${name}: ${flag} expects ${expected}, got ${JSON.stringify(raw)}`)
    if (s.min !== undefined && v < s.min)
      throw new UsageError(`${name}: ${flag} must be at least ${s.min}, got ${v}`)
    if (s.max !== undefined && v > s.max)
      throw new UsageError(`${name}: ${flag} must be at most ${s.max}, got ${v}`)
    parsed[key] = v
  }
  const out = values.out
  if (out === '') throw new UsageError(`${name}: --out expects a folder`)
  parsed.out = typeof out === 'string' ? out : join('out', 'examples', name)
  parsed.help = values.help === true
  return parsed as Parsed<S> & { out: string; help: boolean }
}

/**
 * The values of an example's options: those given (not undefined) over the specs' defaults.
 */
export function withDefaults<S extends OptionSpecs>(specs: S, given: object): Parsed<S> {
  const values: Record<string, unknown> = {}
  for (const [key, s] of Object.entries(specs)) {
    const v = (given as Record<string, unknown>)[key]
    values[key] = v === undefined ? s.default : v
  }
  return values as Parsed<S>
}

/**
 * Whether the module with this `import.meta.url` is the script being run (not imported).
 */
export function isMain(metaUrl: string): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  const real = (p: string): string => {
    try {
      return realpathSync(p)
    } catch {
      return resolve(p)
    }
  }
  return real(fileURLToPath(metaUrl)) === real(script)
}

/**
 * Runs an example from the command line when its file is the script being run: parses the
 * options, prints the usage for `--help`, and for a bad command line prints the error and the
 * usage to stderr and sets exit code 2; an error thrown by `main` sets exit code 1.
 */
export function runIfMain<S extends OptionSpecs>(
  metaUrl: string,
  name: string,
  specs: S,
  main: (opts: Parsed<S> & { out: string }) => unknown,
): void {
  if (!isMain(metaUrl)) return
  let opts: Parsed<S> & { out: string; help: boolean }
  try {
    opts = parseOptions(name, process.argv.slice(2), specs)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    console.error(err.message)
    console.error(usage(name, specs))
    process.exitCode = 2
    return
  }
  if (opts.help) {
    console.log(usage(name, specs))
    return
  }
  Promise.resolve()
    .then(() => main(opts))
    .catch((err: unknown) => {
      console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`)
      process.exitCode = 1
    })
}

/**
 * Writes an SVG picture into the example's folder and returns its path (null, writing nothing,
 * when `dir` is null).
 */
export async function savePicture(dir: string | null, file: string, svg: string): Promise<string | null> {
  if (dir === null) return null
  await mkdir(dir, { recursive: true })
  const path = join(dir, file)
  await writeFile(path, svg, 'utf8')
  return path
}

/**
 * Formats a number with `digits` significant digits, without trailing noise (−0 prints as 0).
 */
export function num(v: number, digits = 6): string {
  return String(Number(v.toPrecision(digits)) + 0)
}

/**
 * A plain-text table: a header row, a rule, and the rows, columns padded to their widths.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  // combining marks (the bar of x̄) take no column of their own
  const width = (s: string): number => s.replace(/\p{M}/gu, '').length
  const widths = header.map((h, j) => Math.max(width(h), ...rows.map((r) => width(r[j] ?? ''))))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, j) => c + ' '.repeat(widths[j]! - width(c)))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}
