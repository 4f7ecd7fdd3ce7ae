/**
 * A `dualtape bench` run for the interruption tests (test/bench/cli.test.ts): two suites, the second of
 * which waits (`sleep`) or keeps a child process busy (`child`) until the run is interrupted.
 * Usage: node --import tsx test/support/bench-interrupt-run.ts <out> <sleep|child|first>
 */
import type { Suite, SuiteOutput } from '../../bench/suites/types.js'
import { exitWith, runBench } from '../../bench/cli.js'

const [out, mode] = process.argv.slice(2) as [string, 'sleep' | 'child' | 'first']

const output = (note: string): SuiteOutput => ({
  notes: [note],
  tables: [{ title: 'T', columns: [{ key: 'a', header: 'a', format: 'int' }], rows: [{ a: 1 }] }],
  targets: [],
  plots: [],
  problems: [],
})

const wait = async (what: string): Promise<void> => {
  process.stdout.write(`${what} started\n`)
  await new Promise((resolve) => setTimeout(resolve, 60_000))
}

const first: Suite = {
  name: 'first',
  title: 'First',
  description: 'finishes at once, or waits',
  steps: () => 1,
  run: async (ctx) => {
    ctx.tick('first')
    if (mode === 'first') await wait('first')
    return output('first done')
  },
}

const second: Suite = {
  name: 'second',
  title: 'Second',
  description: 'waits until interrupted',
  steps: () => 1,
  run: async (ctx) => {
    ctx.tick('second')
    if (mode === 'child') {
      const host = await ctx.openHost('spinner')
      const { info } = await host.setup(
        { module: new URL('./bench-workload.ts', import.meta.url).href, name: 'spins' },
        'w',
      )
      process.stdout.write(`child ${(info as { pid: number }).pid}\n`)
      process.stdout.write('second started\n')
      await host.warmUp(['w/spin'], { minSampleMs: 1, minMs: 0, maxMs: 60_000, window: 1, tolerance: 0 })
    } else {
      await wait('second')
    }
    return output('second done')
  },
}

// as the command ends
exitWith(
  await runBench([], { size: 'smoke', backend: 'cpu', out, strict: false, progress: false }, process, [
    first,
    second,
  ]),
)
