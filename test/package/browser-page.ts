/**
 * The page test/package/browser.test.ts runs in headless Chromium: grad, jvp and a Hessian of the
 * lecture's f(x1, x2) = x1·x2 + sin(x2) at (2, 3) against their closed forms, the same gradient
 * on the tfjs-cpu backend. The checks are left in
 * `globalThis.dualtapeChecks` (a promise) for the test to read.
 */
import { type Tensor, add, grad, hessian, jvp, mul, sin, tensor } from '../../src/index.js'
import { initTfjsBackend } from '../../src/backends/tfjs/index.js'

/** One check: what was computed, what it should be, and how close it must be. */
export interface Check {
  readonly name: string
  readonly got: number | string
  readonly want: number | string
  readonly tol: number
}

const f = (x1: Tensor, x2: Tensor): Tensor => add(mul(x1, x2), sin(x2))
const [x1, x2] = [2, 3]

async function run(): Promise<Check[]> {
  const checks: Check[] = []
  const near = (name: string, got: number, want: number, tol = 1e-12) => checks.push({ name, got, want, tol })

  // ∂f/∂x1 = x2, ∂f/∂x2 = x1 + cos x2
  const [g1, g2] = grad(f, { argnums: [0, 1] })(tensor(x1), tensor(x2))
  near('grad ∂f/∂x1', g1.item(), x2)
  near('grad ∂f/∂x2', g2.item(), x1 + Math.cos(x2))

  // forward mode along e2: f and ∂f/∂x2 in one pass
  const [y, dy] = jvp(f, [tensor(x1), tensor(x2)], [tensor(0), tensor(1)])
  near('jvp f', y.item(), x1 * x2 + Math.sin(x2))
  near('jvp ∂f/∂x2', dy.item(), x1 + Math.cos(x2))

  // H = [[0, 1], [1, −sin x2]]
  const H = hessian(f, { argnums: [0, 1] })(tensor(x1), tensor(x2))
  near('hessian ∂²f/∂x1²', H[0][0].item(), 0)
  near('hessian ∂²f/∂x1∂x2', H[0][1].item(), 1)
  near('hessian ∂²f/∂x2∂x1', H[1][0].item(), 1)
  near('hessian ∂²f/∂x2²', H[1][1].item(), -Math.sin(x2))

  // the same gradient on TensorFlow.js's cpu backend (float32)
  await initTfjsBackend('cpu')
  const on = { backend: 'tfjs-cpu' }
  const [t1, t2] = grad(f, { argnums: [0, 1] })(tensor(x1, on), tensor(x2, on))
  near('tfjs-cpu grad ∂f/∂x1', (await t1.data())[0]!, x2, 1e-6)
  near('tfjs-cpu grad ∂f/∂x2', (await t2.data())[0]!, x1 + Math.cos(x2), 1e-6)
  checks.push({ name: 'tfjs-cpu dtype', got: t2.dtype, want: 'float32', tol: 0 })

  return checks
}

;(globalThis as { dualtapeChecks?: Promise<Check[]> }).dualtapeChecks = run()
