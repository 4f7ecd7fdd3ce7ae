import v8 from 'node:v8'
import { expect, test } from 'vitest'
import { checkpointLoop, grad, mul, sin, sum, tensor, type Tensor } from '../../src/index.js'
import { fullGc } from '../../bench/memory.js'

// The memory a gradient through checkpointLoop holds, measured from the heap rather than from
// its own counts: each step's state is a megabyte of float64 data, and at every recorded step
// (where the reverse sweep holds the most) the step function collects the garbage and reads how
// many bytes of array buffers are still alive. The plain loop's tape holds every step's values;
// checkpointLoop's, its c snapshots and one step's tape.

// array buffers freed by a collection are counted out at once, not by a sweeper thread later
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping')
const gc = fullGc()

const SIZE = 1 << 17 // elements of the state: 1 MiB of float64
const MB = 8 * SIZE

/** The most array-buffer bytes alive at the step's recorded calls, above what was alive before. */
function peakAtTurns(
  loss: (step: (x: Tensor, a: Tensor) => Tensor, x0: Tensor, a: Tensor) => Tensor,
): number {
  const x0 = tensor(Array.from({ length: SIZE }, (_, i) => 0.5 + i / SIZE / 4))
  const a = tensor([1.01])
  gc()
  const base = process.memoryUsage().arrayBuffers
  let peak = 0
  const step = (x: Tensor, p: Tensor) => {
    if (x.impl.kind === 'tape') {
      gc()
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)
    }
    return sin(mul(x, p))
  }
  grad((x: Tensor) => loss(step, x, a))(x0)
  return peak
}

test('the heap holds c snapshots and one step tape, not n step tapes', () => {
  const n = 24
  const c = 3
  const plain = peakAtTurns((step, x0, a) => {
    let x = x0
    for (let i = 0; i < n; i++) x = step(x, a)
    return sum(x)
  })
  const checked = peakAtTurns((step, x0, a) => sum(checkpointLoop(step, x0, n, { snapshots: c, params: a })))
  // the plain tape: two MiB per step (the product and the sine), the last step's still to come
  expect(plain).toBeGreaterThan(2 * (n - 2) * MB)
  console.log(
    `peak array buffers at the recorded steps: plain loop ${(plain / MB).toFixed(2)} MiB, checkpointLoop ${(checked / MB).toFixed(2)} MiB`,
  )
  // at most: the c snapshots (x0, alive before, among them), the step's input, the loop's output
  // (which the outer tape keeps), its cotangent and the cotangent being pulled back: c + 3 MiB
  // above the start; the step's product and sine come after the reading
  expect(checked).toBeLessThanOrEqual((c + 3) * MB)
})
