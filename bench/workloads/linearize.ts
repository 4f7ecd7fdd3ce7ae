/**
 * The workloads of the linearize suite, as setup functions for a host (see bench/measure/host.ts):
 * one JVP by `jvp` against `linearize`'s jvpFn, and the VJP by the closure tape against
 * `linearVjp` (linearize, then linearTranspose), on the MLP and on deep chains; the info holds
 * the checks that the two agree and the memory each keeps between the forward pass and its calls.
 */
import {
  type Tensor,
  type Tree,
  add,
  jvp,
  linearVjp,
  linearize,
  matmul,
  mul,
  observeOps,
  onesLike,
  randn,
  sum,
  tanh,
  tensor,
  vjp,
} from '../../src/index.js'
import { flatten, unflatten } from '../../src/core/tree.js'
import { makeMlp, mlpLoss } from '../engine.js'
import type { Setup } from '../measure/host.js'
import { fullGc, settledHeap } from '../memory.js'
import { maxAbsDiff, selectBackend } from './dualtape.js'

/** A function of the suite: the MLP in its input or its parameters, or a deep chain. */
export type LinearizeCase =
  | {
      readonly kind: 'mlp'
      readonly batch: number
      readonly width: number
      readonly layers: number
      readonly wrt: 'input' | 'parameters'
    }
  | { readonly kind: 'scalar-chain'; readonly depth: number }
  | { readonly kind: 'residual-chain'; readonly width: number; readonly depth: number }

/** What the setup reports besides the subjects. */
export interface LinearizeInfo {
  /** max |jvpFn(v) − jvp(f, [x], [v])[1]|. */
  readonly jvpDiff: number
  /** max |linearVjp's pullback − vjp's pullback| over every leaf. */
  readonly vjpDiff: number
  /** Ops f runs, and ops one call of jvpFn runs. */
  readonly primalOps: number
  readonly linearOps: number
  /**
   * Bytes kept alive (heap after a full collection) by `vjp`'s [y, pullback], by `linearVjp`'s, by
   * `linearize`'s [y, jvpFn]: the median of `memorySamples` measures of four copies held at once
   * (one copy at one sample).
   */
  readonly tapeBytes: number
  readonly linearVjpBytes: number
  readonly linearizeBytes: number
}

/** The function and the point of a case. */
function build(c: LinearizeCase): { f: (x: any) => Tensor; x: Tree } {
  if (c.kind === 'mlp') {
    const { params, x } = makeMlp(c)
    return c.wrt === 'input'
      ? { f: (z: Tensor) => mlpLoss(params, z), x }
      : { f: (ps: typeof params) => mlpLoss(ps, x), x: params }
  }
  if (c.kind === 'scalar-chain') {
    return {
      f: (z: Tensor) => {
        let h = z
        for (let i = 0; i < c.depth; i++) h = tanh(h)
        return h
      },
      x: tensor(0.7),
    }
  }
  const W = mul(randn([c.width, c.width], { seed: 3 }), 1 / Math.sqrt(c.width))
  return {
    f: (z: Tensor) => {
      let h = z
      for (let i = 0; i < c.depth; i++) h = tanh(add(matmul(W, h), h))
      return sum(h)
    },
    x: randn([c.width], { seed: 2 }),
  }
}

/** Holds what is measured, so that it stays alive while the heap is read. */
const holder: { value: unknown } = { value: null }

/**
 * Makes `copies` results, held by `holder` only: a local of the measuring function would stay in
 * its frame's registers after the loop moves on, and keep the last copies alive.
 */
function hold(make: () => unknown, copies: number): void {
  const held: unknown[] = []
  for (let c = 0; c < copies; c++) held.push(make())
  holder.value = held
}

/**
 * The bytes that what `make` returns keeps alive: the heap after a full collection with `copies`
 * of it held, minus the heap before they were made, over `copies`; the median of `n` such
 * samples, after two runs first (so that code compiled and caches filled once do not count).
 */
function retained(make: () => unknown, gc: () => void, n: number, copies: number): number {
  for (let i = 0; i < 2; i++) {
    holder.value = make()
    holder.value = null
  }
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const before = settledHeap(gc)
    hold(make, copies)
    samples.push((settledHeap(gc) - before) / copies)
    holder.value = null
  }
  return samples.sort((a, b) => a - b)[(n - 1) >> 1]!
}

/** How many ops `body` runs. */
function opsOf(body: () => unknown): number {
  let n = 0
  const stop = observeOps(() => n++)
  try {
    body()
  } finally {
    stop()
  }
  return n
}

/**
 * The subjects of a case: `jvp` (one full JVP) and `jvpFn` (one call of linearize's jvpFn, made
 * once), `linearize` (making it), `vjp` and `linearVjp` (a forward pass and one pullback each),
 * `pullback` and `transposed` (one call of each kind of pullback, made once).
 */
export async function linearizeSetup(c: LinearizeCase, backend: string, memorySamples = 3): Promise<Setup> {
  await selectBackend(backend)
  const { f, x } = build(c)
  const [xs, def] = flatten('bench', x)
  const tangent = unflatten(
    def,
    xs.map((l, i) => randn(l.shape, { seed: 100 + i })),
  )
  const [y, jvpFn] = linearize(f, x)
  const u = onesLike(y)
  const [, pullback] = vjp(f, x)
  const [, transposed] = linearVjp(f, x)
  const dy = jvpFn(tangent)
  const [, dy0] = jvp(f, [x], [tangent])
  const [g] = flatten('bench', pullback(u))
  const [g2] = flatten('bench', transposed(u))
  const gc = fullGc()
  const info: LinearizeInfo = {
    jvpDiff: maxAbsDiff(dy.dataSync(), dy0.dataSync()),
    vjpDiff: Math.max(0, ...g.map((t, i) => maxAbsDiff(t.dataSync(), g2[i]!.dataSync()))),
    primalOps: opsOf(() => f(x)),
    linearOps: opsOf(() => jvpFn(tangent)),
    tapeBytes: retained(() => vjp(f, x), gc, memorySamples, memorySamples === 1 ? 1 : 4),
    linearVjpBytes: retained(() => linearVjp(f, x), gc, memorySamples, memorySamples === 1 ? 1 : 4),
    linearizeBytes: retained(() => linearize(f, x), gc, memorySamples, memorySamples === 1 ? 1 : 4),
  }
  return {
    subjects: {
      jvp: () => jvp(f, [x], [tangent]),
      jvpFn: () => jvpFn(tangent),
      linearize: () => linearize(f, x),
      vjp: () => vjp(f, x)[1](u),
      linearVjp: () => linearVjp(f, x)[1](u),
      pullback: () => pullback(u),
      transposed: () => transposed(u),
    },
    info,
  }
}
