/**
 * The steady state of the overhead suite's functions, against which the quick report's ω is
 * checked: each function's f, gradient and JVP warmed up for 10 s of CPU time in each of three
 * processes of its own (far beyond the report's warm-up), then timed for about 10 s of rounds
 * taken from the three in turn.
 *
 * Run: `npx tsx bench/steady-state.ts [mlp|chain|scalar]…` (all three by default).
 */
import { Session, hostOpener } from './measure/session.js'
import { pairedRatio } from './measure/stats.js'
import type { OverheadFunction } from './workloads/dualtape.js'

const FUNCTIONS: Record<string, OverheadFunction> = {
  mlp: { kind: 'mlp', batch: 64, width: 256, layers: 4 },
  chain: { kind: 'chain', n: 10_000 },
  scalar: { kind: 'scalar', depth: 1000, x0: 0.7 },
}

const which = process.argv.slice(2).filter((a) => a in FUNCTIONS)
const session = new Session(hostOpener(true), {
  warmup: { minSampleMs: 20, minMs: 10_000, maxMs: 20_000, window: 5, tolerance: 0.02 },
  rounds: { min: 41, max: 401, budgetMs: 10_000 },
  replicas: 3,
})
const f = (x: number): string => x.toFixed(2)
console.log('| function | ω grad [95%] | ω jvp [95%] | rounds |')
console.log('| --- | --: | --: | --: |')
for (const name of which.length > 0 ? which : Object.keys(FUNCTIONS)) {
  const { subjects } = await session.setup(`steady ${name}`, {
    module: new URL('./workloads/dualtape.js', import.meta.url).href,
    name: 'overheadSetup',
    args: [FUNCTIONS[name], 'cpu'],
  })
  const m = await session.measure([subjects['f']!, subjects['grad']!, subjects['jvp']!], ['f', 'grad', 'jvp'])
  const [t0, t1, t2] = m.timings.map((t) => t.cpu.samples)
  const g = pairedRatio(t1!, t0!)
  const j = pairedRatio(t2!, t0!)
  console.log(
    `| ${name} | ${f(g.median)} [${f(g.lo)}, ${f(g.hi)}] | ${f(j.median)} [${f(j.lo)}, ${f(j.hi)}] | ${m.rounds} |`,
  )
}
await session.close()
