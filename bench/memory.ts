/**
 * Memory of the reverse-mode tape: the bytes each recorded op keeps alive while its pullback is
 * live (heap in use after a full garbage collection, with the pullback held, minus the heap
 * before `vjp`, over the number of recorded ops), and the heap after the pullback is dropped,
 * which must return to where it started.
 *
 * Run as a script: `npx tsx bench/memory.ts [--quick]` (or
 * `node --expose-gc --import tsx bench/memory.ts`); without `--expose-gc` it turns the flag on
 * itself. Or import `benchMemory`.
 */
import { pathToFileURL } from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'
import {
  type Pullback,
  type Tensor,
  add,
  matmul,
  mul,
  randn,
  sin,
  sum,
  tanh,
  tensor,
  vjp,
} from '../src/index.js'

/** One measured chain. */
export interface MemoryRow {
  /** The function recorded, and the shape it runs on. */
  readonly chain: string
  /** Ops recorded on the tape (one tape entry each). */
  readonly ops: number
  /** Bytes kept alive per tape entry while the pullback is live. */
  readonly bytesPerOp: number
  /** Of which the op's output data (its values, which any tape must keep). */
  readonly dataBytesPerOp: number
  /** Heap left over once the pullback and the output are dropped, in bytes (≈ 0 without a leak). */
  readonly leftOver: number
}

/** A full garbage collection, with the flag turned on at run time when node was started without it. */
export function fullGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (typeof exposed === 'function') return exposed
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc') as unknown
  if (typeof gc !== 'function') throw new Error('memory: cannot expose the garbage collector')
  return gc as () => void
}

/** Heap in use after collecting everything that can be collected (several passes, for finalizers). */
export function settledHeap(gc: () => void): number {
  for (let i = 0; i < 4; i++) gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

interface Chain {
  readonly name: string
  /** Ops per link: how many tape entries one application of `link` records. */
  readonly opsPerLink: number
  readonly x: () => Tensor
  readonly link: (h: Tensor) => Tensor
}

const chains: readonly Chain[] = [
  { name: 'tanh, scalar', opsPerLink: 1, x: () => tensor(0.5), link: tanh },
  { name: 'sin then ·0.9, scalar', opsPerLink: 2, x: () => tensor(0.5), link: (h) => mul(sin(h), 0.9) },
  { name: 'tanh, [100]', opsPerLink: 1, x: () => randn([100], { seed: 1 }), link: tanh },
  {
    name: 'tanh(W h + h), [16] (W 16×16)',
    opsPerLink: 3,
    x: () => randn([16], { seed: 2 }),
    link: (() => {
      const W = randn([16, 16], { seed: 3 })
      return (h: Tensor) => tanh(add(matmul(W, h), h))
    })(),
  },
]

/** Records a tape; its result lives in `holder` only (not in a register of the caller's frame). */
function record(
  holder: { traced: [Tensor, Pullback<[Tensor], Tensor>] | null },
  f: (t: Tensor) => Tensor,
  x: Tensor,
) {
  holder.traced = vjp(f, x)
}

/** Pulls a cotangent back through the held tape: it was alive while measured. */
function pull(holder: { traced: [Tensor, Pullback<[Tensor], Tensor>] | null }, x: Tensor): void {
  const [g] = holder.traced![1](tensor(1))
  if (g.shape.length !== x.shape.length) throw new Error('memory: wrong gradient shape')
}

function measure(chain: Chain, links: number, gc: () => void): MemoryRow {
  const x = chain.x()
  const f = (t: Tensor) => {
    let h = t
    for (let i = 0; i < links; i++) h = chain.link(h)
    return sum(h)
  }
  const holder: { traced: [Tensor, Pullback<[Tensor], Tensor>] | null } = { traced: null }
  // one run first, so that code and caches allocated once do not count
  record(holder, f, x)
  pull(holder, x)
  holder.traced = null
  const before = settledHeap(gc)
  record(holder, f, x)
  const live = settledHeap(gc)
  pull(holder, x)
  holder.traced = null
  const after = settledHeap(gc)
  const ops = links * chain.opsPerLink + 1
  const outBytes = (x.size * 8 * links * chain.opsPerLink) / ops
  return {
    chain: chain.name,
    ops,
    bytesPerOp: (live - before) / ops,
    dataBytesPerOp: outBytes,
    leftOver: after - before,
  }
}

/**
 * Measures the tape's memory on each chain (the ops of `links` applications of its link and a
 * final sum).
 */
export function benchMemory(options: { quick?: boolean } = {}): MemoryRow[] {
  const gc = fullGc()
  const links = options.quick === true ? 2_000 : 20_000
  return chains.map((c) => measure(c, Math.max(1, Math.round(links / c.opsPerLink)), gc))
}

/** The rows as a table. */
export function formatMemory(rows: readonly MemoryRow[]): string {
  const head = '| chain | tape entries | bytes per entry | of which output data | left after drop |'
  const rule = '| --- | ---: | ---: | ---: | ---: |'
  const body = rows.map(
    (r) =>
      `| ${r.chain} | ${r.ops} | ${r.bytesPerOp.toFixed(0)} | ${r.dataBytesPerOp.toFixed(0)} | ${(r.leftOver / 1024).toFixed(1)} KiB |`,
  )
  return [head, rule, ...body].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick')
  console.log(formatMemory(benchMemory({ quick })))
}
