/**
 * The lecture's recurrent cell, built on the fly and differentiated backwards, as in its PyTorch
 * snippet:
 *
 *   x, prev_h: [1, 20];  W_h, W_x: [20, 20]
 *   i2h = W_x · xᵀ;  h2h = W_h · prev_hᵀ;  next_h = tanh(i2h + h2h)        ([20, 1])
 *   next_h.backward(ones)
 *
 * `backward(ones)` is a vector-Jacobian product with an all-ones cotangent, i.e. the gradient of
 * Σ next_h. With δ = ones ⊙ (1 − next_h²):
 *
 *   ∂/∂W_x = δ x,  ∂/∂W_h = δ prev_h,  ∂/∂x = (W_xᵀ δ)ᵀ,  ∂/∂prev_h = (W_hᵀ δ)ᵀ
 *
 * Every gradient is checked against central finite differences (and these closed forms).
 * next_h is a column, [20, 1], since W·xᵀ is; the slide's ones(1, 20) has the transposed shape,
 * which reverse mode rejects with a ShapeError, so the cotangent here is ones(20, 1).
 *
 * Run: npx tsx examples/rnn-cell.ts [--dim 20] [--seed 0] [--out DIR]
 *
 * @module
 */
import {
  type Tensor,
  ShapeError,
  add,
  matmul,
  ones,
  randn,
  sum,
  tanh,
  tensor,
  transpose,
  vjp,
} from '../src/index.js'
import { backwardGraph, renderGraph, traceGraph } from '../src/viz/graph.js'
import { type RunOptions, num, runIfMain, savePicture, table, withDefaults } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  dim: { kind: 'integer', default: 20, help: 'size of x and of the hidden state', min: 1, max: 200 },
  seed: { kind: 'integer', default: 0, help: 'seed of x, prev_h, W_h and W_x' },
  step: { kind: 'number', default: 1e-5, help: 'step of the central differences', min: 0 },
} as const

/**
 * Options of {@link main}.
 */
export interface RnnCellOptions extends RunOptions {
  readonly dim?: number
  readonly seed?: number
  readonly step?: number
}

/**
 * One argument's gradient and how far it is from the checks.
 */
export interface RnnGradient {
  readonly name: 'W_h' | 'W_x' | 'x' | 'prev_h'
  readonly shape: readonly number[]
  readonly gradient: readonly number[]
  /** max |reverse mode − central differences|. */
  readonly fdError: number
  /** max |reverse mode − closed form|. */
  readonly closedFormError: number
}

/**
 * The numbers the example prints.
 */
export interface RnnCellResult {
  readonly nextH: readonly number[]
  readonly gradients: readonly RnnGradient[]
  /** The message of the ShapeError for a cotangent of the slide's shape [1, dim]. */
  readonly transposedCotangentError: string
  readonly picture: string | null
}

/**
 * next_h = tanh(W_x · xᵀ + W_h · prev_hᵀ), with the argument order of the gradients below.
 */
export const rnnCell = (wH: Tensor, wX: Tensor, x: Tensor, prevH: Tensor): Tensor => {
  const i2h = matmul(wX, transpose(x))
  const h2h = matmul(wH, transpose(prevH))
  return tanh(add(i2h, h2h))
}

/**
 * Builds the cell, runs the backward pass with a ones cotangent and checks every gradient.
 */
export async function main(opts: RnnCellOptions = {}): Promise<RnnCellResult> {
  const log = opts.log ?? console.log
  const out = opts.out === undefined ? 'out/examples/rnn-cell' : opts.out
  const o = withDefaults(options, opts)
  const n = o.dim

  // as torch.randn: x, prev_h of shape [1, n], W_h, W_x of shape [n, n]
  const x = randn([1, n], { seed: o.seed })
  const prevH = randn([1, n], { seed: o.seed + 1 })
  const wH = randn([n, n], { seed: o.seed + 2 })
  const wX = randn([n, n], { seed: o.seed + 3 })
  const args = [wH, wX, x, prevH] as const
  const names = ['W_h', 'W_x', 'x', 'prev_h'] as const

  const [nextH, backward] = vjp(rnnCell, ...args)
  const grads = backward(ones([n, 1])) as Tensor[]
  let transposedCotangentError = ''
  try {
    backward(ones([1, n]))
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err
    transposedCotangentError = err.message
  }

  // closed forms, δ = 1 ⊙ (1 − next_h²)
  const h = Array.from((nextH as Tensor).dataSync())
  const delta = h.map((v) => 1 - v * v)
  const data = args.map((a) => Array.from(a.dataSync()))
  const [whv, wxv, xv, phv] = data as [number[], number[], number[], number[]]
  const outer = (v: readonly number[]): number[] => delta.flatMap((d) => v.map((e) => d * e))
  const transposedTimes = (w: readonly number[]): number[] =>
    Array.from({ length: n }, (_, j) => delta.reduce((s, d, i) => s + w[i * n + j]! * d, 0))
  const closed = [outer(phv), outer(xv), transposedTimes(wxv), transposedTimes(whv)]

  // central differences of L = Σ next_h = ⟨ones, next_h⟩, one entry at a time
  const L = (vals: readonly (readonly number[])[]): number =>
    sum(
      rnnCell(
        ...(vals.map((v, i) => tensor(Float64Array.from(v), args[i]!.shape)) as [
          Tensor,
          Tensor,
          Tensor,
          Tensor,
        ]),
      ),
    ).item()
  const gradients: RnnGradient[] = grads.map((g, a) => {
    const gv = Array.from(g.dataSync())
    let fdError = 0
    for (let k = 0; k < gv.length; k++) {
      const plus = data.map((v) => [...v])
      const minus = data.map((v) => [...v])
      plus[a]![k] = plus[a]![k]! + o.step
      minus[a]![k] = minus[a]![k]! - o.step
      const fd = (L(plus) - L(minus)) / (2 * o.step)
      fdError = Math.max(fdError, Math.abs(fd - gv[k]!))
    }
    const closedFormError = gv.reduce((m, v, k) => Math.max(m, Math.abs(v - closed[a]![k]!)), 0)
    return { name: names[a]!, shape: args[a]!.shape, gradient: gv, fdError, closedFormError }
  })

  const graph = backwardGraph(traceGraph(rnnCell, ...args), ones([n, 1]))
  const svg = await renderGraph(graph, { inputNames: [...names], title: 'RNN cell' })
  const picture = await savePicture(out, 'graph.svg', svg)

  const saturated = h.filter((v) => Math.abs(v) > 0.999).length
  log(`next_h = tanh(W_x · xᵀ + W_h · prev_hᵀ), n = ${n}, weights and inputs ~ N(0, 1) (seed ${o.seed})`)
  log(
    `next_h has shape [${(nextH as Tensor).shape.join(', ')}]; ${saturated} of its ${n} units have |tanh| > 0.999`,
  )
  log(`backward with a cotangent of ones, shape [${n}, 1]:`)
  log(
    table(
      ['gradient', 'shape', '‖·‖₂', 'max |AD − central differences|', 'max |AD − closed form|'],
      gradients.map((g) => [
        `∂/∂${g.name}`,
        `[${g.shape.join(', ')}]`,
        num(Math.sqrt(g.gradient.reduce((s, v) => s + v * v, 0)), 5),
        num(g.fdError, 3),
        num(g.closedFormError, 3),
      ]),
    ),
  )
  log(`with the slide's ones(1, ${n}) instead: ${transposedCotangentError}`)
  if (picture !== null) log(`\ngraph: ${picture}`)
  return { nextH: h, gradients, transposedCotangentError, picture }
}

runIfMain(import.meta.url, 'rnn-cell', options, main)
