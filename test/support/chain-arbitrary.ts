/**
 * fast-check arbitraries of structured Jacobians, chains of them, and operator chains, for
 * property tests of the Jacobian algebra and the chain planners (here and in users' suites).
 *
 * Entries are small integers by default, so every product of a short chain is exact in float64
 * and structured results can be compared with dense ones for equality, not closeness.
 */
import fc from 'fast-check'
import { matrix } from '../../src/linalg/matrix.js'
import { formKinds } from '../../src/linalg/product.js'
import {
  BlockRowJacobian,
  DenseJacobian,
  DiagonalJacobian,
  IdentityJacobian,
  MonomialJacobian,
  PermutationJacobian,
  ScaledIdentityJacobian,
  ZeroJacobian,
  type FormKind,
  type JacobianForm,
} from '../../src/linalg/structured.js'
import { chainFromFactors, type JacobianChain } from '../../src/linalg/chain/bracketing.js'
import {
  chainFromOperators,
  operatorFromForm,
  type OperatorChain,
} from '../../src/linalg/chain/matrixFree.js'

/**
 * Options of `formArbitrary` and `chainArbitrary`.
 */
export interface FormArbitraryOptions {
  /** Entries are integers in [-maxValue, maxValue] (default 3). */
  readonly maxValue?: number
  /** Nesting of blockRow factors F in F ⊗ xᵀ (default 1; 0 gives no blockRow). */
  readonly depth?: number
  /** Kinds to draw from (default: all that fit the shape). */
  readonly kinds?: readonly FormKind[]
}

/** Divisors of c, each a possible |x| of a blockRow F ⊗ xᵀ with c columns. */
const divisors = (c: number): number[] =>
  Array.from({ length: c }, (_, t) => t + 1).filter((d) => c % d === 0)

/**
 * Any structured form of shape rows × cols: square kinds when rows = cols, a blockRow F ⊗ xᵀ for
 * every split cols = m·|x|, zero and dense always.
 */
export function formArbitrary(
  rows: number,
  cols: number,
  opts: FormArbitraryOptions = {},
): fc.Arbitrary<JacobianForm> {
  const maxValue = opts.maxValue ?? 3
  const depth = opts.depth ?? 1
  const kinds = opts.kinds ?? formKinds
  const value = fc.integer({ min: -maxValue, max: maxValue })
  const values = (n: number): fc.Arbitrary<Float64Array> =>
    fc.array(value, { minLength: n, maxLength: n }).map((v) => Float64Array.from(v))
  const perm = (n: number): fc.Arbitrary<Int32Array> =>
    fc
      .shuffledSubarray(
        Array.from({ length: n }, (_, t) => t),
        { minLength: n, maxLength: n },
      )
      .map((p) => Int32Array.from(p))
  const square = rows === cols
  const options: { arbitrary: fc.Arbitrary<JacobianForm>; weight: number }[] = []
  const add = (kind: FormKind, weight: number, arbitrary: () => fc.Arbitrary<JacobianForm>): void => {
    if (kinds.includes(kind)) options.push({ arbitrary: arbitrary(), weight })
  }
  add('zero', 1, () => fc.constant(new ZeroJacobian(rows, cols)))
  add('dense', 4, () => values(rows * cols).map((d) => new DenseJacobian({ rows, cols, data: d })))
  if (square) {
    add('identity', 2, () => fc.constant(new IdentityJacobian(rows)))
    add('scaledIdentity', 2, () => value.map((a) => new ScaledIdentityJacobian(rows, a)))
    add('diagonal', 4, () => values(rows).map((d) => new DiagonalJacobian(d)))
    add('permutation', 3, () => perm(rows).map((p) => new PermutationJacobian(p)))
    add('monomial', 3, () => fc.tuple(perm(rows), values(rows)).map(([p, v]) => new MonomialJacobian(p, v)))
  }
  if (depth > 0 && cols > 0) {
    add('blockRow', 3, () =>
      fc
        .constantFrom(...divisors(cols))
        .chain((n) =>
          fc.tuple(
            formArbitrary(rows, cols / n, {
              ...opts,
              depth: depth - 1,
              kinds: kinds.filter((k) => k !== 'zero'),
            }),
            values(n),
          ),
        )
        .map(([f, x]) => (f.kind === 'zero' ? new ZeroJacobian(rows, cols) : new BlockRowJacobian(f, x))),
    )
  }
  if (options.length === 0) {
    return values(rows * cols).map((d) => new DenseJacobian(matrix(rows, cols, d)))
  }
  return fc.oneof(...options)
}

/**
 * Options of `chainArbitrary` and `operatorChainArbitrary`.
 */
export interface ChainArbitraryOptions extends FormArbitraryOptions {
  readonly minLength?: number
  readonly maxLength?: number
  /** Widths are drawn from 1..maxWidth (default 6). */
  readonly maxWidth?: number
  /** Chance that a width repeats its predecessor, which allows square forms (default 0.5). */
  readonly repeat?: number
}

/**
 * Widths n_0 … n_L of a chain: each repeats the previous one with probability `repeat`.
 */
export function widthsArbitrary(opts: ChainArbitraryOptions = {}): fc.Arbitrary<number[]> {
  const maxWidth = opts.maxWidth ?? 6
  const repeat = opts.repeat ?? 0.5
  const steps = fc.array(
    fc.record({ same: fc.double({ min: 0, max: 1, noNaN: true }), w: fc.integer({ min: 1, max: maxWidth }) }),
    {
      minLength: opts.minLength ?? 1,
      maxLength: opts.maxLength ?? 5,
    },
  )
  return fc.tuple(fc.integer({ min: 1, max: maxWidth }), steps).map(([n0, st]) => {
    const widths = [n0]
    for (const s of st) widths.push(s.same < repeat ? widths[widths.length - 1]! : s.w)
    return widths
  })
}

/**
 * A chain of structured factors with random widths and forms.
 */
export function chainArbitrary(opts: ChainArbitraryOptions = {}): fc.Arbitrary<JacobianChain> {
  return widthsArbitrary(opts).chain((w) =>
    fc
      .tuple(...w.slice(1).map((rows, t) => formArbitrary(rows, w[t]!, opts)))
      .map((factors) => chainFromFactors(factors)),
  )
}

/**
 * A chain of operators made from random structured factors, with random integer costs per tangent
 * and adjoint application in [1, maxCost] and, for some factors, a dense evaluation cost.
 */
export function operatorChainArbitrary(
  opts: ChainArbitraryOptions & { readonly maxCost?: number; readonly dense?: boolean } = {},
): fc.Arbitrary<OperatorChain> {
  const cost = fc.integer({ min: 1, max: opts.maxCost ?? 50 })
  return chainArbitrary(opts).chain((chain) =>
    fc
      .tuple(
        ...chain.factors.map(() =>
          fc.record({
            matvec: cost,
            vecmat: cost,
            dense: opts.dense === false ? fc.constant(null) : fc.option(cost),
          }),
        ),
      )
      .map((costs) =>
        chainFromOperators(
          chain.factors.map((f, t) => {
            const c = costs[t]!
            const op = operatorFromForm(f, c.dense === null ? {} : { denseCost: c.dense * 10 })
            return { ...op, matvecCost: c.matvec, vecmatCost: c.vecmat }
          }),
        ),
      ),
  )
}
