/**
 * The network of the vector-mode benchmark (the modes suite times it: one vector-mode pass with
 * k tangents against k separate JVPs, `dualtape bench modes`).
 */
import { type Tensor, add, matmul, mul, randn, tanh } from '../src/index.js'

/**
 * A stack of tanh(W·x + b) layers R^width → R^width.
 */
export function layerStack(width: number, depth: number, seed = 3): (x: Tensor) => Tensor {
  const layers = Array.from({ length: depth }, (_, i) => ({
    w: mul(randn([width, width], { seed: seed + 2 * i }), 1 / Math.sqrt(width)),
    b: mul(randn([width], { seed: seed + 2 * i + 1 }), 0.1),
  }))
  return (x: Tensor) => layers.reduce((h, l) => tanh(add(matmul(l.w, h), l.b)), x)
}
