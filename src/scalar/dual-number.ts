import { compileSource, derivatives as D, derivSource, numberAlgebra as N } from '../ops/derivatives.js'
import type { Dual, DualNumeric } from './dual.js'
import { coefficient, coefficientCount, NumberField, truncQuotient } from './numeric.js'
import { CONSTANT, freshTag, joinTags, wrongTag } from './tags.js'

// -------------------------------------------------------------------------------------
// first-order duals over numbers
// -------------------------------------------------------------------------------------

/*
 * The same algebra as `dualAt(NumberField, tag)`, written on raw float64 parts: one small
 * object of one shape per operation, no calls through an inner algebra. `derivative` uses it
 * whenever the inner algebra is `NumberField`; duals of duals go through `dualAt`.
 */

class NumberDual implements Dual<number> {
  declare readonly re: number
  declare readonly du: number
  declare readonly tag: number
  constructor(re: number, du: number, tag: number) {
    this.re = re
    this.du = du
    this.tag = tag
  }
}

type Ops = Omit<DualNumeric<number>, 'tag' | 'make' | 'variable' | 'primal' | 'tangent'>

/** The elementwise ops of the algebra that are in the derivative table, each Math's function of that name. */
type TableOp = 'exp' | 'log' | 'sin' | 'cos' | 'tan' | 'tanh' | 'sqrt' | 'abs'

/**
 * The operation `op` on float64 duals, f(a + b ε) = f(a) + f′(a) b ε with f′ from the derivative
 * table, written into its source: the same code as the formula written out by hand, which V8
 * inlines whole (a call to a separate f′, even a small one, uses up its inlining budget for the
 * function being differentiated sooner). Where code cannot be generated, the table is evaluated
 * on numbers at each call.
 */
function tableOp(op: TableOp): (x: Dual<number>) => Dual<number> {
  const f: (a: number) => number = Math[op]
  const compiled = compileSource<(x: Dual<number>) => Dual<number>>(
    `return function ${op}(x) {\n` +
      '  const a = x.re\n' +
      `  const y = Math.${op}(a)\n` +
      `  return new NumberDual(y, ${derivSource(op, 0, 'a', 'y')} * x.du, x.tag)\n}`,
    { NumberDual },
  )
  return (
    compiled ??
    ((x) => {
      const y = f(x.re)
      return new NumberDual(y, D[op](N, x.re, y, 0) * x.du, x.tag)
    })
  )
}

/** The operations, shared by every tag: a dual's tag travels in the dual itself. */
const ops: Ops = {
  base: NumberField,
  lift: (x) => new NumberDual(x, 0, CONSTANT),
  zero: new NumberDual(0, 0, CONSTANT),
  one: new NumberDual(1, 0, CONSTANT),
  fromNumber: (x) => new NumberDual(x, 0, CONSTANT),
  toNumber: (x) => x.re,
  lt: (x, y) => x.re < y.re,
  gt: (x, y) => x.re > y.re,
  degree: () => 1,
  // d(x + y) = dx + dy
  add: (x, y) => new NumberDual(x.re + y.re, x.du + y.du, joinTags(x.tag, y.tag)),
  // d(x - y) = dx - dy
  sub: (x, y) => new NumberDual(x.re - y.re, x.du - y.du, joinTags(x.tag, y.tag)),
  // d(-x) = -dx
  neg: (x) => new NumberDual(-x.re, -x.du, x.tag),
  // d(x y) = dx y + x dy
  mul: (x, y) => new NumberDual(x.re * y.re, x.du * y.re + x.re * y.du, joinTags(x.tag, y.tag)),
  // d(x / y) = (dx - q dy) / y with q = x / y
  div: (x, y) => {
    const q = x.re / y.re
    return new NumberDual(q, (x.du - q * y.du) / y.re, joinTags(x.tag, y.tag))
  },
  // d(x mod y) = dx - k dy with k = trunc(x / y), locally constant
  mod: (x, y) => new NumberDual(x.re % y.re, x.du - truncQuotient(x.re, y.re) * y.du, joinTags(x.tag, y.tag)),
  // d f(x) = f′(x) dx, f′ from the derivative table
  exp: tableOp('exp'),
  log: tableOp('log'),
  sin: tableOp('sin'),
  cos: tableOp('cos'),
  tan: tableOp('tan'),
  tanh: tableOp('tanh'),
  sqrt: tableOp('sqrt'),
  // pow's f′ depends on its exponent: the table on numbers at each call
  pow: (x, p) => {
    const y = Math.pow(x.re, p)
    return new NumberDual(y, D.pow(N, x.re, y, p) * x.du, x.tag)
  },
  abs: tableOp('abs'),
  // p(a + b ε) = p(a) + p′(a) b ε: p and p′ by one Horner loop on numbers, one dual at the end
  polyval: (cs, x) => {
    const n = coefficientCount(cs)
    const a = x.re
    let p = 0
    let dp = 0
    for (let i = 0; i < n; i++) {
      dp = dp * a + p
      p = p * a + coefficient(cs, i)
    }
    return new NumberDual(p, dp * x.du, x.tag)
  },
}

/*
 * One small object per derivative call, holding only the tag. The shared operations sit on
 * its prototype, so code that calls them stays monomorphic across calls; the tag-dependent
 * members are getters that return functions bound to the tag, so destructuring
 * `const { variable, tangent } = D` works as for every other member.
 */
class NumberDualAlgebra {
  declare readonly tag: number
  constructor(tag: number) {
    this.tag = tag
  }
  get make(): (re: number, du: number) => Dual<number> {
    const tag = this.tag
    return (re, du) => new NumberDual(re, du, tag)
  }
  get variable(): (x: number) => Dual<number> {
    const tag = this.tag
    return (x) => new NumberDual(x, 1, tag)
  }
  get primal(): (x: Dual<number>) => number {
    const tag = this.tag
    return (x) => {
      if (x.tag !== tag && x.tag !== CONSTANT) throw wrongTag('primal', tag, x)
      return x.re
    }
  }
  get tangent(): (x: Dual<number>) => number {
    const tag = this.tag
    return (x) => numberTangent('tangent', x, tag)
  }
}
Object.setPrototypeOf(NumberDualAlgebra.prototype, ops)

/**
 * The first-order dual algebra over plain numbers with the given tag (`DualNumber` has a
 * fixed one; `derivative` takes a fresh one per call).
 */
export const dualNumberAt = (tag: number): DualNumeric<number> =>
  new NumberDualAlgebra(tag) as unknown as DualNumeric<number>

/**
 * The dual `x + 1·ε` of tag `tag`: the seed of a derivative call.
 */
export const numberVariable = (x: number, tag: number): Dual<number> => new NumberDual(x, 1, tag)

/**
 * The tangent of `y`, a dual of tag `tag` or a constant; `op` names the caller in the
 * `TagError` thrown for any other value.
 */
export const numberTangent = (op: string, y: Dual<number>, tag: number): number => {
  if (y.tag !== tag && y.tag !== CONSTANT) throw wrongTag(op, tag, y)
  return y.du
}

/**
 * The first-order dual algebra over plain numbers, with a fixed tag of its own: for building
 * duals by hand. Its variables cannot be mixed with those of a `derivative` call (its
 * constants can: they carry no perturbation).
 *
 * @example
 * import { DualNumber } from 'dualtape/scalar'
 * const D = DualNumber
 * const y = D.div(D.one, D.variable(4)) // 1/x at 4
 * console.log(D.primal(y), D.tangent(y)) // 0.25 -0.0625
 */
export const DualNumber: DualNumeric<number> = dualNumberAt(freshTag())
