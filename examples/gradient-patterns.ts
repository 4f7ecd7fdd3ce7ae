/**
 * Patterns in backward flow: what each gate does to the cotangent ū that arrives from above.
 *
 *   add gate   z = a + b     ā = ū,            b̄ = ū              distributes
 *   max gate   z = max(a, b) ā = ū·[a > b],    b̄ = ū·[b > a]      routes to the larger input
 *                                                                   (a tie splits ū evenly)
 *   mul gate   z = a · b     ā = ū·b,          b̄ = ū·a            switches: each gets the other's value
 *
 * Each gate is traced on the tape, swept back from ū, and drawn with forward values and
 * cotangents; then all three together in f(x, y, z, w) = 2·(x·y + max(z, w)).
 *
 * Run: npx tsx examples/gradient-patterns.ts [--a 3] [--b -4] [--upstream 2] [--out DIR]
 *
 * @module
 */
import { type Tensor, add, maximum, mul, tensor, vjp } from '../src/index.js'
import { backwardGraph, renderGraph, traceGraph } from '../src/viz/graph.js'
import { type RunOptions, num, runIfMain, savePicture, table } from './cli.js'

/**
 * The command-line options of this example.
 */
export const options = {
  a: { kind: 'number', default: 3, help: 'the first input of each gate' },
  b: { kind: 'number', default: -4, help: 'the second input of each gate' },
  upstream: { kind: 'number', default: 2, help: 'the cotangent ū arriving at the gate output' },
} as const

/**
 * Options of {@link main}.
 */
export interface GradientPatternsOptions extends RunOptions {
  readonly a?: number
  readonly b?: number
  readonly upstream?: number
}

/**
 * One gate: its inputs, output, upstream cotangent, and input cotangents by pattern and by the tape.
 */
export interface GateResult {
  readonly gate: 'add' | 'max' | 'mul'
  readonly pattern: string
  readonly a: number
  readonly b: number
  readonly z: number
  readonly upstream: number
  /** [ā, b̄] as the pattern states it. */
  readonly byPattern: readonly [number, number]
  /** [ā, b̄] from reverse mode. */
  readonly byTape: readonly [number, number]
  readonly picture: string | null
}

/**
 * The numbers the example prints.
 */
export interface GradientPatternsResult {
  readonly gates: readonly GateResult[]
  /** f(x, y, z, w) = 2·(x·y + max(z, w)) at (a, b, a − 1, b + 3): its value and gradient. */
  readonly combined: {
    readonly inputs: readonly number[]
    readonly value: number
    readonly grad: readonly number[]
    readonly picture: string | null
  }
}

const gates = {
  add: {
    f: (a: Tensor, b: Tensor) => add(a, b),
    pattern: 'distributes: ā = b̄ = ū',
    rule: (a: number, b: number, u: number): [number, number] => [u, u],
  },
  max: {
    f: (a: Tensor, b: Tensor) => maximum(a, b),
    pattern: 'routes: ū goes to the larger input',
    // at a tie the cotangent is split evenly, as in JAX
    rule: (a: number, b: number, u: number): [number, number] =>
      a > b ? [u, 0] : b > a ? [0, u] : [u / 2, u / 2],
  },
  mul: {
    f: (a: Tensor, b: Tensor) => mul(a, b),
    pattern: 'switches: ā = ū·b, b̄ = ū·a',
    rule: (a: number, b: number, u: number): [number, number] => [u * b, u * a],
  },
} as const

/**
 * f(x, y, z, w) = 2·(x·y + max(z, w)): a mul gate and a max gate feeding an add gate, scaled.
 */
export const combined = (x: Tensor, y: Tensor, z: Tensor, w: Tensor): Tensor =>
  mul(add(mul(x, y), maximum(z, w)), 2)

/**
 * Sweeps ū back through each gate and through the combined function, checks each pattern against
 * the tape, and draws every graph.
 */
export async function main(opts: GradientPatternsOptions = {}): Promise<GradientPatternsResult> {
  const log = opts.log ?? console.log
  const out = opts.out === undefined ? 'out/examples/gradient-patterns' : opts.out
  const a = opts.a ?? options.a.default
  const b = opts.b ?? options.b.default
  const u = opts.upstream ?? options.upstream.default
  if (a === b) log('note: a = b is a tie; the max gate then splits ū evenly between its inputs')

  const results: GateResult[] = []
  for (const gate of ['add', 'max', 'mul'] as const) {
    const { f, pattern, rule } = gates[gate]
    const [z, pullback] = vjp(f, tensor(a), tensor(b))
    const [ga, gb] = pullback(tensor(u)) as Tensor[]
    const graph = backwardGraph(traceGraph(f, tensor(a), tensor(b)), tensor(u))
    const svg = await renderGraph(graph, { inputNames: ['a', 'b'], title: `${gate} gate` })
    results.push({
      gate,
      pattern,
      a,
      b,
      z: (z as Tensor).item(),
      upstream: u,
      byPattern: rule(a, b, u),
      byTape: [ga!.item(), gb!.item()],
      picture: await savePicture(out, `${gate}-gate.svg`, svg),
    })
  }

  const inputs: [number, number, number, number] = [a, b, a - 1, b + 3]
  const [fx, pullback] = vjp(
    combined,
    tensor(inputs[0]),
    tensor(inputs[1]),
    tensor(inputs[2]),
    tensor(inputs[3]),
  )
  const grads = pullback(tensor(1)).map((g) => g.item())
  const graph = backwardGraph(traceGraph(combined, ...inputs.map((v) => tensor(v))), tensor(1))
  const svg = await renderGraph(graph, { inputNames: ['x', 'y', 'z', 'w'], title: 'all three gates' })
  const combinedResult = {
    inputs,
    value: (fx as Tensor).item(),
    grad: grads,
    picture: await savePicture(out, 'combined.svg', svg),
  }

  log(`Patterns in backward flow, at a = ${a}, b = ${b}, with upstream cotangent ū = ${u}`)
  log('')
  log(
    table(
      ['gate', 'z', 'pattern', '[ā, b̄] by pattern', '[ā, b̄] by reverse mode'],
      results.map((r) => [
        `${r.gate}(a, b)`,
        num(r.z),
        r.pattern,
        `[${r.byPattern.map((v) => num(v)).join(', ')}]`,
        `[${r.byTape.map((v) => num(v)).join(', ')}]`,
      ]),
    ),
  )
  log('')
  const [x, y, z, w] = inputs
  log(`f(x, y, z, w) = 2·(x·y + max(z, w)) at (${inputs.join(', ')}) = ${num(combinedResult.value)}`)
  log(`  ∇f = [${grads.map((g) => num(g)).join(', ')}]`)
  log(`  the mul by 2 scales ū to 2; the add distributes 2 to x·y and to max(z, w);`)
  log(`  the mul switches: x̄ = 2·y = ${num(2 * y!)}, ȳ = 2·x = ${num(2 * x!)};`)
  log(`  the max routes 2 to ${z! > w! ? 'z' : w! > z! ? 'w' : 'both (a tie)'}`)
  const pictures = [...results.map((r) => r.picture), combinedResult.picture].filter((p) => p !== null)
  if (pictures.length > 0) log(`\npictures: ${pictures.join(', ')}`)
  return { gates: results, combined: combinedResult }
}

runIfMain(import.meta.url, 'gradient-patterns', options, main)
