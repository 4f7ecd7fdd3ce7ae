/* global console */
// jax-js gradients of the MLP and the elementwise chain, timed on their own (wasm device).
// Usage: node bench/standalone/jax.mjs <float32|float64> <eager|jit> <mlp|chain>
import process from 'node:process'
import { MLP, chainData, checkResults, mlpData, quietConsole, timeAndPrint } from './common.mjs'

const [dtype, mode, workload] = process.argv.slice(2)
const ok = ['float32', 'float64'].includes(dtype) && ['eager', 'jit'].includes(mode)
if (!ok || !['mlp', 'chain'].includes(workload)) {
  console.error('usage: node bench/standalone/jax.mjs <float32|float64> <eager|jit> <mlp|chain>')
  process.exit(2)
}
quietConsole()

// jax-js's dtype tables name Float16Array, which Node 20 lacks (never used for data here).
globalThis.Float16Array ??= class Float16Array extends Float32Array {}
const jax = await import('@jax-js/jax')
const devices = await jax.init('wasm')
if (!devices.includes('wasm')) throw new Error(`jax-js has no wasm device (found: ${devices.join(', ')})`)
jax.defaultDevice('wasm')
const np = jax.numpy
const jit = mode === 'jit'

const array = (data, shape) => {
  const a = np.array(dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data), {
    shape,
    dtype,
  })
  if (a.dtype !== dtype) throw new Error(`jax-js made a ${a.dtype} array, not ${dtype}`)
  return a
}

// jax-js arrays are reference-counted: a function consumes its arguments, so each call passes
// new references (.ref), and dataSync() consumes the array it reads.
/** One call: the gradient (and, for the MLP, the value), read back. */
let call
if (workload === 'mlp') {
  const { batch, width, layers } = MLP
  const { ws, bs, x: xs } = mlpData()
  const x = array(xs, [batch, width])
  const params = ws.map((w, i) => ({ w: array(w, [width, width]), b: array(bs[i], [width]) }))
  const loss = (ps, input) => {
    let h = input
    for (let i = 0; i < layers; i++) {
      const z = np.matmul(h, ps[i].w).add(ps[i].b)
      h = i < layers - 1 ? np.tanh(z) : z
    }
    return np.mean(np.square(h))
  }
  const vg = jit ? jax.jit(jax.valueAndGrad(loss)) : jax.valueAndGrad(loss)
  call = () => {
    const [value, grads] = vg(jax.tree.ref(params), x.ref)
    return [value, ...grads.flatMap((g) => [g.w, g.b])].map((a) => a.dataSync())
  }
} else {
  const data = chainData()
  const x = array(data, [data.length])
  const chain = (v) => {
    let y = v
    for (let i = 0; i < 2; i++) {
      y = np.sin(y)
      y = y.mul(1.5)
      y = np.tanh(y)
      y = np.exp(y)
      y = jax.nn.softplus(y)
      y = jax.nn.sigmoid(np.cos(y))
    }
    return np.sum(y)
  }
  const g = jit ? jax.jit(jax.grad(chain)) : jax.grad(chain)
  call = () => [g(x.ref).dataSync()]
}

checkResults(call())
await timeAndPrint({ library: 'jax-js', device: 'wasm', dtype, mode, workload }, call)
