import { afterAll, describe, expect, test } from 'vitest'
import { type Pullback, type Tensor, grad, mul, randn, sin, sum, tanh, tensor, vjp } from '../../src/index.js'
import type { TapeNode } from '../../src/core/tensor.js'
import { fullGc } from '../../bench/memory.js'

// Nothing the reverse mode records outlives the pullback that needs it: the heap stays flat over
// many grad calls, and a tape is garbage once its pullback is dropped. Heap figures are taken
// after full collections (the collector is exposed at run time).

const gc = fullGc()

/** The heap in use once everything collectable is collected. */
function settledHeap(): number {
  for (let i = 0; i < 4; i++) gc()
  return process.memoryUsage().heapUsed
}

/** Lets the current job end: WeakRef targets are kept alive until then. */
const nextJob = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

const figures: string[] = []
afterAll(() => console.log(`Memory:\n${figures.map((f) => `  ${f}`).join('\n')}`))

type Held = { traced: [Tensor, Pullback<[Tensor], Tensor>] | null }

describe('memory', () => {
  test('the heap does not grow over 10,000 grad calls', () => {
    const W = randn([16], { seed: 1 })
    // a tape of 4 entries over [16] values: about 2 KB, so keeping each call's tape would add ~20 MB
    const f = (x: Tensor) => sum(tanh(mul(mul(x, W), x)))
    const g = grad(f)
    const x = randn([16], { seed: 2 })
    let check = 0
    // warm up first: the code the engine's functions compile to is allocated once, on the heap
    for (let i = 0; i < 2_000; i++) check += (g(x) as Tensor).dataSync()[0]!
    const before = settledHeap()
    for (let i = 0; i < 10_000; i++) check += (g(x) as Tensor).dataSync()[0]!
    const after = settledHeap()
    expect(Number.isFinite(check)).toBe(true)
    const grown = after - before
    figures.push(
      `10,000 grad calls: heap ${(before / 2 ** 20).toFixed(2)} MiB before, ${(after / 2 ** 20).toFixed(2)} MiB after (${(grown / 1024).toFixed(1)} KiB)`,
    )
    expect(grown).toBeLessThan(2 * 2 ** 20)
  })

  test('a tape costs less than 450 bytes per recorded scalar op, and nothing once dropped', () => {
    const n = 20_000
    const f = (x: Tensor) => {
      let h = x
      for (let i = 0; i < n; i++) h = tanh(h)
      return h
    }
    const held: Held = { traced: null }
    const record = () => void (held.traced = vjp(f, tensor(0.5)))
    const pull = () => held.traced![1](tensor(1))[0].item()
    record()
    pull()
    held.traced = null
    const before = settledHeap()
    record()
    const live = settledHeap()
    // d tanhⁿ(x)/dx is a product of n factors 1 - tanh², each in (0, 1]
    const d = pull()
    expect(d > 0 && d <= 1).toBe(true)
    held.traced = null
    const after = settledHeap()
    const perOp = (live - before) / (n + 1)
    figures.push(
      `tanh chain of ${n} scalar ops: ${perOp.toFixed(0)} bytes per tape entry; ${((after - before) / 1024).toFixed(1)} KiB left after dropping the pullback`,
    )
    // about 410: the output (a one-element Float64Array, its Concrete and Tensor: about 300) and the node
    expect(perOp).toBeLessThan(450)
    expect(after - before).toBeLessThan(256 * 1024)
  })

  test('a tape is unreachable once its pullback is dropped', async () => {
    const held: Held = { traced: null }
    // weak references to the tape and to a value it keeps for the backward sweep
    const watch = (): WeakRef<object>[] => {
      const refs: WeakRef<object>[] = []
      held.traced = vjp(
        (x: Tensor) => {
          const h = sin(x)
          const node = h.impl as TapeNode
          refs.push(new WeakRef(node.level.tape!), new WeakRef(node.primal))
          return sum(mul(h, h))
        },
        tensor([1, 2, 3]),
      )
      return refs
    }
    const refs = watch()
    await nextJob()
    gc()
    // alive while the pullback is: it needs them
    expect(refs.every((r) => r.deref() !== undefined)).toBe(true)
    const [g] = held.traced![1](tensor(1)) as Tensor[]
    // d Σ sin²x = 2 sin x cos x = sin 2x
    expect(g!.toArray()).toEqual([1, 2, 3].map((v) => 2 * Math.sin(v) * Math.cos(v)))
    held.traced = null
    await nextJob()
    gc()
    expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true])
  })

  test('the tape of a grad call is unreachable once grad returns', async () => {
    const watch = (): WeakRef<object>[] => {
      const refs: WeakRef<object>[] = []
      const g = grad((x: Tensor) => {
        const h = tanh(x)
        const node = h.impl as TapeNode
        refs.push(new WeakRef(node.level.tape!), new WeakRef(node.primal))
        return sum(h)
      })(tensor([0.5, -0.5])) as Tensor
      expect(g.shape).toEqual([2])
      return refs
    }
    const refs = watch()
    await nextJob()
    gc()
    expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true])
  })
})
