import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, test } from 'vitest'
import { propsRuns, propsSeed } from '../../src/check/config.js'
import { checkGrads, formatReport } from '../../src/check/index.js'
import {
  ShapeError,
  ValueError,
  einsum,
  grad,
  jacfwd,
  jacrev,
  matmul,
  randn,
  reshape,
  sum,
  tensor,
  transpose,
  type Tensor,
} from '../../src/index.js'

const params = { seed: propsSeed(), numRuns: propsRuns(60), includeErrorInReport: true }

/**
 * einsum by its definition: every assignment of the letters, the product of the operands' entries,
 * summed into the output's entry. Letters are given explicitly (no '...').
 */
function bruteForce(
  inputs: readonly string[],
  output: string,
  ops: readonly { shape: readonly number[]; data: readonly number[] }[],
): { shape: number[]; data: number[] } {
  const sizes = new Map<string, number>()
  inputs.forEach((ix, i) =>
    [...ix].forEach((c, a) => sizes.set(c, Math.max(sizes.get(c) ?? 1, ops[i]!.shape[a]!))),
  )
  const letters = [...sizes.keys()]
  const outShape = [...output].map((c) => sizes.get(c)!)
  const outSize = outShape.reduce((p, n) => p * n, 1)
  const data = new Array<number>(outSize).fill(0)
  const at = new Map<string, number>()
  const index = (ix: string, shape: readonly number[]): number =>
    [...ix].reduce((flat, c, a) => flat * shape[a]! + (shape[a] === 1 ? 0 : at.get(c)!), 0)
  const visit = (k: number): void => {
    if (k === letters.length) {
      let p = 1
      inputs.forEach((ix, i) => (p *= ops[i]!.data[index(ix, ops[i]!.shape)]!))
      const at0 = index(output, outShape)
      data[at0] = data[at0]! + p
      return
    }
    for (let v = 0; v < sizes.get(letters[k]!)!; v++) {
      at.set(letters[k]!, v)
      visit(k + 1)
    }
  }
  visit(0)
  return { shape: outShape, data }
}

const flat = (t: Tensor): number[] => {
  const a = t.toArray() as unknown
  return typeof a === 'number' ? [a] : ((a as unknown[]).flat(Infinity) as number[])
}

describe('einsum', () => {
  test.each([
    [
      'ij,jk->ik',
      [
        [2, 3],
        [3, 4],
      ],
    ],
    [
      'bij,bjk->bik',
      [
        [2, 2, 3],
        [2, 3, 2],
      ],
    ],
    [
      'ij,ij->ij',
      [
        [2, 3],
        [2, 3],
      ],
    ],
    [
      'ij,ij->',
      [
        [2, 3],
        [2, 3],
      ],
    ],
    ['i,j->ij', [[3], [2]]],
    ['ii->', [[3, 3]]],
    ['ii->i', [[3, 3]]],
    ['iij->ji', [[2, 2, 3]]],
    ['ij->ji', [[2, 3]]],
    ['ij->', [[2, 3]]],
    [
      'ij,jk,kl->il',
      [
        [2, 3],
        [3, 2],
        [2, 4],
      ],
    ],
    [
      'bhqd,bhkd->bhqk',
      [
        [2, 2, 3, 4],
        [2, 2, 5, 4],
      ],
    ],
    [
      'ij,kj',
      [
        [2, 3],
        [4, 3],
      ],
    ],
    [
      'ba,ca',
      [
        [2, 3],
        [4, 3],
      ],
    ],
    [
      'ij,jk->ki',
      [
        [2, 3],
        [3, 4],
      ],
    ],
    ['i,i->', [[4], [4]]],
    ['ij,j->i', [[3, 4], [4]]],
    [
      'ijk,ikl->jl',
      [
        [2, 3, 2],
        [2, 2, 3],
      ],
    ],
    [
      'ij,ik->',
      [
        [2, 3],
        [2, 4],
      ],
    ],
    ['i,ij->ij', [[1], [3, 2]]],
  ] as const)('%s agrees with the sum over every index', (spec, shapes) => {
    const xs = shapes.map((s, i) => randn([...s], { seed: 7 + i }))
    const got = einsum(spec, ...xs)
    const [lhs, rhs] = spec.includes('->') ? spec.split('->') : [spec, undefined]
    const inputs = lhs!.split(',')
    const once = [...new Set(inputs.join(''))].filter((c) => inputs.join('').split(c).length === 2).sort()
    const want = bruteForce(
      inputs,
      rhs ?? once.join(''),
      xs.map((x) => ({ shape: x.shape, data: flat(x) })),
    )
    expect(got.shape).toEqual(want.shape)
    flat(got).forEach((v, i) =>
      expect(Math.abs(v - want.data[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want.data[i]!))),
    )
  })

  test('random two-operand specs agree with the sum over every index, and both modes with finite differences', () => {
    const letters = 'abcde'
    const spec = fc
      .record({
        sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 5, maxLength: 5 }),
        a: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }),
        b: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }),
        keep: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        order: fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }),
        seed: fc.integer({ min: 0, max: 1000 }),
      })
      .filter((r) => r.a.length + r.b.length > 0)
    fc.assert(
      fc.property(spec, ({ sizes, a, b, keep, order, seed }) => {
        const ia = a.map((i) => letters[i]!).join('')
        const ib = b.map((i) => letters[i]!).join('')
        const used = new Set(ia + ib)
        const out = order
          .filter((i) => keep[i] && used.has(letters[i]!))
          .map((i) => letters[i]!)
          .join('')
        const x = randn(
          a.map((i) => sizes[i]!),
          { seed },
        )
        const y = randn(
          b.map((i) => sizes[i]!),
          { seed: seed + 1 },
        )
        const got = einsum(`${ia},${ib}->${out}`, x, y)
        const want = bruteForce([ia, ib], out, [
          { shape: x.shape, data: flat(x) },
          { shape: y.shape, data: flat(y) },
        ])
        expect(got.shape).toEqual(want.shape)
        flat(got).forEach((v, i) =>
          expect(Math.abs(v - want.data[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want.data[i]!))),
        )
        const r = checkGrads((p: Tensor, q: Tensor) => einsum(`${ia},${ib}->${out}`, p, q), [x, y], {
          order: 1,
        })
        if (E.isLeft(r)) throw new Error(formatReport(r.left))
      }),
      params,
    )
  })

  test("'...' stands for the same leading axes, broadcast where one operand has fewer", () => {
    const a = randn([2, 3, 4, 5], { seed: 1 })
    const b = randn([3, 5, 2], { seed: 2 })
    const got = einsum('...ij,...jk->...ik', a, b)
    const want = matmul(a, b)
    expect(got.shape).toEqual([2, 3, 4, 2])
    flat(got).forEach((v, i) => expect(v).toBeCloseTo(flat(want)[i]!, 12))
    // implicit output: '...' first, then the letters seen once
    expect(einsum('...ij', a).shape).toEqual([2, 3, 4, 5])
    expect(einsum('...ji', a).shape).toEqual([2, 3, 5, 4])
    // an output without '...' sums those axes
    const rows = reshape(a, [24, 5])
    const colSums = flat(sum(rows, 0))
    flat(einsum('...i->i', rows)).forEach((v, i) => expect(v).toBeCloseTo(colSums[i]!, 12))
  })

  test('its derivatives are einsums again: attention scores in both modes', () => {
    const q = randn([2, 3, 4], { seed: 3 })
    const k = randn([2, 5, 4], { seed: 4 })
    const f = (q_: Tensor) => einsum('bqd,bkd->bqk', q_, k)
    const fwd = jacfwd(f)(q)
    const rev = jacrev(f)(q)
    flat(fwd).forEach((v, i) => expect(v).toBeCloseTo(flat(rev)[i]!, 12))
    // ∂ Σ (q kᵀ) / ∂q = Σ_k k, per batch, for every query row
    const g = grad((q_: Tensor) => sum(f(q_)))(q)
    const ks = flat(sum(k, 1))
    flat(g).forEach((v, i) => expect(v).toBeCloseTo(ks[Math.floor(i / 12) * 4 + (i % 4)]!, 12))
    const r = checkGrads((a: Tensor, b: Tensor) => einsum('bqd,bkd->bqk', a, b), [q, k])
    if (E.isLeft(r)) throw new Error(formatReport(r.left))
    expect(flat(einsum('bqd,bkd->bkq', q, k))).toEqual(flat(transpose(f(q), [0, 2, 1])))
  })

  test('bad subscripts and shapes are typed errors naming the operand and the shapes', () => {
    const a = randn([2, 3])
    const b = randn([4, 5])
    expect(() => einsum('ij,jk->ik', a, b)).toThrow(ShapeError)
    expect(() => einsum('ij,jk->ik', a, b)).toThrow(
      /'j' .* size 3 in operand 0 \[2, 3\] but 4 in operand 1 \[4, 5\]/,
    )
    expect(() => einsum('ijk', a)).toThrow(/operand 0 has shape \[2, 3\] \(rank 2\) but subscripts 'ijk'/)
    expect(() => einsum('ij,jk', a)).toThrow(ValueError)
    expect(() => einsum('ij->iz', a)).toThrow(/'z' is in no operand/)
    expect(() => einsum('ij->ii', a)).toThrow(/repeats 'i'/)
    expect(() => einsum('i1', a)).toThrow(/letters a–z/)
    expect(() => einsum('ii', a)).toThrow(/diagonal needs a square/)
    expect(() => einsum('ij->i->j', a)).toThrow(/more than one '->'/)
    expect(() => einsum('ij' as string, [1, 2] as unknown as Tensor)).toThrow(/operand 0 must be a Tensor/)
    expect(() => einsum('ij')).toThrow(/at least one operand/)
    expect(() => einsum('ij', reshape(tensor([1, 2]), [1, 2]), a)).toThrow(/subscripts for 1 operand, got 2/)
  })
})
