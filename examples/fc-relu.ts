/**
 * The fully connected layer and the ReLU, as the lecture takes them apart.
 *
 * FC, h = W h_prev (W: m × n):
 *   ∂h/∂h_prev = W                                   checked with jacfwd and jacrev
 *   ∂L/∂h_prev = ∂L/∂h · W                           (1 × n) = (1 × m)(m × n)
 *   ∂h_i/∂w_iᵀ = h_prevᵀ, and the other rows of W do not touch h_i, so the Jacobian of h with
 *   respect to W (a tensor) is sparse and ∂L/∂w_iᵀ = (∂L/∂h_i) h_prevᵀ:
 *     "iterate and populate" row by row, or vectorised as the outer product ∂L/∂W = ḡ h_prevᵀ,
 *     or the structured form I_m ⊗ h_prevᵀ that stores h_prev alone.
 *
 * ReLU, h = max(0, h_prev) elementwise: ∂h/∂h_prev = diag([h_prev > 0]). The diagonal is never
 * formed: ∂L/∂h_prev = ∂L/∂h ⊙ [h_prev > 0]. The lecture's 4-D case:
 *   x = [1, −2, 3, −1], upstream [4, −1, 5, 9] → [4, 0, 5, 0].
 *
 * Run: npx tsx examples/fc-relu.ts [--m 3] [--n 4] [--seed 0] [--out DIR]
 *
 * @module
 */
import {
  Tensor,
  greater,
  jacfwd,
  jacrev,
  matmul,
  mul,
  randn,
  relu,
  reshape,
  square,
  sub,
  sum,
  tensor,
  vjp,
} from '../src/index.js'
import { fcJacobians, reluJacobian } from '../src/linalg/structured.js'
import { backwardGraph, renderGraph, traceGraph } from '../src/viz/graph.js'
import { type RunOptions, num, runIfMain, savePicture, table } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  m: { kind: 'integer', default: 3, help: 'outputs of the FC layer (rows of W)', min: 1, max: 200 },
  n: { kind: 'integer', default: 4, help: 'inputs of the FC layer (columns of W)', min: 1, max: 200 },
  seed: { kind: 'integer', default: 0, help: 'seed of W, h_prev and the target' },
} as const

/**
 * Options of {@link main}.
 */
export interface FcReluOptions extends RunOptions {
  readonly m?: number
  readonly n?: number
  readonly seed?: number
  /** The ReLU input (default the lecture's [1, −2, 3, −1]). */
  readonly reluInput?: readonly number[]
  /** The upstream cotangent of the ReLU (default the lecture's [4, −1, 5, 9]). */
  readonly reluUpstream?: readonly number[]
}

/**
 * The numbers the example prints.
 */
export interface FcReluResult {
  readonly m: number
  readonly n: number
  /** W, row-major. */
  readonly w: readonly number[]
  readonly hPrev: readonly number[]
  /** max |J − W| for J = ∂h/∂h_prev by jacfwd and by jacrev. */
  readonly jacfwdError: number
  readonly jacrevError: number
  /** ḡ = ∂L/∂h for L = ½‖W h_prev − t‖². */
  readonly upstream: readonly number[]
  /** ∂L/∂W, row-major, four ways. */
  readonly dLdW: {
    readonly tape: readonly number[]
    readonly iterate: readonly number[]
    readonly outer: readonly number[]
    readonly structured: readonly number[]
  }
  /** ∂L/∂h_prev by the tape and as ḡ · W. */
  readonly dLdhPrev: { readonly tape: readonly number[]; readonly gW: readonly number[] }
  /** Numbers held by ∂h/∂W densely (m · m·n) and in the structured form (n). */
  readonly weightJacobianStorage: { readonly dense: number; readonly structured: number }
  readonly relu: {
    readonly x: readonly number[]
    readonly upstream: readonly number[]
    readonly out: readonly number[]
    /** ∂L/∂x by the tape, by the diagonal form, and as upstream ⊙ [x > 0]. */
    readonly tape: readonly number[]
    readonly diagonal: readonly number[]
    readonly mask: readonly number[]
    /** The diagonal d_i = [x_i > 0] and the numbers it holds (n, against n² densely). */
    readonly d: readonly number[]
    readonly storage: number
    /** Nonzeros of the dense Jacobian that jacrev builds (one row per output). */
    readonly jacrevNonzeros: number
  }
  readonly pictures: readonly string[]
}

// +0 turns −0 (from 0 · −1) into 0
const list = (t: Tensor | ArrayLike<number>): number[] =>
  Array.from(t instanceof Tensor ? t.dataSync() : t, (v) => v + 0)
const maxAbsDiff = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0)

/**
 * Checks every identity above on a random layer and on the lecture's ReLU example.
 */
export async function main(opts: FcReluOptions = {}): Promise<FcReluResult> {
  const log = opts.log ?? console.log
  const out = opts.out === undefined ? 'out/examples/fc-relu' : opts.out
  const m = opts.m ?? options.m.default
  const n = opts.n ?? options.n.default
  const seed = opts.seed ?? options.seed.default

  const W = randn([m, n], { seed })
  const hPrev = randn([n], { seed: seed + 1 })
  const target = randn([m], { seed: seed + 2 })
  const fc = (h: Tensor): Tensor => matmul(W, h)

  // ∂h/∂h_prev = W, by both modes
  const jf = jacfwd(fc)(hPrev) as Tensor
  const jr = jacrev(fc)(hPrev) as Tensor
  const jacfwdError = maxAbsDiff(list(jf), list(W))
  const jacrevError = maxAbsDiff(list(jr), list(W))

  // L = ½‖h − t‖² with h = W h_prev, so ḡ = ∂L/∂h = h − t
  const loss = (h: Tensor): Tensor => mul(sum(square(sub(h, target))), 0.5)
  const [, pullH] = vjp(loss, fc(hPrev))
  const [g] = pullH(tensor(1)) as Tensor[]
  const gv = list(g!)
  const hv = list(hPrev)
  const wv = list(W)

  // the tape differentiates L(W h_prev) with respect to W and h_prev
  const [, pullWh] = vjp((w: Tensor, h: Tensor) => loss(matmul(w, h)), W, hPrev)
  const [gWTape, ghTape] = pullWh(tensor(1)) as Tensor[]

  // iterate and populate: row i of ∂L/∂W is ∂L/∂h_i · h_prevᵀ; the other rows of ∂h_i/∂W are 0
  const iterate = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) iterate[i * n + j] = gv[i]! * hv[j]!
  }
  // vectorised: the outer product ḡ h_prevᵀ, (m × 1)(1 × n)
  const outer = matmul(reshape(g!, [m, 1]), reshape(hPrev, [1, n]))
  // structured: ∂h/∂W = I_m ⊗ h_prevᵀ stores h_prev only; ḡᵀ (I_m ⊗ h_prevᵀ) = ḡ ⊗ h_prevᵀ
  const layer = fcJacobians({ rows: m, cols: n, data: Float64Array.from(wv) }, hv)
  const structured = layer.weight.vecmat(gv)
  // ∂L/∂h_prev = ḡᵀ W
  const gW = layer.input.vecmat(gv)

  // ReLU
  const rx = opts.reluInput ?? [1, -2, 3, -1]
  const ru = opts.reluUpstream ?? [4, -1, 5, 9]
  if (rx.length !== ru.length) throw new Error('fc-relu: the ReLU input and upstream differ in length')
  const x = tensor([...rx])
  const up = tensor([...ru])
  const [rOut, pullRelu] = vjp(relu, x)
  const [rTape] = pullRelu(up) as Tensor[]
  const diag = reluJacobian(rx)
  const rDiag = diag.vecmat(ru)
  const rMask = mul(up, greater(x, 0))
  const jrRelu = list(jacrev(relu)(x) as Tensor)
  const reluResult = {
    x: [...rx],
    upstream: [...ru],
    out: list(rOut as Tensor),
    tape: list(rTape!),
    diagonal: list(rDiag),
    mask: list(rMask),
    d: list(diag.d),
    storage: diag.storage,
    jacrevNonzeros: jrRelu.filter((v) => v !== 0).length,
  }

  // pictures: the FC layer with its loss, and the ReLU, each swept back
  const pictures: string[] = []
  const fcGraph = backwardGraph(traceGraph((w: Tensor, h: Tensor) => loss(matmul(w, h)), W, hPrev))
  const fcSvg = await renderGraph(fcGraph, { inputNames: ['W', 'h_prev'], title: 'FC layer and loss' })
  const reluGraph = backwardGraph(traceGraph(relu, x), up)
  const reluSvg = await renderGraph(reluGraph, { inputNames: ['x'], title: 'ReLU' })
  for (const [file, svg] of [
    ['fc-layer.svg', fcSvg],
    ['relu.svg', reluSvg],
  ] as const) {
    const p = await savePicture(out, file, svg)
    if (p !== null) pictures.push(p)
  }

  const v = (a: ArrayLike<number>): string => `[${Array.from(a, (e) => num(e, 4)).join(', ')}]`
  log(`FC layer h = W h_prev with W: ${m} × ${n} (seed ${seed})`)
  log(`  ∂h/∂h_prev = W: max |jacfwd − W| = ${jacfwdError}, max |jacrev − W| = ${jacrevError}`)
  log(`  L = ½‖h − t‖², upstream ḡ = ∂L/∂h = ${v(gv)}`)
  log('')
  log('∂L/∂W by reverse mode, row by row:')
  for (let i = 0; i < m; i++) log(`  ${v(list(gWTape!).slice(i * n, (i + 1) * n))}`)
  log(
    table(
      ['the same, built by hand', 'max |· − tape|'],
      [
        ['iterate and populate: row i = ḡ_i h_prevᵀ', num(maxAbsDiff(list(iterate), list(gWTape!)), 3)],
        ['vectorised: outer product ḡ h_prevᵀ', num(maxAbsDiff(list(outer), list(gWTape!)), 3)],
        [`structured: ḡᵀ (I_${m} ⊗ h_prevᵀ)`, num(maxAbsDiff(list(structured), list(gWTape!)), 3)],
      ],
    ),
  )
  log(`  ∂h/∂W densely: ${m} × ${m * n} = ${m * m * n} numbers; as I_${m} ⊗ h_prevᵀ: ${n}`)
  log(`  ∂L/∂h_prev = ḡ · W = ${v(gW)}; by the tape ${v(list(ghTape!))}`)
  log('')
  log('ReLU h = max(0, x), elementwise')
  log(
    table(
      ['', 'vector'],
      [
        ['x', v(rx)],
        ['max(0, x)', v(reluResult.out)],
        ['upstream ∂L/∂h', v(ru)],
        ['∂L/∂x, reverse mode', v(reluResult.tape)],
        [`∂L/∂x, diag(${reluResult.d.join(', ')}) form`, v(reluResult.diagonal)],
        ['∂L/∂x, upstream ⊙ [x > 0]', v(reluResult.mask)],
      ],
    ),
  )
  log(
    `  the diagonal form holds ${diag.storage} numbers; the dense ${rx.length} × ${rx.length} Jacobian ` +
      `(as jacrev builds it) holds ${rx.length * rx.length}, of which ${reluResult.jacrevNonzeros} are nonzero`,
  )
  if (pictures.length > 0) log(`\npictures: ${pictures.join(', ')}`)
  return {
    m,
    n,
    w: wv,
    hPrev: hv,
    jacfwdError,
    jacrevError,
    upstream: gv,
    dLdW: { tape: list(gWTape!), iterate: list(iterate), outer: list(outer), structured: list(structured) },
    dLdhPrev: { tape: list(ghTape!), gW: list(gW) },
    weightJacobianStorage: { dense: m * m * n, structured: layer.weight.storage },
    relu: reluResult,
    pictures,
  }
}

runIfMain(import.meta.url, 'fc-relu', options, main)
