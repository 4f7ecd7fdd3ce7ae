/**
 * The `dualtape` command.
 *
 * ```
 * dualtape bench [suites…] [--quick] [--backend cpu|…] [--out DIR] [--json FILE] [--strict]
 * dualtape bench compare A.json B.json
 * dualtape --help | --version
 * ```
 *
 * `bench` runs the benchmark suites of bench/suites (all of them by default), prints a table per
 * suite on stdout (a progress bar on stderr when it is a terminal), and writes `report.md`,
 * `results.json` and SVG plots into the output directory. See {@link EXIT} for the exit codes.
 *
 * @module
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { SingleBar } from 'cli-progress'
import { Command, CommanderError, Option } from 'commander'
import { compareFiles, formatComparison } from './compare.js'
import { killChildHosts } from './measure/host.js'
import { hostOpener, TIMING_PLANS } from './measure/session.js'
import { OutputError, checkWritableDir, checkWritableFile, lockOutput } from './output.js'
import {
  type BenchRun,
  type SuiteRecord,
  environment,
  loadNow,
  terminalSuite,
  writeReport,
} from './report.js'
import { SUITES, suiteNames } from './suites/index.js'
import type { Suite, SuiteSize } from './suites/types.js'
import { BENCH_BACKENDS, selectBackend } from './workloads/dualtape.js'

/** The exit codes of the command; when several apply, the first in this order wins. */
export const EXIT = {
  /** Every suite ran, every peer loaded and agreed. */
  ok: 0,
  /** Bad usage: an unknown suite, backend or option. Nothing ran. */
  usage: 2,
  /** The output directory or the JSON file cannot be written. Nothing ran. */
  output: 3,
  /** A suite threw (the others still ran and the report was written), or a plot failed to render. */
  suiteFailed: 1,
  /** A peer library failed to load, or its gradient disagreed with dualtape's (the rest ran). */
  peerFailed: 4,
  /** With `--strict`: a target was missed (its whole interval on the wrong side; a noisy one is not missed). */
  targetMissed: 5,
  /**
   * Interrupted (SIGINT): the suite that was running is marked so, and results.json and report.md
   * hold every suite that finished before it.
   */
  interrupted: 130,
} as const

/** Where the command writes: stdout for tables and the report's location, stderr for progress and errors. */
export interface CliIO {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean }
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean }
}

/** The options of `dualtape bench`. */
export interface BenchOptions {
  readonly size: SuiteSize
  readonly backend: string
  readonly out: string
  readonly json?: string
  readonly strict: boolean
  readonly progress: boolean
  /**
   * Measure in this process instead of one child process per library, backend and dtype (faster
   * to start, for tests; the figures then share one JIT and one heap).
   */
  readonly inProcess?: boolean
}

/** The package's name and version, from the nearest package.json above this file. */
function packageInfo(): { name: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'dualtape') return { name: pkg.name, version: pkg.version ?? '0.0.0' }
    }
    const up = dirname(dir)
    if (up === dir) return { name: 'dualtape', version: '0.0.0' }
    dir = up
  }
}

class UsageError extends Error {}

const describeError = (e: unknown): string =>
  e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e)

/**
 * Runs the benchmark suites named (all of `registry` when none is), prints their tables and
 * writes the report. Returns the exit code; throws on bad usage or an unwritable output.
 */
export async function runBench(
  names: readonly string[],
  opts: BenchOptions,
  io: CliIO,
  registry: readonly Suite[] = SUITES,
): Promise<number> {
  const find = (n: string): Suite | undefined => registry.find((s) => s.name === n)
  const unknown = names.filter((n) => find(n) === undefined)
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown suite${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}; the suites are: ${registry.map((s) => s.name).join(', ')}`,
    )
  }
  if (!(BENCH_BACKENDS as readonly string[]).includes(opts.backend)) {
    throw new UsageError(`unknown backend '${opts.backend}'; available: ${BENCH_BACKENDS.join(', ')}`)
  }
  // every output checked before anything runs, and the output folder taken for this run
  const out = resolve(opts.out)
  const jsonFile = opts.json === undefined ? undefined : resolve(opts.json)
  await checkWritableDir(out, 'output directory')
  if (jsonFile !== undefined) await checkWritableFile(jsonFile, 'JSON file')
  const unlock = await lockOutput(out)

  // SIGINT: stop waiting for the running suite, end its processes, keep what finished, write it
  let interrupted = false
  let signal = (): void => undefined
  const whenInterrupted = new Promise<void>((resolve) => (signal = resolve))
  const onInterrupt = (): void => {
    if (interrupted) return
    interrupted = true
    signal()
    killChildHosts()
    io.stderr.write('\ndualtape: interrupted; writing the report of the suites that finished\n')
  }
  process.on('SIGINT', onInterrupt)
  try {
    // the suites build their own tensors in their hosts; this process only checks the backend loads
    await selectBackend(opts.backend)
    return await runSuites(names.length === 0 ? registry : [...new Set(names)].map((n) => find(n)!), {
      opts,
      io,
      out,
      jsonFile,
      interrupted: () => interrupted,
      whenInterrupted,
    })
  } finally {
    process.off('SIGINT', onInterrupt)
    await unlock()
  }
}

/** Runs the suites in turn, writing the report after each; returns the exit code. */
async function runSuites(
  suites: readonly Suite[],
  ctx: {
    opts: BenchOptions
    io: CliIO
    out: string
    jsonFile: string | undefined
    interrupted: () => boolean
    whenInterrupted: Promise<void>
  },
): Promise<number> {
  const { opts, io, out, jsonFile } = ctx
  const total = suites.reduce((acc, s) => acc + s.steps(opts.size), 0)
  const useBar = opts.progress && io.stderr.isTTY === true
  const bar = useBar
    ? new SingleBar({
        stream: process.stderr,
        format: '{bar} {value}/{total} {label}',
        clearOnComplete: true,
        hideCursor: true,
        barsize: 30,
      })
    : null
  let done = 0
  let finished = 0
  let label = ''
  bar?.start(total, 0, { label: 'starting' })

  const info = packageInfo()
  const date = new Date().toISOString()
  const runOf = (records: readonly SuiteRecord[]): BenchRun => ({
    tool: info,
    date,
    size: opts.size,
    backend: opts.backend,
    environment: environment(),
    suites: records,
  })
  const write = async (records: readonly SuiteRecord[]) => {
    try {
      return await writeReport(runOf(records), out, jsonFile)
    } catch (e) {
      throw new OutputError(`cannot write the report into ${out}: ${describeError(e)}`)
    }
  }

  const records: SuiteRecord[] = []
  let written: Awaited<ReturnType<typeof write>> | undefined
  for (const suite of suites) {
    if (ctx.interrupted()) break
    const t0 = performance.now()
    let steps = 0
    const tick = (next: string): void => {
      if (steps > 0) done++
      steps++
      label = next
      bar?.update(done, { label })
    }
    let record: SuiteRecord
    const before = loadNow()
    try {
      const running = suite.run({
        size: opts.size,
        backend: opts.backend,
        tick,
        openHost: hostOpener(opts.inProcess !== true),
        // in this process, a second replica would be the same process again
        timing: { ...TIMING_PLANS[opts.size], ...(opts.inProcess === true ? { replicas: 1 } : {}) },
      })
      // an interrupted suite is abandoned: what it does after that is of no interest
      running.catch(() => undefined)
      const output = await Promise.race([
        running,
        ctx.whenInterrupted.then((): never => {
          throw new Error('interrupted')
        }),
      ])
      const seconds = (performance.now() - t0) / 1000
      record = ctx.interrupted()
        ? { ...base(suite), status: 'interrupted', seconds, load: { before, after: loadNow() } }
        : { ...base(suite), status: 'ok', seconds, load: { before, after: loadNow() }, output }
    } catch (e) {
      record = {
        ...base(suite),
        status: ctx.interrupted() ? 'interrupted' : 'failed',
        ...(ctx.interrupted() ? {} : { error: describeError(e) }),
        seconds: (performance.now() - t0) / 1000,
        load: { before, after: loadNow() },
      }
    }
    // the suite's steps are done, however many it ticked
    finished += suite.steps(opts.size)
    done = finished
    records.push(record)
    bar?.stop()
    io.stdout.write(terminalSuite(record) + '\n')
    bar?.start(total, done, { label })
    // the report after every suite: an interruption keeps what finished
    written = await write(records)
  }
  bar?.stop()
  written ??= await write(records)

  for (const p of written.plotErrors) io.stderr.write(`dualtape: a plot failed to render: ${p}\n`)
  if (written.plotsSkipped !== undefined)
    io.stderr.write(`dualtape: plots skipped: ${written.plotsSkipped}\n`)
  io.stdout.write(
    `\nReport: ${written.report}\n        ${written.results}, ${written.svgs.length} plot${written.svgs.length === 1 ? '' : 's'}\n`,
  )
  if (ctx.interrupted()) return EXIT.interrupted

  const failed = records.filter((r) => r.status === 'failed')
  for (const r of failed) io.stderr.write(`dualtape: the suite '${r.name}' failed: ${r.error}\n`)
  const problems = records.flatMap((r) => r.output?.problems ?? [])
  const peerProblems = problems.filter((p) => p.kind === 'peer-load' || p.kind === 'peer-check')
  for (const p of peerProblems) io.stderr.write(`dualtape: peer: ${p.message}\n`)
  for (const p of problems.filter((q) => q.kind === 'skipped'))
    io.stderr.write(`dualtape: skipped: ${p.message}\n`)
  const missed = records.flatMap((r) => r.output?.targets ?? []).filter((t) => t.status === 'missed')
  if (failed.length > 0 || written.plotErrors.length > 0 || problems.some((p) => p.kind === 'error')) {
    return EXIT.suiteFailed
  }
  if (peerProblems.length > 0) return EXIT.peerFailed
  if (opts.strict && missed.length > 0) return EXIT.targetMissed
  return EXIT.ok
}

const base = (s: Suite) => ({ name: s.name, title: s.title, description: s.description })

const EXIT_HELP = `
Suites: ${SUITES.map((s) => `\n  ${s.name.padEnd(9)} ${s.description}`).join('')}

Comparing two runs:
  dualtape bench compare A.json B.json
  every figure of both runs side by side: B ÷ A of the medians, with its 95% interval,
  and whether the change is beyond the noise

Exit codes:
  0  every suite ran; every peer that is installed loaded and agreed with dualtape (peers,
     standalone checks and plots whose optional packages are not installed are skipped,
     and the report says what to install)
  1  a suite threw or a plot failed to render (the other suites still ran; the report is written)
  2  bad usage: an unknown suite, backend or option (nothing ran)
  3  the output directory or the JSON file cannot be written (nothing ran)
  4  a peer library failed to load or disagreed with dualtape (the rest ran; the report says which)
  5  with --strict: a target was missed (a noisy target, whose interval holds the limit, is not)
  130  interrupted (SIGINT): the report holds every suite that finished, and the interrupted one
When several apply, the first of 2, 3, 130, 1, 4, 5 is returned.
A run takes its output directory for itself: a second run into the same directory while the
first one runs stops with code 3. The report is rewritten after each suite, each file whole.
`

/** The command line program, writing to `io`; `setCode` receives the exit code of `bench`. */
function program(io: CliIO, setCode: (code: number) => void): Command {
  const info = packageInfo()
  const prog = new Command('dualtape')
    .description('Forward- and reverse-mode automatic differentiation for TypeScript: the command line')
    .version(info.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
  prog
    .command('bench')
    .description(
      'run the mode-cost benchmarks and write a report (tables, report.md, results.json, SVG plots)',
    )
    .argument('[suites...]', `the suites to run (default: all): ${suiteNames().join(', ')}`)
    .option(
      '-q, --quick',
      'a subset of sizes, two processes per library and fewer rounds (all suites in two to three minutes on two cores)',
    )
    .addOption(new Option('--smoke', 'tiny sizes, to check that everything runs: the numbers mean little'))
    .option('-b, --backend <name>', `the dualtape backend: ${BENCH_BACKENDS.join(', ')}`, 'cpu')
    .option('-o, --out <dir>', 'the output directory', 'report')
    .option('--json <file>', 'also write the results as JSON to this file')
    .option('--strict', 'exit with code 5 when a target is missed')
    .option('--no-progress', 'no progress bar (it is off anyway when stderr is not a terminal)')
    .option(
      '--in-process',
      'measure everything in this process instead of one child process per library, backend and dtype',
    )
    .addHelpText('after', EXIT_HELP)
    .exitOverride()
    .action(async (suites: string[], o: Record<string, unknown>) => {
      if (suites[0] === 'compare') {
        if (suites.length !== 3)
          throw new UsageError('bench compare takes two results.json files: A.json B.json')
        let text: string
        try {
          text = formatComparison(await compareFiles(suites[1]!, suites[2]!), [suites[1]!, suites[2]!])
        } catch (e) {
          throw new UsageError(`bench compare: ${describeError(e)}`)
        }
        io.stdout.write(text + '\n')
        setCode(EXIT.ok)
        return
      }
      if (o['quick'] === true && o['smoke'] === true)
        throw new UsageError('--quick and --smoke exclude each other')
      const size: SuiteSize = o['smoke'] === true ? 'smoke' : o['quick'] === true ? 'quick' : 'full'
      const code = await runBench(
        suites,
        {
          size,
          backend: String(o['backend']),
          out: String(o['out']),
          ...(typeof o['json'] === 'string' ? { json: o['json'] } : {}),
          strict: o['strict'] === true,
          progress: o['progress'] !== false,
          inProcess: o['inProcess'] === true,
        },
        io,
      )
      setCode(code)
    })
  return prog
}

/**
 * Runs the command with the given arguments (without `node` and the script) and returns the
 * exit code; nothing calls `process.exit`.
 */
export async function main(args: readonly string[], io: CliIO = process): Promise<number> {
  let code: number = EXIT.ok
  const prog = program(io, (c) => (code = c))
  if (args.length === 0) {
    prog.outputHelp()
    return EXIT.ok
  }
  try {
    await prog.parseAsync([...args], { from: 'user' })
    return code
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage
    if (e instanceof UsageError) {
      io.stderr.write(`dualtape: ${e.message}\n`)
      return EXIT.usage
    }
    if (e instanceof OutputError) {
      io.stderr.write(`dualtape: ${e.message}\n`)
      return EXIT.output
    }
    io.stderr.write(`dualtape: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    return EXIT.suiteFailed
  }
}

/**
 * Ends the command with its exit code: as soon as stdout has drained when the run was
 * interrupted (an abandoned suite may still hold timers or processes), otherwise when the event
 * loop empties.
 */
export function exitWith(code: number): void {
  process.exitCode = code
  if (code === EXIT.interrupted) process.stdout.write('', () => process.exit(code))
}

const isEntry = (): boolean => {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url
  } catch {
    return false
  }
}

if (isEntry()) exitWith(await main(process.argv.slice(2)))
