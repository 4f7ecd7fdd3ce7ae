import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, test } from 'vitest'
import {
  BackendError,
  broadcastTo,
  LinAlgError,
  ShapeError,
  type Tensor,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jvp,
  matmul,
  mul,
  randn,
  sum,
  tensor,
  transpose,
  vjp,
} from '../../src/index.js'
import { registerBackend, cpuBackend } from '../../src/backends/index.js'
import { type Domain, checkContract, fdJvp, materialize } from '../../src/check/index.js'
import { matrixKernelNames } from '../../src/core/backend.js'
import { Rng } from '../../src/core/random.js'
import { jacobianSparsity } from '../../src/sparse/index.js'
import { countFlops } from '../../src/linalg/index.js'
import {
  cholesky,
  choleskyLogdet,
  choleskySolve,
  det,
  eigh,
  eigvalsh,
  inv,
  logdet,
  slogdet,
  solve,
  triangularSolve,
} from '../../src/matrix/index.js'
import { registry, type OpName } from '../../src/ops/registry.js'
import { apply } from '../../src/core/op.js'

// ---------------------------------------------------------------------------------------------
// dualtape/matrix: values against their defining identities, the derivatives against finite
// differences on well-conditioned matrices up to 64×64, the modes against each other, float32 on
// the cpu backend, and the typed errors. The op contracts of the primitives run from the registry
// (props/ops.test.ts).
// ---------------------------------------------------------------------------------------------

const mat = (domain: Domain, shape: number[], seed: number, dtype?: 'float32'): Tensor =>
  materialize(dtype === undefined ? { shape, domain, seed } : { shape, domain, seed, dtype })

const maxDiff = (a: Tensor, b: Tensor): number => {
  expect(a.shape).toEqual(b.shape)
  const x = a.dataSync()
  const y = b.dataSync()
  let m = 0
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!))
  return m
}

const mT = (x: Tensor): Tensor => {
  const perm = x.shape.map((_, i) => i)
  perm[x.rank - 2] = x.rank - 1
  perm[x.rank - 1] = x.rank - 2
  return transpose(x, perm)
}

const identity = (n: number): Tensor =>
  tensor(
    Float64Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? 1 : 0)),
    [n, n],
  )

describe('values', () => {
  test.each([1, 3, 16, 64])('n = %i: L Lᵀ = A, A X = B, A A⁻¹ = I, U Λ Uᵀ = A with UᵀU = I', (n) => {
    const a = mat('spd', [n, n], n)
    const l = cholesky(a)
    expect(maxDiff(matmul(l, mT(l)), a)).toBeLessThan(1e-12 * n)
    // L is lower triangular with a positive diagonal
    const lv = l.dataSync()
    for (let i = 0; i < n; i++) {
      expect(lv[i * n + i]).toBeGreaterThan(0)
      for (let j = i + 1; j < n; j++) expect(lv[i * n + j]).toBe(0)
    }
    const g = mat('invertible', [n, n], n + 1)
    const b = mat('real', [n, 2], n + 2)
    expect(maxDiff(matmul(g, solve(g, b)), b)).toBeLessThan(1e-12 * n)
    expect(maxDiff(matmul(g, inv(g)), identity(n))).toBeLessThan(1e-12 * n)
    for (const lower of [true, false])
      for (const transpose of [false, true]) {
        // only the named triangle is read: the other holds noise
        const t = triangularSolve(g, b, { lower, transpose })
        const tri = mul(
          g,
          tensor(
            Float64Array.from({ length: n * n }, (_, k) => {
              const [i, j] = [Math.floor(k / n), k % n]
              return (lower ? i >= j : i <= j) ? 1 : 0
            }),
            [n, n],
          ),
        )
        expect(maxDiff(matmul(transpose ? mT(tri) : tri, t), b)).toBeLessThan(1e-12 * n)
      }
    expect(maxDiff(choleskySolve(l, b), solve(a, b))).toBeLessThan(1e-11 * n)
    const s = mat('symmetric', [n, n], n + 3)
    const { values, vectors } = eigh(s)
    expect(maxDiff(matmul(mul(vectors, values), mT(vectors)), s)).toBeLessThan(1e-12 * n * n)
    expect(maxDiff(matmul(mT(vectors), vectors), identity(n))).toBeLessThan(1e-13 * n)
    const w = values.dataSync()
    for (let i = 1; i < n; i++) expect(w[i]! - w[i - 1]!).toBeGreaterThan(0.5)
    // log det by LU, by Cholesky, and by the eigenvalues of an SPD matrix
    const ew = eigvalsh(a).dataSync()
    let want = 0
    for (const v of ew) want += Math.log(v)
    expect(Math.abs(logdet(a).item() - want)).toBeLessThan(1e-11 * n)
    expect(Math.abs(choleskyLogdet(l).item() - want)).toBeLessThan(1e-11 * n)
  })

  test('det, slogdet: signs and magnitudes', () => {
    expect(
      det(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ).item(),
    ).toBeCloseTo(-2, 14)
    expect(
      det(
        tensor([
          [0, 1, 0],
          [1, 0, 0],
          [0, 0, 5],
        ]),
      ).item(),
    ).toBeCloseTo(-5, 14)
    const { sign, logAbsDet } = slogdet(
      tensor([
        [2, 0],
        [0, -3],
      ]),
    )
    expect(sign.item()).toBe(-1)
    expect(logAbsDet.item()).toBeCloseTo(Math.log(6), 14)
    // far beyond the range of a float64 determinant, log |det| is exact
    const big = mul(identity(64), 1e10)
    expect(slogdet(big).logAbsDet.item()).toBeCloseTo(64 * Math.log(1e10), 10)
  })

  test('stacks: batch axes of A and B broadcast, each matrix solved on its own', () => {
    const a = mat('invertible', [2, 1, 3, 3], 1)
    const b = mat('real', [4, 3, 2], 2)
    const x = solve(a, b)
    expect(x.shape).toEqual([2, 4, 3, 2])
    expect(maxDiff(matmul(a, x), broadcastTo(b, [2, 4, 3, 2]))).toBeLessThan(1e-13)
    const t = triangularSolve(a, b, { lower: false })
    expect(t.shape).toEqual([2, 4, 3, 2])
    const s = mat('spd', [3, 4, 4], 3)
    expect(cholesky(s).shape).toEqual([3, 4, 4])
    expect(logdet(s).shape).toEqual([3])
    expect(eigh(s).values.shape).toEqual([3, 4])
    expect(eigh(s).vectors.shape).toEqual([3, 4, 4])
    // a vector right-hand side gives a vector
    expect(solve(mat('invertible', [3, 3], 4), tensor([1, 2, 3])).shape).toEqual([3])
  })

  test('float32 on the cpu backend: the float64 values, rounded', () => {
    const a64 = mat('spd', [8, 8], 5)
    const a32 = mat('spd', [8, 8], 5, 'float32')
    const b64 = mat('real', [8, 2], 6)
    const b32 = mat('real', [8, 2], 6, 'float32')
    for (const [f64, f32] of [
      [cholesky(a64), cholesky(a32)],
      [solve(a64, b64), solve(a32, b32)],
      [triangularSolve(a64, b64), triangularSolve(a32, b32)],
      [logdet(a64), logdet(a32)],
      [eigh(a64).values, eigh(a32).values],
    ] as const) {
      expect(f32.dtype).toBe('float32')
      expect(
        maxDiff(f32, tensor(Float32Array.from(f64.dataSync()), { shape: f64.shape, dtype: 'float32' })),
      ).toBeLessThan(1e-4)
    }
  })
})

// ---------------------------------------------------------------------------------------------
// derivatives
// ---------------------------------------------------------------------------------------------

/** Each function of the library as a function of its differentiated inputs, with their domains. */
const cases: readonly {
  name: string
  domains: readonly Domain[]
  f: (...xs: Tensor[]) => Tensor
}[] = [
  { name: 'cholesky', domains: ['spd'], f: (a) => cholesky(a) },
  { name: 'triangularSolve (lower)', domains: ['invertible', 'real'], f: (a, b) => triangularSolve(a, b) },
  {
    name: 'triangularSolve (upper, transposed)',
    domains: ['invertible', 'real'],
    f: (a, b) => triangularSolve(a, b, { lower: false, transpose: true }),
  },
  { name: 'solve', domains: ['invertible', 'real'], f: (a, b) => solve(a, b) },
  { name: 'inv', domains: ['invertible'], f: (a) => inv(a) },
  { name: 'logdet', domains: ['spd'], f: (a) => logdet(a) },
  { name: 'slogdet', domains: ['invertible'], f: (a) => slogdet(a).logAbsDet },
  { name: 'det', domains: ['invertible'], f: (a) => det(a) },
  { name: 'choleskySolve ∘ cholesky', domains: ['spd', 'real'], f: (a, b) => choleskySolve(cholesky(a), b) },
  { name: 'choleskyLogdet ∘ cholesky', domains: ['spd'], f: (a) => choleskyLogdet(cholesky(a)) },
  { name: 'eigh (values)', domains: ['symmetric'], f: (a) => eigh(a).values },
  { name: 'eigh (vectors)', domains: ['symmetric'], f: (a) => eigh(a).vectors },
]

/** The inputs of a case at size n: n×n matrices, and n×3 right-hand sides. */
const inputsOf = (domains: readonly Domain[], n: number, seed: number): Tensor[] =>
  domains.map((d, i) => mat(d, d === 'real' ? [n, 3] : [n, n], seed + i))

describe('derivatives against finite differences, n up to 64', () => {
  for (const c of cases) {
    test.each([1, 4, 17, 64])(
      `${c.name}, n = %i: ⟨u, J v⟩ by finite differences = ⟨Jᵀu, v⟩ by the VJP to 1e-8`,
      (n) => {
        const xs = inputsOf(c.domains, n, 100 + n)
        const rng = new Rng(n)
        const vs = xs.map((x) => randn([...x.shape], { seed: rng.nextU32() }))
        const [y, pullback] = vjp(c.f, ...xs)
        const u = randn([...y.shape], { seed: rng.nextU32() })
        const gs = pullback(u) as Tensor[]
        const back = gs.reduce((acc, g, i) => acc + sum(mul(g, vs[i]!)).item(), 0)
        const est = fdJvp(c.f, xs, vs)
        const uv = u.dataSync()
        let fwd = 0
        let scale = 0
        let err = 0
        for (let i = 0; i < uv.length; i++) {
          fwd += uv[i]! * est.value[i]!
          scale += Math.abs(uv[i]! * est.value[i]!)
          err += Math.abs(uv[i]!) * est.error[i]!
        }
        expect(err, 'the finite differences are accurate enough to tell').toBeLessThan(
          1e-9 * Math.max(1, scale),
        )
        expect(Math.abs(fwd - back)).toBeLessThanOrEqual(1e-8 * Math.max(1, scale))
        // and forward mode gives the same directional derivative as reverse mode
        const [, dy] = jvp(c.f, xs, vs)
        expect(Math.abs(sum(mul(u, dy)).item() - back)).toBeLessThanOrEqual(1e-12 * Math.max(1, scale))
      },
    )
  }

  test('second order: the Hessian of log det A is −A⁻ᵀ ⊗ A⁻¹ (both modes nested), and of a Cholesky functional by finite differences of its gradient', () => {
    const a = mat('spd', [3, 3], 7)
    const h = hessian((m: Tensor) => logdet(m))(a)
    const ai = inv(a).dataSync()
    const hv = h.dataSync()
    // ∂²/∂A_ij ∂A_kl log det A = −(A⁻¹)_li (A⁻¹)_jk
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 3; k++)
          for (let l = 0; l < 3; l++)
            expect(hv[((i * 3 + j) * 3 + k) * 3 + l]).toBeCloseTo(-ai[l * 3 + i]! * ai[j * 3 + k]!, 12)
    const w = mat('real', [3, 3], 8)
    const f = (m: Tensor) => sum(mul(cholesky(m), w))
    const v = mat('real', [3, 3], 9)
    const [, hvp] = jvp(grad(f), [a], [v])
    const est = fdJvp(grad(f), [a], [v])
    const hvv = hvp.dataSync()
    for (let i = 0; i < 9; i++) expect(Math.abs(hvv[i]! - est.value[i]!)).toBeLessThan(1e-8)
  })

  test('vector mode and stacks: jacfwd = jacrev on batched inputs of every primitive', () => {
    const a = mat('invertible', [2, 3, 3], 10)
    const s = mat('spd', [2, 3, 3], 11)
    const e = mat('symmetric', [2, 3, 3], 12)
    const b = mat('real', [3, 2], 13)
    const fs: [string, (x: Tensor) => Tensor, Tensor][] = [
      ['cholesky', cholesky, s],
      ['triangularSolve', (x) => triangularSolve(x, b, { transpose: true }), a],
      ['triangularSolve of B', (x) => triangularSolve(a, x), b],
      ['solve', (x) => solve(x, b), a],
      ['solve of B', (x) => solve(a, x), b],
      ['logdet', logdet, s],
      ['eigh', (x) => eigh(x).vectors, e],
    ]
    for (const [name, f, x] of fs) expect(maxDiff(jacfwd(f)(x), jacrev(f)(x)), name).toBeLessThan(1e-12)
  })

  test('the cotangents follow the conventions: symmetric for cholesky and eigh, zero outside the triangle for triangularSolve', () => {
    const s = mat('spd', [4, 4], 14)
    const w = mat('real', [4, 4], 15)
    const gc = grad((m: Tensor) => sum(mul(cholesky(m), w)))(s)
    expect(maxDiff(gc, mT(gc))).toBeLessThan(1e-15)
    const ge = grad((m: Tensor) => sum(mul(eigh(m).vectors, w)))(mat('symmetric', [4, 4], 16))
    expect(maxDiff(ge, mT(ge))).toBeLessThan(1e-14)
    const gt = grad((m: Tensor) => sum(triangularSolve(m, w)))(mat('invertible', [4, 4], 17)).dataSync()
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(Math.abs(gt[i * 4 + j]!)).toBe(0)
  })
})

// ---------------------------------------------------------------------------------------------
// what else reads an op: sparsity, FLOP counts, the float32 contracts
// ---------------------------------------------------------------------------------------------

describe('sparsity, FLOPs, float32 contracts', () => {
  test('the Jacobian pattern of a stack is block-diagonal; cholesky reads the leading block and its row', () => {
    const s = mat('spd', [2, 3, 3], 18)
    const p = jacobianSparsity((x: Tensor) => cholesky(x), s).toDense()
    // output L[1, 2, 0] (row 15 of 18) depends on S₀₀ and S₂₀ = (A₀₂ + A₂₀)/2 of matrix 1: inputs 9, 9 + 2, 9 + 6
    expect(p[15]!.flatMap((nz, j) => (nz ? [j] : []))).toEqual([9, 11, 15])
    expect(p[11]!.some((nz) => nz)).toBe(false)
    // the upper triangle of L depends on nothing
    expect(p[1]!.some((nz) => nz)).toBe(false)
  })

  test('countFlops counts n³ per factorization and 2n² per column solved', () => {
    expect(countFlops(() => cholesky(mat('spd', [4, 4], 19)))).toBe(64)
    expect(countFlops(() => solve(mat('invertible', [4, 4], 20), mat('real', [4, 2], 21)))).toBe(
      64 + 2 * 8 * 4,
    )
  })

  test.each(['cholesky', 'triangularSolve', 'solve', 'logAbsDet', 'eigh'] as const)(
    '%s satisfies its op contract in float32 on the cpu backend',
    (name: OpName) => {
      const domain: Domain =
        name === 'cholesky' || name === 'logAbsDet' ? 'spd' : name === 'eigh' ? 'symmetric' : 'invertible'
      const inputs = [
        { shape: [2, 3, 3], domain, seed: 1, dtype: 'float32' as const },
        ...(name === 'triangularSolve' || name === 'solve'
          ? [{ shape: [3, 2], domain: 'real' as const, seed: 2, dtype: 'float32' as const }]
          : []),
      ]
      const params = (
        {
          cholesky: null,
          triangularSolve: { lower: true, transA: true },
          solve: { transA: false },
          logAbsDet: { positive: true },
          eigh: null,
        } as Record<string, unknown>
      )[name]
      const r = checkContract(registry[name] as never, { inputs, params } as never, 3)
      expect(E.isRight(r) ? 'ok' : r.left.message).toBe('ok')
    },
  )
})

// ---------------------------------------------------------------------------------------------
// bad input
// ---------------------------------------------------------------------------------------------

describe('bad input is a typed error naming the op and the shapes', () => {
  const expectError = (f: () => unknown, cls: new (...a: never[]) => Error, message: RegExp) => {
    let error: unknown = null
    try {
      f()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(cls)
    expect((error as Error).message).toMatch(message)
  }

  test('non-square matrices and right-hand sides that do not fit: ShapeError', () => {
    const r = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ])
    expectError(() => cholesky(r), ShapeError, /^cholesky: the matrix must be square.*got \[2, 3\]/)
    expectError(() => solve(r, tensor([1, 2])), ShapeError, /^solve: A must be square.*got \[2, 3\]/)
    expectError(() => inv(tensor([1, 2])), ShapeError, /^inv: .*got \[2\]/)
    expectError(() => det(r), ShapeError, /^det: the matrix must be square.*\[2, 3\]/)
    expectError(() => slogdet(r), ShapeError, /^slogdet: the matrix must be square.*\[2, 3\]/)
    expectError(() => logdet(r), ShapeError, /^logdet: .*\[2, 3\]/)
    expectError(() => eigh(r), ShapeError, /^eigh: .*\[2, 3\]/)
    expectError(() => triangularSolve(r, r), ShapeError, /^triangularSolve: A must be square/)
    expectError(
      () =>
        solve(
          tensor([
            [1, 0],
            [0, 1],
          ]),
          tensor([[1], [2], [3]]),
        ),
      ShapeError,
      /^solve: B must be \[\.\.\., 2, m\] for A of shape \[2, 2\], got \[3, 1\]/,
    )
    expectError(
      () => solve(mat('invertible', [2, 3, 3], 1), mat('real', [4, 3, 1], 2)),
      ShapeError,
      /^solve: /,
    )
  })

  test('singular matrices: LinAlgError with the op, the shape and the matrix of the stack', () => {
    const singular = tensor([
      [1, 2],
      [2, 4],
    ])
    expectError(
      () => solve(singular, tensor([1, 1])),
      LinAlgError,
      /^solve: the matrix \[2, 2\] is singular \(pivot 1 is 0\)/,
    )
    expectError(() => inv(singular), LinAlgError, /^solve: the matrix \[2, 2\] is singular/)
    expectError(() => det(singular), LinAlgError, /^logAbsDet: the matrix \[2, 2\] is singular/)
    expectError(() => logdet(singular), LinAlgError, /^logdet: the matrix \[2, 2\] is singular/)
    const stack = tensor([
      [
        [1, 0],
        [0, 1],
      ],
      [
        [0, 0],
        [0, 1],
      ],
    ])
    expectError(
      () => inv(stack),
      LinAlgError,
      /^solve: matrix 1 of the stack \[2, 2, 2\] is singular \(pivot 0 is 0\)/,
    )
    expectError(
      () =>
        triangularSolve(
          tensor([
            [1, 0],
            [5, 0],
          ]),
          tensor([1, 1]),
        ),
      LinAlgError,
      /^triangularSolve: the matrix \[2, 2\] is singular \(pivot 1 is 0\)/,
    )
    // the gradient goes through the same kernels: no NaN on the way back either
    expectError(() => grad((m: Tensor) => sum(inv(m)))(singular), LinAlgError, /singular/)
    expectError(() => slogdet(singular), LinAlgError, /^logAbsDet: the matrix \[2, 2\] is singular/)
    // the sign alone is defined there: 0
    expect(apply(registry.detSign, [singular], null).item()).toBe(0)
  })

  test('not positive definite, negative determinants, non-finite entries, repeated eigenvalues', () => {
    expectError(
      () =>
        cholesky(
          tensor([
            [1, 2],
            [2, 1],
          ]),
        ),
      LinAlgError,
      /^cholesky: the matrix \[2, 2\] is not positive definite \(pivot 1 is -3\)/,
    )
    expectError(
      () =>
        cholesky(
          tensor([
            [
              [1, 0],
              [0, 1],
            ],
            [
              [-1, 0],
              [0, 1],
            ],
          ]),
        ),
      LinAlgError,
      /^cholesky: matrix 1 of the stack \[2, 2, 2\] is not positive definite \(pivot 0 is -1\)/,
    )
    expectError(
      () =>
        logdet(
          tensor([
            [0, 1],
            [1, 0],
          ]),
        ),
      LinAlgError,
      /^logdet: .*negative determinant; use slogdet/,
    )
    expectError(
      () =>
        cholesky(
          tensor([
            [NaN, 0],
            [0, 1],
          ]),
        ),
      LinAlgError,
      /^cholesky: .*not finite/,
    )
    expectError(
      () =>
        solve(
          tensor([
            [Infinity, 0],
            [0, 1],
          ]),
          tensor([1, 1]),
        ),
      LinAlgError,
      /^solve: .*not finite/,
    )
    expectError(
      () =>
        eigh(
          tensor([
            [NaN, 0],
            [0, 1],
          ]),
        ),
      LinAlgError,
      /^eigh: .*not finite/,
    )
    // the eigenvalues of the identity are fine; the derivative of its eigenvectors is not defined
    expect(eigh(identity(3)).values.toArray()).toEqual([1, 1, 1])
    expectError(
      () => grad((m: Tensor) => sum(mul(eigh(m).vectors, mat('real', [3, 3], 1))))(identity(3)),
      LinAlgError,
      /^eigh: the derivative needs distinct eigenvalues .*; the matrix \[3, 3\] has eigenvalues 1 and 1$/,
    )
    expectError(
      () =>
        grad((m: Tensor) => sum(eigvalsh(m)))(
          tensor([
            [
              [1, 0],
              [0, 2],
            ],
            [
              [3, 0],
              [0, 3],
            ],
          ]),
        ),
      LinAlgError,
      /; matrix 1 of the stack \[2, 2, 2\] has eigenvalues 3 and 3$/,
    )
    const e = expect(() =>
      cholesky(
        tensor([
          [1, 2],
          [2, 1],
        ]),
      ),
    )
    e.toThrow(LinAlgError)
    try {
      cholesky(
        tensor([
          [1, 2],
          [2, 1],
        ]),
      )
    } catch (err) {
      expect((err as LinAlgError).op).toBe('cholesky')
      expect((err as LinAlgError).reason).toBe('not-positive-definite')
    }
  })

  test('a backend without the matrix kernels: BackendError naming the op and the backend', () => {
    const kernels = Object.fromEntries(
      Object.entries(cpuBackend.kernels).filter(
        ([k]) => !(matrixKernelNames as readonly string[]).includes(k),
      ),
    )
    registerBackend({
      ...cpuBackend,
      name: 'cpu-without-matrix',
      kernels: kernels as typeof cpuBackend.kernels,
    })
    const a = tensor(
      [
        [2, 0],
        [0, 2],
      ],
      { backend: 'cpu-without-matrix' },
    )
    for (const f of [
      cholesky,
      inv,
      logdet,
      det,
      (x: Tensor) => eigh(x).values,
      (x: Tensor) => triangularSolve(x, x),
    ]) {
      expectError(
        () => f(a),
        BackendError,
        /^(cholesky|solve|logAbsDet|detSign|eigh|triangularSolve): the cpu-without-matrix backend has no kernel for \1/,
      )
    }
  })
})
