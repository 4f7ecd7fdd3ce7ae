/* global console */
// What the standalone peer scripts share: the workloads' sizes, a seeded normal generator, the
// timing loop and the one line of JSON each script prints. No library is imported here.
import process from 'node:process'
import { performance } from 'node:perf_hooks'

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

/**
 * Warms `call` up for at least `warmupMs` of calls, then times `n` calls one by one (wall time
 * and this process's user + system CPU time) and prints one line of JSON on stdout.
 */
export function timeAndPrint(label, call, { warmupMs = 2000, n = 30 } = {}) {
  const start = performance.now()
  while (performance.now() - start < warmupMs) call()
  const cpu = []
  const wall = []
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    call()
    const t1 = performance.now()
    const c = process.cpuUsage(c0)
    wall.push(t1 - t0)
    cpu.push((c.user + c.system) / 1000)
  }
  cpu.sort((a, b) => a - b)
  wall.sort((a, b) => a - b)
  const r3 = (v) => Math.round(v * 1000) / 1000
  const result = {
    ...label,
    cpuMs: r3(quantile(cpu, 0.5)),
    wallMs: r3(quantile(wall, 0.5)),
    cpuQ1: r3(quantile(cpu, 0.25)),
    cpuQ3: r3(quantile(cpu, 0.75)),
    n,
  }
  process.stdout.write(JSON.stringify(result) + '\n')
}

/** Sends console output to stderr, so that stdout carries only the result. */
export function quietConsole() {
  for (const k of ['log', 'info', 'warn', 'debug']) console[k] = console.error
}
