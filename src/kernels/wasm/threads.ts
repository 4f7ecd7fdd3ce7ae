/**
 * Large matrix products on two cores: C's rows split in two, the first part multiplied by a worker
 * thread with an instance of its own of the same WebAssembly module, the rest by the calling thread,
 * at the same time. Node only (a worker from `node:worker_threads`, reached through
 * `process.getBuiltinModule`, and `Atomics.wait` on the calling thread, which browsers refuse on
 * their main thread); elsewhere every product stays on one thread.
 *
 * The worker blocks in `Atomics.wait` between products, so it costs no CPU while idle, and it is
 * unreferenced, so it never keeps a process alive. The operands reach it through a
 * SharedArrayBuffer (the worker's half of A and all of B copied in, its rows of C copied out);
 * each element of C is computed by the same kernel with the same blocking of the sum as on one
 * thread, so the result is the same to the bit. A worker that fails or does not answer within ten
 * seconds turns the threads off for the rest of the process, its rows then computed here.
 */
import { gemmWasmBase64 } from './bytes.js'
import type { Gemm } from '../matmul.js'
import { align16, decodeBase64, extent } from './util.js'

/**
 * Float64 products of at least this many multiply-adds (m·n·k) are split over two threads (float32
 * ones from twice as many: each multiply-add costs half as much). Measured with
 * `npx tsx bench/threads.ts` (paired rounds, wall time): a float64 product breaks even at 128³ and
 * runs 1.43× faster at 192³, 1.70× at 256³, 1.79× at 512³; a float32 one runs 0.85× at 128³,
 * 1.20× at 192³, 1.38× at 256³, 1.66× at 512³. Below, the copies and the hand-over cost more than
 * half a product saves. Shapes matter too: the MLP's products of 64 × 256 × 256 ran 6% slower split
 * (each thread packs all of B for only 32 rows), so the threshold is set above them, at 2²³
 * (a float64 product of 203³; float32 from 256³).
 */
export const THREAD_WORK = 128 * 256 * 256

// The worker: plain JavaScript, run with `eval`, so that it needs no file and no loader.
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads')
const { bytes, ctrl, port } = workerData
const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports
const I = new Int32Array(ctrl)
const TILE = 0, PACK_A = 256, PACK_B = PACK_A + 64 * 256 * 8, OPERANDS = PACK_B + 256 * 256 * 8
const align16 = (x) => (x + 15) & ~15
let data = null
for (;;) {
  // 0 idle, 1 a product to compute, 2 done, 3 failed: sleep until the next product
  let s
  while ((s = Atomics.load(I, 0)) !== 1) Atomics.wait(I, 0, s)
  let msg
  while ((msg = receiveMessageOnPort(port)) !== undefined) data = msg.message
  try {
    const f64 = I[1] === 1, m = I[2], n = I[3], k = I[4]
    const aLen = I[5], aRs = I[6], aCs = I[7], bLen = I[8], bRs = I[9], bCs = I[10]
    const E = f64 ? 8 : 4, Ctor = f64 ? Float64Array : Float32Array
    const aPtr = OPERANDS, bPtr = align16(aPtr + aLen * E), cPtr = align16(bPtr + bLen * E)
    const need = cPtr + m * n * E, have = ex.memory.buffer.byteLength
    if (need > have) ex.memory.grow(Math.ceil((need - have) / 65536))
    const buf = ex.memory.buffer
    const bAt = align16(aLen * E), cAt = bAt + align16(bLen * E)
    new Ctor(buf, aPtr, aLen).set(new Ctor(data, 0, aLen))
    new Ctor(buf, bPtr, bLen).set(new Ctor(data, bAt, bLen))
    ;(f64 ? ex.gemm_f64 : ex.gemm_f32)(m, n, k, aPtr, aRs, aCs, bPtr, bRs, bCs, cPtr, PACK_A, PACK_B, TILE)
    new Ctor(data, cAt, m * n).set(new Ctor(buf, cPtr, m * n))
    Atomics.store(I, 0, 2)
  } catch (e) {
    Atomics.store(I, 0, 3)
  }
  Atomics.notify(I, 0)
}
`

/** What this module needs of `node:worker_threads` (the project's type libraries do not declare it). */
interface WorkerThreads {
  Worker: new (
    source: string,
    options: { eval: true; workerData: unknown; transferList: unknown[] },
  ) => { unref(): void; on(event: 'error' | 'exit', f: () => void): void }
  MessageChannel: new () => {
    port1: { postMessage(v: unknown): void; unref(): void }
    port2: unknown
  }
}

interface Pool {
  readonly ctrl: Int32Array
  readonly port: { postMessage(v: unknown): void }
  data: SharedArrayBuffer | null
}

let pool: Pool | null = null
let state: 'unstarted' | 'running' | 'unavailable' = 'unstarted'
let enabled = true
let threshold = THREAD_WORK

/** The worker, started on first use; null where threads are unavailable or turned off. */
function start(): Pool | null {
  if (state === 'running') return pool
  if (state !== 'unstarted') return null
  state = 'unavailable'
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined
  if (wt === undefined || typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return null
  try {
    const ctrl = new SharedArrayBuffer(64)
    const { port1, port2 } = new wt.MessageChannel()
    const worker = new wt.Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { bytes: decodeBase64(gemmWasmBase64), ctrl, port: port2 },
      transferList: [port2],
    })
    worker.unref()
    port1.unref()
    const stop = (): void => {
      state = 'unavailable'
      pool = null
    }
    worker.on('error', stop)
    worker.on('exit', stop)
    pool = { ctrl: new Int32Array(ctrl), port: port1, data: null }
    state = 'running'
    return pool
  } catch {
    return null
  }
}

/**
 * Whether float64 products of at least `work` multiply-adds (float32 ones of twice as many) are
 * split over two threads (`on`), or all stay on one; returns the previous setting. For comparing
 * the two in tests and benchmarks.
 */
export function setGemmThreads(on: boolean, work: number = THREAD_WORK): boolean {
  const was = enabled
  enabled = on
  threshold = work
  return was
}

/** Whether products can run on two threads here (starting the worker if it is not yet running). */
export function gemmThreadsActive(): boolean {
  return start() !== null
}

/**
 * C = op(A)·op(B) (after `single`, the arguments of ../matmul.ts's `gemm`) on two threads: false, C
 * untouched, where the product stays on one (too small, an outer product, not all float64 or all
 * float32, a negative stride, no worker). `single` computes the calling thread's rows.
 */
export function gemmThreaded(single: Gemm, ...args: Parameters<Gemm>): boolean {
  const [m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff] = args
  if (!enabled || state === 'unavailable') return false
  const f64 = c instanceof Float64Array
  if (!f64 && !(c instanceof Float32Array)) return false
  if (m * n * k < (f64 ? threshold : 2 * threshold) || m < 16 || n < 8) return false
  // an outer product (k = 1) is bound by writing C, which the worker's copies only add to: 4096²
  // took 3× as long split as on one thread (index.ts's outer-product path)
  if (k === 1) return false
  if (
    f64
      ? !(a instanceof Float64Array && b instanceof Float64Array)
      : !(a instanceof Float32Array && b instanceof Float32Array)
  )
    return false
  const p = start()
  if (p === null) return false
  const mh = m >> 1
  const aHi = extent(aOff, mh, k, aRs, aCs)
  const bHi = extent(bOff, k, n, bRs, bCs)
  if (aHi < 0 || bHi < 0) return false
  const E = f64 ? 8 : 4
  const Ctor = f64 ? Float64Array : Float32Array
  const aLen = aHi - aOff
  const bLen = bHi - bOff
  const bAt = align16(aLen * E)
  const cAt = bAt + align16(bLen * E)
  const need = cAt + mh * n * E
  if (p.data === null || p.data.byteLength < need) {
    p.data = new SharedArrayBuffer(Math.max(need, (p.data?.byteLength ?? 0) * 2))
    p.port.postMessage(p.data)
  }
  const data = p.data as unknown as ArrayBuffer
  new Ctor(data, 0, aLen).set(a.subarray(aOff, aHi))
  new Ctor(data, bAt, bLen).set(b.subarray(bOff, bHi))
  const I = p.ctrl
  I[1] = f64 ? 1 : 0
  I[2] = mh
  I[3] = n
  I[4] = k
  I[5] = aLen
  I[6] = aRs
  I[7] = aCs
  I[8] = bLen
  I[9] = bRs
  I[10] = bCs
  Atomics.store(I, 0, 1)
  Atomics.notify(I, 0)
  // this thread's rows, meanwhile
  single(m - mh, n, k, a, aOff + mh * aRs, aRs, aCs, b, bOff, bRs, bCs, c, cOff + mh * n)
  Atomics.wait(I, 0, 1, 10_000)
  const done = Atomics.load(I, 0)
  if (done === 2) {
    c.set(new Ctor(data, cAt, mh * n), cOff)
    Atomics.store(I, 0, 0)
  } else {
    // the worker failed or hangs: no more threads; its rows computed here
    state = 'unavailable'
    pool = null
    single(mh, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff)
  }
  return true
}
