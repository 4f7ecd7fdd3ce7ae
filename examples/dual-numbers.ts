/**
 * Scalar dual numbers and Taylor mode. One function, written once against the numeric
 * algebra, runs on plain numbers, on dual numbers (a derivative), on duals of duals (a nested
 * derivative that captures the outer variable) and on jets (a Taylor expansion).
 *
 * Run: npx tsx examples/dual-numbers.ts
 *
 * @module
 */
import { derivative, NumberField, taylor, type NumericFn } from '../src/scalar/index.js'

// f(x) = x · sin x, written once for every number type
const f: NumericFn = (N) => (x) => N.mul(x, N.sin(x))

const x = 2
console.log(`f(${x})   = ${f(NumberField)(x)}`)
// f′(x) = sin x + x cos x
console.log(`f′(${x})  = ${derivative(f)(x)}   (sin x + x cos x = ${Math.sin(x) + x * Math.cos(x)})`)

// d/dx [x · d/dy (x + y) at y = 1] at x = 1: the inner derivative is 1, so the answer is 1.
// The inner call captures x; D.lift makes it a constant of the inner call, and each call's
// tag keeps the two perturbations apart.
const nested = derivative((N) => (u) => N.mul(u, derivative((D) => (y) => D.add(D.lift(u), y), N)(N.one)))
console.log(`d/dx [x · d/dy (x + y)] at x = 1: ${nested(1)}`)

// all derivatives of f up to order 6 at x = 2, in one pass on jets
console.log(`[f, f′, …, f⁽⁶⁾](${x}) =`)
for (const [k, d] of taylor(f, x, 6).entries()) console.log(`  k = ${k}: ${d}`)
