import { allocArray } from '../core/dtype.js'
import { fromData, onesLike } from '../ops/create.js'
import { observeOps } from '../core/debug.js'
import { ValueError } from '../core/errors.js'
import { describe, type OpStructure } from '../core/op.js'
import { type Tensor, isTensor, readConcrete } from '../core/tensor.js'
import { jvp } from '../forward/jvp.js'
import { registry } from '../ops/registry.js'
import { vjp } from '../reverse/vjp.js'
import { linearize } from '../linearize/linearize.js'
import { vmap } from '../vmap/vmap.js'
import { jacobian } from '../jacobian/builders.js'
import { chainFromFactors, type JacobianChain } from './chain/bracketing.js'
import { chainFromOperators, type JacobianOperator, type OperatorChain } from './chain/matrixFree.js'
import { matrix } from './matrix.js'
import {
  denseJacobian,
  diagonalJacobian,
  monomialJacobian,
  permutationJacobian,
  zeroJacobian,
  type JacobianForm,
} from './structured.js'
import { jacobianSparsity } from '../jacobian/sparsity.js'

// ---------------------------------------------------------------------------------------------
// From functions on tensors to the structured Jacobian algebra: the local Jacobian of a layer
// in the cheapest exact form, chains traced through a composition of layers, and matrix-free
// chains whose factors are the engine's own JVP and VJP.
// ---------------------------------------------------------------------------------------------

/**
 * A layer: a function of one tensor.
 *
 * @example
 * import { traceChain, type Layer } from 'dualtape/linalg'
 * import { matmul, relu, tensor } from 'dualtape'
 * const W = tensor([[1, 2], [3, 4]])
 * const layers: Layer[] = [(h) => matmul(W, h), relu]
 * traceChain(layers, tensor([1, 1])).chain.factors.map((f) => f.kind) // → ['dense', 'diagonal']
 */
export type Layer = (x: Tensor) => Tensor

const flat = (t: Tensor): Float64Array => Float64Array.from(readConcrete(t))

/**
 * The FLOPs of the ops that `body` runs on data, by the structure of each op (`OpDef.structure`):
 * 2·m·n·k for a matrix product, one per output element for elementwise ops and ops of unknown
 * structure (custom ops) and for piecewise-constant ones (sign, the comparisons), two for a fused
 * derivative kernel, one per input element for a reduction, n³ per n×n matrix factorized and
 * 2n² per column solved for the matrix functions of `dualtape/matrix`; layout ops (moving data) and
 * stopGradient (the identity on values) count nothing.
 *
 * @example
 * import { countFlops } from 'dualtape/linalg'
 * import { matmul, ones } from 'dualtape'
 * countFlops(() => matmul(ones([2, 3]), ones([3, 4]))) // 48
 */
export function countFlops(body: () => unknown): number {
  if (typeof body !== 'function') throw new ValueError('countFlops: the argument must be a function')
  let flops = 0
  const stop = observeOps((op, inputs, y) => {
    flops += opFlops(op, inputs, y)
  })
  try {
    body()
  } finally {
    stop()
  }
  return flops
}

/** The structure of an op by its name; a fused derivative kernel (`tanh′`) is reported apart. */
function structureOf(op: string): OpStructure | 'derivative' {
  if (op.endsWith('′')) return 'derivative'
  return (
    (registry as Readonly<Record<string, { readonly structure: OpStructure } | undefined>>)[op]?.structure ??
    'opaque'
  )
}

function opFlops(op: string, inputs: readonly Tensor[], y: Tensor): number {
  switch (structureOf(op)) {
    case 'layout':
      // copies, selections and zeros: no arithmetic
      return 0
    case 'constant':
      // piecewise constant: sign and the comparisons compute one value per element;
      // stopGradient is the identity on values and computes nothing
      return op === registry.stopGradient.name ? 0 : y.size
    case 'matmul': {
      // y = op(A)·op(B), op(A) of size m×k whichever way A is stored: k = (A's last two sizes) / m
      const a = inputs[0]!
      const m = y.shape[y.rank - 2]!
      const k = m === 0 ? 0 : (a.shape[a.rank - 1]! * a.shape[a.rank - 2]!) / m
      return 2 * y.size * k
    }
    case 'reduce':
      return inputs[0]!.size
    case 'matrix': {
      // a factorization of each n×n matrix (n³, the order of Cholesky's n³/3 and LU's 2n³/3), and
      // 2n² per column solved
      const a = inputs[0]!
      const n = a.shape[a.rank - 1]!
      const rhs = inputs.length > 1 ? 2 * y.size * n : 0
      return (a.size / Math.max(1, n)) * n * n + rhs
    }
    case 'derivative':
      // ct · f′(x, y): f′ and the product
      return 2 * y.size
    case 'elementwise':
    case 'opaque':
      return y.size
  }
}

/**
 * The local Jacobian of `f` at `x` (flattened row-major: rows are output elements, columns input
 * elements) in the cheapest exact structured form: zero, diagonal (elementwise layers: one JVP,
 * never formed densely), permutation or monomial (layout ops), or dense (by the cheaper mode).
 * The structure is found by sparsity detection.
 *
 * @example
 * import { localJacobian } from 'dualtape/linalg'
 * import { relu, tensor } from 'dualtape'
 * localJacobian(relu, tensor([1, -2, 3, -1])).kind // 'diagonal'
 */
export function localJacobian(f: Layer, x: Tensor): JacobianForm {
  if (typeof f !== 'function') throw new ValueError('localJacobian: the first argument must be a function')
  if (!isTensor(x)) throw new ValueError('localJacobian: x must be a Tensor')
  const pattern = jacobianSparsity(f, x)
  const m = pattern.nRows
  const n = pattern.nCols
  if (pattern.nnz === 0) return zeroJacobian(m, n)
  let oneToOne = pattern.nnz === m && m === n
  for (let i = 0; i < m && oneToOne; i++) oneToOne = pattern.rowNnz(i) === 1
  for (let j = 0; j < n && oneToOne; j++) oneToOne = pattern.colNnz(j) === 1
  if (oneToOne) {
    // one nonzero per row and per column: J·1 gives every value in one JVP
    const [, dy] = jvp(f, [x], [onesLike(x)]) as [Tensor, Tensor]
    const values = flat(dy)
    const perm = Array.from({ length: m }, (_, i) => pattern.row(i)[0]!)
    if (perm.every((p, i) => p === i)) return diagonalJacobian(values)
    return values.every((v) => v === 1) ? permutationJacobian(perm) : monomialJacobian(perm, values)
  }
  const J = jacobian(f)(x) as Tensor
  return denseJacobian(matrix(m, n, flat(J)))
}

/**
 * A Jacobian chain traced through layers, with the layers' output.
 *
 * @example
 * import { traceChain, type TracedChain } from 'dualtape/linalg'
 * import { matmul, relu, tensor } from 'dualtape'
 * const W = tensor([[1, 2], [3, 4]])
 * const traced: TracedChain = traceChain([(h) => matmul(W, h), relu], tensor([1, 1]))
 * traced.output // → [3, 7]
 * traced.points // → [[1, 1], [3, 7]]: the input of each layer
 */
export interface TracedChain {
  readonly chain: JacobianChain
  readonly output: Tensor
  /** The point each layer was linearised at (the input of layer i is `points[i]`). */
  readonly points: readonly Tensor[]
}

/**
 * The chain J = J_L ⋯ J_1 of a composition of layers at x: each factor is the local Jacobian of
 * one layer at the point the forward pass reaches it, in structured form.
 *
 * @example
 * import { traceChain, plan } from 'dualtape/linalg'
 * import { tanh, relu, matmul, randn } from 'dualtape'
 * const W = randn([3, 3], { seed: 1 })
 * const { chain } = traceChain([(h) => matmul(W, h), relu, tanh], randn([3], { seed: 2 }))
 * plan(chain, 'optimal').toString()
 */
export function traceChain(layers: readonly Layer[], x: Tensor): TracedChain {
  if (!Array.isArray(layers) || layers.length === 0)
    throw new ValueError('traceChain: expected a non-empty array of layers')
  if (!isTensor(x)) throw new ValueError(`traceChain: x must be a Tensor, got ${describe(x)}`)
  const points: Tensor[] = []
  const factors: JacobianForm[] = []
  let h = x
  layers.forEach((layer, i) => {
    if (typeof layer !== 'function') throw new ValueError(`traceChain: layer ${i} is not a function`)
    points.push(h)
    factors.push(localJacobian(layer, h))
    h = layer(h)
    if (!isTensor(h)) throw new ValueError(`traceChain: layer ${i} returned ${describe(h)}, not a Tensor`)
  })
  return { chain: chainFromFactors(factors), output: h, points }
}

/**
 * The matrix-free chain of a composition of layers at x: factor i is available only through the
 * engine's JVP (v ↦ J_i v, the layer linearized once at its input by `linearize`, so that each
 * application runs only the tangent ops, not the layer's primal) and VJP (u ↦ uᵀJ_i, one pullback
 * of a tape recorded once), each with its cost in FLOPs counted on one application.
 *
 * @example
 * import { operatorChain, plan } from 'dualtape/linalg'
 * import { tanh, matmul, randn } from 'dualtape'
 * const W = randn([4, 4], { seed: 1 })
 * const chain = operatorChain([(h) => tanh(matmul(W, h)), (h) => tanh(matmul(W, h))], randn([4], { seed: 2 }))
 * plan(chain, 'optimal').toString()
 */
export function operatorChain(layers: readonly Layer[], x: Tensor): OperatorChain {
  if (!Array.isArray(layers) || layers.length === 0)
    throw new ValueError('operatorChain: expected a non-empty array of layers')
  if (!isTensor(x)) throw new ValueError(`operatorChain: x must be a Tensor, got ${describe(x)}`)
  const operators: JacobianOperator[] = []
  let h = x
  for (const [i, layer] of layers.entries()) {
    if (typeof layer !== 'function') throw new ValueError(`operatorChain: layer ${i} is not a function`)
    const at = h
    const [y, pullback] = vjp(layer, at) as [Tensor, (ct: Tensor) => Tensor[]]
    if (!isTensor(y)) throw new ValueError(`operatorChain: layer ${i} returned ${describe(y)}, not a Tensor`)
    const [, jvpFn] = linearize(layer, at) as [Tensor, (v: Tensor) => Tensor]
    // `count` vectors, one after another, as a tensor shaped like `like` (with a leading batch
    // axis when count is not null)
    const batchOf = (vs: Float64Array, count: number | null, like: Tensor): Tensor => {
      const a = allocArray(like.dtype, vs.length)
      a.set(vs)
      return fromData(a, count === null ? like.shape : [count, ...like.shape], like.backend)
    }
    const op: JacobianOperator = {
      rows: y.size,
      cols: at.size,
      matvec: (v) => flat(jvpFn(batchOf(v, null, at))),
      vecmat: (u) => flat(pullback(batchOf(u, null, y))[0]!),
      // every column in one batched tangent sweep, every row in one batched pullback
      matvecs: (vs, count) => flat(vmap(jvpFn)(batchOf(vs, count, at)) as Tensor),
      vecmats: (us, count) => flat(vmap((u: Tensor) => pullback(u)[0]!)(batchOf(us, count, y)) as Tensor),
      matvecCost: countFlops(() => jvpFn(onesLike(at))),
      vecmatCost: countFlops(() => pullback(onesLike(y))),
    }
    operators.push(op)
    h = y
  }
  return chainFromOperators(operators)
}
