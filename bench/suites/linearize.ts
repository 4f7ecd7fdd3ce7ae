/**
 * The linearize suite: a JVP by `jvp` against a call of `linearize`'s jvpFn (the function
 * linearized once, its tangent ops replayed), and the VJP by the closure tape (`vjp`) against the
 * transpose of the linearization (`linearVjp` = linearize + linearTranspose), on the MLP of the
 * engine benchmarks (64×256, four tanh layers and a linear one, loss = mean of squares) in its
 * input and in its parameters, and on two deep chains: 1,000 scalar tanh, and 200 residual layers
 * tanh(W h + h) of width 16. Times are paired per round; memory is the heap each result keeps
 * alive after a full collection (bench/memory.ts's method), measured in the first process.
 */
import { Session } from '../measure/session.js'
import { type Timing, pairedTimingRatio } from '../measure/stats.js'
import type { LinearizeCase, LinearizeInfo } from '../workloads/linearize.js'
import { type Suite, type SuiteOutput, type SuiteSize, type Table, type Target, target } from './types.js'

/** The most a call of jvpFn may cost, as a fraction of a full jvp, on the MLP (in its input). */
const JVP_FN_LIMIT = 0.6

const workloadModule = new URL('../workloads/linearize.js', import.meta.url).href

/** The cases of each size: smoke shrinks everything so that the test suite runs it in seconds. */
function casesOf(size: SuiteSize): { name: string; c: LinearizeCase; target: boolean }[] {
  const mlp = size === 'smoke' ? { batch: 4, width: 8, layers: 2 } : { batch: 64, width: 256, layers: 4 }
  const mlpName = `MLP ${mlp.batch}×${mlp.width}, ${mlp.layers} tanh + linear`
  const depth = size === 'smoke' ? 10 : 1000
  const residual = size === 'smoke' ? 5 : 200
  return [
    { name: `${mlpName}, in the input`, c: { kind: 'mlp', ...mlp, wrt: 'input' }, target: true },
    { name: `${mlpName}, in the parameters`, c: { kind: 'mlp', ...mlp, wrt: 'parameters' }, target: false },
    { name: `${depth} scalar tanh`, c: { kind: 'scalar-chain', depth }, target: false },
    {
      name: `${residual} layers tanh(W h + h), width 16`,
      c: { kind: 'residual-chain', width: 16, depth: residual },
      target: false,
    },
  ]
}

interface Row {
  readonly name: string
  readonly info: LinearizeInfo
  readonly t: Record<string, Timing>
}

/** The linearize suite. */
export const linearizeSuite: Suite = {
  name: 'linearize',
  title: 'linearize and linearTranspose against jvp and the closure tape',
  description:
    'one JVP by jvp against a call of linearize’s jvpFn, and the VJP by the closure tape against linearize + linearTranspose (time and memory), on the MLP and on deep chains',
  steps: (size) => casesOf(size).length,
  run: async (ctx): Promise<SuiteOutput> => {
    const session = new Session(ctx.openHost, ctx.timing)
    const rows: Row[] = []
    const names = ['jvp', 'jvpFn', 'linearize', 'vjp', 'linearVjp', 'pullback', 'transposed'] as const
    try {
      for (const { name, c } of casesOf(ctx.size)) {
        ctx.tick(`linearize: ${name}`)
        const built = await session.setup<LinearizeInfo>(`dualtape ${ctx.backend}`, {
          module: workloadModule,
          name: 'linearizeSetup',
          args: [c, ctx.backend, ctx.size === 'smoke' ? 1 : 3],
        })
        try {
          if (!(built.info.jvpDiff < 1e-12) || !(built.info.vjpDiff < 1e-12)) {
            throw new Error(
              `linearize: ${name}: jvpFn or linearVjp disagrees with jvp or vjp (${built.info.jvpDiff}, ${built.info.vjpDiff})`,
            )
          }
          // the JVPs side by side, then the VJPs side by side: each comparison paired per round
          const j = await session.measure(
            [built.subjects['jvp']!, built.subjects['jvpFn']!, built.subjects['linearize']!],
            [`${name}: jvp`, `${name}: jvpFn`, `${name}: linearize`],
          )
          const v = await session.measure(
            names.slice(3).map((k) => built.subjects[k]!),
            names.slice(3).map((k) => `${name}: ${k}`),
          )
          const t: Record<string, Timing> = {}
          names.slice(0, 3).forEach((k, i) => (t[k] = j.timings[i]!))
          names.slice(3).forEach((k, i) => (t[k] = v.timings[i]!))
          rows.push({ name, info: built.info, t })
        } finally {
          await built.drop()
        }
      }
    } finally {
      await session.close()
    }
    const targets: Target[] = []
    casesOf(ctx.size).forEach((c, i) => {
      if (!c.target) return
      const r = rows[i]!
      targets.push(
        target(
          `${c.name}: one call of jvpFn ÷ one jvp`,
          pairedTimingRatio(r.t['jvpFn']!, r.t['jvp']!),
          '<=',
          JVP_FN_LIMIT,
        ),
      )
    })
    const jvpTable: Table = {
      title: 'One JVP: jvp against a call of linearize’s jvpFn',
      columns: [
        { key: 'name', header: 'function', format: 'text' },
        { key: 'jvp', header: 'jvp ms', format: 'ms' },
        { key: 'jvpFn', header: 'jvpFn ms', format: 'ms' },
        { key: 'ratio', header: `jvpFn ÷ jvp (≤ ${JVP_FN_LIMIT} on the MLP)`, format: 'ratio' },
        { key: 'linearize', header: 'linearize ms (once)', format: 'ms' },
        { key: 'breakEven', header: 'pays from k JVPs', format: 'num' },
        { key: 'ops', header: 'ops: f / jvpFn', format: 'text' },
      ],
      rows: rows.map((r) => {
        const [jvp, fn, lin] = [
          r.t['jvp']!.cpu.median,
          r.t['jvpFn']!.cpu.median,
          r.t['linearize']!.cpu.median,
        ]
        return {
          name: r.name,
          jvp: r.t['jvp']!,
          jvpFn: r.t['jvpFn']!,
          ratio: pairedTimingRatio(r.t['jvpFn']!, r.t['jvp']!),
          linearize: r.t['linearize']!,
          // k JVPs cost k·jvp one way, linearize + k·jvpFn the other
          breakEven: jvp > fn ? Math.max(1, Math.ceil(lin / (jvp - fn))) : Infinity,
          ops: `${r.info.primalOps} / ${r.info.linearOps}`,
        }
      }),
      notes: [
        'jvpFn replays only the tangent ops, with the derivatives the JVP rules took from the primal (tanh’s 1 − y², the weights) recorded as constants; linearize itself costs about one jvp.',
        '"pays from k JVPs": the smallest k with linearize + k jvpFn calls < k jvp calls, from the medians.',
      ],
    }
    const vjpTable: Table = {
      title: 'The VJP: the closure tape (vjp) against the transposed linearization (linearVjp)',
      columns: [
        { key: 'name', header: 'function', format: 'text' },
        { key: 'vjp', header: 'vjp + pullback ms', format: 'ms' },
        { key: 'linearVjp', header: 'linearVjp + pullback ms', format: 'ms' },
        { key: 'ratio', header: 'linear ÷ tape', format: 'ratio' },
        { key: 'pullback', header: 'tape pullback ms', format: 'ms' },
        { key: 'transposed', header: 'transposed pullback ms', format: 'ms' },
        { key: 'pullRatio', header: 'transposed ÷ tape', format: 'ratio' },
        { key: 'tapeKiB', header: 'tape keeps KiB', format: 'num' },
        { key: 'linearKiB', header: 'linearVjp keeps KiB', format: 'num' },
        { key: 'memRatio', header: 'memory linear ÷ tape', format: 'num' },
      ],
      rows: rows.map((r) => ({
        name: r.name,
        vjp: r.t['vjp']!,
        linearVjp: r.t['linearVjp']!,
        ratio: pairedTimingRatio(r.t['linearVjp']!, r.t['vjp']!),
        pullback: r.t['pullback']!,
        transposed: r.t['transposed']!,
        pullRatio: pairedTimingRatio(r.t['transposed']!, r.t['pullback']!),
        tapeKiB: r.info.tapeBytes / 1024,
        linearKiB: r.info.linearVjpBytes / 1024,
        memRatio: r.info.linearVjpBytes / r.info.tapeBytes,
      })),
      notes: [
        'vjp records every op’s output on the tape; linearVjp keeps the JVP’s constants and a graph of the tangent ops, and its pullback runs their transposes (the ops’ VJP rules).',
        'Memory: heap in use after a full collection with [y, pullback] held, minus the heap before, per copy of four held at once (median of three samples; one copy, one sample at the smoke size), in the first process.',
      ],
    }
    return {
      notes: [
        'Each comparison is paired per round (jvp, jvpFn and linearize side by side; the four VJP contenders side by side); CPU time, with wall time in results.json.',
        'Every function is checked first: jvpFn equals jvp, and linearVjp’s pullback equals vjp’s, to 1e-12.',
      ],
      tables: [jvpTable, vjpTable],
      targets,
      plots: [],
      problems: [],
      warmups: session.warmups,
      processSpreads: session.processSpreads,
    }
  },
}
