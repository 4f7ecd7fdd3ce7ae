import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Matrix } from '../src/jacobian/matrix.js'
import { signatureKey } from '../src/jacobian/structured.js'
import {
  accumulate,
  allBracketings,
  bruteForceBracketing,
  bruteForceSweeps,
  chainFromOperators,
  operatorFromForm,
  plan,
  planFromTree,
} from '../src/jacobian/chain.js'
import { chainArbitrary, operatorChainArbitrary } from '../src/jacobian/chain/arbitrary.js'
import { denseProduct } from '../test/dense-product.js'

/** Entries with −0 read as 0. */
const entries = (m: Matrix): number[] => Array.from(m.data, (v) => v + 0)

const STRATEGIES = ['left', 'right', 'optimal'] as const
const SWEEPS = ['tangent', 'adjoint', 'segments', 'optimal'] as const

describe('structured chains', () => {
  it('every strategy gives the dense left-to-right product, in the form its plan predicts', () => {
    fc.assert(
      fc.property(chainArbitrary({ minLength: 1, maxLength: 7 }), (chain) => {
        const want = entries(denseProduct(chain.factors))
        for (const s of STRATEGIES) {
          const p = plan(chain, s)
          const j = accumulate(chain, p)
          expect(entries(j.toDense())).toEqual(want)
          expect(signatureKey(j.signature)).toBe(signatureKey(p.result))
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

  it('the optimal plan is never predicted costlier than left or right', () => {
    fc.assert(
      fc.property(chainArbitrary({ minLength: 1, maxLength: 10, maxWidth: 12 }), (chain) => {
        const opt = plan(chain).flops
        expect(opt).toBeLessThanOrEqual(plan(chain, 'left').flops)
        expect(opt).toBeLessThanOrEqual(plan(chain, 'right').flops)
      }),
      { seed: 23, numRuns: 200 },
    )
  })

  it('the optimal plan costs what the cheapest of all bracketings costs (up to 7 factors)', () => {
    fc.assert(
      fc.property(chainArbitrary({ minLength: 1, maxLength: 7, maxWidth: 9 }), (chain) => {
        expect(plan(chain).flops).toBe(bruteForceBracketing(chain).flops)
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
        expect(plan(chain).flops).toBe(bruteForceBracketing(chain).flops)
      }),
      { seed: 25, numRuns: 100 },
    )
  })
})

describe('matrix-free chains', () => {
  it('the dynamic program equals brute force, with and without matrix-free products', () => {
    fc.assert(
      fc.property(operatorChainArbitrary({ minLength: 1, maxLength: 4, maxWidth: 8 }), (chain) => {
        expect(plan(chain, 'optimal').cost).toBe(bruteForceSweeps(chain, true).cost)
        expect(plan(chain, 'segments').cost).toBe(bruteForceSweeps(chain, false).cost)
      }),
      { seed: 31, numRuns: 100 },
    )
  })

  it('on five operators too', () => {
    fc.assert(
      fc.property(
        operatorChainArbitrary({ minLength: 5, maxLength: 5, maxWidth: 8, dense: false }),
        (chain) => {
          expect(plan(chain, 'optimal').cost).toBe(bruteForceSweeps(chain, true).cost)
          expect(plan(chain, 'segments').cost).toBe(bruteForceSweeps(chain, false).cost)
        },
      ),
      { seed: 32, numRuns: 5 },
    )
  })

  it('optimal ≤ segments ≤ the better of one tangent or one adjoint sweep', () => {
    fc.assert(
      fc.property(operatorChainArbitrary({ minLength: 1, maxLength: 8, maxWidth: 10 }), (chain) => {
        const opt = plan(chain, 'optimal').cost
        const seg = plan(chain, 'segments').cost
        expect(opt).toBeLessThanOrEqual(seg)
        expect(seg).toBeLessThanOrEqual(Math.min(plan(chain, 'tangent').cost, plan(chain, 'adjoint').cost))
      }),
      { seed: 33, numRuns: 150 },
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
