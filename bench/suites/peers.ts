/**
 * The peers suite: the MLP and the elementwise chain of the engine benchmark (and, for the kernels
 * alone, matmul 256³ and a 1000×1000 matrix–vector product, in GFLOP/s beside the scalar
 * JavaScript peak), differentiated by
 * TensorFlow.js (tfjs-backend-cpu and tfjs-backend-wasm, float32) and by jax-js (its wasm device,
 * float32 and float64, eager and `jit`), and by dualtape (cpu backend, float32 and float64). Each
 * of these runs in a process of its own (bench/workloads/peers.ts says how each library is loaded
 * and read). Each peer's gradient is first checked against dualtape's float64 gradient; then all
 * of them are timed side by side in rounds, and dualtape ÷ peer is the median of the per-round
 * ratios against dualtape in the peer's dtype. A peer that fails to load is reported and the
 * others still run.
 *
 * In the full run, every peer's figure is also checked against a plain standalone script of that
 * peer (bench/standalone), run on its own afterwards: the two must agree within 1.5×.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Contender } from '../measure/rounds.js'
import { Session } from '../measure/session.js'
import { type Estimate, type Timing, estimate, pairedTimingRatio } from '../measure/stats.js'
import { scalarPeak } from '../kernels.js'
import { type PeerWorkload, peerWorkloads } from '../workloads/dualtape.js'
import {
  type Cell,
  type Plot,
  type Problem,
  type Suite,
  type SuiteSize,
  type Table,
  type Target,
  target,
} from './types.js'

type DType = 'float32' | 'float64'

/** One way of differentiating the workloads outside dualtape, and where its setup is. */
export interface Peer {
  readonly library: string
  readonly device: string
  readonly dtype: DType
  readonly mode: string
  readonly setup: string
  readonly args: readonly unknown[]
  /** The arguments of its standalone script (bench/standalone). */
  readonly standalone: readonly string[]
  /** The packages it loads (optional for users of dualtape: a missing one skips the peer). */
  readonly packages: readonly string[]
}

export const PEERS: readonly Peer[] = [
  ...(['cpu', 'wasm'] as const).map((device): Peer => ({
    library: 'TensorFlow.js',
    device: `tfjs-backend-${device}`,
    dtype: 'float32',
    mode: 'eager (tape)',
    setup: 'tfjsSetup',
    args: [device],
    standalone: ['tfjs.mjs', device],
    packages: ['@tensorflow/tfjs-core', `@tensorflow/tfjs-backend-${device}`],
  })),
  ...(['float32', 'float64'] as const).flatMap((dtype) =>
    [false, true].map((jit): Peer => ({
      library: 'jax-js',
      device: 'wasm',
      dtype,
      mode: jit ? 'jit' : 'eager',
      setup: 'jaxSetup',
      args: [dtype, jit],
      standalone: ['jax.mjs', dtype, jit ? 'jit' : 'eager'],
      packages: ['@jax-js/jax'],
    })),
  ),
]

const peerLabel = (p: Peer): string => `${p.library} ${p.device} ${p.dtype} ${p.mode}`

const peersModule = new URL('../workloads/peers.js', import.meta.url).href
const dualtapeModule = new URL('../workloads/dualtape.js', import.meta.url).href

/**
 * Tolerance of the gradient check, normwise relative error: is the gradient right? It is loose
 * enough for float32 rounding along the chain; float64 peers get the same gate, and their error
 * is compared with {@link FLOAT64_PRECISE} separately.
 */
const TOLERANCE: Record<DType, number> = { float32: 1e-3, float64: 1e-3 }

/** The relative error a float64 gradient of these workloads should stay under. */
const FLOAT64_PRECISE = 1e-9

/**
 * The least warm-up of every library here, CPU ms. The WebAssembly kernels of tfjs-backend-wasm
 * and jax-js start in V8's baseline compiler and tier up to the optimising one only after enough
 * calls: before that their time per call sits on a plateau that looks stable but is not (jax-js
 * jit's MLP gradient: 11 ms after a 0.1 s warm-up, 7 ms after 1.5 s, as in its standalone
 * script). Every contender gets the same warm-up, dualtape too.
 */
const LIBRARY_WARMUP_MS: Record<SuiteSize, number> = { full: 3000, quick: 1500, smoke: 0 }

/** The largest ratio between the suite's figure of a peer and its standalone script's. */
const STANDALONE_AGREEMENT = 1.5

/** max |g − ref| / max |ref|. */
function relativeError(g: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (g.length !== ref.length) return Infinity
  let num = 0
  let den = 0
  for (let i = 0; i < g.length; i++) {
    num = Math.max(num, Math.abs(g[i]! - ref[i]!))
    den = Math.max(den, Math.abs(ref[i]!))
  }
  return Number.isNaN(num) ? Infinity : num / Math.max(den, Number.MIN_VALUE)
}

/** One row of the peers table. */
export interface PeerRow {
  readonly library: string
  readonly device: string
  readonly dtype: DType
  readonly mode: string
  readonly fn: string
  /** What the row times: a gradient (the MLP, the chain) or a matrix product alone. */
  readonly kind: PeerWorkload['kind']
  /** The product's flop count (products only). */
  readonly flops: number | null
  readonly relErr: number | null
  readonly tolerance: number
  readonly agrees: boolean
  /** The peer's time per gradient. */
  readonly peer: Timing | null
  /** dualtape's time per gradient in the same dtype, in the same rounds. */
  readonly dualtape: Timing | null
  /** dualtape ÷ peer, paired per round: above 1, the peer is faster. */
  readonly ratio: Timing | null
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** What a standalone script of a peer prints. */
interface StandaloneResult {
  readonly cpuMs: number
  readonly wallMs: number
  readonly cpuQ1: number
  readonly cpuQ3: number
  readonly n: number
}

/** Whether a package can be found from here (an installed dualtape finds its user's packages). */
function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`)
    return true
  } catch (e) {
    // a package whose exports hide its package.json is there all the same
    return (e as { code?: unknown }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED'
  }
}

/** The packages of `packages` that are not installed. */
export const notInstalled = (packages: readonly string[]): string[] => packages.filter((p) => !installed(p))

/**
 * Why a peer's standalone script cannot run here, or undefined when it can: the scripts and
 * tinybench ship with the repository, not with the installed package.
 */
function standaloneUnavailable(peer: Peer): string | undefined {
  const file = fileURLToPath(new URL(`../standalone/${peer.standalone[0]}`, import.meta.url))
  if (!existsSync(file)) return 'its standalone script ships with the repository only (bench/standalone)'
  const missing = notInstalled(['tinybench', ...peer.packages])
  return missing.length > 0 ? `not installed: npm install ${missing.join(' ')}` : undefined
}

/** Runs a peer's standalone script on a workload, alone, and returns what it measured. */
export async function runStandalone(peer: Peer, workload: 'mlp' | 'chain'): Promise<StandaloneResult> {
  const [script, ...args] = peer.standalone
  const file = fileURLToPath(new URL(`../standalone/${script}`, import.meta.url))
  const { stdout } = await promisify(execFile)(process.execPath, [file, ...args, workload], {
    maxBuffer: 1 << 20,
    timeout: 300_000,
  })
  const line = stdout.trim().split('\n').at(-1) ?? ''
  return JSON.parse(line) as StandaloneResult
}

/** The peers suite. */
export const peersSuite: Suite = {
  name: 'peers',
  title: 'Peers: TensorFlow.js and jax-js on the same gradients',
  description:
    'the MLP and the elementwise chain differentiated (and two matrix products computed) by tfjs (cpu, wasm), jax-js (wasm; float32, float64; eager, jit) and dualtape (float32, float64), each in a process of its own, checked against dualtape, then timed side by side',
  // a tick per workload, the scalar peak (not in a smoke run) and the standalone scripts (full run)
  steps: (size) => peerWorkloads(true).length + (size === 'smoke' ? 0 : 1) + (size === 'full' ? 1 : 0),
  run: async (ctx) => {
    const problems: Problem[] = []
    const rows: PeerRow[] = []
    const ws = peerWorkloads(ctx.size === 'smoke')
    const minMs = Math.max(ctx.timing.warmup.minMs, LIBRARY_WARMUP_MS[ctx.size])
    const warmup = { ...ctx.timing.warmup, minMs, maxMs: Math.max(ctx.timing.warmup.maxMs, 2 * minMs) }
    // one untimed call before each sample: every library starts its sample hot, as in its own
    // loop (and as its standalone script times it), whichever library ran just before
    const session = new Session(ctx.openHost, { ...ctx.timing, warmup, preroll: 1 })
    const failed = new Map<Peer, string>()
    const library: { label: string; fn: string; time: Timing }[] = []
    const rates: Record<string, Cell>[] = []
    let peak: Estimate | null = null
    let probe: { fn: string; relErr: number }[] | undefined
    try {
      if (ctx.size !== 'smoke') {
        ctx.tick('peers: the scalar JavaScript peak')
        peak = scalarPeak(ctx.size === 'full' ? 15 : 7)
      }
      for (const w of ws) {
        ctx.tick(`peers: ${w.name}`)
        // set every library up at once (nothing is timed yet), then time them all side by side
        const ours = await Promise.all(
          (['float32', 'float64'] as const).map((dtype) =>
            session.setup<{ gradient: Float64Array }>(`dualtape cpu ${dtype}`, {
              module: dualtapeModule,
              name: 'dualtapePeerSetup',
              args: [w, dtype],
            }),
          ),
        )
        const reference = ours[1]!.info.gradient
        const theirs = await Promise.all(
          PEERS.map(async (peer) => {
            if (failed.has(peer)) return undefined
            const missing = notInstalled(peer.packages)
            if (missing.length > 0) {
              const why = `not installed: npm install ${missing.join(' ')}`
              failed.set(peer, why)
              problems.push({ kind: 'skipped', message: `${peerLabel(peer)}: ${why}` })
              return undefined
            }
            try {
              return await session.setup<{ gradient: Float64Array }>(peerLabel(peer), {
                module: peersModule,
                name: peer.setup,
                args: [...peer.args, w],
              })
            } catch (e) {
              failed.set(peer, message(e))
              problems.push({ kind: 'peer-load', message: `${peerLabel(peer)}: ${message(e)}` })
              return undefined
            }
          }),
        )
        const timed: { peer: Peer; contender: Contender; relErr: number }[] = []
        PEERS.forEach((peer, i) => {
          const t = theirs[i]
          if (t === undefined) {
            rows.push(emptyRow(peer, w))
            return
          }
          const relErr = relativeError(t.info.gradient, reference)
          if (!(relErr <= TOLERANCE[peer.dtype])) {
            problems.push({
              kind: 'peer-check',
              message: `${peerLabel(peer)}, ${w.name}: relative error ${relErr.toExponential(2)} against dualtape (tolerance ${TOLERANCE[peer.dtype]}); not timed`,
            })
            rows.push({ ...emptyRow(peer, w), relErr })
            return
          }
          timed.push({ peer, contender: t.subjects['grad']!, relErr })
        })
        const m = await session.measure(
          [ours[0]!.subjects['grad']!, ours[1]!.subjects['grad']!, ...timed.map((t) => t.contender)],
          [
            `${w.name}: dualtape float32`,
            `${w.name}: dualtape float64`,
            ...timed.map((t) => `${w.name}: ${peerLabel(t.peer)}`),
          ],
        )
        const [d32, d64, ...peerTimes] = m.timings as Timing[]
        library.push({ label: 'dualtape cpu float32', fn: w.name, time: d32! })
        library.push({ label: 'dualtape cpu float64', fn: w.name, time: d64! })
        if (w.kind === 'product') {
          for (const [dtype, time] of [
            ['float32', d32!],
            ['float64', d64!],
          ] as const)
            rates.push({
              fn: w.name,
              library: 'dualtape',
              device: 'cpu',
              dtype,
              mode: 'eager',
              gflops: gflops(w.flops, time),
            })
          timed.forEach(({ peer }, i) =>
            rates.push({ ...peerKey(peer), fn: w.name, gflops: gflops(w.flops, peerTimes[i]!) }),
          )
        }
        timed.forEach(({ peer, relErr }, i) => {
          const peerTime = peerTimes[i]!
          const ourTime = peer.dtype === 'float32' ? d32! : d64!
          library.push({ label: peerLabel(peer), fn: w.name, time: peerTime })
          rows.push({
            ...emptyRow(peer, w),
            relErr,
            agrees: true,
            peer: peerTime,
            dualtape: ourTime,
            ratio: pairedTimingRatio(ourTime, peerTime),
          })
        })
        for (const o of [...ours, ...theirs]) if (o !== undefined) await o.drop()
      }
      const jaxFloat64 = PEERS.find((p) => p.library === 'jax-js' && p.dtype === 'float64' && !failed.has(p))
      if (jaxFloat64 !== undefined) {
        try {
          probe = (
            await session.setup<{ fn: string; relErr: number }[]>(peerLabel(jaxFloat64), {
              module: peersModule,
              name: 'jaxFloat64ProbeSetup',
            })
          ).info
        } catch (e) {
          problems.push({ kind: 'error', message: `jax-js float64 probe: ${message(e)}` })
        }
      }
    } finally {
      await session.close()
    }

    const tables: Table[] = [
      {
        title:
          'Gradients by the peers, checked against dualtape (float64), timed beside dualtape in the same dtype',
        columns: [
          { key: 'fn', header: 'function', format: 'text' },
          { key: 'library', header: 'library', format: 'text' },
          { key: 'device', header: 'device', format: 'text' },
          { key: 'dtype', header: 'dtype', format: 'text' },
          { key: 'mode', header: 'mode', format: 'text' },
          { key: 'relErr', header: 'rel. error', format: 'err' },
          { key: 'agrees', header: 'agrees', format: 'check' },
          { key: 'peer', header: 'peer ms', format: 'ms' },
          { key: 'dualtape', header: 'dualtape ms', format: 'ms' },
          { key: 'ratio', header: 'dualtape ÷ peer', format: 'ratio' },
        ],
        key: ['fn', 'library', 'device', 'dtype', 'mode'],
        rows: [...rows].sort((a, b) => (a.fn < b.fn ? -1 : a.fn > b.fn ? 1 : 0)).map((r) => ({ ...r })),
        notes: [
          `rel. error: max |g − g_dualtape| / max |g_dualtape|, against dualtape in float64; a gradient agrees within ${TOLERANCE.float32} (float64 peers too: their precision is judged against ${FLOAT64_PRECISE} separately).`,
          'Times: CPU ms per gradient (value and gradient, every result read back with dataSync, outside any scope), each library in a process of its own, all timed in the same rounds; dualtape ÷ peer is the median of the per-round ratios (above 1: the peer is faster).',
          'Per call: the value and gradient for the MLP and the chain; the product alone (A·B read back) for matmul and matrix–vector.',
          'dualtape runs its cpu backend: WebAssembly SIMD products where the runtime has WebAssembly SIMD, TypeScript elsewhere; tfjs-backend-wasm (XNNPACK) and jax-js run WebAssembly kernels.',
        ],
      },
    ]
    if (rates.length > 0) {
      const peakRate = peak === null ? null : peak.median
      tables.push({
        title: 'The matrix products alone: GFLOP/s of each library, and against the scalar JavaScript peak',
        columns: [
          { key: 'fn', header: 'product', format: 'text' },
          { key: 'library', header: 'library', format: 'text' },
          { key: 'device', header: 'device', format: 'text' },
          { key: 'dtype', header: 'dtype', format: 'text' },
          { key: 'mode', header: 'mode', format: 'text' },
          { key: 'gflops', header: 'GFLOP/s', format: 'num' },
          { key: 'vsPeak', header: '÷ scalar JS peak', format: 'ratio' },
        ],
        key: ['fn', 'library', 'device', 'dtype', 'mode'],
        rows: rates.map((r) => ({
          ...r,
          vsPeak: peakRate === null ? null : (r['gflops'] as Estimate).median / peakRate,
        })),
        notes: [
          'GFLOP/s: 2·m·k·n over the CPU time per product (A·B, read back), per round; median and 95% interval, from the same rounds as the table above.',
          peak === null
            ? 'The scalar JavaScript peak is not measured in a smoke run.'
            : `The scalar JavaScript peak, measured in a process of its own before the products (twelve independent multiply-add chains in registers, bench/kernels.ts): ${peak.median.toFixed(1)} GFLOP/s [${peak.q1.toFixed(1)}–${peak.q3.toFixed(1)}].`,
        ],
      })
    }
    const targets: Target[] = []
    if (ctx.size === 'full') {
      ctx.tick('peers: standalone scripts')
      const checks = await standaloneChecks(rows, problems)
      tables.push(checks.table)
      targets.push(...checks.targets)
    }
    const timedRows = rows.filter((r) => r.ratio !== null)
    const imprecise = rows.filter(
      (r) => r.dtype === 'float64' && r.relErr !== null && r.relErr > FLOAT64_PRECISE,
    )
    const notes = [`Peers that ran: ${PEERS.length - failed.size} of ${PEERS.length} configurations.`]
    if (imprecise.length > 0) {
      const worst = Math.max(...imprecise.map((r) => r.relErr!))
      const who = [...new Set(imprecise.map((r) => `${r.library} (${r.device})`))].join(', ')
      notes.push(
        `float64 gradients of ${who} agree with dualtape's only to ${worst.toExponential(1)} (relative), far above float64 rounding (< ${FLOAT64_PRECISE}); see the elementary functions below.`,
      )
    }
    if (probe !== undefined) {
      tables.push({
        title: 'jax-js float64 elementary functions against Math (on [-3, 3])',
        columns: [
          { key: 'fn', header: 'function', format: 'text' },
          { key: 'relErr', header: 'max rel. error', format: 'err' },
        ],
        rows: probe,
        notes: [
          `Double precision would be about 1e-16; a float64-accurate gradient of these workloads stays under ${FLOAT64_PRECISE}.`,
        ],
      })
    }
    return {
      notes,
      tables,
      targets,
      plots: timedRows.length === 0 ? [] : [await timesPlot(library), await ratioPlot(timedRows)],
      problems,
      warmups: session.warmups,
      processSpreads: session.processSpreads,
    }
  },
}

/** Runs every timed peer's standalone script and compares its median with the suite's. */
async function standaloneChecks(
  rows: readonly PeerRow[],
  problems: Problem[],
): Promise<{ table: Table; targets: Target[] }> {
  const out: Record<string, unknown>[] = []
  const targets: Target[] = []
  for (const r of rows) {
    // the standalone scripts time the gradients; the products are timed by the suite alone
    if (r.peer === null || r.kind === 'product') continue
    const peer = PEERS.find(
      (p) => p.library === r.library && p.device === r.device && p.dtype === r.dtype && p.mode === r.mode,
    )!
    const workload = r.fn.startsWith('MLP') ? 'mlp' : 'chain'
    const unavailable = standaloneUnavailable(peer)
    if (unavailable !== undefined) {
      problems.push({
        kind: 'skipped',
        message: `${peerLabel(peer)}, ${r.fn}: standalone check: ${unavailable}`,
      })
      continue
    }
    try {
      const s = await runStandalone(peer, workload)
      const ratio = r.peer.cpu.median / s.cpuMs
      out.push({
        fn: r.fn,
        peer: peerLabel(peer),
        suite: r.peer,
        standalone: s.cpuMs,
        standaloneWall: s.wallMs,
        ratio,
      })
      // the suite's figure ÷ the script's, folded to ≥ 1 (the larger way round), over the suite's interval
      const fold = (x: number): number => Math.max(x, 1 / x)
      const [lo, hi] = [r.peer.cpu.lo / s.cpuMs, r.peer.cpu.hi / s.cpuMs]
      const folded =
        lo <= 1 && 1 <= hi
          ? { median: fold(ratio), lo: 1, hi: Math.max(fold(lo), fold(hi)) }
          : { median: fold(ratio), lo: Math.min(fold(lo), fold(hi)), hi: Math.max(fold(lo), fold(hi)) }
      targets.push(
        target(
          `${peerLabel(peer)}, ${r.fn}: suite ÷ standalone script, the larger way round`,
          folded,
          '<=',
          STANDALONE_AGREEMENT,
        ),
      )
    } catch (e) {
      problems.push({
        kind: 'error',
        message: `standalone script of ${peerLabel(peer)}, ${workload}: ${message(e)}`,
      })
    }
  }
  return {
    table: {
      title: "The peers' figures against plain standalone scripts of each peer (bench/standalone), run alone",
      columns: [
        { key: 'fn', header: 'function', format: 'text' },
        { key: 'peer', header: 'peer', format: 'text' },
        { key: 'suite', header: 'suite ms', format: 'ms' },
        { key: 'standalone', header: 'standalone ms', format: 'ms' },
        { key: 'standaloneWall', header: 'standalone wall ms', format: 'ms' },
        { key: 'ratio', header: 'suite ÷ standalone', format: 'ratio' },
      ],
      key: ['fn', 'peer'],
      rows: out as Table['rows'],
      notes: [
        `A standalone script loads one library, warms up for 2 s and times 30 calls one by one with tinybench (CPU medians); the suite's figure must agree within ${STANDALONE_AGREEMENT}×, judged over the suite's 95% interval (noisy when the interval reaches past ${STANDALONE_AGREEMENT}× while its median does not).`,
      ],
    },
    targets,
  }
}

/** Each library's time per gradient, per workload, with its interval. */
async function timesPlot(library: readonly { label: string; fn: string; time: Timing }[]): Promise<Plot> {
  const { intervalPlot } = await import('../plot/plot.js')
  return {
    file: 'times',
    title: 'time per call, per library',
    spec: intervalPlot({
      title: 'Time per call (value and gradient, or the product; read back): median and 95% interval',
      data: library.map((l) => ({
        library: l.label.replace('tfjs-backend-', 'tfjs '),
        function: l.fn,
        ms: l.time.cpu.median,
        lo: l.time.cpu.lo,
        hi: l.time.cpu.hi,
      })),
      x: 'library',
      y: 'ms',
      low: 'lo',
      high: 'hi',
      color: 'function',
      horizontal: true,
      logY: true,
      xTitle: 'library, device, dtype, mode',
      yTitle: 'CPU ms per call (log scale)',
      width: 480,
      height: 22 * library.length,
    }),
  }
}

/** dualtape ÷ peer per peer and workload, with its interval and the line of equal speed. */
async function ratioPlot(rows: readonly PeerRow[]): Promise<Plot> {
  const { intervalPlot } = await import('../plot/plot.js')
  return {
    file: 'ratio',
    title: 'dualtape ÷ peer',
    spec: intervalPlot({
      title: 'dualtape ÷ peer, paired per round (above 1: the peer is faster)',
      data: rows.map((r) => ({
        peer: `${r.library} ${r.device.replace('tfjs-backend-', '')} ${r.dtype} ${r.mode}`,
        function: r.fn,
        ratio: r.ratio!.cpu.median,
        lo: r.ratio!.cpu.lo,
        hi: r.ratio!.cpu.hi,
      })),
      x: 'peer',
      y: 'ratio',
      low: 'lo',
      high: 'hi',
      color: 'function',
      horizontal: true,
      logY: true,
      xTitle: 'peer',
      yTitle: 'dualtape time ÷ peer time (CPU, log scale)',
      rules: [{ value: 1, label: 'equal' }],
      width: 480,
      height: 26 * rows.length,
    }),
  }
}

/** GFLOP/s per round from the CPU times of a product of `flops` flops. */
const gflops = (flops: number, t: Timing): Estimate => estimate(t.cpu.samples.map((ms) => flops / (ms * 1e6)))

/** The columns that name a peer. */
const peerKey = (peer: Peer) => ({
  library: peer.library,
  device: peer.device,
  dtype: peer.dtype,
  mode: peer.mode,
})

const emptyRow = (peer: Peer, w: PeerWorkload): PeerRow => ({
  library: peer.library,
  device: peer.device,
  dtype: peer.dtype,
  mode: peer.mode,
  fn: w.name,
  kind: w.kind,
  flops: w.kind === 'product' ? w.flops : null,
  relErr: null,
  tolerance: TOLERANCE[peer.dtype],
  agrees: false,
  peer: null,
  dualtape: null,
  ratio: null,
})

export type { PeerWorkload }
