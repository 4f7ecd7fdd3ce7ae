import { describe, expect, it } from 'vitest'
import { matrix, matrixFromRows, matrixToRows, maxAbsDiff } from '../../src/linalg/matrix.js'
import {
  blockRowJacobian,
  denseJacobian,
  diagonalJacobian,
  identityJacobian,
  permutationJacobian,
  reluJacobian,
  scaledIdentityJacobian,
  type JacobianForm,
} from '../../src/linalg/structured.js'
import {
  ChainShapeError,
  DEFAULT_CHAIN_COST_MODEL,
  FLOP_COST_MODEL,
  accumulate,
  calibrateChainCostModel,
  chainFromFactors,
  chainFromOperators,
  operatorFromForm,
  plan,
  planFromTree,
  type BracketTree,
  type ChainCostModel,
  type JacobianOperator,
} from '../../src/linalg/index.js'
import { allBracketings, allSweepTrees } from '../support/chain-oracles.js'
import { denseProduct } from '../support/dense-product.js'

/** Deterministic dense factor with entries in [-1, 1). */
function randomDense(rows: number, cols: number, seed: number): JacobianForm {
  let s = seed >>> 0
  const data = new Float64Array(rows * cols)
  for (let t = 0; t < data.length; t++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    data[t] = s / 2 ** 31 - 1
  }
  return denseJacobian({ rows, cols, data })
}

/** The hourglass n → w → n → w → n of dense factors. */
const hourglass = (n: number, w: number) =>
  chainFromFactors([randomDense(w, n, 1), randomDense(n, w, 2), randomDense(w, n, 3), randomDense(n, w, 4)])

describe('chainFromFactors', () => {
  it('records the widths n_0 … n_L, J_1 first', () => {
    const c = chainFromFactors([
      denseJacobian(matrix(3, 5)),
      diagonalJacobian([1, 2, 3]),
      denseJacobian(matrix(2, 3)),
    ])
    expect(c.widths).toEqual([5, 3, 3, 2])
  })

  it('names the factor indices and shapes that do not fit', () => {
    const bad = () =>
      chainFromFactors([
        denseJacobian(matrix(3, 5)),
        diagonalJacobian([1, 2, 3]),
        denseJacobian(matrix(2, 4)),
      ])
    expect(bad).toThrow(ChainShapeError)
    expect(bad).toThrow(
      /J3 \(index 2\) is 2×4 and takes 4 inputs, but J2 \(index 1\) is 3×3 and gives 3 outputs/,
    )
    expect(() => chainFromFactors([])).toThrow(/at least one factor/)
    const op = operatorFromForm(denseJacobian(matrix(2, 2)))
    expect(() => chainFromOperators([op, operatorFromForm(denseJacobian(matrix(1, 3)))])).toThrow(
      ChainShapeError,
    )
  })
})

describe('bracketing', () => {
  it('hourglass 1000 → 10 → 1000 → 10 → 1000: optimal avoids the 1000×1000×1000 products', () => {
    const c = chainFromFactors([
      denseJacobian(matrix(10, 1000)),
      denseJacobian(matrix(1000, 10)),
      denseJacobian(matrix(10, 1000)),
      denseJacobian(matrix(1000, 10)),
    ])
    const left = plan(c, 'left')
    const right = plan(c, 'right')
    const opt = plan(c)
    expect(left.expression).toBe('((J4 · J3) · J2) · J1')
    expect(right.expression).toBe('J4 · (J3 · (J2 · J1))')
    expect([left.flops, right.flops]).toEqual([6e7, 6e7])
    // J3 J2 is 10×10; only the last product makes the 1000×1000 result
    expect(opt.flops).toBe(2e5 + 2e5 + 2e7)
    expect(opt.expression).toBe('(J4 · (J3 · J2)) · J1')
    expect(plan(c, 'optimal', { model: FLOP_COST_MODEL }).expression).toBe(opt.expression)
    // P1 = J4 J3 (1e6 floats) is held while P2 = P1 J2 (1e4) is made, then P2 and P3 (1e6)
    expect(left.peakMemory).toBe(1e6 + 1e4)
    expect(opt.result).toEqual({ kind: 'dense', rows: 1000, cols: 1000 })
    const text = opt.toString()
    expect(text).toMatch(
      /^\(J4 · \(J3 · J2\)\) · J1 {4}\[optimal: 2\.04e\+7 flops, predicted [\d.]+ ms, peak/,
    )
    expect(text).toMatch(
      /P1: J3 · J2 \(dense 10×1000 · dense 1000×10\) → dense 10×10, 200000 flops, [\d.]+ µs/,
    )
    expect(text).toMatch(
      /P3: P2 · J1 \(dense 1000×10 · dense 10×1000\) → dense 1000×1000, 2\.00e\+7 flops, [\d.]+ ms/,
    )
    // the flop model prints flops only
    expect(plan(c, 'optimal', { model: FLOP_COST_MODEL }).toString()).toContain(
      '[optimal: 2.04e+7 flops, peak 1.01e+6 floats]',
    )
  })

  it('every strategy gives the dense product', () => {
    const c = hourglass(40, 3)
    const want = denseProduct(c.factors)
    for (const s of ['left', 'right', 'optimal'] as const) {
      expect(maxAbsDiff(accumulate(c, s).toDense(), want)).toBeLessThan(1e-12)
    }
    for (const t of allBracketings(4)) {
      expect(maxAbsDiff(accumulate(c, planFromTree(c, t)).toDense(), want)).toBeLessThan(1e-12)
    }
  })

  it('a chain of diagonals stays diagonal and costs n per product', () => {
    const c = chainFromFactors([
      diagonalJacobian([1, 2, 3]),
      reluJacobian([1, -1, 2]),
      scaledIdentityJacobian(3, 2),
      diagonalJacobian([5, 6, 7]),
    ])
    const p = plan(c, 'left')
    expect(p.result.kind).toBe('diagonal')
    expect(p.flops).toBe(3 + 3 + 3)
    const j = accumulate(c, p)
    expect(j.kind).toBe('diagonal')
    expect(Array.from(j.toDense().data.filter((_, t) => t % 4 === 0))).toEqual([10, 0, 42])
    // optimal merges the two true diagonals last: the scaled identity costs 3 either way
    expect(plan(c).flops).toBe(9)
  })

  it('identity and permutation factors are free', () => {
    const c = chainFromFactors([
      denseJacobian(matrix(3, 4)),
      identityJacobian(3),
      permutationJacobian([2, 0, 1]),
      denseJacobian(matrix(5, 3)),
    ])
    const opt = plan(c)
    // the permutation is folded into a factor for free, then one dense product 5×3×4
    expect(opt.flops).toBe(2 * 5 * 3 * 4)
  })

  it('the gradient of W through ReLU is (u ⊙ 1[Wx > 0]) xᵀ, kept as a blockRow', () => {
    // L = uᵀ ReLU(W x): J = uᵀ · diag(1[Wx > 0]) · (I ⊗ xᵀ)
    const w = matrixFromRows([
      [1, -1],
      [2, 1],
      [-1, -1],
    ])
    const x = [2, 1]
    const h = matrixToRows(w).map((row) => row[0]! * x[0]! + row[1]! * x[1]!)
    expect(h).toEqual([1, 5, -3])
    const u = [4, -1, 5]
    const c = chainFromFactors([blockRowJacobian(x, 3), reluJacobian(h), denseJacobian(matrixFromRows([u]))])
    for (const s of ['left', 'right', 'optimal'] as const) {
      const j = accumulate(c, s)
      expect(j.kind).toBe('blockRow')
      expect(matrixToRows(j.toDense())).toEqual([[8, 4, -2, -1, 0, 0]])
    }
    // the left sweep is backpropagation: a diagonal scaling, then W's gradient for free
    expect(plan(c, 'left').flops).toBe(3)
  })

  it('planFromTree rejects a tree that reorders the factors', () => {
    const c = hourglass(4, 2)
    const swapped: BracketTree = {
      kind: 'product',
      left: { kind: 'product', left: { kind: 'factor', index: 3 }, right: { kind: 'factor', index: 4 } },
      right: { kind: 'product', left: { kind: 'factor', index: 2 }, right: { kind: 'factor', index: 1 } },
    }
    expect(() => planFromTree(c, swapped)).toThrow(/J4 … J1 in that order/)
  })

  it('accumulate rejects a plan made for another chain', () => {
    const p = plan(hourglass(4, 2))
    expect(() => accumulate(hourglass(5, 2), p)).toThrow(/widths \[4, 2, 4, 2, 4\], not \[5, 2, 5, 2, 5\]/)
    const d = chainFromFactors([diagonalJacobian([1, 2]), diagonalJacobian([1, 2])])
    const e = chainFromFactors([diagonalJacobian([1, 2]), denseJacobian(matrix(2, 2))])
    expect(() => accumulate(e, plan(d))).toThrow(/made for J2 of form diagonal 2×2, the chain has dense 2×2/)
  })

  it('one validator checks plans of both kinds against the chain', () => {
    const forms = [diagonalJacobian([1, 2]), denseJacobian(matrix(3, 2, [1, 2, 3, 4, 5, 6]))]
    const ops = chainFromOperators(forms.map((f) => operatorFromForm(f)))
    const wider = chainFromOperators([operatorFromForm(diagonalJacobian([1, 2, 3]))])
    // a plan of sweeps made for another chain: its widths
    expect(() => accumulate(wider, plan(ops))).toThrow(/widths \[2, 2, 3\], not \[3, 3\]/)
    // a sweep tree that asks for a dense evaluation the chain does not offer
    const withDense = chainFromOperators([
      operatorFromForm(forms[0]!, { denseCost: 4 }),
      operatorFromForm(forms[1]!),
    ])
    const p = planFromTree(withDense, {
      kind: 'tangent',
      lo: 2,
      hi: 2,
      seed: { kind: 'dense', index: 1 },
    })
    expect(Array.from(accumulate(withDense, p).toDense().data)).toEqual([1, 4, 3, 8, 5, 12])
    expect(() => accumulate(ops, p)).toThrow(/J1 has no dense evaluation/)
    // a plan of the other kind: a ValueError naming what it is
    expect(() => accumulate(ops, plan(chainFromFactors(forms)) as never)).toThrow(/\(a plan of bracketing\)/)
    // the printer is the same for both kinds
    for (const q of [plan(chainFromFactors(forms)), plan(ops)]) {
      expect(q.toString().split('\n')).toHaveLength(q.steps.length + 1)
      expect(q.toString()).toMatch(
        /^\S.* {4}\[optimal: [\d.e+]+ flops, predicted .*, peak \d+ floats\]\n {2}P1: /,
      )
    }
  })

  it('plans and accumulates a chain of 3000 factors without deep recursion', () => {
    const c = chainFromFactors(
      Array.from({ length: 3000 }, (_, t) => diagonalJacobian([1, t % 2 === 0 ? -1 : 1])),
    )
    const p = plan(c, 'left')
    expect(p.steps.length).toBe(2999)
    expect(Array.from(accumulate(c, p).matvec([1, 1]))).toEqual([1, 1])
    expect(plan(c, 'right').expression.length).toBeGreaterThan(3000)
  })

  it('a single factor is its own Jacobian', () => {
    const j = diagonalJacobian([1, 2])
    const c = chainFromFactors([j])
    expect(plan(c).flops).toBe(0)
    expect(accumulate(c)).toBe(j)
  })
})

describe('matrix-free chains', () => {
  const opsOf = (c: ReturnType<typeof hourglass>) =>
    chainFromOperators(c.factors.map((f) => operatorFromForm(f)))

  it('hourglass: sweeps of the narrow ends, then one wide product', () => {
    const c = chainFromOperators([
      operatorFromForm(denseJacobian(matrix(10, 1000))),
      operatorFromForm(denseJacobian(matrix(1000, 10))),
    ])
    expect(plan(c, 'tangent').flops).toBe(1000 * 4e4)
    expect(plan(c, 'adjoint').flops).toBe(1000 * 4e4)
    // 10 adjoint sweeps through J1 and 10 tangent sweeps through J2, then a 1000×10×1000 product
    const seg = plan(c, 'segments')
    expect(seg.expression).toBe('tan(J2) · adj(J1)')
    expect(seg.flops).toBe(2e5 + 2e5 + 2e7)
    // by flops, push the 1000 columns of adj(J1) through J2's tangent model: 2e5 + 1000 · 2e4
    const byFlops = plan(c, 'optimal', { model: FLOP_COST_MODEL })
    expect(byFlops.expression).toBe('tan(J2)[adj(J1)]')
    expect(byFlops.flops).toBe(2e5 + 2e7)
    expect(byFlops.predictedMs).toBeCloseTo((2e5 + 2e7) / 1e6, 12)
    expect(byFlops.toString()).toContain(
      'P2: tangent sweeps through J2, 1000 columns of the seed → 1000×1000, 2.00e+7 flops',
    )
    // in time, 1000 matrix–vector products lose to one matrix–matrix product
    const opt = plan(c)
    expect(opt.expression).toBe('tan(J2) · adj(J1)')
    expect(opt.predictedMs).toBeLessThan(plan(c, 'optimal', { model: FLOP_COST_MODEL }).predictedMs)
    expect(opt.toString()).toMatch(/P3: dense product → 1000×1000, 2\.00e\+7 flops, [\d.]+ ms/)
  })

  it('every strategy gives the dense product', () => {
    const f = hourglass(30, 3)
    const c = opsOf(f)
    const want = denseProduct(f.factors)
    for (const s of ['tangent', 'adjoint', 'segments', 'optimal'] as const) {
      const j = accumulate(c, s)
      expect(j.kind).toBe('dense')
      expect(maxAbsDiff(j.toDense(), want)).toBeLessThan(1e-12)
    }
  })

  it('every sweep tree of a short chain gives the dense product', () => {
    const f = chainFromFactors([randomDense(3, 2, 5), randomDense(4, 3, 6), randomDense(2, 4, 7)])
    const c = chainFromOperators(f.factors.map((x) => operatorFromForm(x, { denseCost: 1 })))
    const want = denseProduct(f.factors)
    const trees = allSweepTrees(3, true, () => true)
    expect(trees.length).toBeGreaterThan(100)
    for (const t of trees)
      expect(maxAbsDiff(accumulate(c, planFromTree(c, t)).toDense(), want)).toBeLessThan(1e-12)
  })

  it('uses a dense evaluation when it is cheaper than sweeps', () => {
    const op = operatorFromForm(denseJacobian(matrix(50, 50)), { denseCost: 10 })
    const p = plan(chainFromOperators([op]))
    expect([p.expression, p.flops]).toEqual(['J1', 10])
  })

  it('checks what the operators return and which plan it is given', () => {
    const liar: JacobianOperator = {
      rows: 2,
      cols: 2,
      matvecCost: 1,
      vecmatCost: 1,
      matvec: () => new Float64Array(3),
      vecmat: () => new Float64Array(2),
    }
    const c = chainFromOperators([liar])
    expect(() => accumulate(c, 'tangent')).toThrow(/J1.matvec returned a vector of length 3, expected 2/)
    expect(() => planFromTree(c, { kind: 'dense', index: 1 })).toThrow(/J1 has no dense evaluation/)
    expect(() => planFromTree(c, { kind: 'tangent', lo: 1, hi: 2, seed: null })).toThrow(/not within J1..J1/)
    // the batched products are checked the same way
    const batchLiar: JacobianOperator = {
      ...operatorFromForm(denseJacobian(matrix(2, 2, [1, 2, 3, 4]))),
      matvecs: (_vs, count) => new Float64Array(2 * count + 1),
      vecmats: (_us, count) => new Float64Array(2 * count - 1),
    }
    const b = chainFromOperators([batchLiar])
    expect(() => accumulate(b, 'tangent')).toThrow(/J1.matvecs returned a vector of length 5, expected 4/)
    expect(() => accumulate(b, 'adjoint')).toThrow(/J1.vecmats returned a vector of length 3, expected 4/)
  })
})

describe('the cost model', () => {
  /** The matrix-free hourglass of the issue, 300 → 10 → 300 → 10 → 300, of dense operators. */
  const operatorHourglass = () =>
    chainFromOperators(hourglass(300, 10).factors.map((f) => operatorFromForm(f)))

  it('calibration measures positive, finite figures', () => {
    const m = calibrateChainCostModel({ sampleMs: 0.3, samples: 3 })
    expect(m.name).toBe('calibrated')
    for (const k of [
      'callUs',
      'gemmGflops',
      'gemvGflops',
      'scaleGflops',
      'writeNs',
      'sweepCallUs',
      'jvpGflops',
      'vjpGflops',
    ] as const) {
      expect(Number.isFinite(m[k]), k).toBe(true)
      expect(m[k], k).toBeGreaterThanOrEqual(0)
    }
    for (const k of ['gemmGflops', 'gemvGflops', 'scaleGflops', 'jvpGflops', 'vjpGflops'] as const) {
      expect(m[k], k).toBeGreaterThan(0)
    }
    // a calibrated model plans like any other
    expect(plan(hourglass(40, 3), 'optimal', { model: m }).predictedMs).toBeGreaterThan(0)
  })

  it('a matrix–vector order costs more per flop than a matrix–matrix one', () => {
    // the lecture's chain: four d × d layers and the loss's row; left is four row × matrix products
    const d = 100
    const c = chainFromFactors([
      randomDense(d, d, 1),
      randomDense(d, d, 2),
      randomDense(d, d, 3),
      randomDense(d, d, 4),
      randomDense(1, d, 5),
    ])
    const left = plan(c, 'left')
    const right = plan(c, 'right')
    expect(left.predictedMs / left.flops).toBeGreaterThan(2 * (right.predictedMs / right.flops))
    // …yet the left order still wins: it does d times fewer flops
    expect(plan(c).expression).toBe(left.expression)
    // a product's predicted time follows its kernel: gemv for the row, gemm for the squares
    const m = DEFAULT_CHAIN_COST_MODEL
    expect(left.steps[0]!.predictedMs).toBeCloseTo(
      (m.callUs * 1e3 + 2e4 / m.gemvGflops + d * m.writeNs) / 1e6,
      9,
    )
  })

  it('the matrix-free hourglass 300→10→300→10→300 gets a plan of segments quality', () => {
    const c = operatorHourglass()
    const opt = plan(c)
    const seg = plan(c, 'segments')
    expect(opt.predictedMs).toBeLessThanOrEqual(seg.predictedMs)
    // it multiplies accumulated segments (a gemm) rather than sweeping 300 columns through J1
    expect(opt.expression).toBe(seg.expression)
    expect(opt.steps.some((s) => s.node.kind === 'product')).toBe(true)
    // the flop-optimal plan saves 3% of the flops but is predicted several times slower
    const byFlops = plan(c, 'optimal', { model: FLOP_COST_MODEL })
    expect(byFlops.flops).toBeLessThan(seg.flops)
    const byFlopsTimed = planFromTree(c, byFlops.tree)
    expect(byFlopsTimed.predictedMs).toBeGreaterThan(2 * opt.predictedMs)
  })

  it('under the flop model the predicted time is the flop count', () => {
    // J = uᵀ · P · diag · (I ⊗ xᵀ) · W: every kind of product the planner prices
    const c = chainFromFactors([
      denseJacobian(
        matrix(
          6,
          4,
          Array.from({ length: 24 }, (_, t) => t - 11),
        ),
      ),
      blockRowJacobian([1, 2], 3),
      diagonalJacobian([1, 2, 3]),
      permutationJacobian([2, 0, 1]),
      denseJacobian(matrix(1, 3, [1, -1, 2])),
    ])
    for (const t of allBracketings(5)) {
      const p = planFromTree(c, t, { model: FLOP_COST_MODEL })
      expect(p.model).toBe('flops')
      expect(p.predictedMs * 1e6).toBeCloseTo(p.flops, 6)
      for (const s of p.steps) expect(s.predictedMs * 1e6).toBeCloseTo(s.flops, 6)
    }
  })

  it('the planners follow the model they are given', () => {
    // sweeps nearly free: pushing the accumulated part through the operators wins again
    const fastSweeps: ChainCostModel = {
      ...DEFAULT_CHAIN_COST_MODEL,
      name: 'fast sweeps',
      jvpGflops: 1e3,
      vjpGflops: 1e3,
    }
    const p = plan(operatorHourglass(), 'optimal', { model: fastSweeps })
    expect(p.model).toBe('fast sweeps')
    expect(p.steps.some((s) => s.node.kind === 'product')).toBe(false)
    expect(p.toString()).toMatch(/\[optimal: [^,]+ flops, predicted [\d.]+ [µm]s \(fast sweeps model\), peak/)
  })

  it('rejects a model with a rate that is not positive', () => {
    const bad: ChainCostModel = { ...DEFAULT_CHAIN_COST_MODEL, gemmGflops: 0 }
    expect(() => plan(hourglass(4, 2), 'optimal', { model: bad })).toThrow(
      /gemmGflops must be a positive number/,
    )
    const worse: ChainCostModel = { ...DEFAULT_CHAIN_COST_MODEL, callUs: -1 }
    expect(() => plan(operatorHourglass(), 'tangent', { model: worse })).toThrow(
      /callUs must be a number ≥ 0/,
    )
  })
})
