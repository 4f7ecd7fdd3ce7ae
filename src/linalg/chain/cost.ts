/**
 * The time model of the chain planners: what one product of structured factors, one block of
 * tangent or adjoint sweeps, or one dense product of accumulated segments costs on this machine.
 *
 * Counting flops alone treats every flop alike, but the kernels that run them do not: the blocked
 * matrix–matrix kernel of the cpu backend reuses each operand from registers and cache, while a
 * matrix–vector product (a product with one row or one column, and every JVP or VJP of a dense
 * operator) touches each matrix entry once and runs about four times slower per flop. An
 * elementwise scaling does one flop per entry written, so its cost is the memory traffic. And
 * every product or operator call pays a fixed price (dispatch, allocation) that flops do not see.
 * The model prices a step as
 *
 *   time = call + Σ_kernels flops_kernel / rate_kernel + entries written · write
 *
 * with one rate per kind of kernel. The rates map onto the kernels that `accumulate` runs:
 *
 *   dense · dense, m, n > 1, m·n·k ≥ 4096   gemm (blocked, register tiles of `gemmTile`²)
 *   dense · dense with one row or column    gemv (and the direct loops of small products)
 *   diagonal, permutation, monomial · dense  scale (one flop per entry, or a copy)
 *   blockRow contractions                    scale or gemv, by the factor's form
 *   a JVP (VJP) of an operator               sweepCall + its stated cost / jvp (vjp)
 *
 * The time of a product of two structured forms is the `time` of its entry in the product table
 * (`product.ts`), written with `gemmNs` and `scaleNs` beside the entry's flops and kernel.
 *
 * With `call = write = sweepCall = 0`, every rate 1 GFLOP/s and no tile padding, the predicted time
 * in nanoseconds is the flop count: that is `FLOP_COST_MODEL`, the model of the lecture's
 * question "which direction is more efficient to multiply?".
 */
import { ValueError, fmtValue } from '../../core/errors.js'

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

/**
 * A machine's figures for the chain planners (see `calibrateChainCostModel` to measure them).
 * Rates are in GFLOP/s (flops per nanosecond); fixed costs in microseconds.
 *
 * @example
 * import { DEFAULT_CHAIN_COST_MODEL, type ChainCostModel } from 'dualtape/linalg'
 * // a machine whose matrix–vector kernel is as fast as its matrix–matrix one
 * const flat: ChainCostModel = { ...DEFAULT_CHAIN_COST_MODEL, name: 'flat', gemvGflops: 4 }
 */
export interface ChainCostModel {
  /** For printing: `default`, `flops`, `calibrated`, or your own. */
  readonly name: string
  /** Fixed cost of one step of an accumulation (one product, one block of sweeps), µs. */
  readonly callUs: number
  /** Rate of dense matrix–matrix products (the blocked kernel), GFLOP/s. */
  readonly gemmGflops: number
  /**
   * Register tile of the blocked kernel: an m×k · k×n product computes ⌈m/t⌉·⌈n/t⌉ tiles of
   * t × t entries, so narrow products pay for the padding. 1 counts no padding.
   */
  readonly gemmTile: number
  /**
   * Rate of products with one row or one column (matrix–vector and vector–matrix), and of small
   * products (m·n·k < 4096) that skip the blocked kernel, GFLOP/s.
   */
  readonly gemvGflops: number
  /** Rate of elementwise kernels (a diagonal or monomial factor times another), GFLOP/s. */
  readonly scaleGflops: number
  /**
   * Cost of one entry written to a new array (allocation and first touch; the copies of packing,
   * of permutations, and of the gathers and scatters of sweeps), ns.
   */
  readonly writeNs: number
  /** Fixed cost of one application of an operator's JVP or VJP in a sweep, µs. */
  readonly sweepCallUs: number
  /**
   * Rate of an operator's JVP on its stated cost (`matvecCost`), GFLOP/s; also the rate of a dense
   * evaluation (`dense.cost`).
   */
  readonly jvpGflops: number
  /** Rate of an operator's VJP on its stated cost (`vecmatCost`), GFLOP/s. */
  readonly vjpGflops: number
}

/**
 * The default figures, measured with `calibrateChainCostModel` on the machine the benchmark runs
 * on (two shared cores, Node 20, glibc's mmap and trim thresholds raised as `npm run bench` does):
 * medians of repeated calibrations, rounded. The matrix–vector kernel runs at about a quarter of
 * the rate of the matrix–matrix one.
 *
 * @example
 * import { DEFAULT_CHAIN_COST_MODEL } from 'dualtape/linalg'
 * DEFAULT_CHAIN_COST_MODEL.gemmGflops / DEFAULT_CHAIN_COST_MODEL.gemvGflops // → 4.4
 */
export const DEFAULT_CHAIN_COST_MODEL: ChainCostModel = {
  name: 'default',
  callUs: 0.7,
  gemmGflops: 4.4,
  gemmTile: 4,
  gemvGflops: 1,
  scaleGflops: 0.7,
  writeNs: 0.5,
  sweepCallUs: 0.18,
  jvpGflops: 1.7,
  vjpGflops: 1.15,
}

/**
 * The pure flop count as a cost model: a flop costs one nanosecond and nothing else costs
 * anything, so planning with it minimises flops (predicted ms = flops / 10⁶).
 *
 * @example
 * import { chainFromFactors, denseJacobian, matrix, plan, FLOP_COST_MODEL } from 'dualtape/linalg'
 * // J2 · J1 = (1 × 50)(50 × 1): 100 flops
 * const chain = chainFromFactors([denseJacobian(matrix(50, 1)), denseJacobian(matrix(1, 50))])
 * plan(chain, 'optimal', { model: FLOP_COST_MODEL }).predictedMs // → 0.0001
 */
export const FLOP_COST_MODEL: ChainCostModel = {
  name: 'flops',
  callUs: 0,
  gemmGflops: 1,
  gemmTile: 1,
  gemvGflops: 1,
  scaleGflops: 1,
  writeNs: 0,
  sweepCallUs: 0,
  jvpGflops: 1,
  vjpGflops: 1,
}

/**
 * Options of `plan` and the planners: the cost model to minimise (default
 * `DEFAULT_CHAIN_COST_MODEL`).
 *
 * @example
 * import { plan, chainFromFactors, diagonalJacobian, FLOP_COST_MODEL, type PlanOptions } from 'dualtape/linalg'
 * const opts: PlanOptions = { model: FLOP_COST_MODEL }
 * plan(chainFromFactors([diagonalJacobian([1, 2])]), 'optimal', opts).flops // → 0
 */
export interface PlanOptions {
  readonly model?: ChainCostModel
}

/**
 * The model of the options, the default when none is given.
 */
export const modelOf = (opts: PlanOptions | undefined): ChainCostModel =>
  opts?.model ?? DEFAULT_CHAIN_COST_MODEL

/**
 * Throws a `ValueError` unless every figure of a model is finite and positive (fixed costs and
 * the write cost may be 0); `what` names the caller.
 */
export function checkModel(m: ChainCostModel, what: string): void {
  if (typeof m !== 'object' || m === null) {
    throw new ValueError(
      `${what}: the cost model must be an object like DEFAULT_CHAIN_COST_MODEL, got ${fmtValue(m)}`,
    )
  }
  const positive = ['gemmGflops', 'gemvGflops', 'scaleGflops', 'jvpGflops', 'vjpGflops', 'gemmTile'] as const
  const nonNegative = ['callUs', 'writeNs', 'sweepCallUs'] as const
  for (const k of positive) {
    if (!(Number.isFinite(m[k]) && m[k] > 0)) {
      throw new ValueError(`${what}: the cost model's ${k} must be a positive number, got ${String(m[k])}`)
    }
  }
  for (const k of nonNegative) {
    if (!(Number.isFinite(m[k]) && m[k] >= 0)) {
      throw new ValueError(`${what}: the cost model's ${k} must be a number ≥ 0, got ${String(m[k])}`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------------

/** Below this many multiply-adds the cpu backend's gemm runs direct loops (its SMALL_WORK). */
const SMALL_WORK = 4096

const roundUp = (x: number, q: number): number => Math.ceil(x / q) * q

/**
 * Nanoseconds of C = A·B for dense A (m×k) and B (k×n) through `matmulMatrix`, the result
 * allocated. The blocked kernel computes whole tiles and packs A and B; one row or one column
 * is a matrix–vector product, which reads every entry of the matrix once.
 */
export function gemmNs(m: ChainCostModel, rows: number, inner: number, cols: number): number {
  const written = rows * cols * m.writeNs
  if (rows === 0 || cols === 0 || inner === 0) return written
  const flops = 2 * rows * inner * cols
  if (rows === 1 || cols === 1 || rows * inner * cols < SMALL_WORK) return flops / m.gemvGflops + written
  const t = m.gemmTile
  const tiled = 2 * roundUp(rows, t) * roundUp(cols, t) * inner
  const packed = (rows * inner + inner * cols) * m.writeNs
  return tiled / m.gemmGflops + packed + written
}

/**
 * Nanoseconds of an elementwise kernel of `flops` flops that writes `entries` new entries.
 */
export const scaleNs = (m: ChainCostModel, flops: number, entries: number): number =>
  flops / m.scaleGflops + entries * m.writeNs

/**
 * Nanoseconds of one step of an accumulation: the model's fixed cost plus its kernels.
 */
export const stepNs = (m: ChainCostModel, kernelNs: number): number => m.callUs * 1e3 + kernelNs

/**
 * Nanoseconds of one application of an operator's JVP whose stated cost is `cost`.
 */
export const jvpNs = (m: ChainCostModel, cost: number): number => m.sweepCallUs * 1e3 + cost / m.jvpGflops

/**
 * Nanoseconds of one application of an operator's VJP whose stated cost is `cost`.
 */
export const vjpNs = (m: ChainCostModel, cost: number): number => m.sweepCallUs * 1e3 + cost / m.vjpGflops

/**
 * Nanoseconds of a block of q sweeps through operators that cost `perSweepNs` together (Σ of
 * `jvpNs` or of `vjpNs`), each sweep gathering an input vector of `inLength` entries and scattering an
 * output of `outLength` into a new `outLength × q` result; seeded by the identity (`identitySeed`,
 * inLength² entries allocated) or by an accumulated segment.
 */
export function sweepsNs(
  m: ChainCostModel,
  q: number,
  perSweepNs: number,
  inLength: number,
  outLength: number,
  identitySeed: boolean,
): number {
  const seed = identitySeed ? inLength * inLength * m.writeNs : 0
  return seed + q * (perSweepNs + (inLength + 2 * outLength) * m.writeNs)
}
