import { describe, expect, it } from 'vitest'
import {
  NONLINEAR_FLOPS,
  OMEGA_BOUNDS,
  cheaperMode,
  crossover,
  fitMachine,
  formatCrossover,
  matmulCost,
  measuredCrossover,
  perCallFlops,
  predictModes,
  predictTimes,
  programCost,
  tanhCost,
  tanhNetCost,
} from '../../bench/costmodel.js'

const net = (n: number, m: number, depth: number, hidden = 100) =>
  programCost(tanhNetCost(depth === 1 ? [n, m] : [n, ...new Array<number>(depth - 1).fill(hidden), m]))

describe('op costs', () => {
  it('a product with a constant costs 2·rows·inner·cols in every sweep', () => {
    const c = matmulCost(3, 4, 5)
    expect(c.primal).toBe(120)
    expect(c.tangent).toBe(120)
    expect(c.adjoint).toBe(120)
    expect(c.tangentShared).toBe(0)
  })

  it('tanh: a transcendental per element; 1 − y² is shared by the tangent directions and redone per pullback', () => {
    const c = tanhCost(7)
    expect(c.primal).toBe(7 * NONLINEAR_FLOPS)
    expect(c.tangentShared).toBe(14)
    expect(c.tangent).toBe(7)
    expect(c.adjoint).toBe(21)
  })

  it('a network has a product and a tanh per layer, and the totals add up', () => {
    const ops = tanhNetCost([2, 3])
    expect(ops).toHaveLength(2)
    const p = programCost(ops)
    // 1×2·2×3 product: 12 flops; tanh of 3: 3·8
    expect(p.primal).toBe(12 + 3 * NONLINEAR_FLOPS)
    expect(p.tangent).toBe(12 + 3)
    expect(p.adjoint).toBe(12 + 9)
    expect(p.calls).toBe(3 + 1)
    expect(tanhNetCost([5, 4, 4, 2])).toHaveLength(6)
  })
})

describe('predictModes', () => {
  // widths [2, 3]: P = 36, S = 6, T = 15, A = 21, calls 4, tangent calls 8, adjoint calls 7
  const p = programCost(tanhNetCost([2, 3]))

  it('follows the formulas of the pure FLOP count', () => {
    const r = predictModes(p, 2, 3)
    expect(r.f).toBe(36)
    expect(r.jvp).toBe(36 + 6 + 15)
    expect(r.vjp).toBe(36 + 21)
    // one sweep of width 2, the identity seeds (2²) and the columns (2·3)
    expect(r.jacfwd).toBe(36 + 6 + 2 * 15 + 4 + 6)
    expect(r.jacfwdSweeps).toBe(2 * (36 + 6 + 15) + 6)
    // one evaluation, 3 pullbacks, the unit cotangents (3²) and the rows (3·2)
    expect(r.jacrev).toBe(36 + 3 * 21 + 9 + 6)
    expect(r.omegaTangent).toBeCloseTo(57 / 36, 12)
    expect(r.omegaGradient).toBeCloseTo(57 / 36, 12)
  })

  it('charges every op call perCall', () => {
    const r = predictModes(p, 2, 3, { perCall: 10 })
    expect(r.f).toBe(36 + 40)
    expect(r.jvp).toBe(76 + 6 + 15 + 80)
    expect(r.jacfwd).toBe(76 + 6 + 30 + 80 + 10)
    expect(r.jacrev).toBe(76 + 3 * (21 + 70) + 15)
  })

  it('vector mode is never dearer than separate tangent sweeps', () => {
    for (const n of [1, 3, 10, 100]) {
      const c = net(n, 5, 3)
      const r = predictModes(c, n, 5, { perCall: 1000 })
      expect(r.jacfwd).toBeLessThanOrEqual(r.jacfwdSweeps + n * n)
    }
  })

  it('on product-dominated networks ω is about 2 for a tangent and a gradient, within the theory', () => {
    const r = predictModes(net(100, 100, 8), 100, 100)
    expect(r.omegaTangent).toBeGreaterThan(1.9)
    expect(r.omegaTangent).toBeLessThanOrEqual(OMEGA_BOUNDS.tangent.high)
    expect(r.omegaGradient).toBeGreaterThan(1.9)
    expect(r.omegaGradient).toBeLessThanOrEqual(OMEGA_BOUNDS.gradient.high)
  })

  it('picks reverse mode for many inputs and few outputs, forward mode for the converse', () => {
    const wide = predictModes(net(1000, 10, 3), 1000, 10)
    const tall = predictModes(net(10, 1000, 3), 10, 1000)
    expect(cheaperMode(wide)).toBe('jacrev')
    expect(cheaperMode(tall)).toBe('jacfwd')
    // the acceptance targets hold in the model: 10× between the modes, ≤ 3·min(n, m) evaluations
    expect(wide.jacfwd / wide.jacrev).toBeGreaterThan(10)
    expect(tall.jacrev / tall.jacfwd).toBeGreaterThan(10)
    expect(wide.jacrev / wide.f).toBeLessThanOrEqual(30)
    expect(tall.jacfwd / tall.f).toBeLessThanOrEqual(30)
  })
})

describe('crossover', () => {
  it('finds the root of an increasing difference on a log scale', () => {
    const c = crossover((n) => n - 50, 1, 1000)
    expect(c.kind).toBe('at')
    if (c.kind === 'at') expect(c.n).toBeCloseTo(50, 6)
  })

  it('says which mode is cheaper when the difference keeps its sign', () => {
    expect(crossover(() => 1, 1, 1000)).toEqual({ kind: 'jacrev-everywhere' })
    expect(crossover(() => -1, 1, 1000)).toEqual({ kind: 'jacfwd-everywhere' })
  })

  it('the pure FLOP model crosses over near n = m, at every depth', () => {
    for (const depth of [1, 4, 16]) {
      for (const m of [10, 100, 1000]) {
        const c = crossover(
          (n) => {
            const r = predictModes(net(n, m, depth), n, m)
            return r.jacfwd - r.jacrev
          },
          1,
          1e5,
        )
        expect(c.kind).toBe('at')
        if (c.kind === 'at') {
          expect(c.n).toBeGreaterThan(0.8 * m)
          expect(c.n).toBeLessThan(1.3 * m)
        }
      }
    }
  })

  it('a per-call cost moves the crossover towards forward mode (one sweep against m pullbacks)', () => {
    const at = (perCall: number): number => {
      const c = crossover(
        (n) => {
          const r = predictModes(net(n, 10, 8), n, 10, { perCall })
          return r.jacfwd - r.jacrev
        },
        1,
        1e5,
      )
      return c.kind === 'at' ? c.n : NaN
    }
    expect(at(1e5)).toBeGreaterThan(at(0))
  })

  it('interpolates the measured crossover in log n', () => {
    const c = measuredCrossover([10, 100], [1, 4], [2, 2])
    expect(c.kind).toBe('at')
    if (c.kind === 'at') expect(c.n).toBeCloseTo(Math.sqrt(1000), 6)
    expect(measuredCrossover([1, 10], [1, 1], [2, 3])).toEqual({ kind: 'jacfwd-everywhere' })
    expect(measuredCrossover([1, 10], [3, 4], [2, 3])).toEqual({ kind: 'jacrev-everywhere' })
  })

  it('formats crossovers', () => {
    expect(formatCrossover({ kind: 'at', n: 42.4 })).toBe('n* ≈ 42')
    expect(formatCrossover({ kind: 'at', n: 2.345 })).toBe('n* ≈ 2.3')
    expect(formatCrossover({ kind: 'jacfwd-everywhere' })).toBe('jacfwd cheaper throughout')
  })
})

describe('the machine', () => {
  it('fitMachine recovers a linear machine exactly', () => {
    const a = 2e-6
    const b = 3e-3
    const samples = [
      [1e3, 10],
      [1e6, 40],
      [5e4, 400],
      [2e7, 8],
    ].map(([flops, calls]) => ({ flops: flops!, calls: calls!, ms: a * flops! + b * calls! }))
    const m = fitMachine(samples)
    expect(m.msPerFlop).toBeCloseTo(a, 12)
    expect(m.msPerCall).toBeCloseTo(b, 9)
    expect(perCallFlops(m)).toBeCloseTo(b / a, 3)
  })

  it('keeps both rates non-negative', () => {
    // times that fall with the number of calls: the call rate would be negative
    const m = fitMachine([
      { flops: 1e6, calls: 1, ms: 2 },
      { flops: 2e6, calls: 100, ms: 3 },
      { flops: 4e6, calls: 10, ms: 8 },
    ])
    expect(m.msPerFlop).toBeGreaterThanOrEqual(0)
    expect(m.msPerCall).toBeGreaterThanOrEqual(0)
    expect(m.msPerFlop + m.msPerCall).toBeGreaterThan(0)
    expect(fitMachine([])).toEqual({ msPerFlop: 0, msPerCall: 0 })
  })

  it('predictTimes is the FLOP model with the fitted per-call cost, in milliseconds', () => {
    const c = net(30, 7, 4)
    const machine = { msPerFlop: 1e-6, msPerCall: 2e-3 }
    const t = predictTimes(c, 30, 7, machine)
    const r = predictModes(c, 30, 7, { perCall: perCallFlops(machine) })
    for (const k of ['f', 'jvp', 'vjp', 'jacfwd', 'jacfwdSweeps', 'jacrev'] as const) {
      expect(t[k]).toBeCloseTo(r[k] * machine.msPerFlop, 9)
    }
  })
})
