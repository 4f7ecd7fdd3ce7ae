import fc from 'fast-check'
import { beforeAll, describe, test } from 'vitest'
import { type TfjsKind, initTfjsBackend } from '../src/backends/tfjs/index.js'
import {
  type ArraySpec,
  type OpCase,
  defaultTolerances,
  fdJvp,
  seeds,
  specValues,
} from '../src/check/index.js'
import { propsRuns, propsSeed } from '../src/check/config.js'
import { apply } from '../src/core/op.js'
import { matrixKernelNames } from '../src/core/backend.js'
import { BackendError } from '../src/core/errors.js'
import { getBackend } from '../src/backends/registry.js'
import { Rng } from '../src/core/random.js'
import { dispose, tidy } from '../src/core/scope.js'
import { tensor } from '../src/ops/create.js'
import { concat, reshape } from '../src/ops/shape.js'
import type { Tensor } from '../src/core/tensor.js'
import { jvp } from '../src/forward/jvp.js'
import { type OpName, registry } from '../src/ops/registry.js'
import { vjp } from '../src/reverse/vjp.js'
import { samplers } from './samplers.js'

// ---------------------------------------------------------------------------------------------
// The op contracts of the registry on the tfjs backends: for every primitive, over generated cases
// (the samplers of props/samplers.ts, small shapes), the JVP computed in float32 on tfjs-cpu,
// tfjs-wasm and tfjs-webgpu agrees with central finite differences computed in float64 on the cpu backend, at
// the same float32-rounded inputs; the VJP is the transpose of the JVP, ⟨u, J v⟩ = ⟨Jᵀu, v⟩,
// both sides computed on the tfjs backend; a batched JVP of two stacked tangents gives the JVP
// along each (vector mode); and the JVP of x ↦ J(x)ᵀu on the backend agrees with float64 finite
// differences of it (second order). The laws a sampler skips are skipped here too. An op whose
// kernel the backend lacks (the matrix functions: TensorFlow.js has no dense factorizations) must
// raise a BackendError naming it. Data is read with `await data()` (WebGPU reads only
// asynchronously in Node), so the checks are written here rather than through checkContract.
// ---------------------------------------------------------------------------------------------

const tol = defaultTolerances.float32

/** float32-rounded values of a spec, and seeded float32-rounded normal directions. */
const values = (s: ArraySpec): Float32Array => Float32Array.from(specValues(s))
function normals(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = rng.normal()
  return a
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): [number, number] => {
  let s = 0
  let abs = 0
  for (let i = 0; i < a.length; i++) {
    s += a[i]! * b[i]!
    abs += Math.abs(a[i]! * b[i]!)
  }
  return [s, abs]
}

const read = async (t: Tensor): Promise<Float64Array> => Float64Array.from(await t.data())

/** Checks one case of one op on a tfjs backend; throws with the case's data when a law fails. */
async function checkOp(name: OpName, c: OpCase<unknown>, seed: number, backend: string): Promise<void> {
  const def = registry[name] as Parameters<typeof apply>[0]
  const skipped = new Set(samplers[name].skip?.checks ?? [])
  // the tfjs backends hold float32 only: a cast there is float32 → float32
  const params = name === 'cast' ? { dtype: 'float32' } : c.params
  const data = c.inputs.map(values)
  const shapes = c.inputs.map((s) => [...s.shape])
  // int32 specs are index tensors, on either side
  const isIndex = c.inputs.map((s) => s.dtype === 'int32')
  const on64 = data.map((d, i) =>
    tensor(isIndex[i] ? Int32Array.from(d) : Float64Array.from(d), { shape: shapes[i]! }),
  )
  const on32 = data.map((d, i) =>
    tensor(isIndex[i] ? Int32Array.from(d) : d, {
      shape: shapes[i]!,
      backend,
      dtype: isIndex[i] ? 'int32' : 'float32',
    }),
  )
  if (
    (matrixKernelNames as readonly string[]).includes(name) &&
    (getBackend(backend).kernels as Record<string, unknown>)[name] === undefined
  ) {
    // TensorFlow.js has no dense factorizations: the op is a BackendError naming itself and the backend
    let error: unknown = null
    try {
      apply(def, on32, params)
    } catch (e) {
      error = e
    }
    dispose(on32)
    if (
      !(error instanceof BackendError) ||
      !error.message.startsWith(`${name}: the ${backend} backend has no kernel`)
    ) {
      throw new Error(
        `${name} on ${backend}: expected a BackendError naming ${name} and ${backend}, got ${String(error)}`,
      )
    }
    return
  }
  const constants = new Set(c.constants ?? [])
  const dIdx = data.map((_, i) => i).filter((i) => !constants.has(i))
  if (dIdx.length === 0) return
  const fOf =
    (all: readonly Tensor[]) =>
    (...ds: Tensor[]): Tensor => {
      const xs = [...all]
      dIdx.forEach((i, k) => (xs[i] = ds[k]!))
      return apply(def, xs, params)
    }
  const F64 = fOf(on64)
  const F32 = fOf(on32)
  const rng = new Rng(seed)
  const v = dIdx.map((i) => normals(rng, data[i]!.length))
  const y = F32(...dIdx.map((i) => on32[i]!))
  const u = normals(rng, y.size)
  const what = () =>
    `${name} at inputs ${c.inputs.map((s, i) => `[${s.shape.join(', ')}] (${Array.from(data[i]!).join(', ')})`).join('; ')}, params ${JSON.stringify(c.params)}`

  const [dy, grads] = tidy(() => {
    const [, t] = jvp(
      F32,
      dIdx.map((i) => on32[i]!),
      v.map((d, k) => tensor(d, { shape: shapes[dIdx[k]!]!, backend, dtype: 'float32' })),
    ) as [Tensor, Tensor]
    const [, pb] = vjp(F32, ...dIdx.map((i) => on32[i]!))
    const gs = pb(tensor(u, { shape: [...y.shape], backend, dtype: 'float32' })) as Tensor[]
    return [t, gs] as const
  })
  const jv = await read(dy)
  const jtu = await Promise.all(grads.map(read))
  dispose([dy, grads])

  // vector mode: two stacked tangents give the JVP along each
  const w = dIdx.map((i) => normals(rng, data[i]!.length))
  if (!skipped.has('vector-mode')) {
    const [batched, along] = tidy(() => {
      const stacked = dIdx.map((i, k) => {
        const both = new Float32Array(2 * data[i]!.length)
        both.set(v[k]!)
        both.set(w[k]!, data[i]!.length)
        return tensor(both, { shape: [2, ...shapes[i]!], backend, dtype: 'float32' })
      })
      const primals = dIdx.map((i) => on32[i]!)
      const [, tb] = jvp(F32, primals, stacked, { batched: true }) as [Tensor, Tensor]
      const ws = w.map((d, k) => tensor(d, { shape: shapes[dIdx[k]!]!, backend, dtype: 'float32' }))
      const [, tw] = jvp(F32, primals, ws) as [Tensor, Tensor]
      return [tb, tw] as const
    })
    const got = await read(batched)
    const want = [...jv, ...(await read(along))]
    dispose([batched, along])
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i]! - want[i]!) <= tol.atol + tol.rtol * Math.abs(want[i]!))) {
        throw new Error(
          `${what()}: the batched JVP on ${backend} is ${got[i]} at ${i}, the JVP along that tangent alone ${want[i]}`,
        )
      }
    }
  }

  // second order: the JVP of x ↦ J(x)ᵀu on the backend against float64 finite differences of it
  if (!skipped.has('second-order')) {
    const pullbackOf =
      (F: (...ds: Tensor[]) => Tensor, ct: Tensor) =>
      (...zs: Tensor[]): Tensor => {
        const [, p] = vjp(F, ...zs)
        return concat((p(ct) as Tensor[]).map((g) => reshape(g, [-1])))
      }
    const g2 = tidy(() => {
      const G = pullbackOf(F32, tensor(u, { shape: [...y.shape], backend, dtype: 'float32' }))
      const vs = v.map((d, k) => tensor(d, { shape: shapes[dIdx[k]!]!, backend, dtype: 'float32' }))
      return (
        jvp(
          G,
          dIdx.map((i) => on32[i]!),
          vs,
        ) as [Tensor, Tensor]
      )[1]
    })
    const got = await read(g2)
    dispose(g2)
    // (cast's float64 case runs as float64 → float32: its cotangent is float32)
    const ct64 = tensor(Float64Array.from(u), {
      shape: [...y.shape],
      dtype: F64(...dIdx.map((i) => on64[i]!)).dtype,
    })
    const est = fdJvp(
      pullbackOf(F64, ct64),
      dIdx.map((i) => on64[i]!),
      v.map((d, k) => tensor(Float64Array.from(d), { shape: shapes[dIdx[k]!]! })),
    )
    for (let i = 0; i < got.length; i++) {
      const want = est.value[i]!
      if (!(Math.abs(got[i]! - want) <= tol.atol + tol.rtol * Math.abs(want) + est.error[i]!)) {
        throw new Error(
          `${what()}: the JVP of the VJP on ${backend} is ${got[i]} at ${i}, finite differences in float64 give ${want} ± ${est.error[i]}`,
        )
      }
    }
  }
  dispose([y, on32])

  if (!skipped.has('jvp-fd')) {
    const est = fdJvp(
      F64,
      dIdx.map((i) => on64[i]!),
      v.map((d, k) => tensor(Float64Array.from(d), { shape: shapes[dIdx[k]!]! })),
    )
    for (let i = 0; i < jv.length; i++) {
      const want = est.value[i]!
      const bound = tol.atol + tol.rtol * Math.abs(want) + est.error[i]!
      if (!(Math.abs(jv[i]! - want) <= bound)) {
        throw new Error(
          `${what()}: the JVP on ${backend} is ${jv[i]} at output ${i}, finite differences in float64 give ${want} ± ${est.error[i]}`,
        )
      }
    }
  }
  if (!skipped.has('vjp-transpose')) {
    const [left, sl] = dot(u, jv)
    let right = 0
    let sr = 0
    jtu.forEach((g, k) => {
      const [s, a] = dot(g, v[k]!)
      right += s
      sr += a
    })
    if (!(Math.abs(left - right) <= tol.atol + tol.rtol * Math.max(sl, sr))) {
      throw new Error(
        `${what()}: the VJP on ${backend} is not the transpose of its JVP: ⟨u, J v⟩ = ${left}, ⟨Jᵀu, v⟩ = ${right}`,
      )
    }
  }
}

const kinds: readonly TfjsKind[] = ['cpu', 'wasm', 'webgpu']
const names = Object.keys(registry) as OpName[]

for (const kind of kinds) {
  const backend = `tfjs-${kind}`
  describe(`op checks of the registry on ${backend}`, () => {
    beforeAll(async () => {
      // Fails, with the reason, when the backend cannot start (no WebGPU adapter, say).
      await initTfjsBackend(kind)
    })
    const seed = propsSeed()
    const numRuns = propsRuns(5)
    for (const name of names) {
      test(`${name}: JVP against float64 finite differences, VJP by the adjoint identity (seed ${seed}, ${numRuns} runs)`, async () => {
        await fc.assert(
          fc.asyncProperty(samplers[name].cases as fc.Arbitrary<OpCase<unknown>>, seeds(), (c, s) =>
            checkOp(name, c, s, backend),
          ),
          { seed, numRuns },
        )
      })
    }
  })
}
