import fc from 'fast-check'
import { expect, test } from 'vitest'
import { propsRuns, propsSeed } from '../src/check/config.js'
import {
  add,
  checkpointLoop,
  grad,
  mul,
  revolveAdvances,
  sin,
  sum,
  tanh,
  tensor,
  type SweepReport,
  type Tensor,
} from '../src/index.js'

// checkpointLoop against the plain loop on random loops: any length, any number of snapshots,
// several steps. The gradient (state and parameter) agrees to 1e-12, the step is evaluated
// n + t(n, c) times, and no more than c states are held.

const steps: Record<string, (x: Tensor, a: Tensor) => Tensor> = {
  'sin(a·x)': (x, a) => sin(mul(x, a)),
  'tanh(a·x + 0.1)': (x, a) => tanh(add(mul(x, a), 0.1)),
  'x + 0.1 sin(a·x)': (x, a) => add(x, mul(sin(mul(x, a)), 0.1)),
}

test('checkpointLoop = the plain loop, with n + t(n, c) step evaluations and at most c states', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 12 }),
      fc.constantFrom(...Object.keys(steps)),
      fc.array(fc.double({ min: -1.5, max: 1.5, noNaN: true }), { minLength: 1, maxLength: 3 }),
      fc.double({ min: 0.5, max: 1.2, noNaN: true }),
      (n, c, name, xs, a) => {
        const f = steps[name]!
        let calls = 0
        const counted = (x: Tensor, p: Tensor) => (calls++, f(x, p))
        const reports: SweepReport[] = []
        const checked = grad(
          (x: Tensor, p: Tensor) =>
            sum(checkpointLoop(counted, x, n, { snapshots: c, params: p, onSweep: (r) => reports.push(r) })),
          { argnums: [0, 1] },
        )(tensor(xs), tensor([a]))
        const plain = grad(
          (x: Tensor, p: Tensor) => {
            let y = x
            for (let i = 0; i < n; i++) y = f(y, p)
            return sum(y)
          },
          { argnums: [0, 1] },
        )(tensor(xs), tensor([a]))
        checked.forEach((g, k) => {
          const want = plain[k]!.dataSync()
          g.dataSync().forEach((v, i) => {
            expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[i]!)))
          })
        })
        expect(calls).toBe(n + revolveAdvances(n, c))
        expect(reports).toHaveLength(1)
        expect(reports[0]!.peakSnapshots).toBeLessThanOrEqual(c)
      },
    ),
    { seed: propsSeed(), numRuns: propsRuns(40) },
  )
})
