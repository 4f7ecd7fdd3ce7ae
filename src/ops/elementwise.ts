import type { UnaryKernelName } from '../core/backend.js'
import { scalarLike } from './create.js'
import { checkNonFinite, watchingOps } from '../core/debug.js'
import { escapedTracer, isActive } from '../core/levels.js'
import { apply, topLevel, type OpDef } from '../core/op.js'
import { shapesEqual } from '../core/shape.js'
import { Tensor } from '../core/tensor.js'
import { add, div, greater, mul, sub } from './binary.js'
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
