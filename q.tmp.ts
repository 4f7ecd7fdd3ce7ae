import { linearize, linearVjp, vjp, jvp, tanh, tensor, type Tensor } from './src/index.js'
const N = 1000
const f = (z: Tensor) => { let h = z; for (let i = 0; i < N; i++) h = tanh(h); return h }
const x = tensor(0.7)
const u = tensor(1)
const [, pb] = vjp(f, x)
const [, tr] = linearVjp(f, x)
const [, jf] = linearize(f, x)
const time = (name: string, fn: () => unknown) => {
  for (let i = 0; i < 200; i++) fn()
  const ts: number[] = []
  for (let r = 0; r < 15; r++) { const t0 = process.cpuUsage(); for (let i = 0; i < 50; i++) fn(); const d = process.cpuUsage(t0); ts.push((d.user + d.system) / 50) }
  ts.sort((a, b) => a - b); console.log(name, ts[7]!.toFixed(0), 'µs')
}
for (let k = 0; k < 2; k++) {
time('tape pullback', () => pb(u))
time('transposed', () => tr(u))
time('jvpFn', () => jf(u))
time('jvp', () => jvp(f, [x], [u]))
}
