import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Matrix } from '../src/linalg/matrix.js'
import { signatureToString } from '../src/linalg/structured.js'
import {
  DEFAULT_CHAIN_COST_MODEL,
  FLOP_COST_MODEL,
  accumulate,
  chainFromOperators,
  operatorFromForm,
  plan,
  planFromTree,
  type ChainCostModel,
} from '../src/linalg/index.js'
import {
  allBracketings,
  allSweepTrees,
  bruteForceBracketing,
  bruteForceSweeps,
} from '../test/support/chain-oracles.js'
import { chainArbitrary, operatorChainArbitrary } from '../test/support/chain-arbitrary.js'
import { denseProduct } from '../test/support/dense-product.js'

/** Entries with −0 read as 0. */
const entries = (m: Matrix): number[] => Array.from(m.data, (v) => v + 0)

const STRATEGIES = ['left', 'right', 'optimal'] as const
const SWEEPS = ['tangent', 'adjoint', 'segments', 'optimal'] as const

/**
 * The planners are checked under three models: the default time model, the flop count (the
 * lecture's question, exact in integers), and a machine unlike this one (slow gemm, fast sweeps,
 * costly calls and writes), so that agreement with brute force does not hinge on one set of figures.
 */
const ODD_MACHINE: ChainCostModel = {
  name: 'odd',
  callUs: 3,
  gemmGflops: 0.7,
  gemmTile: 8,
  gemvGflops: 2.5,
  scaleGflops: 0.05,
  writeNs: 4,
  sweepCallUs: 0.01,
  jvpGflops: 9,
  vjpGflops: 0.3,
}
const MODELS = [DEFAULT_CHAIN_COST_MODEL, FLOP_COST_MODEL, ODD_MACHINE] as const

/** Equal up to the rounding of sums taken in another order. */
const sameTime = (a: number, b: number): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(a), Math.abs(b)))
}

describe('structured chains', () => {
  it('every strategy gives the dense left-to-right product, in the form its plan predicts', () => {
    fc.assert(
      fc.property(chainArbitrary({ minLength: 1, maxLength: 7 }), (chain) => {
        const want = entries(denseProduct(chain.factors))
        for (const s of STRATEGIES) {
          const p = plan(chain, s)
          const j = accumulate(chain, p)
          expect(entries(j.toDense())).toEqual(want)
          expect(signatureToString(j.signature)).toBe(signatureToString(p.result))
        }
      }),
      { seed: 21, numRuns: 150 },
    )
  })

  it('every bracketing gives the same matrix', () => {
    fc.assert(
      fc.property(chainArbitrary({ minLength: 2, maxLength: 5, maxWidth: 4 }), (chain) => {
        const want = entries(denseProduct(chain.factors))
        for (const t of allBracketings(chain.factors.length)) {
          expect(entries(accumulate(chain, planFromTree(chain, t)).toDense())).toEqual(want)
        }
      }),
      { seed: 22, numRuns: 60 },
    )
  })

  it('the optimal plan is never predicted slower than left or right, under every model', () => {
    fc.assert(
      fc.property(chainArbitrary({ minLength: 1, maxLength: 10, maxWidth: 12 }), (chain) => {
        for (const model of MODELS) {
          const opt = plan(chain, 'optimal', { model }).predictedMs
          expect(opt).toBeLessThanOrEqual(plan(chain, 'left', { model }).predictedMs * (1 + 1e-12))
          expect(opt).toBeLessThanOrEqual(plan(chain, 'right', { model }).predictedMs * (1 + 1e-12))
        }
        // under the flop model, in flops exactly
        const byFlops = plan(chain, 'optimal', { model: FLOP_COST_MODEL }).flops
        expect(byFlops).toBeLessThanOrEqual(plan(chain, 'left').flops)
        expect(byFlops).toBeLessThanOrEqual(plan(chain, 'right').flops)
      }),
      { seed: 23, numRuns: 200 },
    )
  })

  it('the optimal plan is as fast as the fastest of all bracketings, priced alike (up to 7 factors)', () => {
    fc.assert(
      fc.property(chainArbitrary({ minLength: 1, maxLength: 7, maxWidth: 9 }), (chain) => {
        for (const model of MODELS) {
          sameTime(
            plan(chain, 'optimal', { model }).predictedMs,
            bruteForceBracketing(chain, { model }).predictedMs,
          )
        }
        // the flop model's optimum is the least flop count, exactly
        expect(plan(chain, 'optimal', { model: FLOP_COST_MODEL }).flops).toBe(
          bruteForceBracketing(chain, { model: FLOP_COST_MODEL }).flops,
        )
      }),
      { seed: 24, numRuns: 150 },
    )
  })

  it('the same holds for chains of dense and diagonal factors only', () => {
    const arb = chainArbitrary({
      minLength: 3,
      maxLength: 7,
      maxWidth: 20,
      kinds: ['dense', 'diagonal'],
      repeat: 0.4,
    })
    fc.assert(
      fc.property(arb, (chain) => {
        for (const model of MODELS) {
          sameTime(
            plan(chain, 'optimal', { model }).predictedMs,
            bruteForceBracketing(chain, { model }).predictedMs,
          )
        }
        expect(plan(chain, 'optimal', { model: FLOP_COST_MODEL }).flops).toBe(
          bruteForceBracketing(chain, { model: FLOP_COST_MODEL }).flops,
        )
      }),
      { seed: 25, numRuns: 100 },
    )
  })

  it('under the flop model the predicted time of a plan is its flop count, product by product', () => {
    fc.assert(
      fc.property(chainArbitrary({ minLength: 1, maxLength: 5, maxWidth: 6 }), (chain) => {
        for (const t of allBracketings(chain.factors.length)) {
          const p = planFromTree(chain, t, { model: FLOP_COST_MODEL })
          for (const s of p.steps) sameTime(s.predictedMs * 1e6, s.flops)
          sameTime(p.predictedMs * 1e6, p.flops)
        }
      }),
      { seed: 26, numRuns: 100 },
    )
  })
})

describe('matrix-free chains', () => {
  it('the dynamic program equals brute force, with and without matrix-free products', () => {
    fc.assert(
      fc.property(operatorChainArbitrary({ minLength: 1, maxLength: 4, maxWidth: 8 }), (chain) => {
        for (const model of MODELS) {
          sameTime(
            plan(chain, 'optimal', { model }).predictedMs,
            bruteForceSweeps(chain, true, { model }).predictedMs,
          )
          sameTime(
            plan(chain, 'segments', { model }).predictedMs,
            bruteForceSweeps(chain, false, { model }).predictedMs,
          )
        }
        // the flop model's optimum is the least cost, exactly
        const flops = { model: FLOP_COST_MODEL }
        expect(plan(chain, 'optimal', flops).flops).toBe(bruteForceSweeps(chain, true, flops).flops)
        expect(plan(chain, 'segments', flops).flops).toBe(bruteForceSweeps(chain, false, flops).flops)
      }),
      { seed: 31, numRuns: 100 },
    )
  })

  it('on five operators too', () => {
    fc.assert(
      fc.property(
        operatorChainArbitrary({ minLength: 5, maxLength: 5, maxWidth: 8, dense: false }),
        (chain) => {
          for (const model of MODELS) {
            sameTime(
              plan(chain, 'optimal', { model }).predictedMs,
              bruteForceSweeps(chain, true, { model }).predictedMs,
            )
            sameTime(
              plan(chain, 'segments', { model }).predictedMs,
              bruteForceSweeps(chain, false, { model }).predictedMs,
            )
          }
        },
      ),
      { seed: 32, numRuns: 5 },
    )
  })

  it('optimal ≤ segments ≤ the better of one tangent or one adjoint sweep, under every model', () => {
    fc.assert(
      fc.property(operatorChainArbitrary({ minLength: 1, maxLength: 8, maxWidth: 10 }), (chain) => {
        for (const model of MODELS) {
          const at = (s: (typeof SWEEPS)[number]): number => plan(chain, s, { model }).predictedMs
          const tol = 1 + 1e-12
          expect(at('optimal')).toBeLessThanOrEqual(at('segments') * tol)
          expect(at('segments')).toBeLessThanOrEqual(Math.min(at('tangent'), at('adjoint')) * tol)
        }
      }),
      { seed: 33, numRuns: 150 },
    )
  })

  it('under the flop model the predicted time of a plan is its cost, for every sweep tree', () => {
    fc.assert(
      fc.property(operatorChainArbitrary({ minLength: 1, maxLength: 3, maxWidth: 6 }), (chain) => {
        const hasDense = (i: number): boolean => chain.operators[i - 1]!.dense !== undefined
        for (const t of allSweepTrees(chain.operators.length, true, hasDense)) {
          const p = planFromTree(chain, t, { model: FLOP_COST_MODEL })
          for (const s of p.steps) sameTime(s.predictedMs * 1e6, s.flops)
          sameTime(p.predictedMs * 1e6, p.flops)
        }
      }),
      { seed: 35, numRuns: 60 },
    )
  })

  it('every strategy gives the dense product', () => {
    const arb = fc.tuple(
      chainArbitrary({ minLength: 1, maxLength: 6 }),
      fc.array(fc.boolean(), { minLength: 6 }),
    )
    fc.assert(
      fc.property(arb, ([forms, withDense]) => {
        // flop costs of the forms' matvec and vecmat; some factors also offered densely
        const chain = chainFromOperators(
          forms.factors.map((f, t) => operatorFromForm(f, withDense[t] ? { denseCost: f.storage } : {})),
        )
        const want = entries(denseProduct(forms.factors))
        for (const s of SWEEPS) expect(entries(accumulate(chain, s).toDense())).toEqual(want)
      }),
      { seed: 34, numRuns: 100 },
    )
  })
})
