import type { UnaryKernelName } from '../core/backend.js'
import { scalarLike } from './create.js'
import { checkNonFinite, watchingOps } from '../core/debug.js'
import { escapedTracer, isActive } from '../core/levels.js'
import { apply, topLevel, type OpDef } from '../core/op.js'
import { shapesEqual } from '../core/shape.js'
import { Tensor } from '../core/tensor.js'
import {
  add,
  binaryDef,
  div,
  equal,
  greater,
  greaterEqual,
  lessEqual,
  mul,
  plus,
  sub,
  where,
} from './binary.js'
import { linear } from './linear.js'
import { derivatives, derivNames, type DerivAlgebra, type DerivName } from './derivatives.js'

// ---------------------------------------------------------------------------------------------
// The definitions of the unary elementwise ops. Each differentiable one takes its derivative from
// the table (src/ops/derivatives.ts); its JVP rule (dy = f′ · dx) and its VJP rule (x̄ = f′ · ȳ)
// both come from it through derivMul. The public functions are in src/ops/unary.ts.
// ---------------------------------------------------------------------------------------------

/**
 * The derivative table on tensors: f′ as differentiable ops, so that the rules can be
 * differentiated again.
 */
export const tensorAlgebra: DerivAlgebra<Tensor> = {
  add,
  sub,
  mul,
  div,
  neg: (a) => apply(negOp, [a], null),
  scalar: scalarLike,
  sin: (a) => apply(elementwiseOps.sin, [a], null),
  cos: (a) => apply(elementwiseOps.cos, [a], null),
  sigmoid: (a) => apply(elementwiseOps.sigmoid, [a], null),
  sign: (a) => apply(signOp, [a], null),
  step: (a) => greater(a, scalarLike(a, 0)),
  pow: (a, p) => apply(powOp, [a], { p }),
  exp: (a) => apply(elementwiseOps.exp, [a], null),
  sinh: (a) => apply(elementwiseOps.sinh, [a], null),
  cosh: (a) => apply(elementwiseOps.cosh, [a], null),
}

/**
 * ct · f′(x): one fused kernel pass on plain data (and on a cotangent batched by vmap); the
 * differentiable composition
 * `mul(ct, f′(x, y))` under a transformation, so higher derivatives stay exact.
 */
export function derivMul(op: DerivName, x: Tensor, y: Tensor, ct: Tensor, p = 0): Tensor {
  const xi = x.impl
  const yi = y.impl
  const ci = ct.impl
  // all three plain data (no level among them) on one backend
  if (
    xi.kind === 'concrete' &&
    yi.kind === 'concrete' &&
    ci.kind === 'concrete' &&
    xi.backend === ci.backend
  ) {
    const backend = xi.backend
    const h = backend.kernels.derivMul(op, xi.handle, yi.handle, ci.handle, x, ct, p)
    const out = new Tensor(ct.shape, ct.dtype, { kind: 'concrete', backend, handle: h }, true)
    if (watchingOps()) checkNonFinite(`${op}′`, [x, y, ct], out)
    return out
  }
  // a cotangent batched by vmap, x and y either batched with it or shared by every example: one
  // fused pass over the batch (the kernel takes a cotangent with a leading batch axis)
  if (ci.kind === 'batch' && shapesEqual(x.shape, ct.shape)) {
    const level = ci.level
    const xb = xi.kind === 'batch' && xi.level === level
    const yb = yi.kind === 'batch' && yi.level === level
    if (xb === yb && topLevel([x, y, ct]) === level) {
      if (!isActive(level)) throw escapedTracer(`${op}′`, level)
      const batch = derivMul(op, xb ? xi.primal : x, yb ? yi.primal : y, ci.primal, p)
      return new Tensor(ct.shape, ct.dtype, { kind: 'batch', level, primal: batch }, true)
    }
  }
  return mul(ct, derivatives[op](tensorAlgebra, x, y, p))
}

/**
 * The unary elementwise ops whose definition follows from the derivative table alone: every op
 * of the table but pow, which takes a parameter.
 */
export type ElementwiseName = Exclude<DerivName, 'pow'>

function elementwise(name: ElementwiseName): OpDef<null> {
  return {
    name,
    structure: 'elementwise',
    shape: ([m]) => m!,
    kernel: (b, [h], [m]) => b.kernels[name satisfies UnaryKernelName](h, m!),
    jvp: ({ x: [x], dx: [dx], y }) => derivMul(name, x!, y, dx!),
    vjp: ({ ct, x: [x], y }) => [derivMul(name, x!, y, ct)],
    derivative: { name, p: () => 0 },
  }
}

/**
 * The definition of each op of the derivative table but pow, by name.
 */
export const elementwiseOps = Object.fromEntries(
  derivNames.filter((k): k is ElementwiseName => k !== 'pow').map((k) => [k, elementwise(k)]),
) as { readonly [K in ElementwiseName]: OpDef<null> }

/** -x: linear, its rules are itself. */
export const negOp: OpDef<null> = linear({
  name: 'neg',
  structure: 'elementwise',
  shape: ([m]) => m!,
  kernel: (b, [h], [m]) => b.kernels.neg(h, m!),
  vjp: ({ ct }) => [apply(negOp, [ct], null)],
})

/** xᵖ: its derivative is the table's, at the parameter p. */
export const powOp: OpDef<{ readonly p: number }> = {
  name: 'pow',
  structure: 'elementwise',
  shape: ([m]) => m!,
  kernel: (b, [h], [m], { p }) => b.kernels.pow(h, m!, p),
  jvp: ({ x: [x], dx: [dx], y, params: { p } }) => derivMul('pow', x!, y, dx!, p),
  vjp: ({ ct, x: [x], y, params: { p } }) => [derivMul('pow', x!, y, ct, p)],
  derivative: { name: 'pow', p: ({ p }) => p },
}

/** The sign: piecewise constant, so its derivative is 0. */
export const signOp: OpDef<null> = {
  name: 'sign',
  structure: 'constant',
  shape: ([m]) => m!,
  kernel: (b, [h], [m]) => b.kernels.sign(h, m!),
  jvp: ({ y }) => y,
  vjp: () => [null],
}

/**
 * The partials of z = xʸ: ∂x = y xʸ⁻¹ (0 where y = 0, also at x = 0), and ∂y = z log x for x > 0,
 * 0 for x ≤ 0, where xʸ is real only at integer y and is not differentiable in y.
 */
function powPartials(
  x: Tensor,
  e: Tensor,
  z: Tensor,
  which: readonly boolean[],
): [Tensor | null, Tensor | null] {
  const zero = scalarLike(x, 0)
  const px = which[0]
    ? where(equal(e, zero), zero, mul(e, apply(powTensorOp, [x, sub(e, scalarLike(e, 1))], null)))
    : null
  let pe: Tensor | null = null
  if (which[1]) {
    const positive = greater(x, zero)
    // log of 1 where x ≤ 0, so that the branch not taken holds no NaN
    pe = where(
      positive,
      mul(z, apply(elementwiseOps.log, [where(positive, x, scalarLike(x, 1))], null)),
      zero,
    )
  }
  return [px, pe]
}

// d xʸ = y xʸ⁻¹ dx + xʸ log x dy
export const powTensorOp: OpDef<null> = binaryDef(
  'powTensor',
  ({ x: [x, e], dx: [dx, de], y }) => {
    const [px, pe] = powPartials(x!, e!, y, [dx != null, de != null])
    return plus(dx == null ? null : mul(dx, px!), de == null ? null : mul(de, pe!))
  },
  ({ ct, x: [x, e], y, wants }) => {
    const [px, pe] = powPartials(x!, e!, y, wants)
    return [px === null ? null : mul(ct, px), pe === null ? null : mul(ct, pe)]
  },
)

/** The bounds of clip. */
export interface ClipParams {
  readonly lo: number
  readonly hi: number
}

/** 1 on [lo, hi], the bounds included, 0 outside: the derivative of clip. */
const clipMask = (x: Tensor, { lo, hi }: ClipParams): Tensor =>
  mul(greaterEqual(x, scalarLike(x, lo)), lessEqual(x, scalarLike(x, hi)))

// d clip(x, lo, hi) = [lo ≤ x ≤ hi] dx: 1 at the bounds themselves (as PyTorch's clamp)
export const clipOp: OpDef<ClipParams> = {
  name: 'clip',
  structure: 'elementwise',
  shape: ([m]) => m!,
  kernel: (b, [h], [m], { lo, hi }) => b.kernels.clip(h, m!, lo, hi),
  jvp: ({ x: [x], dx: [dx], params }) => mul(dx!, clipMask(x!, params)),
  vjp: ({ ct, x: [x], params }) => [mul(ct, clipMask(x!, params))],
}
