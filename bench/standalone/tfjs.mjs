/* global console */
// TensorFlow.js gradients of the MLP and the elementwise chain, timed on their own.
// Usage: node bench/standalone/tfjs.mjs <cpu|wasm> <mlp|chain>
import process from 'node:process'
import { createRequire, register } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { MLP, chainData, checkResults, mlpData, quietConsole, timeAndPrint } from './common.mjs'

const [backend, workload] = process.argv.slice(2)
if (!['cpu', 'wasm'].includes(backend) || !['mlp', 'chain'].includes(workload)) {
  console.error('usage: node bench/standalone/tfjs.mjs <cpu|wasm> <mlp|chain>')
  process.exit(2)
}
quietConsole()

const tf = await import('@tensorflow/tfjs-core')
await import('@tensorflow/tfjs-backend-cpu')
tf.env().set('PROD', true)

// tfjs-core's Node entry registers no gradients: register those of the kernels used here, from
// its ES modules (whose extensionless relative imports resolve-hook.mjs completes).
register('./resolve-hook.mjs', import.meta.url)
const require = createRequire(import.meta.url)
const pkg = (name) => dirname(require.resolve(`${name}/package.json`))
const kernels =
  'BatchMatMul Add Tanh Square Mean Sum Sin Cos Multiply Exp Softplus Sigmoid Reshape Cast Identity'
for (const k of kernels.split(' ')) {
  const mod = await import(
    pathToFileURL(join(pkg('@tensorflow/tfjs-core'), 'dist', 'gradients', `${k}_grad.js`)).href
  )
  for (const config of Object.values(mod)) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config)
  }
}
if (backend === 'wasm') {
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  wasm.setWasmPaths(`${pkg('@tensorflow/tfjs-backend-wasm')}/dist/`)
}
if (!(await tf.setBackend(backend))) throw new Error(`tfjs could not start its ${backend} backend`)
await tf.ready()

/** One call: the gradient (and the value), read back outside any tf.tidy, then disposed. */
let call
if (workload === 'mlp') {
  const { batch, width, layers } = MLP
  const { ws, bs, x: xs } = mlpData()
  const x = tf.tensor2d(Float32Array.from(xs), [batch, width])
  const params = ws.flatMap((w, i) => [
    tf.tensor2d(Float32Array.from(w), [width, width]),
    tf.tensor1d(Float32Array.from(bs[i])),
  ])
  const loss = (...ps) => {
    let h = x
    for (let i = 0; i < layers; i++) {
      const z = tf.add(tf.matMul(h, ps[2 * i]), ps[2 * i + 1])
      h = i < layers - 1 ? tf.tanh(z) : z
    }
    return tf.mean(tf.square(h))
  }
  const vg = tf.valueAndGrads(loss)
  call = () => {
    const { value, grads } = vg(params)
    const out = [value, ...grads].map((t) => t.dataSync())
    tf.dispose([value, ...grads])
    return out
  }
} else {
  const x = tf.tensor1d(Float32Array.from(chainData()))
  const chain = (v) => {
    let y = v
    for (let i = 0; i < 2; i++) {
      y = tf.sin(y)
      y = tf.mul(y, 1.5)
      y = tf.tanh(y)
      y = tf.exp(y)
      y = tf.softplus(y)
      y = tf.sigmoid(tf.cos(y))
    }
    return tf.sum(y)
  }
  const g = tf.grads(chain)
  call = () => {
    const [dx] = g([x])
    const out = [dx.dataSync()]
    dx.dispose()
    return out
  }
}

checkResults(call())
const tensors = tf.memory().numTensors
const label = {
  library: 'TensorFlow.js',
  device: `tfjs-backend-${backend}`,
  dtype: 'float32',
  mode: 'eager (tape)',
}
await timeAndPrint({ ...label, workload }, call)
if (tf.memory().numTensors !== tensors) throw new Error('tensors leaked between calls')
