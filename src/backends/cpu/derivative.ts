import { allocArray, type DType, type FloatArray } from '../../core/dtype.js'
import {
  compileSource,
  derivatives,
  derivSource,
  numberAlgebra,
  type DerivName,
} from '../../ops/derivatives.js'

// ---------------------------------------------------------------------------------------------
// The cpu backend's fused derivative kernel, ct · f′(x), with f′ from the derivative table
// (src/ops/derivatives.ts). Evaluating a rule once per element through an algebra object makes
// the kernel's loop call a different rule for each op, a call V8 cannot inline. So the kernel of
// each op is generated from the table instead: the rule, evaluated on the algebra of source
// text (`sourceAlgebra`), writes f′ out as a JavaScript expression, which becomes the body of
// one loop of its own. That loop is monomorphic and its arithmetic inlined: 2-4× faster than calling a
// scalar function per element. Its numbers are those of `numberAlgebra`, to the bit. Where code
// cannot be generated (a Content-Security-Policy without 'unsafe-eval'), the kernel evaluates
// the table on numbers, element by element: the same numbers, more slowly.
// ---------------------------------------------------------------------------------------------

/**
 * out = ct · f′(x), f′ at x and y = f(x); `ct` (and `out`) may be longer than x by a whole
 * number of times (leading batch axes), and f′ is then evaluated once per element of x.
 */
type DerivLoop = (x: FloatArray, y: FloatArray, ct: FloatArray, out: FloatArray) => void

/**
 * The loop of op `op` at parameter p, generated from the table; null where code cannot be
 * generated.
 */
export function generatedLoop(op: DerivName, p: number): DerivLoop | null {
  const d = derivSource(op, p, 'x[i]', 'y[i]')
  return compileSource<DerivLoop>(`return function ${op}Deriv(x, y, ct, out) {
  const n = x.length
  const m = ct.length
  if (m === n) {
    for (let i = 0; i < n; i++) out[i] = ct[i] * ${d}
    return
  }
  const d = new Float64Array(n)
  for (let i = 0; i < n; i++) d[i] = ${d}
  for (let off = 0; off < m; off += n) for (let i = 0; i < n; i++) out[off + i] = ct[off + i] * d[i]
}`)
}

/**
 * The loop of op `op` at parameter p that evaluates the table on numbers, element by element:
 * the kernel where code cannot be generated.
 */
export function evaluatedLoop(op: DerivName, p: number): DerivLoop {
  const rule = derivatives[op]
  return (x, y, ct, out) => {
    const n = x.length
    const m = ct.length
    const d = new Float64Array(n)
    for (let i = 0; i < n; i++) d[i] = rule(numberAlgebra, x[i]!, y[i]!, p)
    for (let off = 0; off < m; off += n) for (let i = 0; i < n; i++) out[off + i] = ct[off + i]! * d[i]!
  }
}

/** The loops made so far, by op and parameter; at most this many parameters are kept per op. */
const loops = new Map<DerivName, Map<number, DerivLoop>>()
const MAX_PARAMS = 64
/** The loop each op used last, and its parameter: found without a lookup when p repeats. */
const last: { [K in DerivName]?: { readonly p: number; readonly loop: DerivLoop } } = {}
/** Whether `new Function` works here (unknown until the first kernel). */
let canGenerate = true

function loopOf(op: DerivName, p: number): DerivLoop {
  const hit = last[op]
  if (hit !== undefined && Object.is(hit.p, p)) return hit.loop
  let byParam = loops.get(op)
  if (byParam === undefined) loops.set(op, (byParam = new Map()))
  let loop = byParam.get(p)
  if (loop === undefined) {
    const generated = canGenerate ? generatedLoop(op, p) : null
    if (generated === null) canGenerate = false
    loop = generated ?? evaluatedLoop(op, p)
    if (byParam.size >= MAX_PARAMS) byParam.clear()
    byParam.set(p, loop)
  }
  last[op] = { p, loop }
  return loop
}

/**
 * ct · f′(x) for the op `op` of the derivative table, from x and y = f(x) (and the exponent p of
 * pow), in `dtype`. `ct` may carry leading batch axes: its length is a multiple of x's.
 */
export function derivMulKernel(
  op: DerivName,
  x: FloatArray,
  y: FloatArray,
  ct: FloatArray,
  p: number,
  dtype: DType,
): FloatArray {
  const out = allocArray(dtype, ct.length)
  loopOf(op, p)(x, y, ct, out)
  return out
}

/** ct · f′(x) on numbers: the body of an op's loop, for one element. */
type DerivNumber = (x: number, y: number, ct: number) => number

/** The number functions made so far, by op and parameter (as `loops`). */
const numberFns = new Map<DerivName, Map<number, DerivNumber>>()

function numberFnOf(op: DerivName, p: number): DerivNumber {
  let byParam = numberFns.get(op)
  if (byParam === undefined) numberFns.set(op, (byParam = new Map()))
  let fn = byParam.get(p)
  if (fn === undefined) {
    const d = canGenerate ? derivSource(op, p, 'x', 'y') : null
    const generated =
      d === null
        ? null
        : compileSource<DerivNumber>(`return function ${op}DerivNumber(x, y, ct) { return ct * ${d} }`)
    if (generated === null) canGenerate = false
    const rule = derivatives[op]
    fn = generated ?? ((x, y, ct) => ct * rule(numberAlgebra, x, y, p))
    if (byParam.size >= MAX_PARAMS) byParam.clear()
    byParam.set(p, fn)
  }
  return fn
}

/** The last op's number function, found without a lookup when the op and p repeat. */
let lastNumber: { op: DerivName; p: number; fn: DerivNumber } | null = null

/**
 * ct · f′(x) on one float64 value: the expression of the op's loop, so the same number as an
 * element of `derivMulKernel`'s float64 output, to the bit.
 */
export function derivMulNumber(op: DerivName, x: number, y: number, ct: number, p: number): number {
  const hit = lastNumber
  if (hit !== null && hit.op === op && Object.is(hit.p, p)) return hit.fn(x, y, ct)
  const fn = numberFnOf(op, p)
  lastNumber = { op, p, fn }
  return fn(x, y, ct)
}
