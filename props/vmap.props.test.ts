import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type ArraySpec, materialize } from '../src/check/index.js'
import { propsRuns, propsSeed } from '../src/check/config.js'
import { apply, type OpDef } from '../src/core/op.js'
import type { Tensor } from '../src/core/tensor.js'
import { type OpName, registry } from '../src/ops/registry.js'
import { cast, concat, reshape, transpose } from '../src/ops/shape.js'
import { vmap } from '../src/vmap/vmap.js'
import { samplers } from './samplers.js'

// Every primitive of the registry under vmap: its batching rule (declared with the op, or the
// generic one of its structure) against a loop that applies the op to one example at a time and
// stacks the outputs. The batch axis of each input is drawn (any axis of the batched input, or
// none: the input is shared by every example, as long as one input is batched), and so is the
// output's.

const names = Object.keys(registry) as OpName[]

/** `t` with axis 0 moved to `to`. */
function fromFront(t: Tensor, to: number): Tensor {
  const perm = Array.from({ length: t.rank }, (_, i) => i).slice(1)
  perm.splice(to, 0, 0)
  return transpose(t, perm)
}

/** The examples stacked along a new axis 0. */
const stack = (ts: readonly Tensor[]): Tensor => concat(ts.map((t) => reshape(t, [1, ...t.shape])))

/** A batch of `size` examples of `spec`, each from its own seed. */
const examples = (spec: ArraySpec, size: number): Tensor[] =>
  Array.from({ length: size }, (_, k) => materialize({ ...spec, seed: spec.seed + 7919 * (k + 1) }))

const values = (t: Tensor): number[] => [...cast(t, 'float64').dataSync()]

function batchingProperty<K extends OpName>(name: K): void {
  const def = registry[name] as OpDef<unknown>
  const cases = samplers[name].cases as fc.Arbitrary<{ inputs: readonly ArraySpec[]; params: unknown }>
  const draw = fc.record({
    c: cases,
    size: fc.integer({ min: 1, max: 3 }),
    // per input: null (shared) or a fraction that picks the batch axis among rank + 1 places
    axes: fc.array(fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { nil: null }), {
      minLength: 3,
      maxLength: 3,
    }),
    first: fc.nat(),
    out: fc.double({ min: 0, max: 0.999, noNaN: true }),
  })
  test(`vmap(${name}) is a loop of ${name} over the examples`, () => {
    fc.assert(
      fc.property(draw, ({ c, size, axes, first, out }) => {
        const n = c.inputs.length
        const at: (number | null)[] = c.inputs.map((s, i) => {
          const f = axes[i] ?? null
          return f === null ? null : Math.floor(f * (s.shape.length + 1))
        })
        // at least one input is batched
        if (!at.some((a) => a !== null)) at[first % n] = 0
        const per = c.inputs.map((s, i) => (at[i] === null ? [materialize(s)] : examples(s, size)))
        const args = per.map((xs, i) => (at[i] === null ? xs[0]! : fromFront(stack(xs), at[i]!)))
        const op = (...xs: Tensor[]) => apply(def, xs, c.params)
        const yShape = op(...per.map((xs) => xs[0]!)).shape
        const outAxis = Math.floor(out * (yShape.length + 1))
        const got = vmap(op, { inAxes: at, outAxes: outAxis })(...args)
        const loop = Array.from({ length: size }, (_, k) =>
          op(...per.map((xs, i) => (at[i] === null ? xs[0]! : xs[k]!))),
        )
        const want = fromFront(stack(loop), outAxis)
        expect(got.shape).toEqual(want.shape)
        expect(got.dtype).toBe(want.dtype)
        const g = values(got)
        const w = values(want)
        g.forEach((v, i) => expect(Math.abs(v - w[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(w[i]!))))
      }),
      { seed: propsSeed(), numRuns: propsRuns(15) },
    )
  })
}

describe('batching rules of the registry', () => {
  test('every primitive has a batching rule of its own, or is elementwise or constant (the generic rule)', () => {
    const missing = names.filter((k) => {
      const d = registry[k] as OpDef<unknown>
      return d.batch === undefined && d.structure !== 'elementwise' && d.structure !== 'constant'
    })
    expect(missing).toEqual([])
  })
  for (const name of names) batchingProperty(name)
})
