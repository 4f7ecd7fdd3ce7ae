/**
 * Reverse mode against depth: the gradient of a chain of n scalar `tanh`, in µs per op, at
 * n = 10³, 10⁴ and 10⁵, timed in the same rounds (each round times every depth, in turn, for at
 * least 20 ms of CPU time each) so that each round gives the ratio of µs per op at 10⁴ and 10⁵ to
 * that at 10³: 1 when the cost of a gradient grows linearly with depth. Then the gradient of a
 * 10⁶-op chain in a process of its own: its CPU and wall time per call, and the memory it takes
 * (the process's peak resident memory after three gradients, less its peak before the first).
 *
 * Run as a script: `npx tsx bench/depth.ts [--quick]`.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type Tensor, grad, tanh, tensor } from '../src/index.js'
import { type Spread, spread } from './measure/stats.js'

/** The targets of the reverse-mode issue. */
export const DEPTH_TARGETS = { ratio: 1.5, seconds: 2, megabytes: 300 } as const

const chain =
  (n: number) =>
  (x: Tensor): Tensor => {
    let h = x
    for (let i = 0; i < n; i++) h = tanh(h)
    return h
  }

/** CPU µs of `f()` (as many calls as take at least `minMs`), per call. */
function cpuPerCall(f: () => unknown, minMs: number): number {
  let calls = 0
  const c0 = process.cpuUsage()
  let used = 0
  while (used < minMs * 1000) {
    f()
    calls++
    const c = process.cpuUsage(c0)
    used = c.user + c.system
  }
  return used / calls
}

/** One depth's figures. */
export interface DepthRow {
  readonly ops: number
  /** CPU µs per op of a gradient. */
  readonly usPerOp: Spread
  /** µs per op ÷ µs per op at the smallest depth, per round. */
  readonly ratio: Spread
}

/** The gradients of chains of each depth in `depths`, timed in the same rounds. */
export function benchDepths(depths: readonly number[], rounds: number): DepthRow[] {
  const grads = depths.map((n) => {
    const g = grad(chain(n))
    return () => g(tensor(0.5))
  })
  // warm up: every depth until a second of CPU time has gone to it
  for (const g of grads) cpuPerCall(g, 1000)
  const per: number[][] = depths.map(() => [])
  for (let r = 0; r < rounds; r++) {
    grads.forEach((g, k) => per[k]!.push(cpuPerCall(g, 20) / depths[k]!))
  }
  return depths.map((ops, k) => ({
    ops,
    usPerOp: spread(per[k]!),
    ratio: spread(per[k]!.map((t, r) => t / per[0]![r]!)),
  }))
}

/** The 10⁶-op gradient, as measured in a process of its own. */
export interface DeepRow {
  readonly ops: number
  /** CPU and wall seconds per gradient (median of three). */
  readonly cpuSeconds: number
  readonly wallSeconds: number
  /** Peak resident memory after the gradients, less before them (MB). */
  readonly megabytes: number
}

/** Runs in a child process: three gradients of an `ops`-op chain. */
function deepChild(ops: number): DeepRow {
  const g = grad(chain(ops))
  // warm the code up on a small chain first, so that the peak before is the engine's own
  const small = grad(chain(1000))
  for (let i = 0; i < 200; i++) small(tensor(0.5))
  const before = process.resourceUsage().maxRSS
  const cpu: number[] = []
  const wall: number[] = []
  for (let i = 0; i < 3; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    g(tensor(0.5))
    const c = process.cpuUsage(c0)
    wall.push((performance.now() - t0) / 1000)
    cpu.push((c.user + c.system) / 1e6)
  }
  const after = process.resourceUsage().maxRSS
  return {
    ops,
    cpuSeconds: spread(cpu).median,
    wallSeconds: spread(wall).median,
    megabytes: (after - before) / 1024,
  }
}

/** The 10⁶-op gradient in a process of its own. */
export function benchDeep(ops: number): DeepRow {
  const file = fileURLToPath(import.meta.url)
  const r = spawnSync(process.execPath, [...process.execArgv, file, '--deep-child', String(ops)], {
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`depth: the ${ops}-op child failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as DeepRow
}

const f2 = (x: number): string => x.toFixed(2)
const f3 = (x: number): string => x.toFixed(3)

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2)
  if (args[0] === '--deep-child') {
    console.log(JSON.stringify(deepChild(Number(args[1]))))
  } else {
    const quick = args.includes('--quick')
    const rows = benchDepths([1000, 10_000, 100_000], quick ? 5 : 15)
    console.log('| ops | gradient µs per op [IQR] | ÷ µs per op at 10³, per round [IQR] |')
    console.log('| ---: | ---: | ---: |')
    for (const r of rows) {
      console.log(
        `| ${r.ops} | ${f3(r.usPerOp.median)} [${f3(r.usPerOp.q1)}–${f3(r.usPerOp.q3)}] | ${f2(r.ratio.median)} [${f2(r.ratio.q1)}–${f2(r.ratio.q3)}] |`,
      )
    }
    const deep = benchDeep(1_000_000)
    console.log(
      `\n10⁶-op gradient: ${f2(deep.cpuSeconds)} s CPU, ${f2(deep.wallSeconds)} s wall, ` +
        `${deep.megabytes.toFixed(0)} MB peak resident memory above the process's before it ` +
        `(targets: ${DEPTH_TARGETS.seconds} s, ${DEPTH_TARGETS.megabytes} MB; 10⁵ ÷ 10³ at most ${DEPTH_TARGETS.ratio})`,
    )
  }
}
