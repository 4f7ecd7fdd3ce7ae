/* global console */
// What the standalone peer scripts share: the workloads' sizes, a seeded normal generator, the
// timing (tinybench, a harness independent of the benchmark report's) and the one line of JSON
// each script prints. No library under test is imported here.
import process from 'node:process'
import { performance } from 'node:perf_hooks'
import { Bench } from 'tinybench'

export const MLP = { batch: 64, width: 256, layers: 5 } // 4 tanh layers + 1 linear layer
export const CHAIN_N = 10_000

/** n draws of N(0, 1): mulberry32 and Box–Muller, from a seed. */
export function normals(n, seed) {
  let s = seed >>> 0
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296 // in (0, 1)
  }
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
  }
  return out
}

/** The MLP's parameters and input, as plain arrays: ws[i] is width × width, bs[i] is width. */
export function mlpData() {
  const { batch, width, layers } = MLP
  const ws = Array.from({ length: layers }, (_, i) => normals(width * width, 1 + 2 * i).map((v) => v / 16))
  const bs = Array.from({ length: layers }, (_, i) => normals(width, 2 + 2 * i).map((v) => v * 0.1))
  return { ws, bs, x: normals(batch * width, 1000) }
}

export const chainData = () => normals(CHAIN_N, 5)

/** Throws unless every array read back is finite and has a nonzero entry. */
export function checkResults(arrays) {
  for (const [i, a] of arrays.entries()) {
    if (!a.every(Number.isFinite)) throw new Error(`result ${i} is not finite`)
    if (!a.some((v) => v !== 0)) throw new Error(`result ${i} is all zeros`)
  }
}

const quantile = (sorted, q) => {
  const p = (sorted.length - 1) * q
  const lo = Math.floor(p)
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (p - lo)
}

/** This process's CPU time so far (user + system, every thread), in ms. */
const cpuNow = () => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}

/**
 * Times `call` with tinybench: warmed up for `warmupMs` of calls, then `n` calls timed one by one
 * in this process's CPU time; then `n` more in wall time. Prints one line of JSON on stdout: the
 * medians (and the CPU quartiles) in ms per call.
 */
export async function timeAndPrint(label, call, { warmupMs = 2000, n = 30 } = {}) {
  const timed = async (now, warmupTime) => {
    const bench = new Bench({
      now,
      warmupTime,
      warmupIterations: 1,
      time: 0,
      iterations: n,
      retainSamples: true,
    })
    bench.add(label.library, call)
    await bench.run()
    const task = bench.tasks[0]
    if (task.result.state !== 'completed') throw new Error(`tinybench: ${task.result.state}`)
    return task.result.latency
  }
  const cpu = await timed(cpuNow, warmupMs)
  const wall = await timed(() => performance.now(), 100)
  const samples = [...cpu.samples].sort((a, b) => a - b)
  const r3 = (v) => Math.round(v * 1000) / 1000
  const result = {
    ...label,
    cpuMs: r3(cpu.p50),
    wallMs: r3(wall.p50),
    cpuQ1: r3(quantile(samples, 0.25)),
    cpuQ3: r3(quantile(samples, 0.75)),
    n: samples.length,
  }
  process.stdout.write(JSON.stringify(result) + '\n')
}

/** Sends console output to stderr, so that stdout carries only the result. */
export function quietConsole() {
  for (const k of ['log', 'info', 'warn', 'debug']) console[k] = console.error
}
