/**
 * Per-example gradients: `vmap(grad(loss), { inAxes: [null, 0] })` against a loop of `grad` over
 * the examples, on the MLP of the benchmarks (bench/engine.ts: tanh layers of width 256, the last
 * linear, the mean of squares), one example being one input row. The loop runs one gradient per
 * example (matrix–vector products); vmap runs each op once on the whole batch, so the products of
 * the forward and backward sweeps become matrix–matrix products, and each op's overhead is paid
 * once instead of once per example. Both produce the same per-example gradients: a weight
 * gradient of width² values per example and layer, whose writing is work neither can avoid.
 *
 * Rounds are paired: each times vmap and the loop, in alternating order (a call shorter than
 * 20 ms as the mean of as many calls as make 20 ms); the ratio is taken per round (loop ÷ vmap,
 * CPU time), and reported as the median with its interquartile range, beside the medians of CPU
 * and wall time.
 *
 * For the gradients w.r.t. the parameters the same rounds also time what bounds vmap from below:
 * vmap of the gradient w.r.t. the biases alone (the same forward and backward sweep, without the
 * weight gradients), and allocating the weight gradients' arrays and filling them (a memset, the
 * fastest way to write memory), the least any way of producing them must spend. vmap takes at
 * least their sum, so loop ÷ (their sum), per round, is the most its speed-up can be here.
 *
 * The second table is jacrev, whose rows are batched pullbacks (vmap of the pullback), against
 * jacfwd (vector mode) and against one pullback per row, on the networks n → 100 → 100 → m of the
 * modes suite: jacfwd and jacrev in paired rounds, after a second of warm-up each, the per-row
 * pullbacks in rounds of their own after them; a call shorter than 20 ms is timed as the mean of as
 * many calls as make 20 ms.
 *
 * Run as a script: `npx tsx bench/vmap.ts [--quick] [--examples N] [--width W] [--no-jacobians]`.
 * It sets glibc's mmap threshold as `npm run bench` does (re-running itself), so that the large
 * arrays of the gradients are not returned to the system and faulted in again at every call.
 */
import { spawnSync } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import {
  Tensor,
  type Tree,
  concat,
  grad,
  jacfwd,
  jacrev,
  randn,
  reshape,
  slice,
  tensor,
  vjp,
  vmap,
} from '../src/index.js'
import { allocUnfilled } from '../src/core/dtype.js'
import { makeMlp, mlpLoss } from './engine.js'
import { tanhNet } from './suites/modes.js'
import { type Spread, spread } from './measure/stats.js'

export type { Spread }

/** The target of the vmap issue: vmap(grad(loss)) at least 5× faster than the loop, for 256 examples. */
export const VMAP_TARGET = 5

/** One workload's figures (times in ms per call). */
export interface VmapRow {
  readonly workload: string
  readonly examples: number
  readonly loopCpu: Spread
  readonly vmapCpu: Spread
  readonly loopWall: Spread
  readonly vmapWall: Spread
  /** loop ÷ vmap CPU time, per round. */
  readonly speedup: Spread
  /** The largest |difference| between the two sets of gradients, relative to 1 + |loop|. */
  readonly maxDiff: number
  /** For the gradients w.r.t. the parameters: what bounds vmap's time from below. */
  readonly floor?: VmapFloor
}

/** The least vmap's per-example parameter gradients can cost (CPU ms per call), and the speed-up it allows. */
export interface VmapFloor {
  /** vmap of the gradient w.r.t. the biases alone: the sweep without the weight gradients. */
  readonly biases: Spread
  /** Allocating the per-example weight gradients' arrays, as vmap lays them out, and filling them. */
  readonly writes: Spread
  /** Their size, in bytes. */
  readonly bytes: number
  /** loop ÷ (biases + writes), per round: the largest loop ÷ vmap these allow. */
  readonly bound: Spread
}

/**
 * Wall and CPU time (user + system) of one call, in ms: the mean of `reps` calls timed together, so
 * that a short call is not read off the coarse ticks of the CPU clock.
 */
function timeCall(fn: () => unknown, reps = 1): [number, number] {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < reps; i++) fn()
  const t1 = performance.now()
  const c = process.cpuUsage(c0)
  return [(t1 - t0) / reps, (c.user + c.system) / 1000 / reps]
}

/** Runs `fn` until it has had a second of CPU time (and at least three calls): its warm-up. */
function warm(fn: () => unknown): void {
  const c0 = process.cpuUsage()
  let used = 0
  for (let i = 0; i < 3 || used < 1e6; i++) {
    fn()
    const c = process.cpuUsage(c0)
    used = c.user + c.system
  }
}

/** How many calls of `fn` make a sample of at least 20 ms (from one timed call). */
function repsFor(fn: () => unknown): number {
  const [wall] = timeCall(fn)
  return Math.max(1, Math.min(1000, Math.ceil(20 / Math.max(wall, 1e-3))))
}

/** The largest relative difference between the vmap gradients (examples along axis 0) and the loop's. */
function compare(batched: Tree, loop: readonly Tree[]): number {
  const [got] = flattenLeaves(batched)
  const wants = loop.map((g) => flattenLeaves(g)[0])
  let m = 0
  got.forEach((leaf, i) => {
    const v = leaf.dataSync()
    const per = v.length / loop.length
    wants.forEach((w, k) => {
      const want = w[i]!.dataSync()
      for (let j = 0; j < per; j++)
        m = Math.max(m, Math.abs(v[k * per + j]! - want[j]!) / (1 + Math.abs(want[j]!)))
    })
  })
  return m
}

/** The tensors of a tree of gradients, in a fixed order. */
function flattenLeaves(t: Tree): [Tensor[]] {
  if (t === null || t === undefined) return [[]]
  if (t instanceof Tensor) return [[t]]
  const parts = Array.isArray(t)
    ? t
    : Object.keys(t)
        .sort()
        .map((k) => (t as Record<string, Tree>)[k])
  return [parts.flatMap((p) => flattenLeaves(p as Tree)[0])]
}

/**
 * Times per-example gradients of the MLP by vmap and by a loop, in paired rounds.
 *
 * @example
 * import { benchVmap } from './vmap.js'
 * const [row] = benchVmap({ examples: 4, width: 8, layers: 2, rounds: 2 })
 * row!.maxDiff < 1e-12 // → true
 */
export function benchVmap(
  options: { examples?: number; width?: number; layers?: number; rounds?: number } = {},
): VmapRow[] {
  return [measure(options, 'parameters'), measure(options, 'inputs')]
}

/** Per-example gradients with respect to the parameters (a weight gradient per example) or the input. */
function measure(
  options: { examples?: number; width?: number; layers?: number; rounds?: number },
  wrt: 'parameters' | 'inputs',
): VmapRow {
  const examples = options.examples ?? 256
  const width = options.width ?? 256
  const layers = options.layers ?? 4
  const rounds = options.rounds ?? 9
  const { params } = makeMlp({ batch: 1, width, layers })
  const { x } = makeMlp({ batch: examples, width, layers, seed: 7 })
  const g = grad(mlpLoss, { argnums: wrt === 'parameters' ? 0 : 1 }) as (...args: unknown[]) => Tree
  const perExample = vmap(g, { inAxes: [null, 0] })
  const rows = Array.from({ length: examples }, (_, k) => reshape(slice(x, [k, 0], [1, width]), [width]))
  const byVmap = () => perExample(params, x)
  const byLoop = () => rows.map((r) => g(params, r))
  const maxDiff = compare(byVmap(), byLoop())
  // the floor (parameters only): the sweep without the weight gradients, and writing those
  const withFloor = wrt === 'parameters'
  const weights = params.map((p) => p.w)
  const biasGrads = vmap(
    grad((bs: Tensor[], input: Tensor) =>
      mlpLoss(
        bs.map((b, i) => ({ w: weights[i]!, b })),
        input,
      ),
    ),
    { inAxes: [null, 0] },
  )
  const biases = params.map((p) => p.b)
  const byBiases = () => biasGrads(biases, x)
  const wSize = examples * width * width
  const byWrites = () => weights.map((_, i) => allocUnfilled('float64', wSize).fill(i + 0.5))
  // warm-up: the code of both paths optimized before the first timed round
  for (let i = 0; i < 2; i++) {
    byVmap()
    byLoop()
    if (withFloor) {
      byBiases()
      byWrites()
    }
  }
  const vReps = repsFor(byVmap)
  const lReps = repsFor(byLoop)
  const bReps = withFloor ? repsFor(byBiases) : 0
  const wReps = withFloor ? repsFor(byWrites) : 0
  const lc: number[] = []
  const vc: number[] = []
  const lw: number[] = []
  const vw: number[] = []
  const ratio: number[] = []
  const bc: number[] = []
  const wc: number[] = []
  const bound: number[] = []
  for (let r = 0; r < rounds; r++) {
    let v: [number, number]
    let l: [number, number]
    if (r % 2 === 0) {
      v = timeCall(byVmap, vReps)
      l = timeCall(byLoop, lReps)
    } else {
      l = timeCall(byLoop, lReps)
      v = timeCall(byVmap, vReps)
    }
    vw.push(v[0])
    vc.push(v[1])
    lw.push(l[0])
    lc.push(l[1])
    ratio.push(l[1] / v[1])
    if (withFloor) {
      const b = timeCall(byBiases, bReps)[1]
      const w = timeCall(byWrites, wReps)[1]
      bc.push(b)
      wc.push(w)
      bound.push(l[1] / (b + w))
    }
  }
  const floor: VmapFloor | undefined = withFloor
    ? { biases: spread(bc), writes: spread(wc), bytes: weights.length * wSize * 8, bound: spread(bound) }
    : undefined
  return {
    workload: `MLP width ${width}, ${layers} tanh + linear: per-example gradients w.r.t. the ${wrt}`,
    examples,
    loopCpu: spread(lc),
    vmapCpu: spread(vc),
    loopWall: spread(lw),
    vmapWall: spread(vw),
    speedup: spread(ratio),
    maxDiff,
    ...(floor === undefined ? {} : { floor }),
  }
}

const fmtSpread = (s: Spread, digits = 0): string =>
  `${s.median.toFixed(digits)} [${s.q1.toFixed(digits)}–${s.q3.toFixed(digits)}]`

/** The rows as a table, with the target's verdict for each. */
export function formatVmap(rows: readonly VmapRow[]): string {
  const head =
    '| workload | examples | loop ms CPU [IQR] | vmap ms CPU [IQR] | loop ms wall | vmap ms wall | loop ÷ vmap (CPU) [IQR] | max rel. diff |'
  const rule = '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
  const body = rows.map(
    (r) =>
      `| ${r.workload} | ${r.examples} | ${fmtSpread(r.loopCpu)} | ${fmtSpread(r.vmapCpu)} | ${fmtSpread(r.loopWall)} | ${fmtSpread(r.vmapWall)} | ${fmtSpread(r.speedup, 2)} | ${r.maxDiff.toExponential(1)} |`,
  )
  const floors = rows.flatMap((r) =>
    r.floor === undefined
      ? []
      : [
          `Floor of vmap w.r.t. the parameters (CPU ms [IQR]): the sweep without the weight gradients (vmap of the bias gradients) ${fmtSpread(r.floor.biases)}, ` +
            `allocating and filling the weight gradients (${(r.floor.bytes / 2 ** 20).toFixed(0)} MiB) ${fmtSpread(r.floor.writes)}: ` +
            `loop ÷ vmap can be at most ${fmtSpread(r.floor.bound, 2)} here`,
        ],
  )
  const verdicts = rows.map(
    (r) =>
      `${r.workload}, ${r.examples} examples: vmap ${r.speedup.median.toFixed(2)}× faster than the loop (target ≥ ${VMAP_TARGET}×: ${r.speedup.median >= VMAP_TARGET ? 'met' : 'missed'})`,
  )
  return [head, rule, ...body, '', ...floors, ...(floors.length > 0 ? [''] : []), ...verdicts].join('\n')
}

// ---------------------------------------------------------------------------------------------
// jacrev by batched pullbacks against jacfwd (vector mode) and against one pullback per row
// ---------------------------------------------------------------------------------------------

/** The targets of the batched-pullback issue. */
export const JACREV_TARGETS = {
  /** jacrev ÷ jacfwd on 1000 → 1000 at most this. */
  square: 1.25,
  /** jacfwd ÷ jacrev on 1000 → 10 at least this share of the flop ratio. */
  shareOfFlopRatio: 0.5,
} as const

/** One network's figures (CPU ms per call). */
export interface JacobianRow {
  readonly n: number
  readonly m: number
  readonly jacfwd: Spread
  readonly jacrev: Spread
  /** The rows one pullback at a time (how jacrev took them before batched pullbacks). */
  readonly perRow: Spread
  /** jacrev ÷ jacfwd, per round. */
  readonly revOverFwd: Spread
  /** jacfwd's multiply-adds ÷ jacrev's: (1 + n) ÷ (1 + m), both counting one evaluation of f. */
  readonly flopRatio: number
  /** The largest |jacrev − jacfwd|. */
  readonly maxDiff: number
}

/**
 * Times jacfwd, jacrev and a loop of single pullbacks on the networks n → 100 → 100 → m of the
 * modes suite (y ← tanh(y W)), in paired rounds (the three in rotating order; each sample the mean
 * of as many calls as make 20 ms).
 *
 * @example
 * import { benchJacobians } from './vmap.js'
 * const [row] = benchJacobians({ shapes: [[6, 2]], hidden: 4, rounds: 2 })
 * row!.maxDiff < 1e-12 // → true
 */
export function benchJacobians(
  options: { shapes?: readonly (readonly [number, number])[]; hidden?: number; rounds?: number } = {},
): JacobianRow[] {
  const shapes = options.shapes ?? [
    [1000, 1000],
    [1000, 10],
  ]
  const hidden = options.hidden ?? 100
  const rounds = options.rounds ?? 11
  return shapes.map(([n, m]) => {
    const f = tanhNet([n, hidden, hidden, m])
    const x = randn([n], { seed: 5 })
    const fwd = () => jacfwd(f)(x)
    const rev = () => jacrev(f)(x)
    const perRow = () => {
      const [y, pullback] = vjp(f, x)
      const rows = Array.from({ length: y.size }, (_, r) => reshape(pullback(unit(y, r))[0], [1, n]))
      return concat(rows, 0)
    }
    const jf = fwd()
    const jr = rev()
    const a = jf.dataSync()
    const b = jr.dataSync()
    let maxDiff = 0
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(b[i]! - a[i]!))
    // jacfwd and jacrev in paired rounds, alternating their order; the per-row pullbacks after
    // them, in rounds of their own, so that the garbage they make is not collected in the others'
    // time (it slowed jacrev on 1000 → 10 by about a third)
    const tf: number[] = []
    const tr: number[] = []
    const tp: number[] = []
    const ratio: number[] = []
    const paired: [() => unknown, number[]][] = [
      [fwd, tf],
      [rev, tr],
    ]
    for (const [fn] of paired) warm(fn)
    const reps = paired.map(([fn]) => repsFor(fn))
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < 2; k++) {
        const j = (r + k) % 2
        const [fn, out] = paired[j]!
        out.push(timeCall(fn, reps[j])[1])
      }
      ratio.push(tr[r]! / tf[r]!)
    }
    warm(perRow)
    const rowReps = repsFor(perRow)
    for (let r = 0; r < rounds; r++) tp.push(timeCall(perRow, rowReps)[1])
    return {
      n,
      m,
      jacfwd: spread(tf),
      jacrev: spread(tr),
      perRow: spread(tp),
      revOverFwd: spread(ratio),
      flopRatio: (1 + n) / (1 + m),
      maxDiff,
    }
  })
}

/** The unit vector e_r of y's shape. */
function unit(y: Tensor, r: number): Tensor {
  const d = new Float64Array(y.size)
  d[r] = 1
  return tensor(d, { shape: y.shape })
}

/** The rows as a table, with the targets' verdicts. */
export function formatJacobians(rows: readonly JacobianRow[]): string {
  const head =
    '| n → m | jacfwd ms CPU [IQR] | jacrev ms CPU [IQR] | one pullback per row ms | jacrev ÷ jacfwd [IQR] | flop ratio fwd ÷ rev | max diff |'
  const rule = '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'
  const body = rows.map(
    (r) =>
      `| ${r.n} → ${r.m} | ${fmtSpread(r.jacfwd, 2)} | ${fmtSpread(r.jacrev, 2)} | ${fmtSpread(r.perRow, 2)} | ${fmtSpread(r.revOverFwd, 3)} | ${r.flopRatio.toFixed(1)} | ${r.maxDiff.toExponential(1)} |`,
  )
  const verdicts = rows.map((r) => {
    const ratio = r.revOverFwd.median
    if (r.n === r.m) {
      return `${r.n} → ${r.m}: jacrev ${ratio.toFixed(2)}× jacfwd's time (target ≤ ${JACREV_TARGETS.square}×: ${ratio <= JACREV_TARGETS.square ? 'met' : 'missed'})`
    }
    const want = JACREV_TARGETS.shareOfFlopRatio * r.flopRatio
    const speedup = 1 / ratio
    return `${r.n} → ${r.m}: jacrev ${speedup.toFixed(1)}× faster than jacfwd (target ≥ ${want.toFixed(1)}×, half the flop ratio: ${speedup >= want ? 'met' : 'missed'})`
  })
  return [head, rule, ...body, '', ...verdicts].join('\n')
}

const arg = (name: string): number | undefined => {
  const i = process.argv.indexOf(name)
  return i < 0 ? undefined : Number(process.argv[i + 1])
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.env['MALLOC_MMAP_THRESHOLD_'] === undefined) {
    const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: '4294967296', MALLOC_TRIM_THRESHOLD_: '4294967296' }
    const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      env,
      stdio: 'inherit',
    })
    process.exit(r.status ?? 1)
  }
  const quick = process.argv.includes('--quick')
  const rows = benchVmap({
    examples: arg('--examples') ?? 256,
    width: arg('--width') ?? 256,
    rounds: quick ? 5 : 11,
  })
  console.log(formatVmap(rows))
  if (!process.argv.includes('--no-jacobians')) {
    console.log('')
    console.log(formatJacobians(benchJacobians({ rounds: quick ? 7 : 15 })))
  }
}
