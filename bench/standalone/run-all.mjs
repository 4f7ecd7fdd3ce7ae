// Runs every standalone peer configuration, one child process at a time, and prints a table.
// Usage: node bench/standalone/run-all.mjs
import process from 'node:process'
import { execFileSync } from 'node:child_process'
import { URL, fileURLToPath } from 'node:url'

const here = (file) => fileURLToPath(new URL(file, import.meta.url))
const workloads = ['mlp', 'chain']
const runs = [
  ...['cpu', 'wasm'].flatMap((b) => workloads.map((w) => ['tfjs.mjs', b, w])),
  ...['float32', 'float64'].flatMap((d) =>
    ['eager', 'jit'].flatMap((m) => workloads.map((w) => ['jax.mjs', d, m, w])),
  ),
]

const rows = []
for (const [script, ...args] of runs) {
  process.stderr.write(`${script} ${args.join(' ')}\n`)
  const out = execFileSync(process.execPath, [here(script), ...args], { encoding: 'utf8' })
  rows.push(JSON.parse(out))
}

const f = (v) => v.toFixed(v < 10 ? 2 : 1)
const table = [
  ['library', 'device', 'dtype', 'mode', 'workload', 'cpu ms median [q1–q3]', 'wall ms'],
  ...rows.map((r) => [
    r.library,
    r.device,
    r.dtype,
    r.mode,
    r.workload,
    `${f(r.cpuMs)} [${f(r.cpuQ1)}–${f(r.cpuQ3)}]`,
    f(r.wallMs),
  ]),
]
const widths = table[0].map((_, j) => Math.max(...table.map((row) => row[j].length)))
for (const row of table) process.stdout.write(row.map((c, j) => c.padEnd(widths[j])).join('  ') + '\n')
