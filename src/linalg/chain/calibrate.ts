/**
 * Measuring a machine's `ChainCostModel`: small runs of the kernels `accumulate` calls (the cpu
 * backend's gemm through `matmulMatrix`, the structured forms' `mul`, `matvec` and `vecmat`), each
 * timed in CPU time, the median of a few samples after a warm-up. About 0.2 s a pass (0.3 s for
 * the first call in a process, which waits for the allocator's heap to grow), twice: the better
 * figure of the two passes is kept.
 *
 * Each figure is read off the kernel that isolates it, the figures already known subtracted:
 *
 *   write   a new array filled by a copy, per entry
 *   call    accumulating chains of 10 and of 2 diagonal 2×2 factors, per product in between
 *   gemm    a 96×96 · 96×96 product, less its packing and result writes
 *   gemv    1×192 · 192×192 and 192×192 · 192×1, less the result writes (their mean time per flop)
 *   scale   diag(192) · (192×192 dense), less the writes
 *   sweep   sweeps through 10 and through 2 operators of 2×2 diagonals, per call in between;
 *           JVP (matvec) and VJP (vecmat) of a 160×160 dense operator for the rates
 */
import { matmulMatrix, type Matrix } from '../matrix.js'
import { denseJacobian, diagonalJacobian } from '../structured.js'
import { accumulate } from '../chain.js'
import { chainFromFactors, planBracketing, type JacobianChain } from './bracketing.js'
import { DEFAULT_CHAIN_COST_MODEL, FLOP_COST_MODEL, type ChainCostModel } from './cost.js'
import { chainFromOperators, operatorFromForm, planSweeps, type OperatorChain } from './matrixFree.js'

/**
 * Options of `calibrateChainCostModel`.
 *
 * @example
 * import { calibrateChainCostModel, type CalibrationOptions } from 'dualtape/linalg'
 * const fast: CalibrationOptions = { sampleMs: 0.5, samples: 3 }
 * calibrateChainCostModel(fast).gemmGflops > 0 // → true
 */
export interface CalibrationOptions {
  /** CPU milliseconds of one timed sample of a kernel (default 1.5). */
  readonly sampleMs?: number
  /** Samples per kernel; the median is taken (default 5). */
  readonly samples?: number
  /** The name of the model returned (default `calibrated`). */
  readonly name?: string
}

/** CPU time of this process so far, in µs (user + system); in a browser, wall-clock time. */
const cpuUs = (): number => {
  if (typeof process === 'undefined' || typeof process.cpuUsage !== 'function') return performance.now() * 1e3
  const c = process.cpuUsage()
  return c.user + c.system
}

/**
 * CPU microseconds of one call of f: warm-up calls first (which also size a sample), then
 * samples of about `sampleMs` each until the last `samples` of them agree within 30% (at most
 * 6·`samples` samples), and the median of those. Waiting for agreement skips transients such as
 * the growth of the allocator's heap, during which every new array faults its pages in.
 */
function measure(f: () => unknown, sampleMs: number, samples: number): number {
  let calls = 0
  const w0 = cpuUs()
  while (calls < 5 || cpuUs() - w0 < 2 * sampleMs * 1e3) {
    f()
    calls++
  }
  const perCall = Math.max((cpuUs() - w0) / calls, 0.01)
  const inner = Math.max(1, Math.round((sampleMs * 1e3) / perCall))
  const times: number[] = []
  for (let s = 0; s < 6 * samples; s++) {
    const t0 = cpuUs()
    for (let r = 0; r < inner; r++) f()
    times.push((cpuUs() - t0) / inner)
    if (times.length >= samples) {
      const last = times.slice(-samples)
      if (Math.max(...last) <= 1.3 * Math.min(...last)) break
    }
  }
  const last = times.slice(-samples).sort((a, b) => a - b)
  return last[last.length >> 1]!
}

/**
 * Allocates and drops copies of `src` until a batch of them writes at under 2 ns per entry, or
 * for 250 ms at most. In a fresh process the allocator's heap grows while the garbage of the
 * first 40 MB or so awaits collection, and each new page faults in (about 25 ns per entry here,
 * 50 times a write to a page already mapped; some 120 ms in all); that is the cost of a cold
 * start, not of the kernels. Once the heap has grown, one batch suffices.
 */
function warmHeap(src: Float64Array): void {
  const w0 = cpuUs()
  const batch = Math.max(1, Math.round((1 << 21) / src.length))
  for (;;) {
    const t0 = cpuUs()
    for (let r = 0; r < batch; r++) new Float64Array(src.length).set(src)
    const now = cpuUs()
    if (((now - t0) * 1e3) / (batch * src.length) < 2 || now - w0 > 250e3) return
  }
}

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float64Array {
  let s = seed >>> 0
  const out = new Float64Array(n)
  for (let t = 0; t < n; t++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[t] = s / 2 ** 31 - 1
  }
  return out
}

const randomMatrix = (rows: number, cols: number, seed: number): Matrix => ({
  rows,
  cols,
  data: values(rows * cols, seed),
})

/** Three significant digits. */
const round3 = (x: number): number => Number(x.toPrecision(3))

/**
 * Measures this machine's figures for the chain planners' time model by running the kernels of
 * `accumulate` on small operands, in two passes whose better figures are kept (about 0.4 s). Pass the result to `plan(chain, strategy,
 * { model })`. Timings are medians of CPU time, so a busy machine gives noisy figures; the
 * planners' choices depend on ratios of them (gemm against gemv against sweeps), which are steadier.
 *
 * @example
 * import { calibrateChainCostModel, chainFromFactors, denseJacobian, matrix, plan } from 'dualtape/linalg'
 * const model = calibrateChainCostModel()
 * model.gemvGflops > 0 && Number.isFinite(model.gemmGflops) // → true
 * const chain = chainFromFactors([denseJacobian(matrix(10, 300)), denseJacobian(matrix(300, 10))])
 * plan(chain, 'optimal', { model }).predictedMs > 0 // → true
 */
export function calibrateChainCostModel(opts: CalibrationOptions = {}): ChainCostModel {
  // Two passes, and the better figure of each (the higher rate, the lower fixed cost): the first
  // pass in a fresh process can catch a kernel still in V8's baseline code, on a plateau its
  // samples agree on, and any pass can be slowed by other work on the machine; nothing makes a
  // kernel run faster than it can.
  const [a, b] = [calibrateOnce(opts), calibrateOnce(opts)]
  return {
    name: opts.name ?? 'calibrated',
    callUs: Math.min(a.callUs, b.callUs),
    gemmGflops: Math.max(a.gemmGflops, b.gemmGflops),
    gemmTile: DEFAULT_CHAIN_COST_MODEL.gemmTile,
    gemvGflops: Math.max(a.gemvGflops, b.gemvGflops),
    scaleGflops: Math.max(a.scaleGflops, b.scaleGflops),
    writeNs: Math.min(a.writeNs, b.writeNs),
    sweepCallUs: Math.min(a.sweepCallUs, b.sweepCallUs),
    jvpGflops: Math.max(a.jvpGflops, b.jvpGflops),
    vjpGflops: Math.max(a.vjpGflops, b.vjpGflops),
  }
}

/** One pass of the calibration: every figure measured once. */
function calibrateOnce(opts: CalibrationOptions): ChainCostModel {
  const sampleMs = opts.sampleMs ?? 1.5
  const samples = opts.samples ?? 5
  const time = (f: () => unknown): number => measure(f, sampleMs, samples)
  // a kernel's time less the part already accounted for (its writes), but never less than half
  // of it: if the writes seem to be most of the time, the write figure is off (a heap that was
  // still growing), not the kernel free
  const less = (total: number, known: number): number => Math.max(total - known, total / 2)

  // write: a new array of n entries filled by a copy, after the allocator's heap has grown
  const n = 1 << 13
  const src = values(n, 1)
  warmHeap(src)
  const writeNs = (time(() => new Float64Array(n).set(src)) * 1e3) / n

  // gemm: 96³ in the blocked kernel (96 is a multiple of the tile, so no padding)
  const g = 96
  const ga = randomMatrix(g, g, 2)
  const gb = randomMatrix(g, g, 3)
  const gemmNs = less(time(() => matmulMatrix(ga, gb)) * 1e3, 3 * g * g * writeNs)
  const gemmGflops = (2 * g * g * g) / gemmNs

  // gemv: a row times a matrix, a matrix times a column
  const v = 192
  const row = randomMatrix(1, v, 4)
  const col = randomMatrix(v, 1, 5)
  const sq = randomMatrix(v, v, 6)
  const vecmatNs = time(() => matmulMatrix(row, sq)) * 1e3
  const matvecNs = time(() => matmulMatrix(sq, col)) * 1e3
  const gemvFlops = 2 * v * v
  const gemvNs = less((vecmatNs + matvecNs) / 2, v * writeNs)
  const gemvGflops = gemvFlops / gemvNs

  // scale: a diagonal times a dense matrix, one multiply per entry
  const dg = diagonalJacobian(values(v, 7))
  const dm = denseJacobian(sq)
  const scaleNs = less(time(() => dg.mul(dm)) * 1e3, v * v * writeNs)
  const scaleGflops = (v * v) / scaleNs

  // sweeps: the fixed cost of an operator call inside accumulate's sweeps, from tangent and
  // adjoint sweeps through 10 and through 2 operators of 2×2 diagonals (2 sweeps each: the
  // difference is 16 calls and nothing else); the rates from the JVP (matvec) and VJP (vecmat)
  // of a 160×160 dense operator
  const opsOf = (k: number): OperatorChain =>
    chainFromOperators(Array.from({ length: k }, (_, t) => operatorFromForm(diagonalJacobian([1 + t, -1]))))
  const [long, short] = [opsOf(10), opsOf(2)]
  const sweepCallUs = ['tangent', 'adjoint'].map((strategy) => {
    const pl = planSweeps(long, strategy as 'tangent' | 'adjoint', { model: FLOP_COST_MODEL })
    const ps = planSweeps(short, strategy as 'tangent' | 'adjoint', { model: FLOP_COST_MODEL })
    return Math.max(0, (time(() => accumulate(long, pl)) - time(() => accumulate(short, ps))) / 16)
  })
  const big = denseJacobian(randomMatrix(160, 160, 9))
  const t160 = values(160, 10)
  const sweepFlops = 2 * 160 * 160
  const jvpGflops = sweepFlops / (time(() => big.matvec(t160)) * 1e3)
  const vjpGflops = sweepFlops / (time(() => big.vecmat(t160)) * 1e3)

  // call: the fixed cost of one step of accumulate, from chains of 10 and of 2 diagonal 2×2
  // factors (8 products apart, each of 2 multiplies); last, when everything it calls has been
  // compiled (the kernels above are large enough for this fixed cost not to matter in them)
  const diagonals = (k: number): JacobianChain =>
    chainFromFactors(Array.from({ length: k }, (_, t) => diagonalJacobian([1.5 + t, -0.5])))
  const [dl, ds] = [diagonals(10), diagonals(2)]
  const [pl, ps] = [planBracketing(dl, 'left'), planBracketing(ds, 'left')]
  const callUs = Math.max(0, (time(() => accumulate(dl, pl)) - time(() => accumulate(ds, ps))) / 8)

  return {
    name: opts.name ?? 'calibrated',
    callUs: round3(callUs),
    gemmGflops: round3(gemmGflops),
    gemmTile: DEFAULT_CHAIN_COST_MODEL.gemmTile,
    gemvGflops: round3(gemvGflops),
    scaleGflops: round3(scaleGflops),
    writeNs: round3(writeNs),
    sweepCallUs: round3((sweepCallUs[0]! + sweepCallUs[1]!) / 2),
    jvpGflops: round3(jvpGflops),
    vjpGflops: round3(vjpGflops),
  }
}
