import { zerosLike } from '../ops/create.js'
import { sizeOf } from '../core/shape.js'
import type { Tensor } from '../core/tensor.js'
import { jvp } from '../forward/jvp.js'
import { vjp } from '../reverse/vjp.js'
import { type TensorFn, fromLike, fromShape, read } from './util.js'

// ---------------------------------------------------------------------------------------------
// Dense Jacobians for checking, built from the two modes: one JVP per input direction (the
// columns, J eⱼ) and one pullback per output direction (the rows, eᵢᵀ J). Each is returned as
// one block per argument, row-major over (output element, argument element).
// ---------------------------------------------------------------------------------------------

/** The output tangent J v of `f` at `args` along `vs` (flat data per argument). */
export function jvpData(f: TensorFn, args: readonly Tensor[], vs: readonly Float64Array[]): Float64Array {
  const [, dy] = jvp(
    f,
    [...args],
    args.map((a, i) => fromLike(a, vs[i]!)),
  ) as [Tensor, Tensor]
  return read(dy)
}

/** A pullback on flat data: u ↦ Jᵀu, one flat array per argument. */
export function pullbackData(f: TensorFn, args: readonly Tensor[]): (u: Float64Array) => Float64Array[] {
  const [y, pb] = vjp(f, ...args) as [Tensor, (ct: unknown) => unknown[]]
  return (u) => pb(fromShape(y, u, y.shape)).map((g) => read(g as Tensor))
}

/** The Jacobian blocks ∂y/∂xₐ from one JVP per input element (jacfwd). */
export function jacobianFwd(f: TensorFn, args: readonly Tensor[], outSize: number): Float64Array[] {
  const vs = args.map((a) => read(zerosLike(a)))
  return args.map((a, ai) => {
    const n = sizeOf(a.shape)
    const block = new Float64Array(outSize * n)
    for (let j = 0; j < n; j++) {
      vs[ai]!.fill(0)
      vs[ai]![j] = 1
      const col = jvpData(f, args, vs)
      for (let i = 0; i < outSize; i++) block[i * n + j] = col[i]!
    }
    vs[ai]!.fill(0)
    return block
  })
}

/** The Jacobian blocks ∂y/∂xₐ from one pullback per output element (jacrev). */
export function jacobianRev(f: TensorFn, args: readonly Tensor[], outSize: number): Float64Array[] {
  const pb = pullbackData(f, args)
  const blocks = args.map((a) => new Float64Array(outSize * sizeOf(a.shape)))
  const u = new Float64Array(outSize)
  for (let i = 0; i < outSize; i++) {
    u.fill(0)
    u[i] = 1
    const rows = pb(u)
    rows.forEach((row, ai) => {
      const n = row.length
      for (let j = 0; j < n; j++) blocks[ai]![i * n + j] = row[j]!
    })
  }
  return blocks
}
