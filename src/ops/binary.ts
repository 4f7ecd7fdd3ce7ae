import type { BinaryKernelName, Meta } from '../core/backend.js'
import { scalarLike, zerosLike } from './create.js'
import { apply, type Linearity, type OpDef } from '../core/op.js'
import { broadcastShapes } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import { type TensorLike, asTensors, sameDType } from './util.js'

// Elementwise binary ops broadcast like numpy. Their rules see tangents already broadcast to the
// output shape, and return cotangents of the output shape: apply() sums them back to each input.

const broadcastRule =
  (name: string) =>
  ([a, b]: readonly Meta[]): Meta => ({
    shape: broadcastShapes(name, a!.shape, b!.shape),
    dtype: sameDType(name, [a!, b!]),
  })

export function binaryDef(
  name: BinaryKernelName,
  jvp: OpDef<null>['jvp'],
  vjp: OpDef<null>['vjp'],
  constant = false,
  linearity?: Linearity,
): OpDef<null> {
  return {
    name,
    structure: constant ? 'constant' : 'elementwise',
    ...(linearity === undefined ? {} : { linearity }),
    broadcasting: true,
    shape: broadcastRule(name),
    kernel: (be, [ha, hb], [ma, mb], _p, out) => be.kernels[name](ha, hb, ma!, mb!, out),
    jvp,
    vjp,
  }
}

/** A tangent that may be null (a constant input), as a value. */
const orZero = (t: Tensor | null, like: Tensor): Tensor => t ?? zerosLike(like)

// d(a + b) = da + db; add distributes the cotangent to both inputs
export const addOp = binaryDef(
  'add',
  ({ dx: [da, db] }) => (da == null ? db! : db == null ? da : add(da, db)),
  ({ ct }) => [ct, ct],
  false,
  'joint',
)

// d(a - b) = da - db
export const subOp = binaryDef(
  'sub',
  ({ dx: [da, db] }) => (da == null ? neg1(db!) : db == null ? da : sub(da, db)),
  ({ ct, wants }) => [ct, wants[1] ? neg1(ct) : null],
  false,
  'joint',
)

// d(a b) = da b + a db; mul switches: each input's cotangent is scaled by the other input
export const mulOp = binaryDef(
  'mul',
  ({ x: [a, b], dx: [da, db] }) =>
    da == null ? mul(a!, db!) : db == null ? mul(da, b!) : add(mul(da, b!), mul(a!, db)),
  ({ ct, x: [a, b], wants }) => [wants[0] ? mul(ct, b!) : null, wants[1] ? mul(ct, a!) : null],
  false,
  'each',
)

// d(a / b) = da / b - y db / b
export const divOp = binaryDef(
  'div',
  ({ x: [, b], dx: [da, db], y }) => {
    const fromB = db == null ? null : mul(db, div(y, b!))
    const fromA = da == null ? null : div(da, b!)
    return fromA === null ? neg1(fromB!) : fromB === null ? fromA : sub(fromA, fromB)
  },
  ({ ct, x: [, b], y, wants }) => {
    const ctb = div(ct, b!)
    return [wants[0] ? ctb : null, wants[1] ? neg1(mul(ctb, y)) : null]
  },
  false,
  [0],
)

/**
 * The share of the cotangent that max/min routes to `a`: 1 where a wins, 0 where it loses, and
 * 1/2 at ties (the tie is split evenly, as in JAX).
 */
function winnerShare(pick: 'greater' | 'less', a: Tensor, b: Tensor): [Tensor, Tensor] {
  const wa = add(pick === 'greater' ? greater(a, b) : less(a, b), mul(equal(a, b), scalarLike(a, 0.5)))
  return [wa, sub(scalarLike(a, 1), wa)]
}

function chooserDef(name: 'maximum' | 'minimum'): OpDef<null> {
  const pick = name === 'maximum' ? 'greater' : 'less'
  return binaryDef(
    name,
    ({ x: [a, b], dx: [da, db] }) => {
      const [wa, wb] = winnerShare(pick, a!, b!)
      return add(mul(orZero(da ?? null, a!), wa), mul(orZero(db ?? null, b!), wb))
    },
    ({ ct, x: [a, b] }) => {
      const [wa, wb] = winnerShare(pick, a!, b!)
      return [mul(ct, wa), mul(ct, wb)]
    },
  )
}

// max routes the cotangent to the larger input
export const maximumOp = chooserDef('maximum')
export const minimumOp = chooserDef('minimum')

const comparison = (name: BinaryKernelName): OpDef<null> =>
  binaryDef(
    name,
    ({ y }) => y,
    () => [null, null],
    true,
  )

export const greaterOp = comparison('greater')
export const greaterEqualOp = comparison('greaterEqual')
export const lessOp = comparison('less')
export const lessEqualOp = comparison('lessEqual')
export const equalOp = comparison('equal')

export const whereOp: OpDef<null> = {
  name: 'where',
  structure: 'elementwise',
  linearity: [1, 2],
  broadcasting: true,
  shape: ([c, a, b]) => ({
    shape: broadcastShapes('where', broadcastShapes('where', c!.shape, a!.shape), b!.shape),
    dtype: sameDType('where', [a!, b!]),
  }),
  kernel: (be, [hc, ha, hb], [mc, ma, mb], _p, out) => be.kernels.where(hc, ha, hb, mc!, ma!, mb!, out),
  // d where(c, a, b) = where(c, da, db); the condition is piecewise constant
  jvp: ({ x: [c, a, b], dx: [, da, db] }) => where(c!, orZero(da ?? null, a!), orZero(db ?? null, b!)),
  vjp: ({ ct, x: [c], wants }) => {
    const z = zerosLike(ct, [])
    return [null, wants[1] ? where(c!, ct, z) : null, wants[2] ? where(c!, z, ct) : null]
  },
}

const neg1 = (t: Tensor): Tensor => mul(t, scalarLike(t, -1))

/** a + b where either may be absent (a constant input's term). */
export const plus = (a: Tensor | null, b: Tensor | null): Tensor =>
  a === null ? b! : b === null ? a : add(a, b)

/**
 * The partials of atan2(a, b): ∂a = b / (a² + b²), ∂b = −a / (a² + b²); at the origin, where
 * atan2 jumps, both are taken to be 0 (the numerators vanish and the denominator is taken as 1).
 */
function atan2Partials(a: Tensor, b: Tensor): [Tensor, Tensor] {
  const r = add(mul(a, a), mul(b, b))
  const safe = where(equal(r, scalarLike(r, 0)), scalarLike(r, 1), r)
  return [div(b, safe), neg1(div(a, safe))]
}

// d atan2(a, b) = (b da − a db) / (a² + b²)
export const atan2Op = binaryDef(
  'atan2',
  ({ x: [a, b], dx: [da, db] }) => {
    const [pa, pb] = atan2Partials(a!, b!)
    return plus(da == null ? null : mul(da, pa), db == null ? null : mul(db, pb))
  },
  ({ ct, x: [a, b], wants }) => {
    const [pa, pb] = atan2Partials(a!, b!)
    return [wants[0] ? mul(ct, pa) : null, wants[1] ? mul(ct, pb) : null]
  },
)

const bin =
  (def: OpDef<null>) =>
  (a: TensorLike, b: TensorLike): Tensor =>
    apply(def, asTensors(def.name, [a, b]), null)

/**
 * a + b elementwise, with numpy broadcasting.
 * @example
 * import { add, tensor } from 'dualtape'
 * add(tensor([1, 2]), 10).toArray() // [11, 12]
 */
export const add = bin(addOp)
/**
 * a - b elementwise, with broadcasting.
 * @example
 * import { sub, tensor } from 'dualtape'
 * sub(tensor([3, 4]), tensor([1, 1])).toArray() // [2, 3]
 */
export const sub = bin(subOp)
/**
 * a · b elementwise, with broadcasting.
 * @example
 * import { mul, tensor } from 'dualtape'
 * mul(tensor([1, 2]), tensor([3, 4])).toArray() // [3, 8]
 */
export const mul = bin(mulOp)
/**
 * a / b elementwise, with broadcasting.
 * @example
 * import { div, tensor } from 'dualtape'
 * div(tensor([1, 2]), 2).toArray() // [0.5, 1]
 */
export const div = bin(divOp)
/**
 * The larger of a and b elementwise. At ties the gradient is split evenly between the two.
 * @example
 * import { maximum, tensor } from 'dualtape'
 * maximum(tensor([1, 5]), tensor([3, 2])).toArray() // [3, 5]
 */
export const maximum = bin(maximumOp)
/**
 * The smaller of a and b elementwise. At ties the gradient is split evenly between the two.
 * @example
 * import { minimum, tensor } from 'dualtape'
 * minimum(tensor([1, 5]), tensor([3, 2])).toArray() // [1, 2]
 */
export const minimum = bin(minimumOp)
/**
 * 1 where a > b, else 0 (zero derivative).
 * @example
 * import { greater, tensor } from 'dualtape'
 * greater(tensor([1, 5]), 2).toArray() // [0, 1]
 */
export const greater = bin(greaterOp)
/**
 * 1 where a ≥ b, else 0.
 * @example
 * import { greaterEqual, tensor } from 'dualtape'
 * greaterEqual(tensor([2, 1]), 2).toArray() // [1, 0]
 */
export const greaterEqual = bin(greaterEqualOp)
/**
 * 1 where a < b, else 0.
 * @example
 * import { less, tensor } from 'dualtape'
 * less(tensor([1, 5]), 2).toArray() // [1, 0]
 */
export const less = bin(lessOp)
/**
 * 1 where a ≤ b, else 0.
 * @example
 * import { lessEqual, tensor } from 'dualtape'
 * lessEqual(tensor([2, 3]), 2).toArray() // [1, 0]
 */
export const lessEqual = bin(lessEqualOp)
/**
 * 1 where a = b, else 0.
 * @example
 * import { equal, tensor } from 'dualtape'
 * equal(tensor([2, 3]), 2).toArray() // [1, 0]
 */
export const equal = bin(equalOp)

/**
 * The angle of the point (b, a) in (−π, π], elementwise with broadcasting: atan(a / b) in the right
 * quadrant. Its partials are b / (a² + b²) and −a / (a² + b²); at the origin, where the angle jumps,
 * both are taken to be 0.
 * @example
 * import { atan2, tensor } from 'dualtape'
 * atan2(tensor([1, 1]), tensor([1, -1])).toArray() // → [0.7853981633974483, 2.356194490192345]
 */
export const atan2 = bin(atan2Op)

/**
 * `cond ? a : b` elementwise (cond nonzero picks a), broadcasting all three. Only the chosen
 * branch receives gradient; a branch that is not taken but is infinite still yields NaN·0 in
 * its own gradient — see docs/errors.md for the safe pattern.
 * @example
 * import { where, tensor } from 'dualtape'
 * where(tensor([1, 0]), tensor([1, 2]), tensor([3, 4])).toArray() // [1, 4]
 */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  return apply(whereOp, asTensors('where', [cond, a, b]), null)
}
