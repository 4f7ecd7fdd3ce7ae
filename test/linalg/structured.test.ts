import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  JacobianShapeError,
  matrix,
  matrixFromRows,
  matrixToRows,
  type Matrix,
} from '../../src/linalg/matrix.js'
import {
  blockRowJacobian,
  denseJacobian,
  diagonalJacobian,
  fcJacobians,
  identityJacobian,
  kronRowJacobian,
  monomialJacobian,
  permutationJacobian,
  reluJacobian,
  scaledIdentityJacobian,
  signatureToString,
  storageOf,
  transposeJacobian,
  zeroJacobian,
  type FormKind,
  type JacobianForm,
} from '../../src/linalg/structured.js'
import { formKinds, multiplyJacobians, productSignature, productTable } from '../../src/linalg/product.js'
import { FLOP_COST_MODEL } from '../../src/linalg/chain/cost.js'
import { formArbitrary } from '../support/chain-arbitrary.js'

/** Reference product by the definition C_ij = Σ_p A_ip B_pj. */
function naiveMul(a: Matrix, b: Matrix): Matrix {
  const c = new Float64Array(a.rows * b.cols)
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.cols; j++) {
      let s = 0
      for (let p = 0; p < a.cols; p++) s += a.data[i * a.cols + p]! * b.data[p * b.cols + j]!
      c[i * b.cols + j] = s
    }
  return { rows: a.rows, cols: b.cols, data: c }
}

/** Entries as plain numbers with −0 read as 0 (IEEE: −0 = 0). */
const plain = (x: ArrayLike<number>): number[] => Array.from(x, (v) => v + 0)

/** J v by the definition, from the dense matrix. */
const denseMatvec = (a: Matrix, v: ArrayLike<number>): number[] =>
  Array.from({ length: a.rows }, (_, i) => {
    let s = 0
    for (let j = 0; j < a.cols; j++) s += a.data[i * a.cols + j]! * v[j]!
    return s + 0
  })

/** uᵀ J by the definition, from the dense matrix. */
const denseVecmat = (a: Matrix, u: ArrayLike<number>): number[] =>
  Array.from({ length: a.cols }, (_, j) => {
    let s = 0
    for (let i = 0; i < a.rows; i++) s += u[i]! * a.data[i * a.cols + j]!
    return s + 0
  })

const dim = fc.integer({ min: 1, max: 6 })
const ints = (n: number) => fc.array(fc.integer({ min: -4, max: 4 }), { minLength: n, maxLength: n })

describe('the lecture', () => {
  it('ReLU: the diagonal Jacobian routes the upstream gradient where x > 0', () => {
    const j = reluJacobian([1, -2, 3, -1])
    expect(j.kind).toBe('diagonal')
    expect(plain(j.vecmat([4, -1, 5, 9]))).toEqual([4, 0, 5, 0])
    // the matrix the lecture draws, never formed by the algebra itself
    expect(matrixToRows(j.toDense())).toEqual([
      [1, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 0],
    ])
    expect(j.storage).toBe(4)
    expect(j.vecmatCost).toBe(4)
  })

  it('FC: ∂h/∂x = W and ∂h/∂W = I ⊗ xᵀ, whose pullback is the outer product ū xᵀ', () => {
    const w = matrixFromRows([
      [1, 2, 3],
      [4, 5, 6],
    ])
    const x = [7, 8, 9]
    const { input, weight } = fcJacobians(w, x)
    expect(matrixToRows(input.toDense())).toEqual(matrixToRows(w))
    expect(weight.kind).toBe('blockRow')
    expect([weight.rows, weight.cols]).toEqual([2, 6])
    // only x is stored, not the 2 × 6 Jacobian
    expect(weight.storage).toBe(3)
    // ∂h_i/∂W_ij = x_j: row i holds xᵀ in block i and zeros elsewhere
    expect(matrixToRows(weight.toDense())).toEqual([
      [7, 8, 9, 0, 0, 0],
      [0, 0, 0, 7, 8, 9],
    ])
    const ubar = [2, -1]
    expect(Array.from(weight.vecmat(ubar))).toEqual([14, 16, 18, -7, -8, -9])
    expect(weight.vecmatCost).toBe(6)
    // a tangent of W: dh = dW x
    expect(Array.from(weight.matvec([1, 0, 0, 0, 1, 0]))).toEqual([7, 8])
  })
})

describe('forms', () => {
  it('transposeJacobian is the permutation of a row-major transpose', () => {
    const t = transposeJacobian(2, 3)
    expect(Array.from(t.matvec([1, 2, 3, 4, 5, 6]))).toEqual([1, 4, 2, 5, 3, 6])
    expect(Array.from(t.vecmat([1, 4, 2, 5, 3, 6]))).toEqual([1, 2, 3, 4, 5, 6])
    expect(t.matvecCost).toBe(0)
  })

  it('matvec and vecmat agree with the dense matrix for every form', () => {
    const formAndVectors = fc
      .tuple(dim, dim)
      .chain(([r, c]) => fc.tuple(formArbitrary(r, c, { depth: 2 }), ints(c), ints(r)))
    fc.assert(
      fc.property(formAndVectors, ([j, v, u]) => {
        const d = j.toDense()
        expect(plain(j.matvec(v))).toEqual(denseMatvec(d, v))
        expect(plain(j.vecmat(u))).toEqual(denseVecmat(d, u))
      }),
      { seed: 11, numRuns: 300 },
    )
  })

  it('costs and storage', () => {
    const w = denseJacobian(matrix(3, 5))
    expect([w.matvecCost, w.vecmatCost, w.storage]).toEqual([30, 30, 15])
    expect([identityJacobian(4).matvecCost, identityJacobian(4).storage]).toEqual([0, 0])
    expect([scaledIdentityJacobian(4, 2).matvecCost, scaledIdentityJacobian(4, 2).storage]).toEqual([4, 1])
    expect([permutationJacobian([1, 0, 2]).matvecCost, permutationJacobian([1, 0, 2]).storage]).toEqual([
      0, 3,
    ])
    expect([monomialJacobian([1, 0], [2, 3]).matvecCost, monomialJacobian([1, 0], [2, 3]).storage]).toEqual([
      2, 4,
    ])
    expect([zeroJacobian(2, 7).matvecCost, zeroJacobian(2, 7).storage]).toEqual([0, 0])
    // (I_2 ⊗ xᵀ) v: one multiply-add per entry of v
    const b = blockRowJacobian([1, 2, 3], 2)
    expect([b.matvecCost, b.vecmatCost]).toEqual([12, 6])
    expect(storageOf(kronRowJacobian(denseJacobian(matrix(4, 2)), [1, 2, 3]).signature)).toBe(11)
  })

  it('constructors copy their input', () => {
    const d = [1, 2, 3]
    const j = diagonalJacobian(d)
    d[0] = 99
    expect(Array.from(j.matvec([1, 1, 1]))).toEqual([1, 2, 3])
    const m = matrix(1, 2, [1, 2])
    const w = denseJacobian(m)
    m.data[0] = 99
    expect(Array.from(w.matvec([1, 0]))).toEqual([1])
  })

  it('bad input throws a JacobianShapeError naming the shapes', () => {
    expect(() => diagonalJacobian([1, 2]).mul(denseJacobian(matrix(3, 3)))).toThrow(JacobianShapeError)
    expect(() => diagonalJacobian([1, 2]).mul(denseJacobian(matrix(3, 3)))).toThrow(/diagonal 2×2.*dense 3×3/)
    expect(() => denseJacobian(matrix(2, 3)).matvec([1, 2])).toThrow(/length 3, got 2/)
    expect(() => denseJacobian(matrix(2, 3)).vecmat([1, 2, 3])).toThrow(/length 2, got 3/)
    expect(() => permutationJacobian([0, 0, 1])).toThrow(/not a permutation/)
    expect(() => permutationJacobian([0, 3])).toThrow(JacobianShapeError)
    expect(() => monomialJacobian([0, 1], [1])).toThrow(/2 indices but 1 values/)
    expect(() => fcJacobians(matrix(2, 3), [1, 2])).toThrow(/x has length 2/)
    expect(() => matrix(2, 2, [1, 2, 3])).toThrow(JacobianShapeError)
    expect(() => identityJacobian(-1)).toThrow(/non-negative integer/)
  })
})

describe('products', () => {
  /** Two forms that can be multiplied, A: r × k and B: k × c. */
  const pair = fc
    .tuple(dim, dim, dim, fc.boolean(), fc.boolean())
    .map(([r, k, c, sqA, sqB]) => [sqA ? k : r, k, sqB ? k : c] as const)
    .chain(([r, k, c]) => fc.tuple(formArbitrary(r, k, { depth: 2 }), formArbitrary(k, c, { depth: 2 })))

  it('equal the dense product, in the form and at the cost productSignature predicts', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const p = a.mul(b)
        expect(plain(p.toDense().data)).toEqual(plain(naiveMul(a.toDense(), b.toDense()).data))
        const predicted = productSignature(a.signature, b.signature)
        expect(signatureToString(p.signature)).toBe(signatureToString(predicted.signature))
        expect(a.mulCost(b)).toBe(predicted.flops)
        // never more flops than the dense product of the same shapes, unless a factor must
        // first be contracted out of F ⊗ xᵀ
        if (a.kind !== 'blockRow') expect(predicted.flops).toBeLessThanOrEqual(2 * a.rows * a.cols * b.cols)
      }),
      { seed: 12, numRuns: 400 },
    )
  })

  it('keep the cheapest exact form', () => {
    const d = diagonalJacobian([1, 2, 3])
    const e = diagonalJacobian([4, 5, 6])
    const p = permutationJacobian([2, 0, 1])
    const q = permutationJacobian([1, 2, 0])
    const m = monomialJacobian([1, 2, 0], [1, 1, 2])
    const w = denseJacobian(matrixFromRows([[1, 2, 3]]))
    const s = scaledIdentityJacobian(3, 2)
    const x = blockRowJacobian([1, 2], 3)
    const cases: [JacobianForm, JacobianForm, string, number][] = [
      [d, e, 'diagonal', 3],
      [p, q, 'permutation', 0],
      [d, p, 'monomial', 0],
      [p, d, 'monomial', 0],
      [m, d, 'monomial', 3],
      [m, m, 'monomial', 3],
      [s, s, 'scaledIdentity', 1],
      [s, d, 'diagonal', 3],
      [s, p, 'monomial', 0],
      [w, d, 'dense', 3],
      [d, denseJacobian(matrix(3, 4)), 'dense', 12],
      [p, denseJacobian(matrix(3, 4)), 'dense', 0],
      [denseJacobian(matrix(5, 3)), denseJacobian(matrix(3, 4)), 'dense', 120],
      [zeroJacobian(2, 3), d, 'zero', 0],
      [w, zeroJacobian(3, 4), 'zero', 0],
      // W · (I ⊗ xᵀ) = W ⊗ xᵀ: nothing to compute
      [w, x, 'blockRow', 0],
      [d, x, 'blockRow', 0],
      // (I ⊗ xᵀ) · βI = I ⊗ (βx)ᵀ
      [x, scaledIdentityJacobian(6, 3), 'blockRow', 2],
      // (I ⊗ xᵀ) · diag: each block contracted (one multiply per entry), then dense
      [x, diagonalJacobian([1, 2, 3, 4, 5, 6]), 'dense', 6],
      // (I_3 ⊗ xᵀ) · B for dense B (6 × 4): 2·6·4 for the contraction, nothing for I_3 · T
      [x, denseJacobian(matrix(6, 4)), 'dense', 48],
    ]
    for (const [a, b, kind, flops] of cases) {
      const r = a.mul(b)
      expect([r.kind, r.signature.kind, a.mulCost(b)]).toEqual([kind, kind, flops])
    }
    // identity · X is X itself
    expect(identityJacobian(3).mul(d)).toBe(d)
    expect(d.mul(identityJacobian(3))).toBe(d)
    // diag(d) diag(e) = diag(d ⊙ e)
    const de = d.mul(e)
    expect(de.kind === 'diagonal' && Array.from(de.d)).toEqual([4, 10, 18])
    // W · (I ⊗ xᵀ) keeps W as the factor
    const wx = w.mul(x)
    expect(wx.kind === 'blockRow' && wx.factor).toBe(w)
  })

  it('multiply is the method mul', () => {
    const a = diagonalJacobian([1, 2])
    const b = denseJacobian(
      matrixFromRows([
        [1, 2],
        [3, 4],
      ]),
    )
    expect(multiplyJacobians(a, b).toDense()).toEqual(a.mul(b).toDense())
  })
})

describe('the product table', () => {
  /** Integer entries, so that every product is exact. */
  const ints = (n: number, seed: number): number[] =>
    Array.from({ length: n }, (_, t) => ((seed * 7 + t * 5) % 9) - 4 || 1)
  const dense = (rows: number, cols: number, seed: number) =>
    denseJacobian(matrix(rows, cols, ints(rows * cols, seed)))
  /** Square forms of each square kind, 6 × 6. */
  const square = (kind: FormKind, seed: number): JacobianForm => {
    switch (kind) {
      case 'identity':
        return identityJacobian(6)
      case 'scaledIdentity':
        return scaledIdentityJacobian(6, seed + 2)
      case 'diagonal':
        return diagonalJacobian(ints(6, seed))
      case 'permutation':
        return permutationJacobian([3, 0, 5, 1, 4, 2])
      case 'monomial':
        return monomialJacobian([2, 4, 0, 5, 3, 1], ints(6, seed))
      default:
        throw new Error(kind)
    }
  }
  /** Left factors of every kind with 6 columns (several blockRow ones, over different factors). */
  const lefts = (kind: FormKind): JacobianForm[] => {
    if (kind === 'zero') return [zeroJacobian(4, 6)]
    if (kind === 'dense') return [dense(3, 6, 1)]
    if (kind === 'blockRow')
      return [
        kronRowJacobian(identityJacobian(3), [2, -1]),
        kronRowJacobian(diagonalJacobian([2, 3]), [1, 2, -1]),
        kronRowJacobian(dense(4, 3, 2), [3, 1]),
        kronRowJacobian(blockRowJacobian([1, -2], 1), [1, 2, 3]),
      ]
    return [square(kind, 3)]
  }
  /** Right factors of every kind with 6 rows. */
  const rights = (kind: FormKind): JacobianForm[] => {
    if (kind === 'zero') return [zeroJacobian(6, 5)]
    if (kind === 'dense') return [dense(6, 4, 4)]
    if (kind === 'blockRow')
      return [
        blockRowJacobian([1, 3], 6),
        kronRowJacobian(diagonalJacobian(ints(6, 5)), [2, -1]),
        kronRowJacobian(dense(6, 2, 6), [1, 2, 3]),
        kronRowJacobian(permutationJacobian([1, 2, 3, 4, 5, 0]), [-1, 1]),
      ]
    return [square(kind, 7)]
  }

  it('has an entry for every pair of kinds', () => {
    expect(Object.keys(productTable).sort()).toEqual([...formKinds].sort())
    for (const ka of formKinds) expect(Object.keys(productTable[ka]).sort()).toEqual([...formKinds].sort())
  })

  it('computes, for every pair of kinds, the product of the kind, signature and shape it states', () => {
    let pairs = 0
    for (const ka of formKinds) {
      for (const kb of formKinds) {
        const rule = productTable[ka][kb]
        for (const a of lefts(ka)) {
          for (const b of rights(kb)) {
            const what = `${a.describe()} · ${b.describe()}`
            const r = rule.compute(a, b)
            const signature = rule.signature(a.signature, b.signature)
            expect([r.kind, signature.kind], what).toEqual([rule.kind, rule.kind])
            expect(signatureToString(r.signature), what).toBe(signatureToString(signature))
            expect([r.rows, r.cols], what).toEqual([a.rows, b.cols])
            expect(plain(r.toDense().data), what).toEqual(plain(naiveMul(a.toDense(), b.toDense()).data))
            // the entry is the one productSignature, multiplyJacobians and mul read
            expect(productSignature(a.signature, b.signature), what).toEqual({
              signature,
              flops: rule.flops(a.signature, b.signature),
            })
            expect(signatureToString(multiplyJacobians(a, b).signature), what).toBe(
              signatureToString(signature),
            )
            expect(a.mulCost(b), what).toBe(rule.flops(a.signature, b.signature))
            // under the flop model (no fixed costs, every rate 1) the kernel time is the flop count
            expect(rule.time(FLOP_COST_MODEL, a.signature, b.signature), what).toBe(
              rule.flops(a.signature, b.signature),
            )
          }
        }
        pairs++
      }
    }
    expect(pairs).toBe(formKinds.length ** 2)
  })
})
