/**
 * "Which direction is more efficient to multiply?" The Jacobian of a composition is a chain
 * J = J_L ⋯ J_2 J_1 (J_i = ∂h_i/∂h_{i−1}, of shape n_i × n_{i−1}). The products can be taken
 *
 *   from the left,  ((J_L J_{L−1}) ⋯) J_1: the order of reverse mode (vector-Jacobian products
 *                   when the output is a scalar loss);
 *   from the right, J_L (⋯ (J_2 J_1)):   the order of forward mode;
 *   optimally,      the bracketing of least cost, by dynamic programming over sub-chains.
 *
 * A dense product of (a × b)(b × c) costs 2abc flops, so the cost depends on the widths n_i:
 * on a wide-then-narrow chain (many inputs, one output: a loss) the left order keeps every
 * intermediate a single row, while the right order multiplies wide matrices. The example plans
 * each order, counts its flops, times it, checks that all give the same J, and prints the optimal
 * plan; on an hourglass chain the optimum is neither left nor right.
 *
 * Run: npx tsx examples/which-direction.ts [--wide 1000] [--narrow 10] [--repeats 3] [--out DIR]
 *
 * @module
 */
import { performance } from 'node:perf_hooks'
import { Rng } from '../src/core/random.js'
import { accumulate, chainFromFactors, plan, type ChainStrategy } from '../src/linalg/chain.js'
import { matrix, maxAbsDiff } from '../src/linalg/matrix.js'
import { denseJacobian } from '../src/linalg/structured.js'
import { barPlot, renderVegaLite } from '../bench/plot/plot.js'
import { type RunOptions, num, runIfMain, savePicture, table, withDefaults } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  wide: { kind: 'integer', default: 1000, help: 'the wide dimension', min: 2, max: 4000 },
  narrow: { kind: 'integer', default: 10, help: 'the narrow dimension', min: 1, max: 4000 },
  repeats: {
    kind: 'integer',
    default: 3,
    help: 'timed runs of each order (the median is shown)',
    min: 1,
    max: 100,
  },
  seed: { kind: 'integer', default: 0, help: 'seed of the factors' },
} as const

/**
 * Options of {@link main}.
 */
export interface WhichDirectionOptions extends RunOptions {
  readonly wide?: number
  readonly narrow?: number
  readonly repeats?: number
  readonly seed?: number
}

/**
 * One order of multiplication on one chain.
 */
export interface OrderResult {
  readonly strategy: ChainStrategy
  readonly expression: string
  readonly flops: number
  readonly peakMemory: number
  /** Median wall time of `accumulate`, in milliseconds. */
  readonly ms: number
  /** max |J − J_left|: every order gives the same matrix up to rounding. */
  readonly differenceFromLeft: number
}

/**
 * One chain and its three orders.
 */
export interface ChainResult {
  readonly name: string
  /** n_0 (input) … n_L (output). */
  readonly widths: readonly number[]
  readonly orders: readonly OrderResult[]
  /** `plan(chain).toString()`: the optimal bracketing with the cost of each product. */
  readonly optimalPlan: string
}

/**
 * The numbers the example prints.
 */
export interface WhichDirectionResult {
  readonly chains: readonly ChainResult[]
  readonly picture: string | null
}

/**
 * The chains compared, as widths n_0 … n_L: a funnel (wide input, scalar output), its mirror
 * image, and an hourglass.
 */
export function chains(wide: number, narrow: number): { readonly name: string; readonly widths: number[] }[] {
  const mid = Math.max(narrow, Math.round(wide / 10))
  return [
    { name: 'funnel: R^n → R (a loss)', widths: [wide, wide, mid, narrow, 1] },
    { name: 'fan-out: R → R^n', widths: [1, narrow, mid, wide, wide] },
    { name: 'hourglass', widths: [wide, narrow, wide, narrow, wide] },
  ]
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/**
 * Plans, counts, times and compares the three orders on each chain.
 */
export async function main(opts: WhichDirectionOptions = {}): Promise<WhichDirectionResult> {
  const log = opts.log ?? console.log
  const out = opts.out === undefined ? 'out/examples/which-direction' : opts.out
  const o = withDefaults(options, opts)
  const rng = new Rng(o.seed)

  const results: ChainResult[] = []
  for (const { name, widths } of chains(o.wide, o.narrow)) {
    // J_i: n_i × n_{i−1}, entries uniform in ±1/√n_{i−1} so that products stay of order 1
    const factors = widths.slice(1).map((rows, i) => {
      const cols = widths[i]!
      const scale = 1 / Math.sqrt(cols)
      const data = Float64Array.from({ length: rows * cols }, () => scale * (2 * rng.uniform() - 1))
      return denseJacobian(matrix(rows, cols, data))
    })
    const chain = chainFromFactors(factors)
    const strategies: ChainStrategy[] = ['left', 'right', 'optimal']
    const plans = strategies.map((s) => plan(chain, s))
    let reference = null as ReturnType<typeof accumulate> | null
    const orders = plans.map((p, k): OrderResult => {
      // one untimed run warms up the kernels
      let j = accumulate(chain, p)
      const times: number[] = []
      for (let r = 0; r < o.repeats; r++) {
        const t0 = performance.now()
        j = accumulate(chain, p)
        times.push(performance.now() - t0)
      }
      if (reference === null) reference = j
      return {
        strategy: strategies[k]!,
        expression: p.expression,
        flops: p.flops,
        peakMemory: p.peakMemory,
        ms: median(times),
        differenceFromLeft: maxAbsDiff(j.toDense(), reference.toDense()),
      }
    })
    results.push({ name, widths, orders, optimalPlan: plan(chain).toString() })
  }

  const spec = barPlot({
    title: 'Which direction is more efficient to multiply? (flops of each order)',
    data: results.flatMap((c) => c.orders.map((r) => ({ chain: c.name, order: r.strategy, flops: r.flops }))),
    x: 'chain',
    y: 'flops',
    color: 'order',
    logY: true,
    yTitle: 'flops (log scale)',
  })
  const picture = await savePicture(out, 'flops.svg', await renderVegaLite(spec))

  log('J = J_L ⋯ J_1, J_i of shape n_i × n_{i−1}; a product (a × b)(b × c) costs 2abc flops')
  log('left = from the output side (reverse mode), right = from the input side (forward mode)')
  for (const c of results) {
    log('')
    log(`${c.name}: widths n_0 … n_L = ${c.widths.join(' → ')}`)
    const best = Math.min(...c.orders.map((r) => r.flops))
    log(
      table(
        ['order', 'bracketing', 'flops', '× optimal', 'peak floats', 'time (ms)', 'max |J − J_left|'],
        c.orders.map((r) => [
          r.strategy,
          r.expression,
          r.flops.toExponential(3),
          num(r.flops / best, 4),
          String(r.peakMemory),
          num(r.ms, 3),
          num(r.differenceFromLeft, 3),
        ]),
      ),
    )
    log('optimal plan:')
    log(
      c.optimalPlan
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    )
  }
  if (picture !== null) log(`\nflops per order: ${picture}`)
  return { chains: results, picture }
}

runIfMain(import.meta.url, 'which-direction', options, main)
