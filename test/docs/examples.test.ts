import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { add, matmul, mul, reshape, sub, tensor } from '../../src/index.js'
import { logdet, solve } from '../../src/matrix/index.js'
import { UsageError, parseOptions, table, usage, withDefaults } from '../../examples/cli.js'
import * as attention from '../../examples/attention.js'
import * as chainRule from '../../examples/chain-rule.js'
import * as convNet from '../../examples/conv-net.js'
import * as differentiableProgram from '../../examples/differentiable-program.js'
import * as fcRelu from '../../examples/fc-relu.js'
import * as gaussianProcess from '../../examples/gaussian-process.js'
import * as gradientPatterns from '../../examples/gradient-patterns.js'
import * as logisticRegression from '../../examples/logistic-regression.js'
import * as mlpMoons from '../../examples/mlp-moons.js'
import * as rnnCell from '../../examples/rnn-cell.js'
import * as whichDirection from '../../examples/which-direction.js'

// Each example runs in-process with small sizes; its key numbers are checked against closed
// forms, finite differences or the other mode, and its pictures against the files it wrote.

const dir = mkdtempSync(join(tmpdir(), 'dualtape-examples-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const close = (a: number, b: number, tol = 1e-14) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)))
const maxDiff = (a: readonly number[], b: readonly number[]) => {
  expect(a).toHaveLength(b.length)
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0)
}
/** Collects the printed account. */
const printer = () => {
  const lines: string[] = []
  return { lines, log: (line: string) => lines.push(...line.split('\n')) }
}
const expectSvg = (path: string | null) => {
  expect(path).not.toBeNull()
  expect(existsSync(path!)).toBe(true)
  expect(readFileSync(path!, 'utf8')).toMatch(/^<svg|<svg/)
}

describe('chain-rule', () => {
  it('prints the lecture values: f = 6.141120008059867, ∂f/∂x1 = 3, ∂f/∂x2 = 1.0100075033995546', async () => {
    const p = printer()
    const out = join(dir, 'chain-rule')
    const r = await chainRule.main({ out, log: p.log })
    const [x1, x2] = [2, 3]
    // closed forms: f = x1 x2 + sin x2, ∂f/∂x1 = x2, ∂f/∂x2 = x1 + cos x2
    for (const mode of [r.reverse, r.forward]) {
      close(mode.f, x1 * x2 + Math.sin(x2))
      close(mode.dx1, x2)
      close(mode.dx2, x1 + Math.cos(x2))
    }
    expect(r.reverse.f).toBe(6.141120008059867)
    expect(r.reverse.dx2).toBe(1.0100075033995546)
    close(r.byHand.x2barSin, Math.cos(x2))
    close(r.byHand.x2barMul, x1)
    close(r.byHand.x2bar, r.reverse.dx2)
    expect(r.graphCotangents).toEqual({ x1: r.reverse.dx1, x2: r.reverse.dx2, a1: 1, a2: 1, a3: 1 })
    expectSvg(r.picture)
    expect(r.picture).toBe(join(out, 'graph.svg'))
    expect(p.lines.some((l) => l.startsWith('reverse mode (vjp)') && l.includes('1.0100075033995546'))).toBe(
      true,
    )
    expect(p.lines.some((l) => l.startsWith('forward mode (jvp)') && l.includes('6.141120008059867'))).toBe(
      true,
    )
  })

  it('works at any point, without writing pictures when out is null', async () => {
    const [x1, x2] = [-1.5, 0.7]
    const r = await chainRule.main({ x1, x2, out: null, log: () => {} })
    close(r.reverse.dx2, x1 + Math.cos(x2))
    close(r.forward.dx1, x2)
    expect(r.picture).toBeNull()
  })
})

describe('gradient-patterns', () => {
  it('add distributes, max routes, mul switches', async () => {
    const [a, b, u] = [3, -4, 2]
    const r = await gradientPatterns.main({ a, b, upstream: u, out: join(dir, 'patterns'), log: () => {} })
    const by = Object.fromEntries(r.gates.map((g) => [g.gate, g]))
    expect(by.add!.byTape).toEqual([u, u])
    expect(by.max!.byTape).toEqual([u, 0])
    expect(by.mul!.byTape).toEqual([u * b, u * a])
    for (const g of r.gates) {
      expect(g.byTape).toEqual(g.byPattern)
      expectSvg(g.picture)
    }
    // f = 2(xy + max(z, w)) at (3, −4, 2, −1): ∇f = (2y, 2x, 2[z > w], 2[w > z])
    const [x, y, z, w] = r.combined.inputs as [number, number, number, number]
    expect(r.combined.value).toBe(2 * (x * y + Math.max(z, w)))
    expect(r.combined.grad).toEqual([2 * y, 2 * x, z > w ? 2 : 0, w > z ? 2 : 0])
    expectSvg(r.combined.picture)
  })

  it('splits the cotangent evenly at a tie of the max gate', async () => {
    const r = await gradientPatterns.main({ a: 1.5, b: 1.5, upstream: 3, out: null, log: () => {} })
    expect(r.gates.find((g) => g.gate === 'max')!.byTape).toEqual([1.5, 1.5])
  })
})

describe('fc-relu', () => {
  it('∂h/∂h_prev = W, and ∂L/∂W the same four ways', async () => {
    const r = await fcRelu.main({ m: 3, n: 5, seed: 4, out: join(dir, 'fc-relu'), log: () => {} })
    expect(r.jacfwdError).toBeLessThanOrEqual(1e-15)
    expect(r.jacrevError).toBeLessThanOrEqual(1e-15)
    // ∂L/∂W = ḡ h_prevᵀ, computed here from ḡ and h_prev
    const outer = r.upstream.flatMap((g) => r.hPrev.map((h) => g * h))
    for (const way of [r.dLdW.tape, r.dLdW.iterate, r.dLdW.outer, r.dLdW.structured]) {
      expect(maxDiff(way, outer)).toBeLessThanOrEqual(1e-14)
    }
    // ∂L/∂h_prev = ḡᵀ W
    const gW = r.hPrev.map((_, j) => r.upstream.reduce((s, g, i) => s + g * r.w[i * r.n + j]!, 0))
    expect(maxDiff(r.dLdhPrev.tape, gW)).toBeLessThanOrEqual(1e-14)
    expect(r.weightJacobianStorage).toEqual({ dense: 3 * 3 * 5, structured: 5 })
    expect(r.pictures).toHaveLength(2)
    r.pictures.forEach(expectSvg)
  })

  it('the lecture ReLU: x = [1, −2, 3, −1], upstream [4, −1, 5, 9] → [4, 0, 5, 0], by a diagonal', async () => {
    const r = await fcRelu.main({ out: null, log: () => {} })
    const want = r.relu.upstream.map((u, i) => (r.relu.x[i]! > 0 ? u : 0))
    expect(want).toEqual([4, 0, 5, 0])
    expect(r.relu.tape).toEqual(want)
    expect(r.relu.diagonal).toEqual(want)
    expect(r.relu.mask).toEqual(want)
    expect(r.relu.out).toEqual([1, 0, 3, 0])
    expect(r.relu.d).toEqual([1, 0, 1, 0])
    expect(r.relu.storage).toBe(4)
    expect(r.relu.jacrevNonzeros).toBe(2)
  })

  it('handles another ReLU input', async () => {
    const x = [-0.5, 2, 0, 7, -3]
    const u = [1, 2, 3, 4, 5]
    const r = await fcRelu.main({ reluInput: x, reluUpstream: u, out: null, log: () => {} })
    // the subgradient at 0 is 0
    expect(r.relu.tape).toEqual([0, 2, 0, 4, 0])
    expect(r.relu.diagonal).toEqual(r.relu.tape)
  })
})

describe('logistic-regression', () => {
  it('checks −(1 − σ(wᵀx)) x against the tape and compares the regularisers', async () => {
    const p = printer()
    const r = await logisticRegression.main({
      perClass: 40,
      steps: 60,
      out: join(dir, 'logistic'),
      log: p.log,
    })
    expect(r.singleExampleError).toBeLessThanOrEqual(1e-14)
    expect(r.dataGradientError).toBeLessThanOrEqual(1e-14)
    const m = Object.fromEntries(r.models.map((x) => [x.regulariser, x]))
    for (const model of r.models) {
      expect(model.objective).toHaveLength(61)
      expect(model.objective.at(-1)!).toBeLessThan(model.objective[0]!)
      expect(model.accuracy).toBeGreaterThan(0.8)
      // the printed sparsity is the count of |w| < 1e-3
      expect(model.zeros).toBe(model.w.filter((v) => Math.abs(v) < 1e-3).length)
    }
    // weight decay shrinks the weights; the proximal L1 step zeroes the uninformative ones
    expect(m['L2 (weight decay)']!.l2Norm).toBeLessThan(m.none!.l2Norm)
    expect(m.none!.zeros).toBe(0)
    expect(m['L1 (proximal)']!.zeros).toBeGreaterThan(m['L1 (subgradient)']!.zeros)
    expect(m['elastic net (proximal)']!.zeros).toBeGreaterThan(m['elastic net (subgradient)']!.zeros)
    expect(m['L1 (proximal)']!.maxNoiseWeight).toBeLessThan(m.none!.maxNoiseWeight)
    expectSvg(r.picture)
    expect(p.lines.some((l) => l.startsWith('L1 (proximal)'))).toBe(true)
  })

  it('makes two clouds apart along the informative features only', () => {
    const { x, s } = logisticRegression.gaussianClouds(500, 3, 1, 4, 7)
    const xs = x.dataSync()
    const ss = s.dataSync()
    const meanOf = (j: number, label: number) => {
      let t = 0
      let c = 0
      for (let i = 0; i < ss.length; i++) {
        if (ss[i] !== label) continue
        t += xs[i * 3 + j]!
        c++
      }
      return t / c
    }
    expect(meanOf(0, 1) - meanOf(0, -1)).toBeGreaterThan(3.5)
    expect(Math.abs(meanOf(1, 1) - meanOf(1, -1))).toBeLessThan(0.5)
  })
})

describe('mlp-moons', () => {
  it('trains above 95% training accuracy and draws the loss and the decision boundary', async () => {
    const r = await mlpMoons.main({
      points: 100,
      steps: 150,
      grid: 16,
      seed: 0,
      out: join(dir, 'mlp'),
      log: () => {},
    })
    expect(r.accuracy).toBeGreaterThan(0.95)
    expect(r.losses).toHaveLength(151)
    expect(r.losses.at(-1)!).toBeLessThan(0.5 * r.losses[0]!)
    // 2·16 + 16 + 16·16 + 16 + 16 + 1 weights
    expect(r.params).toBe(337)
    expect(r.pictures.map((p) => p.split(/[\\/]/).at(-1))).toEqual(['loss.svg', 'decision-boundary.svg'])
    r.pictures.forEach(expectSvg)
  })

  it('computes the logits the way the formula says', () => {
    const p = mlpMoons.initParams(3, 5)
    const { x } = mlpMoons.twoMoons(4, 0.1, 1)
    const got = Array.from(mlpMoons.logits(p, x).dataSync())
    const rows = (t: { dataSync(): ArrayLike<number>; shape: readonly number[] }) => {
      const d = Array.from(t.dataSync())
      const c = t.shape[1] ?? 1
      return Array.from({ length: d.length / c }, (_, i) => d.slice(i * c, (i + 1) * c))
    }
    const [w1, w2, w3] = [rows(p.w1), rows(p.w2), rows(p.w3)]
    const [b1, b2, b3] = [p.b1, p.b2, p.b3].map((b) => Array.from(b.dataSync()))
    const layer = (v: number[], w: number[][], b: number[], relu: boolean) =>
      b.map((bj, j) => {
        const z = v.reduce((s, vi, i) => s + vi * w[i]![j]!, bj)
        return relu ? Math.max(0, z) : z
      })
    const want = rows(x).map(
      (xi) => layer(layer(layer(xi, w1, b1!, true), w2, b2!, true), w3, b3!, false)[0]!,
    )
    expect(maxDiff(got, want)).toBeLessThanOrEqual(1e-12)
  })
})

describe('rnn-cell', () => {
  it('checks every gradient of next_h.backward(ones) against central differences', async () => {
    const r = await rnnCell.main({ out: join(dir, 'rnn'), log: () => {} })
    expect(r.nextH).toHaveLength(20)
    expect(r.gradients.map((g) => [g.name, g.shape])).toEqual([
      ['W_h', [20, 20]],
      ['W_x', [20, 20]],
      ['x', [1, 20]],
      ['prev_h', [1, 20]],
    ])
    for (const g of r.gradients) {
      expect(g.fdError).toBeLessThan(1e-7)
      expect(g.closedFormError).toBeLessThanOrEqual(1e-13)
    }
    expect(r.transposedCotangentError).toMatch(/\[1, 20\] but the output has \[20, 1\]/)
    expectSvg(r.picture)
  })
})

describe('attention', () => {
  it('multi-head attention by einsum and softmax: both modes agree and pass finite differences', () => {
    const p = printer()
    const r = attention.main({ log: p.log })
    expect(r.weights.map((w) => [w.name, w.shape])).toEqual([
      ['wq', [2, 8, 4]],
      ['wk', [2, 8, 4]],
      ['wv', [2, 8, 4]],
      ['wo', [2, 4, 8]],
    ])
    for (const w of r.weights) {
      expect(w.modeDiff).toBeLessThanOrEqual(1e-14)
      expect(w.fdPassed).toBe(true)
    }
    expect(r.rowSumError).toBeLessThanOrEqual(1e-15)
    expect(r.bigScoresFinite).toBe(true)
    expect(Number.isFinite(r.loss)).toBe(true)
    expect(p.lines.some((l) => l.startsWith('checkGrads passed'))).toBe(true)
  })
})

describe('conv-net', () => {
  it('its gradient passes the checks, and it learns to tell horizontal from vertical bars', () => {
    const r = convNet.main({ images: 32, steps: 40, log: () => {} })
    expect(r.gradientChecked).toBe(true)
    expect(r.losses).toHaveLength(41)
    expect(r.losses[40]!).toBeLessThan(0.25 * r.losses[0]!)
    expect(r.trainAccuracy).toBeGreaterThanOrEqual(0.9)
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.75)
  }, 60_000)
})

describe('which-direction', () => {
  it('counts 2abc per product, and the left, right and optimal orders agree on J', async () => {
    const [wide, narrow] = [60, 4]
    const r = await whichDirection.main({ wide, narrow, repeats: 1, out: join(dir, 'which'), log: () => {} })
    expect(r.chains).toHaveLength(3)
    for (const c of r.chains) {
      const n = c.widths
      const L = n.length - 1
      // left: (1 × …) rows of width n_L: Σ_{i=L−1..1} 2 n_L n_i n_{i−1}
      let left = 0
      for (let i = L - 1; i >= 1; i--) left += 2 * n[L]! * n[i]! * n[i - 1]!
      // right: columns of width n_0: Σ_{i=2..L} 2 n_i n_{i−1} n_0
      let right = 0
      for (let i = 2; i <= L; i++) right += 2 * n[i]! * n[i - 1]! * n[0]!
      const by = Object.fromEntries(c.orders.map((o) => [o.strategy, o]))
      expect(by.left!.flops).toBe(left)
      expect(by.right!.flops).toBe(right)
      expect(by.optimal!.flops).toBeLessThanOrEqual(Math.min(left, right))
      for (const o of c.orders) expect(o.differenceFromLeft).toBeLessThanOrEqual(1e-12)
      expect(c.optimalPlan.startsWith(by.optimal!.expression)).toBe(true)
    }
    const [funnel, fanOut, hourglass] = r.chains as [
      whichDirection.ChainResult,
      whichDirection.ChainResult,
      whichDirection.ChainResult,
    ]
    const flops = (c: whichDirection.ChainResult, s: string) => c.orders.find((o) => o.strategy === s)!.flops
    // a scalar output: reverse order wins; a scalar input: forward order wins
    expect(flops(funnel, 'left')).toBeLessThan(flops(funnel, 'right'))
    expect(flops(fanOut, 'right')).toBeLessThan(flops(fanOut, 'left'))
    // the hourglass: the optimum is neither
    expect(flops(hourglass, 'optimal')).toBeLessThan(
      Math.min(flops(hourglass, 'left'), flops(hourglass, 'right')),
    )
    expectSvg(r.picture)
  })
})

describe('differentiable-program', () => {
  it('differentiates Newton’s square root, loops and branches included, to 1/(2√a)', async () => {
    const r = await differentiableProgram.main({
      values: [0.01, 3, 12345.6],
      a: 7,
      out: join(dir, 'newton'),
      log: () => {},
    })
    expect(r.rows.map((row) => row.a)).toEqual([0.01, 3, 7, 12345.6])
    for (const row of r.rows) {
      const root = Math.sqrt(row.a)
      close(row.sqrt, root, 1e-15)
      close(row.reverse, 1 / (2 * root), 1e-14)
      close(row.forward, 1 / (2 * root), 1e-14)
      expect(row.closedForm).toBe(1 / (2 * root))
      expect(Math.abs(row.secondDerivative - row.secondClosedForm)).toBeLessThanOrEqual(
        1e-12 * Math.abs(row.secondClosedForm),
      )
    }
    // the branches ran differently, so the tapes differ
    const reductions = r.rows.map((row) => row.reductions)
    expect(reductions[0]).toBeLessThan(0)
    expect(reductions[3]).toBeGreaterThan(0)
    expect(new Set(r.rows.map((row) => row.ops)).size).toBeGreaterThan(1)
    expectSvg(r.picture)
  })

  it('refuses a ≤ 0', () => {
    expect(() => differentiableProgram.sqrtNewton(tensor(-1))).toThrow(/a > 0, got -1/)
  })
})

describe('gaussian-process', () => {
  it('the gradient of the log marginal likelihood: reverse = forward, = finite differences to 1e-8, = the closed form', () => {
    const p = printer()
    const r = gaussianProcess.main({ points: 24, steps: 15, log: p.log })
    for (let j = 0; j < 3; j++) {
      const scale = Math.max(1, Math.abs(r.closedForm[j]!))
      expect(Math.abs(r.reverse[j]! - r.forward[j]!)).toBeLessThanOrEqual(1e-12 * scale)
      expect(Math.abs(r.reverse[j]! - r.closedForm[j]!)).toBeLessThanOrEqual(1e-10 * scale)
      expect(r.fdError[j]!).toBeLessThan(1e-9 * scale)
      expect(Math.abs(r.reverse[j]! - r.finiteDifferences[j]!)).toBeLessThanOrEqual(1e-8 * scale)
    }
    // the value through Cholesky equals the one through LU: −½ yᵀ K⁻¹ y − ½ log det K − (n/2) log 2π
    const { x, y } = gaussianProcess.gpData(24, 1)
    const k = gaussianProcess.rbfKernel(tensor(r.theta0), x)
    const quad = matmul(reshape(y, [1, 24]), solve(k, y)).item()
    close(r.logLikelihood0, -0.5 * quad - 0.5 * logdet(k).item() - 12 * Math.log(2 * Math.PI), 1e-12)
    // the ascent climbs
    expect(r.trajectory).toHaveLength(16)
    expect(r.trajectory[15]!).toBeGreaterThan(r.trajectory[0]!)
    expect(p.lines.join('\n')).toMatch(/reverse \(grad\)\s+forward \(jacfwd\)\s+finite differences/)
  })

  it('a stack of kernel matrices: one factorization per matrix, as for each alone', () => {
    const { x, y } = gaussianProcess.gpData(6, 2)
    const k1 = gaussianProcess.rbfKernel(tensor([0, 0, -2]), x)
    const k2 = gaussianProcess.rbfKernel(tensor([-0.5, 0.3, -1]), x)
    const stack = add(
      mul(reshape(k1, [1, 6, 6]), tensor([1, 0], [2, 1, 1])),
      mul(reshape(k2, [1, 6, 6]), tensor([0, 1], [2, 1, 1])),
    )
    const both = logdet(stack).dataSync()
    close(both[0]!, logdet(k1).item(), 1e-13)
    close(both[1]!, logdet(k2).item(), 1e-13)
    expect(sub(solve(stack, y), solve(k1, y)).shape).toEqual([2, 6])
  })
})

describe('command lines', () => {
  const specs = {
    steps: { kind: 'integer', default: 10, help: 'steps', min: 1 },
    lr: { kind: 'number', default: 0.1, help: 'step size' },
    fast: { kind: 'boolean', default: false, help: 'go fast' },
    name: { kind: 'string', default: 'x', help: 'a name' },
  } as const

  it('parse flags, defaults and --out', () => {
    expect(parseOptions('demo', [], specs)).toEqual({
      steps: 10,
      lr: 0.1,
      fast: false,
      name: 'x',
      out: join('out', 'examples', 'demo'),
      help: false,
    })
    expect(
      parseOptions('demo', ['--steps', '3', '--lr=1e-2', '--fast', '--out', '/tmp/o'], specs),
    ).toMatchObject({
      steps: 3,
      lr: 0.01,
      fast: true,
      out: '/tmp/o',
    })
    expect(withDefaults(specs, { lr: undefined, steps: 4 })).toEqual({
      steps: 4,
      lr: 0.1,
      fast: false,
      name: 'x',
    })
  })

  it('reject unknown flags, non-numeric values, non-integers and values out of range', () => {
    const bad: [string[], RegExp][] = [
      [['--stepz', '3'], /demo: Unknown option '--stepz'/],
      [['--steps', 'many'], /--steps expects an integer, got "many"/],
      [['--steps', '2.5'], /--steps expects an integer, got "2.5"/],
      [['--lr', ''], /--lr expects a number, got ""/],
      [['--lr', 'NaN'], /--lr expects a number/],
      [['--steps', '0'], /--steps must be at least 1, got 0/],
      [['--steps'], /argument missing/],
      [['stray'], /positional/i],
    ]
    for (const [argv, message] of bad) {
      expect(() => parseOptions('demo', argv, specs)).toThrow(UsageError)
      expect(() => parseOptions('demo', argv, specs)).toThrow(message)
    }
  })

  it('print a usage text and aligned tables', () => {
    expect(usage('demo', specs)).toContain('--steps <integer>  steps (default 10)')
    expect(table(['a', 'bb'], [['x̄2', '1']])).toBe('a   bb\n--  --\nx̄2  1')
  })

  it('exit nonzero with a clear message on a bad option', async () => {
    const run = promisify(execFile)
    const tsx = join('node_modules', '.bin', 'tsx')
    const attempt = async (args: string[]) => {
      try {
        await run(tsx, args, { timeout: 110_000 })
        return { code: 0, stderr: '' }
      } catch (e) {
        const err = e as { code: number; stderr: string }
        return { code: err.code, stderr: err.stderr }
      }
    }
    const [unknown, nonNumeric] = await Promise.all([
      attempt(['examples/chain-rule.ts', '--bogus']),
      attempt(['examples/chain-rule.ts', '--x1', 'two']),
    ])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("chain-rule: Unknown option '--bogus'")
    expect(unknown.stderr).toContain('usage: npx tsx examples/chain-rule.ts')
    expect(nonNumeric.code).toBe(2)
    expect(nonNumeric.stderr).toContain('chain-rule: --x1 expects a number, got "two"')
  }, 120_000)
})
