// The tests every tfjs backend passes, shared by test/backends/tfjs/cpu.test.ts, wasm.test.ts and
// webgpu.test.ts (each file runs in its own process, with its own TensorFlow.js backend).
// Results are read with `await t.data()`, which works on every backend; references are computed
// on the cpu backend in float64 from the same float32-rounded inputs.
import * as tf from '@tensorflow/tfjs-core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { emptySamplers, samplers } from '../../props/samplers.js'
import { type Backend, type DerivKernelName, type Meta, matrixKernelNames } from '../../src/core/backend.js'
import { cpuBackend } from '../../src/backends/cpu/index.js'
import { getBackend, useBackend } from '../../src/backends/registry.js'
import { type TfjsKind, initTfjsBackend, toBackend, toBackendAsync } from '../../src/backends/tfjs/index.js'
import { type OpCase, assertGrads, specValues } from '../../src/check/index.js'
import { propsRuns, propsSeed } from '../../src/check/config.js'
import { fdJvp } from '../../src/check/fd.js'
import { apply } from '../../src/core/op.js'
import { dispose, keep, tidy } from '../../src/core/scope.js'
import {
  BackendError,
  DTypeError,
  type Tensor,
  TransformError,
  ValueError,
  add,
  argmax,
  arange,
  broadcastTo,
  cast,
  vmap,
  reshape,
  concat,
  einsum,
  cumsum,
  elementwiseGrad,
  exp,
  eye,
  grad,
  hessian,
  hvp,
  jacfwd,
  jacrev,
  jvp,
  log,
  logsumexp,
  matmul,
  max,
  mean,
  mul,
  ones,
  pad,
  randn,
  sigmoid,
  sin,
  slice,
  square,
  sum,
  take,
  tanh,
  tensor,
  transpose,
  valueAndGrad,
  vjp,
  withNanCheck,
  zeros,
} from '../../src/index.js'
import { type OpName, registry } from '../../src/ops/registry.js'
import { derivatives, derivNames } from '../../src/ops/derivatives.js'
import { derivMul, tensorAlgebra } from '../../src/ops/elementwise.js'
import { conv2d } from '../../src/nn/index.js'

type Fn = (...xs: Tensor[]) => Tensor

/** The data of any tensor, from any backend, as float64. */
export const read = async (t: Tensor): Promise<Float64Array> => Float64Array.from(await t.data())

/** Values of a seeded normal sample rounded to float32 (so both backends see the same numbers). */
export function sample(shape: readonly number[], seed: number, scale = 1): Float32Array {
  return Float32Array.from(randn(shape, { seed }).dataSync(), (v) => v * scale)
}

/** The same float32 values as a float64 cpu tensor and as a tensor on `backend`. */
export function both(data: Float32Array, shape: readonly number[], backend: string): [Tensor, Tensor] {
  return [
    tensor(Float64Array.from(data), { shape: [...shape] }),
    tensor(data, { shape: [...shape], backend, dtype: 'float32' }),
  ]
}

/** |got − want| ≤ tol · (1 + |want|) elementwise, with the worst element in the message. */
export function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  expect(got.length, `${what}: length`).toBe(want.length)
  let worst = 0
  let at = -1
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!
    const g = got[i]!
    // equal infinities, or NaN on both sides, agree
    const err = g === w || (Number.isNaN(w) && Number.isNaN(g)) ? 0 : Math.abs(g - w) / (1 + Math.abs(w))
    if (!(err <= worst)) {
      worst = err
      at = i
    }
  }
  expect(worst, `${what}: worst relative error at ${at}: ${got[at]} vs ${want[at]}`).toBeLessThanOrEqual(tol)
}

/** The tensors of both backends agree (shape and values). */
export async function expectSame(got: Tensor, want: Tensor, tol: number, what: string): Promise<void> {
  expect(got.shape, `${what}: shape`).toEqual(want.shape)
  // float32 on the tfjs backends, int32 where the op gives index tensors (argmax, argmin)
  expect(got.dtype).toBe(want.dtype === 'int32' ? 'int32' : 'float32')
  expectClose(await read(got), want.dataSync(), tol, what)
}

/** The live TensorFlow.js tensors. */
export const live = (): number => tf.memory().numTensors

/** The same function of the same float32 inputs on the tfjs backend and on the cpu backend in float64. */
async function agree(
  f: Fn,
  inputs: readonly [Float32Array, number[]][],
  backend: string,
  tol: number,
  what: string,
) {
  const pairs = inputs.map(([d, s]) => both(d, s, backend))
  const got = f(...pairs.map((p) => p[1]))
  const want = f(...pairs.map((p) => p[0]))
  await expectSame(got, want, tol, what)
  dispose([got, pairs.map((p) => p[1])])
}

// A small network: two tanh layers and a scalar loss, with matmuls whose VJP transposes operands.
const net = (w1: Tensor, w2: Tensor, x: Tensor): Tensor => mean(square(matmul(tanh(matmul(x, w1)), w2)))

/**
 * Registers the tests of one tfjs backend. `tol` is the relative tolerance against float64
 * (float32 rounding, plus WebGPU's transcendental functions).
 */
export function tfjsSuite(kind: TfjsKind, tol = 2e-4): void {
  const name = `tfjs-${kind}`
  let backend: Backend

  describe(name, () => {
    beforeAll(async () => {
      // Fails (with the reason: missing packages, no adapter) rather than skipping.
      backend = await initTfjsBackend(kind)
    })
    afterAll(() => {
      useBackend('cpu')
    })

    test('initTfjsBackend registers it once, float32 only', async () => {
      expect(backend.name).toBe(name)
      expect(await initTfjsBackend(kind)).toBe(backend)
      expect(getBackend(name)).toBe(backend)
      expect(backend.dtypes).toEqual(['float32'])
      expect(backend.ownsMemory).toBe(true)
      expect(backend.syncRead).toBe(kind !== 'webgpu')
    })

    test('tensors are created on it per call or after useBackend, in float32', async () => {
      const a = tensor([1, 2, 3], { backend: name, dtype: 'float32' })
      expect(a.backend.name).toBe(name)
      expect(tensor([1, 2], { backend: name }).dtype).toBe('float32')
      expect(Array.from(await zeros([2], { backend: name }).data())).toEqual([0, 0])
      expect(Array.from(await eye(2, 2, { backend: name }).data())).toEqual([1, 0, 0, 1])
      expect(Array.from(await arange(3, undefined, 1, { backend: name }).data())).toEqual([0, 1, 2])
      useBackend(name)
      try {
        const b = ones([2, 2])
        expect(b.backend.name).toBe(name)
        expect(b.dtype).toBe('float32')
        expect(randn([3], { seed: 1 }).dtype).toBe('float32')
        expect(Array.from(await add(b, 1).data())).toEqual([2, 2, 2, 2])
      } finally {
        useBackend('cpu')
      }
    })

    test('float64 asked of it is a DTypeError that says to use float32', () => {
      expect(() => tensor([1, 2], { backend: name, dtype: 'float64' })).toThrow(DTypeError)
      expect(() => tensor([1, 2], { backend: name, dtype: 'float64' })).toThrow(/float32/)
      expect(() => zeros([2], { backend: name, dtype: 'float64' })).toThrow(DTypeError)
      const x = tensor([1, 2], { backend: name })
      expect(() => cast(x, 'float64')).toThrow(DTypeError)
      expect(() => cast(x, 'float64')).toThrow(/float32 only.*toBackend/)
      expect(() => toBackend(tensor([1, 2]), name)).toThrow(/pass \{ dtype: 'float32' \}/)
    })

    test('mixing it with the cpu backend in one op is a BackendError naming toBackend', () => {
      const x = tensor([1, 2], { backend: name })
      const y = tensor([1, 2], { dtype: 'float32' })
      expect(() => add(x, y)).toThrow(BackendError)
      expect(() => add(x, y)).toThrow(/different backends.*toBackend/)
    })

    test('toBackend and toBackendAsync move tensors between backends', async () => {
      const c = tensor([1.5, -2, 3])
      const t = toBackend(c, name, { dtype: 'float32' })
      expect(t.backend.name).toBe(name)
      expect(Array.from(await t.data())).toEqual([1.5, -2, 3])
      expect(toBackend(t, name)).toBe(t)
      const t2 = await toBackendAsync(c, name, { dtype: 'float32' })
      expect(Array.from(await t2.data())).toEqual([1.5, -2, 3])
      const back = await toBackendAsync(t, 'cpu', { dtype: 'float64' })
      expect(back.backend.name).toBe('cpu')
      expect(back.toArray()).toEqual([1.5, -2, 3])
      if (backend.syncRead) {
        expect(toBackend(t, 'cpu').toArray()).toEqual([1.5, -2, 3])
      } else {
        expect(() => toBackend(t, 'cpu')).toThrow(BackendError)
        expect(() => toBackend(t, 'cpu')).toThrow(/toBackendAsync/)
      }
      expect(() => grad((x: Tensor) => sum(toBackend(x, 'cpu')))(t)).toThrow(TransformError)
    })

    /** Whether this backend has no kernel for a matrix op. */
    const lacksKernel = (op: OpName): boolean =>
      (matrixKernelNames as readonly string[]).includes(op) &&
      (getBackend(name).kernels as Record<string, unknown>)[op] === undefined

    test('every op of the registry agrees with the cpu backend', async () => {
      for (const opName of Object.keys(registry) as OpName[]) {
        const def = registry[opName]
        const cases = fc.sample(samplers[opName].cases as fc.Arbitrary<any>, { seed: 7, numRuns: 2 })
        for (const [k, c] of cases.entries()) {
          const data = c.inputs.map((s: Parameters<typeof specValues>[0]) => Float32Array.from(specValues(s)))
          if (lacksKernel(opName)) {
            // TensorFlow.js has no dense factorizations: a BackendError naming the op and the backend
            const tfXs = c.inputs.map((s: any, i: number) =>
              tensor(data[i]!, { shape: [...s.shape], backend: name, dtype: 'float32' }),
            )
            expect(() => apply(def as any, tfXs, c.params)).toThrow(BackendError)
            expect(() => apply(def as any, tfXs, c.params)).toThrow(
              new RegExp(`^${opName}: the ${name} backend has no kernel for ${opName}`),
            )
            dispose(tfXs)
            continue
          }
          // int32 specs are index tensors (take's indices) on both backends
          const cpuXs = c.inputs.map((s: any, i: number) =>
            s.dtype === 'int32'
              ? tensor(Int32Array.from(data[i]!), { shape: [...s.shape] })
              : tensor(Float64Array.from(data[i]!), { shape: [...s.shape] }),
          )
          const tfXs = c.inputs.map((s: any, i: number) =>
            s.dtype === 'int32'
              ? tensor(Int32Array.from(data[i]!), { shape: [...s.shape], backend: name })
              : tensor(data[i]!, { shape: [...s.shape], backend: name, dtype: 'float32' }),
          )
          let params = c.params
          if (opName === 'cast') params = { dtype: 'float32' }
          const xs = opName === 'cast' ? cpuXs.map((x: Tensor) => cast(x, 'float32')) : cpuXs
          const want = apply(def as any, xs, params)
          const got = apply(def as any, tfXs, params)
          await expectSame(
            got,
            want,
            tol,
            `${opName} case ${k} ${JSON.stringify(c.inputs.map((s: any) => s.shape))}`,
          )
          dispose([got, tfXs])
        }
      }
    })

    test('take: repeated indices accumulate, and bad indices are typed errors before tf.gather runs; cumsum, cast of indices', async () => {
      const before = live()
      const o = { backend: name, dtype: 'float32' as const }
      const x = tensor([1, 2, 3, 4], o)
      const i = tensor([3, 0, 3, 3], { dtype: 'int32', backend: name })
      const g = tidy(() => {
        const [, pullback] = vjp((t: Tensor) => take(t, i), x)
        return (pullback(tensor([1, 10, 100, 1000], o)) as Tensor[])[0]!
      })
      expect(Array.from(await read(g))).toEqual([10, 0, 0, 1101])
      const m = tensor(
        [
          [1, 2],
          [3, 4],
        ],
        o,
      )
      const picked = tidy(() => take(m, argmax(m, 1), 1))
      expect(Array.from(await read(picked))).toEqual([2, 2, 4, 4])
      // running sums from the end along an axis followed by one of size 1 (tf.cumsum's reverse flag
      // gets these wrong on tfjs-webgpu)
      const column = tensor([[1.5], [-2], [3]], o)
      const sums = cumsum(column, 0, { reverse: true })
      expect(Array.from(await read(sums))).toEqual([2.5, 1, 3])
      const asFloat = cast(i, 'float32')
      expect([asFloat.dtype, Array.from(await read(asFloat))]).toEqual(['float32', [3, 0, 3, 3]])
      const f32 = tensor([0], o)
      // tf.gather would clamp these or give zeros: here they never reach it
      expect(() => take(x, [4])).toThrow(ValueError)
      expect(() => take(x, [-1])).toThrow(/out of range for axis 0 of size 4/)
      expect(() => take(x, f32)).toThrow(DTypeError)
      dispose([x, i, g, m, picked, f32, asFloat, column, sums])
      expect(live()).toBe(before)
    })

    test('zero-size tensors: the examples that went wrong, as on the cpu backend', async () => {
      const before = live()
      const o = { backend: name, dtype: 'float32' as const }
      /** The shape and data of what `f` computes on this backend (nothing else kept alive). */
      const values = async (f: () => Tensor) => {
        const t = tidy(f)
        const got = [t.shape, Array.from(await read(t))]
        dispose(t)
        return got
      }
      // an empty output is empty, whatever tf.broadcastTo or a padded empty cotangent would give
      expect(await values(() => sum(broadcastTo(tensor([0.5], o), [0])))).toEqual([[], [0]])
      expect(await values(() => grad((x: Tensor) => sum(slice(x, [1], [0])))(tensor([1, 2, 3], o)))).toEqual([
        [3],
        [0, 0, 0],
      ])
      expect(await values(() => grad((c: Tensor) => sum(add(zeros([0], o), c)))(tensor(2, o)))).toEqual([
        [],
        [0],
      ])
      // reductions over nothing give their identity, not stale memory or NaN
      for (let i = 0; i < 3; i++) {
        // the memory of a freed tensor is what tfjs-wasm used to hand out
        dispose(
          tensor(
            Float32Array.from({ length: 64 }, (_, k) => k + 1),
            { ...o, shape: [64] },
          ),
        )
        expect(await values(() => sum(zeros([64, 0], o), 1))).toEqual([[64], new Array(64).fill(0)])
      }
      expect(await values(() => max(zeros([2, 0], o), 1))).toEqual([[2], [-Infinity, -Infinity]])
      expect(await values(() => logsumexp(zeros([2, 0], o), 1))).toEqual([[2], [-Infinity, -Infinity]])
      expect(await values(() => mean(zeros([0], o)))).toEqual([[], [NaN]])
      expect(await values(() => matmul(zeros([3, 0], o), zeros([0, 2], o)))).toEqual([
        [3, 2],
        [0, 0, 0, 0, 0, 0],
      ])
      // infinite entries: the cpu backend's values, and its gradient
      expect(await values(() => logsumexp(tensor([-Infinity, -Infinity], o)))).toEqual([[], [-Infinity]])
      expect(await values(() => logsumexp(tensor([Infinity, 0], o)))).toEqual([[], [Infinity]])
      expect(await values(() => grad((x: Tensor) => logsumexp(x))(tensor([Infinity, 0], o)))).toEqual([
        [2],
        [NaN, 0],
      ])
      expect(live()).toBe(before)
    })

    test('every op of the registry agrees with the cpu backend on zero-size tensors: value, JVP and VJP', async () => {
      const before = live()
      const seed = propsSeed()
      const normals = (k: number) => Float32Array.from(randn([k], { seed }).dataSync())
      for (const opName of Object.keys(registry) as OpName[]) {
        const def = registry[opName] as Parameters<typeof apply>[0]
        await fc.assert(
          fc.asyncProperty(emptySamplers[opName].cases as fc.Arbitrary<OpCase<unknown>>, async (c) => {
            const shapes = c.inputs.map((s) => [...s.shape])
            const data = c.inputs.map((s) => Float32Array.from(specValues(s)))
            const params = opName === 'cast' ? { dtype: 'float32' } : c.params
            const constants = new Set(c.constants ?? [])
            const dIdx = data.map((_, i) => i).filter((i) => !constants.has(i))
            const what = `${opName} at shapes ${JSON.stringify(shapes)}, params ${JSON.stringify(c.params)}`
            /** The value, JVP and VJP on one backend, from the same float32 data and directions. */
            const run = (backend: string) => {
              const make = (d: Float32Array, shape: number[]) =>
                backend === 'cpu'
                  ? tensor(Float64Array.from(d), { shape, dtype: opName === 'cast' ? 'float32' : 'float64' })
                  : tensor(d, { shape, backend, dtype: 'float32' })
              const xs = data.map((d, i) =>
                c.inputs[i]!.dtype === 'int32'
                  ? tensor(Int32Array.from(d), { shape: shapes[i]!, backend })
                  : make(d, shapes[i]!),
              )
              const f = (...ds: Tensor[]) => {
                const all = [...xs]
                dIdx.forEach((i, k) => (all[i] = ds[k]!))
                return apply(def, all, params)
              }
              const y = f(...dIdx.map((i) => xs[i]!))
              if (dIdx.length === 0) return { y, jv: null, gs: [] as Tensor[] }
              const [, jv] = jvp(
                f,
                dIdx.map((i) => xs[i]!),
                dIdx.map((i) => make(normals(data[i]!.length), shapes[i]!)),
              )
              const [, pullback] = vjp(f, ...dIdx.map((i) => xs[i]!))
              const gs = pullback(make(normals(y.size), [...y.shape])) as Tensor[]
              return { y, jv, gs }
            }
            const want = run('cpu')
            const got = tidy(() => run(name))
            await expectSame(got.y, want.y, tol, `${what}: value`)
            if (got.jv !== null) await expectSame(got.jv, want.jv!, tol, `${what}: JVP`)
            for (let k = 0; k < want.gs.length; k++) {
              await expectSame(got.gs[k]!, want.gs[k]!, tol, `${what}: VJP of input ${dIdx[k]}`)
            }
            dispose(got)
          }),
          { seed, numRuns: propsRuns(8) },
        )
      }
      expect(live()).toBe(before)
    })

    test('derivMul agrees with the cpu kernel for every op, with and without batch axes', async () => {
      // every op of the derivative table
      const ops: readonly DerivKernelName[] = derivNames
      const m: Meta = { shape: [2, 3], dtype: 'float32' }
      const x32 = Float32Array.from([0.5, 1.25, 0.75, 2, 0.3, 1.1])
      for (const batch of [[], [2]]) {
        const ctMeta: Meta = { shape: [...batch, 2, 3], dtype: 'float32' }
        const ct32 = sample(ctMeta.shape, 3)
        for (const op of ops) {
          for (const p of op === 'pow' ? [0, 1, 2, 3, -1.5] : [0]) {
            const y32 = cpuBackend.kernels[op === 'pow' ? 'square' : op](x32, m) as Float32Array
            const want = cpuBackend.kernels.derivMul(op, x32, y32, ct32, m, ctMeta, p)
            const h = backend.kernels.derivMul(
              op,
              backend.fromArray(x32.slice(), m),
              backend.fromArray(y32.slice(), m),
              backend.fromArray(ct32.slice(), ctMeta),
              m,
              ctMeta,
              p,
            )
            const got = await backend.read(h, ctMeta)
            expectClose(got, want, tol, `derivMul ${op} p=${p} batch ${batch.length}`)
          }
        }
      }
    })

    test('derivMul is the derivative table on this backend: the tensor rule of the same ops, value for value', async () => {
      // ordinary points and points near the kinks of abs and relu; positive where the op needs it
      const real = Float32Array.from([-2.5, -1, -0.01, -1e-6, 0, 1e-6, 0.01, 0.7, 1.3, 2.5])
      const positive = Float32Array.from([1e-3, 0.01, 0.2, 0.5, 0.9, 1, 1.7, 2.5, 10, 50])
      const o = { backend: name, dtype: 'float32' as const }
      for (const batch of [[], [2]]) {
        const shape = [...batch, real.length]
        const ct = sample(shape, 5)
        for (const op of derivNames) {
          const xs =
            op === 'log' || op === 'sqrt' || op === 'pow'
              ? positive
              : op === 'tan'
                ? real.map((v) => v / 2)
                : real
          for (const p of op === 'pow' ? [0, 1, 2, 3, -1.5] : [0]) {
            const x = tensor(xs, o)
            const y = op === 'pow' ? apply(registry.pow, [x], { p }) : apply(registry[op], [x], null)
            const c = tensor(ct, { ...o, shape })
            // on plain data derivMul runs the backend's fused kernel; the rule composes ops
            const got = derivMul(op, x, y, c, p)
            const want = mul(c, derivatives[op](tensorAlgebra, x, y, p))
            expect(Array.from(await read(got)), `${op} p=${p} batch ${batch.length}`).toEqual(
              Array.from(await read(want)),
            )
            dispose([x, y, c, got, want])
          }
        }
      }
    })

    test('matmul: every transpose flag, broadcast batch axes, vectors', async () => {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        for (const [sa, sb] of [
          [
            [3, 4],
            [4, 2],
          ],
          [
            [2, 1, 3, 4],
            [1, 3, 4, 2],
          ],
          [
            [3, 4],
            [5, 4, 2],
          ],
          [
            [2, 3, 4],
            [4, 2],
          ],
        ] as const) {
          const A = ta ? [...sa.slice(0, -2), sa[sa.length - 1]!, sa[sa.length - 2]!] : [...sa]
          const B = tb ? [...sb.slice(0, -2), sb[sb.length - 1]!, sb[sb.length - 2]!] : [...sb]
          const [a64, a32] = both(sample(A, 1), A, name)
          const [b64, b32] = both(sample(B, 2), B, name)
          const mm = registry.matmul
          await expectSame(
            apply(mm, [a32, b32], { transA: ta, transB: tb }),
            apply(mm, [a64, b64], { transA: ta, transB: tb }),
            tol,
            `matmul ${A}${ta ? 'ᵀ' : ''} @ ${B}${tb ? 'ᵀ' : ''}`,
          )
        }
      }
      await agree(
        (a, b) => matmul(a, b),
        [
          [sample([4], 1), [4]],
          [sample([4, 3], 2), [4, 3]],
        ],
        name,
        tol,
        'v @ M',
      )
    })

    test('jvp, vjp, grad and valueAndGrad of a small network match float64', async () => {
      const shapes = [
        [5, 6],
        [6, 3],
        [4, 5],
      ] as const
      // net's three arguments
      const three = <T>([a, b, c]: readonly T[]): [T, T, T] => [a!, b!, c!]
      const pairs = shapes.map((s, i) => both(sample(s, 10 + i, 0.5), s, name))
      const at = (j: 0 | 1) => three(pairs.map((p) => p[j]))
      const tangents = shapes.map((s, i) => both(sample(s, 20 + i), s, name))
      const [y32, dy32] = jvp(net, at(1), three(tangents.map((t) => t[1])))
      const [y64, dy64] = jvp(net, at(0), three(tangents.map((t) => t[0])))
      await expectSame(y32, y64, tol, 'jvp primal')
      await expectSame(dy32, dy64, tol, 'jvp tangent')

      const [o32, pb32] = vjp(net, ...at(1))
      const [, pb64] = vjp(net, ...at(0))
      await expectSame(o32, y64, tol, 'vjp primal')
      const g32 = pb32(tensor(1.5, { backend: name })) as Tensor[]
      const g64 = pb64(tensor(1.5)) as Tensor[]
      for (let i = 0; i < 3; i++) await expectSame(g32[i]!, g64[i]!, tol, `vjp cotangent ${i}`)

      const gs32 = grad(net, { argnums: [0, 1] })(...at(1)) as Tensor[]
      const gs64 = grad(net, { argnums: [0, 1] })(...at(0)) as Tensor[]
      for (let i = 0; i < 2; i++) await expectSame(gs32[i]!, gs64[i]!, tol, `grad ${i}`)

      const [v32, gx32] = valueAndGrad(net, { argnums: 2 })(...at(1)) as [Tensor, Tensor]
      const [v64, gx64] = valueAndGrad(net, { argnums: 2 })(...at(0)) as [Tensor, Tensor]
      await expectSame(v32, v64, tol, 'valueAndGrad value')
      await expectSame(gx32, gx64, tol, 'valueAndGrad gradient')
    })

    test('int32 index tensors through the layout ops (reshape, transpose, slice, concat, pad, broadcastTo) and vmap', async () => {
      const data = [3, 0, 2, 1, 1, 0]
      const onCpu = tensor(Int32Array.from(data), { shape: [2, 3], dtype: 'int32' })
      const onTf = tensor(Int32Array.from(data), { shape: [2, 3], dtype: 'int32', backend: name })
      const rearrange = (t: Tensor) =>
        concat([
          reshape(transpose(t), [6]),
          reshape(slice(pad(t, [0, 1], [1, 0]), [1, 0], [2, 2]), [4]),
          reshape(broadcastTo(slice(t, [0, 0], [1, 1]), [2, 1]), [2]),
        ])
      const got = rearrange(onTf)
      const want = rearrange(onCpu)
      expect(got.dtype).toBe('int32')
      expect(Array.from(await got.data())).toEqual(Array.from(want.dataSync()))
      // per-example indices under vmap: each row of x takes its own positions
      const x = both(sample([2, 4], 35), [2, 4], name)
      const perRow = (xs: Tensor, i: Tensor) => take(xs, i)
      const y = vmap(perRow)(x[1], slice(onTf, [0, 0], [2, 2]))
      const y64 = vmap(perRow)(x[0], slice(onCpu, [0, 0], [2, 2]))
      await expectSame(y, y64, tol, 'vmap(take) with batched indices')
      dispose([got, onTf, y, x[1]])
    })

    test('pad and its VJP at rank 6 (tfjs-webgpu pads at most rank 4 itself: the backend pads in steps of rank ≤ 4)', async () => {
      const shape = [2, 1, 3, 2, 2, 3]
      const xs = both(sample(shape, 34), shape, name)
      const f = (x: Tensor) => pad(x, [0, 0, 1, 0, 0, 2], [0, 1, 0, 1, 0, 0])
      await expectSame(f(xs[1]), f(xs[0]), tol, 'pad rank 6')
      const g = (x: Tensor) => sum(square(slice(f(x), [0, 0, 1, 0, 0, 1], [2, 1, 3, 2, 2, 3])))
      await expectSame(grad(g)(xs[1]) as Tensor, grad(g)(xs[0]) as Tensor, tol, 'slice VJP rank 6')
      dispose(xs[1])
    })

    test('einsum and conv2d (compositions of the primitives): values and gradients match float64', async () => {
      const xs = both(sample([2, 2, 5, 5], 30), [2, 2, 5, 5], name)
      const ws = both(sample([3, 2, 3, 3], 31, 0.5), [3, 2, 3, 3], name)
      const qs = both(sample([2, 3, 4], 32), [2, 3, 4], name)
      const ks = both(sample([2, 5, 4], 33), [2, 5, 4], name)
      const conv = (x: Tensor, w: Tensor) => conv2d(x, w, { stride: 2, padding: 'same' })
      const attn = (q: Tensor, k: Tensor) => einsum('bqd,bkd->bqk', q, k)
      await expectSame(conv(xs[1], ws[1]), conv(xs[0], ws[0]), tol, 'conv2d')
      await expectSame(attn(qs[1], ks[1]), attn(qs[0], ks[0]), tol, 'einsum')
      const loss = (x: Tensor, w: Tensor, q: Tensor, k: Tensor) =>
        add(sum(tanh(conv(x, w))), sum(square(attn(q, k))))
      const g32 = grad(loss, { argnums: [0, 1, 2, 3] })(xs[1], ws[1], qs[1], ks[1]) as Tensor[]
      const g64 = grad(loss, { argnums: [0, 1, 2, 3] })(xs[0], ws[0], qs[0], ks[0]) as Tensor[]
      for (let i = 0; i < 4; i++) await expectSame(g32[i]!, g64[i]!, tol, `gradient ${i}`)
      dispose([g32, xs[1], ws[1], qs[1], ks[1]])
    })

    test('jacfwd, jacrev, hessian and hvp match float64', async () => {
      const f = (x: Tensor) => mul(sigmoid(matmul(x, transpose(x))), sin(slice(x, [0, 0], [3, 3])))
      const s = (x: Tensor) => add(logsumexp(mul(x, x)), max(exp(x)))
      const x = sample([3, 3], 31, 0.7)
      await agree(jacfwd(f), [[x, [3, 3]]], name, tol, 'jacfwd')
      await agree(jacrev(f), [[x, [3, 3]]], name, tol, 'jacrev')
      await agree(jacfwd(f, { batched: false }), [[x, [3, 3]]], name, tol, 'jacfwd, one JVP per column')
      await agree(hessian(s), [[x, [3, 3]]], name, tol, 'hessian')
      await agree(
        hvp(s),
        [
          [x, [3, 3]],
          [sample([3, 3], 32), [3, 3]],
        ],
        name,
        tol,
        'hvp',
      )
      // grad of grad, jvp of grad: nesting on tfjs tensors
      const cube = (t: Tensor) => sum(mul(mul(t, t), t))
      await agree(
        grad((t: Tensor) => sum(grad(cube)(t))),
        [[x, [3, 3]]],
        name,
        tol,
        'grad of grad',
      )
    })

    if (kind === 'webgpu') {
      test('NaN checking cannot read it: it says so once, as a process warning, instead of passing silently', () => {
        const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
        try {
          withNanCheck(() => log(tensor([-1], { backend: name })))
          withNanCheck(() => log(tensor([-2], { backend: name })))
          const ours = warn.mock.calls.filter((c) => String(c[0]).startsWith('debugNans:'))
          expect(ours).toHaveLength(1)
          expect(String(ours[0]![0])).toContain(`the ${name} backend reads its data only asynchronously`)
          expect(ours[0]![1]).toEqual({ code: 'DUALTAPE_NAN_CHECK_SKIPPED' })
        } finally {
          warn.mockRestore()
        }
      })

      test('reads are asynchronous: dataSync is a BackendError that says to await data()', async () => {
        const x = tensor([1, 2], { backend: name })
        expect(() => x.dataSync()).toThrow(BackendError)
        expect(() => x.toArray()).toThrow(/await t\.data\(\)/)
        expect(Array.from(await x.data())).toEqual([1, 2])
      })

      test('derivatives agree with float64 finite differences, and the modes with each other', async () => {
        // checkGrads reads synchronously; the same two checks, reading asynchronously
        const fs: [string, Fn][] = [
          ['net', (w1, w2, x) => net(w1, w2, x)],
          ['softplus·logsumexp', (w1, _w2, x) => logsumexp(mul(exp(matmul(x, w1)), 0.3), -1)],
        ]
        const shapes = [
          [5, 6],
          [6, 3],
          [4, 5],
        ] as const
        for (const [what, f] of fs) {
          const data = shapes.map((s, i) => sample(s, 40 + i, 0.5))
          const xs64 = data.map((d, i) => tensor(Float64Array.from(d), { shape: [...shapes[i]!] }))
          const xs32 = data.map((d, i) => tensor(d, { shape: [...shapes[i]!], backend: name }))
          const v = shapes.map((s, i) => sample(s, 50 + i))
          const [y32, dy32] = jvp(
            f,
            xs32,
            v.map((d, i) => tensor(d, { shape: [...shapes[i]!], backend: name })),
          ) as [Tensor, Tensor]
          const fd = fdJvp(
            f,
            xs64,
            v.map((d, i) => tensor(Float64Array.from(d), { shape: [...shapes[i]!] })),
          )
          expectClose(await read(dy32), fd.value, 2e-3, `${what}: JVP against finite differences`)
          const u = sample(y32.shape, 60)
          const [, pb] = vjp(f, ...xs32)
          const gs = pb(tensor(u, { shape: [...y32.shape], backend: name })) as Tensor[]
          const jv = await read(dy32)
          const left = jv.reduce((acc, e, i) => acc + e * u[i]!, 0)
          let right = 0
          let scale = 0
          for (let a = 0; a < gs.length; a++) {
            const g = await read(gs[a]!)
            g.forEach((e, i) => {
              right += e * v[a]![i]!
              scale += Math.abs(e * v[a]![i]!)
            })
          }
          expect(
            Math.abs(left - right),
            `${what}: ⟨u, J v⟩ = ${left}, ⟨Jᵀu, v⟩ = ${right}`,
          ).toBeLessThanOrEqual(1e-4 * (1 + scale))
        }
      })
    } else {
      test('checkGrads passes at float32 tolerances, to second order', () => {
        const [, w] = both(sample([3, 2], 70, 0.5), [3, 2], name)
        const [, x] = both(sample([4, 3], 71, 0.5), [4, 3], name)
        const report = assertGrads((ww: Tensor, xx: Tensor) => tanh(matmul(xx, ww)), [w, x], { order: 2 })
        expect(report.ok).toBe(true)
        assertGrads((t: Tensor) => logsumexp(mul(exp(t), 0.5), 0), [x])
      })
    }

    test('transformations free the tfjs tensors they create: as many live after 1,000 grad calls as after 10', async () => {
      const [, w] = both(sample([4, 4], 80, 0.5), [4, 4], name)
      const [, x] = both(sample([3, 4], 81), [3, 4], name)
      const loss = (ww: Tensor) => mean(square(tanh(matmul(x, ww))))
      const g = grad(loss)
      const step = () => dispose(g(w))
      for (let i = 0; i < 10; i++) step()
      const after10 = live()
      for (let i = 10; i < 1000; i++) step()
      expect(live()).toBe(after10)
      await read(g(w))
    })

    test('jvp, vjp, valueAndGrad, the Jacobian builders and elementwiseGrad leave only their results', () => {
      const [, x] = both(sample([3], 90), [3], name)
      const f = (t: Tensor) => sum(mul(tanh(t), exp(t)))
      const dx = ones([3], { backend: name })
      const ct = ones([], { backend: name })
      const calls: [string, () => unknown][] = [
        ['jvp', () => jvp(f, [x], [dx])],
        ['valueAndGrad', () => valueAndGrad(f)(x)],
        ['jacfwd', () => jacfwd((t: Tensor) => tanh(t))(x)],
        ['jacrev', () => jacrev((t: Tensor) => tanh(t))(x)],
        ['hessian', () => hessian(f)(x)],
        ['hvp', () => hvp(f)(x, dx)],
        ['elementwiseGrad', () => elementwiseGrad(tanh)(x)],
        [
          'vjp and its pullback, in tidy',
          () =>
            tidy(() => {
              const [y, pb] = vjp(f, x)
              return [y, pb(ct)]
            }),
        ],
      ]
      for (const [what, call] of calls) {
        const before = live()
        const result = call()
        dispose(result)
        expect(live(), what).toBe(before)
      }
    })

    test('tidy frees what it does not return; keep and dispose', async () => {
      // each tensor's own tfjs handle is looked at, not the live count: that can also fall
      // meanwhile, when the pullback of an earlier test is garbage-collected and frees its tensors
      const freed = (ts: readonly Tensor[]) =>
        ts.map((t) => (t.impl as { handle: tf.Tensor }).handle.isDisposed)
      const x = tensor([1, 2, 3], { backend: name })
      let cached: Tensor | undefined
      let squares: Tensor | undefined
      const y = tidy(() => {
        cached = keep(exp(x))
        squares = mul(x, x)
        return sum(squares)
      })
      expect(freed([squares!, x, y, cached!])).toEqual([true, false, false, false])
      expect(Array.from(await y.data())).toEqual([14])
      expectClose(await read(cached!), [Math.E, Math.E ** 2, Math.E ** 3], tol, 'kept')
      dispose([x, y, cached])
      expect(freed([x, y, cached!])).toEqual([true, true, true])
    })

    test('stopGradient and defineOp share handles without freeing their inputs', async () => {
      const x = tensor([0.5, 1], { backend: name })
      const { stopGradient } = await import('../../src/ops/shape.js')
      const g = grad((t: Tensor) => sum(mul(t, stopGradient(t))))(x)
      expectClose(await read(g), [0.5, 1], tol, 'grad with stopGradient')
      expectClose(await read(x), [0.5, 1], 0, 'input still alive')
      dispose([g, x])
    })
  })
}
