/**
 * The cpu backend's kernels against the machine: GFLOP/s of the matrix products in TypeScript and
 * in WebAssembly SIMD (operand copies included), beside the measured peak of scalar JavaScript,
 * the MLP gradient with each, and the elementwise chain against plain loops, in one process (the
 * peak in a child process between rows).
 *
 * Every row's contenders are timed in paired rounds: in each round each contender gives one sample
 * (about 20 ms of calls) in an order rotated from round to round, so that a change of load hits
 * them alike; a row reports medians over rounds with the interquartile range, process CPU time
 * beside wall time, and the per-round ratio of the first contender to the second.
 *
 * Run as a script: `npx tsx bench/kernels.ts [rounds] [filter]` (21 rounds; the rows whose name
 * contains the filter, and the peak).
 */
import { execFileSync } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import { cast, randn, type Tensor, valueAndGrad } from '../src/index.js'
import { softplus } from '../src/backends/cpu/scalar.js'
import { sigmoidNumber } from '../src/ops/derivatives.js'
import { gemm, type FloatArray } from '../src/kernels/matmul.js'
import { gemmWasm, setWasmKernels, wasmKernelsActive } from '../src/kernels/wasm/index.js'
import { elementwiseChain, makeMlp } from './engine.js'
import { callsFor, takeSample } from './measure/sampler.js'
import { type Estimate, estimate, pairedRatio } from './measure/stats.js'

/** One contender: a call, and whether it runs with the WebAssembly kernels. */
interface Contender {
  readonly label: string
  readonly wasm: boolean
  readonly run: () => unknown
}

/** One measured row: a workload, its flop count (0 where a time is reported) and its contenders. */
export interface KernelRow {
  readonly name: string
  readonly flops: number
  readonly results: readonly { label: string; cpuMs: Estimate; wallMs: Estimate }[]
  /** Per-round ratio of the first contender's CPU time to the second's (ts/wasm, dualtape/loops). */
  readonly speedup: Estimate | null
}

type Ctor = Float64ArrayConstructor | Float32ArrayConstructor

function filled(ctor: Ctor, n: number, seed: number): FloatArray {
  const x = new ctor(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    x[i] = s / 2 ** 31 - 1
  }
  return x
}

/**
 * Times the contenders in `rounds` rotated rounds after a warm-up of about 200 ms each; with one
 * contender set to WebAssembly the module's switch is set before each of its samples.
 */
function measureRow(
  name: string,
  flops: number,
  contenders: readonly Contender[],
  rounds: number,
): KernelRow {
  const calls = contenders.map((c) => {
    setWasmKernels(c.wasm)
    const t0 = performance.now()
    let n = 0
    while (performance.now() - t0 < 200) {
      c.run()
      n++
    }
    return callsFor((performance.now() - t0) / n, 20)
  })
  const cpu: number[][] = contenders.map(() => [])
  const wall: number[][] = contenders.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < contenders.length; j++) {
      const i = (j + r) % contenders.length
      const c = contenders[i]!
      setWasmKernels(c.wasm)
      const s = takeSample(c.run, calls[i]!, 1)
      cpu[i]!.push(s.cpuMs)
      wall[i]!.push(s.wallMs)
    }
  }
  setWasmKernels(true)
  return {
    name,
    flops,
    results: contenders.map((c, i) => ({
      label: c.label,
      cpuMs: estimate(cpu[i]!),
      wallMs: estimate(wall[i]!),
    })),
    speedup: contenders.length === 2 ? pairedRatio(cpu[0]!, cpu[1]!) : null,
  }
}

/**
 * The scalar JavaScript peak: twelve independent multiply-add chains on values in registers, no
 * loads (s ← s·c + e), 24 flops per iteration: as many multiplies and adds as scalar code issues
 * per cycle. It runs as a script of its own in a child process, its sums started from a
 * Float64Array so that V8 keeps them as unboxed doubles: inside this process, inlined into its
 * callers, the loop runs at a fraction of that speed.
 */
const PEAK_SOURCE = `
function make(iters) {
  const d = new Float64Array(12).map((_, i) => Math.sin(i + 1) * 0.5)
  return () => {
    const c = 0.9990234375
    let s0 = d[0], s1 = d[1], s2 = d[2], s3 = d[3], s4 = d[4], s5 = d[5]
    let s6 = d[6], s7 = d[7], s8 = d[8], s9 = d[9], s10 = d[10], s11 = d[11]
    const e = 1e-3
    for (let i = 0; i < iters; i++) {
      s0 = s0 * c + e; s1 = s1 * c + e; s2 = s2 * c + e; s3 = s3 * c + e; s4 = s4 * c + e; s5 = s5 * c + e
      s6 = s6 * c + e; s7 = s7 * c + e; s8 = s8 * c + e; s9 = s9 * c + e; s10 = s10 * c + e; s11 = s11 * c + e
    }
    return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11
  }
}
const iters = 1 << 16
const run = make(iters)
let sink = 0
const t0 = performance.now()
while (performance.now() - t0 < 150) sink += run()
function measure(count) {
  const out = []
  for (let r = 0; r < count; r++) {
    const c0 = process.cpuUsage()
    const w0 = performance.now()
    for (let j = 0; j < 20; j++) sink += run()
    const c = process.cpuUsage(c0)
    out.push([(c.user + c.system) / 1000 / 20, (performance.now() - w0) / 20])
  }
  return out
}
console.log(JSON.stringify({ flops: iters * 24, samples: measure(Number(process.argv[1])), sink }))
`

/** Runs the scalar peak's script in a child process: its flop count per call and `count` samples [cpu ms, wall ms]. */
function peakSamples(count: number): { flops: number; samples: [number, number][] } {
  const out = execFileSync(process.execPath, ['-e', PEAK_SOURCE, String(count)], { encoding: 'utf8' })
  return JSON.parse(out) as { flops: number; samples: [number, number][] }
}

/** The scalar JavaScript peak in GFLOP/s (from CPU time), over `count` samples in a child process. */
export function scalarPeak(count: number): Estimate {
  const r = peakSamples(count)
  return estimate(r.samples.map(([cpu]) => r.flops / (cpu * 1e6)))
}

/** Samples of the scalar peak taken a few at a time (before every row), and their row. */
function peakSampler(): { sample: (count: number) => void; row: () => KernelRow } {
  const cpu: number[] = []
  const wall: number[] = []
  let flops = 0
  const sample = (count: number): void => {
    const r = peakSamples(count)
    flops = r.flops
    for (const [c, w] of r.samples) {
      cpu.push(c)
      wall.push(w)
    }
  }
  const row = (): KernelRow => ({
    name: 'scalar JS peak',
    flops,
    results: [{ label: 'js', cpuMs: estimate(cpu), wallMs: estimate(wall) }],
    speedup: null,
  })
  return { sample, row }
}

/** The TypeScript and the WebAssembly contender of one product C = op(A)·op(B). */
function productContenders(
  ctor: Ctor,
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
): Contender[] {
  const a = filled(ctor, m * k, 3)
  const b = filled(ctor, k * n, 4)
  const c = new ctor(m * n)
  const [aRs, aCs] = ta ? [1, m] : [k, 1]
  const [bRs, bCs] = tb ? [1, k] : [n, 1]
  return [
    { label: 'ts', wasm: false, run: () => gemm(m, n, k, a, 0, aRs, aCs, b, 0, bRs, bCs, c, 0) },
    {
      label: 'wasm',
      wasm: true,
      run: () => {
        if (!gemmWasm(m, n, k, a, 0, aRs, aCs, b, 0, bRs, bCs, c, 0)) throw new Error('wasm declined')
      },
    },
  ]
}

/** The gradient of the MLP 64×256 (4 tanh layers and a linear one) in a dtype, with each kernel set. */
function mlpContenders(dtype: 'float64' | 'float32'): Contender[] {
  const { params, x, forward } = makeMlp({ batch: 64, width: 256, layers: 4 })
  const ps = params.map((p) => ({ w: cast(p.w, dtype), b: cast(p.b, dtype) }))
  const xd = cast(x, dtype)
  const vg = valueAndGrad((q: typeof ps): Tensor => forward(q, xd))
  return [
    { label: 'ts', wasm: false, run: () => vg(ps) },
    { label: 'wasm', wasm: true, run: () => vg(ps) },
  ]
}

/**
 * The 12-op elementwise chain of the engine benchmark (and its sum) at length n: dualtape's forward
 * pass against a plain loop per op, each allocating its result as the backend does.
 */
function chainContenders(n: number): Contender[] {
  const x = randn([n], { seed: 5 })
  const data = x.dataSync()
  // one loop of its own per op, as a hand-written program has
  const plain = (): number => {
    let y = data as Float64Array
    for (let r = 0; r < 2; r++) {
      let z = new Float64Array(n)
      for (let i = 0; i < n; i++) z[i] = Math.sin(y[i]!)
      y = z
      z = new Float64Array(n)
      for (let i = 0; i < n; i++) z[i] = y[i]! * 1.5
      y = z
      z = new Float64Array(n)
      for (let i = 0; i < n; i++) z[i] = Math.tanh(y[i]!)
      y = z
      z = new Float64Array(n)
      for (let i = 0; i < n; i++) z[i] = Math.exp(y[i]!)
      y = z
      z = new Float64Array(n)
      for (let i = 0; i < n; i++) z[i] = softplus(y[i]!)
      y = z
      z = new Float64Array(n)
      for (let i = 0; i < n; i++) z[i] = Math.cos(y[i]!)
      y = z
      z = new Float64Array(n)
      for (let i = 0; i < n; i++) z[i] = sigmoidNumber(y[i]!)
      y = z
    }
    let s = 0
    for (let i = 0; i < n; i++) s += y[i]!
    return s
  }
  return [
    { label: 'dualtape', wasm: true, run: () => elementwiseChain(x).dataSync() },
    { label: 'loops', wasm: true, run: plain },
  ]
}

/** Measures every row: the scalar peak, the products, the matrix–vector products, the MLP gradient. */
export function benchKernels(rounds: number, only = ''): KernelRow[] {
  const rows: KernelRow[] = []
  const peak = peakSampler()
  const add = (name: string, flops: number, contenders: () => Contender[]): void => {
    if (!name.includes(only)) return
    peak.sample(3)
    rows.push(measureRow(name, flops, contenders(), rounds))
  }
  for (const [ctor, dt] of [
    [Float64Array, 'f64'],
    [Float32Array, 'f32'],
  ] as const) {
    for (const [ta, tb, form] of [
      [false, false, 'A·B'],
      [true, false, 'Aᵀ·B'],
      [false, true, 'A·Bᵀ'],
    ] as const)
      add(`matmul 256³ ${form} ${dt}`, 2 * 256 ** 3, () => productContenders(ctor, 256, 256, 256, ta, tb))
    add(`gemv M·v 1000² ${dt}`, 2e6, () => productContenders(ctor, 1000, 1, 1000, false, false))
    add(`gemv uᵀ·M 1000² ${dt}`, 2e6, () => productContenders(ctor, 1, 1000, 1000, false, false))
  }
  add('MLP 64×256 grad f64', 0, () => mlpContenders('float64'))
  add('MLP 64×256 grad f32', 0, () => mlpContenders('float32'))
  add('elementwise chain n=10⁴', 0, () => chainContenders(1e4))
  add('elementwise chain n=10⁶', 0, () => chainContenders(1e6))
  peak.sample(3)
  return [peak.row(), ...rows]
}

const fmt = (x: number, d = 2): string => x.toFixed(d)

/**
 * A text table: per contender the median and interquartile range of GFLOP/s (or of ms for rows
 * without a flop count) from CPU time, the median wall figure, the share of the scalar peak, and the
 * paired ratio of the first contender's CPU time to the second's.
 */
export function formatKernelTable(rows: readonly KernelRow[]): string {
  const peak = rows[0]!.flops / (rows[0]!.results[0]!.cpuMs.median * 1e6)
  const lines = [
    'workload                  kernel    CPU median [q1–q3]           wall median   × scalar peak   1st/2nd (CPU, paired) [q1–q3]',
  ]
  for (const r of rows) {
    r.results.forEach((res, i) => {
      const unit = r.flops > 0 ? 'GFLOP/s' : 'ms'
      const conv = (ms: number) => (r.flops > 0 ? r.flops / (ms * 1e6) : ms)
      const [lo, hi] = r.flops > 0 ? [conv(res.cpuMs.q3), conv(res.cpuMs.q1)] : [res.cpuMs.q1, res.cpuMs.q3]
      const vsPeak = r.flops > 0 ? fmt(conv(res.cpuMs.median) / peak) : ''
      const ratio =
        i === 1 && r.speedup !== null
          ? `${fmt(r.speedup.median)} [${fmt(r.speedup.q1)}–${fmt(r.speedup.q3)}]`
          : ''
      lines.push(
        `${(i === 0 ? r.name : '').padEnd(26)}${res.label.padEnd(10)}${`${fmt(conv(res.cpuMs.median))} ${unit} [${fmt(lo)}–${fmt(hi)}]`.padEnd(29)}${fmt(conv(res.wallMs.median)).padStart(11)}${vsPeak.padStart(16)}   ${ratio}`,
      )
    })
  }
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rounds = Number(process.argv[2] ?? 21)
  if (!wasmKernelsActive()) throw new Error('the WebAssembly kernels are not available on this engine')
  console.log(formatKernelTable(benchKernels(rounds, process.argv[3] ?? '')))
}
