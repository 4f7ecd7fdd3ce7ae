import type * as TfCore from '@tensorflow/tfjs-core'
import type { FloatArray } from '../../core/dtype.js'
import { BackendError, DTypeError, ValueError } from '../../core/errors.js'
import { type Shape, shapesEqual, sizeOf } from '../../core/shape.js'
import { derivatives, derivNames, type DerivAlgebra } from '../../ops/derivatives.js'
import type {
  Backend,
  BinaryKernelName,
  DerivKernelName,
  Kernels,
  Meta,
  UnaryKernelName,
} from '../../core/backend.js'

type Tf = typeof TfCore
type T = TfCore.Tensor

// ---------------------------------------------------------------------------------------------
// The tfjs backends: every kernel of `Kernels` as TensorFlow.js ops on float32 tensors, which
// are the handles. TensorFlow.js runs its ops on one global backend (tf.setBackend), so each
// kernel first makes its own tfjs backend the active one; switching is synchronous once that
// backend is initialised, and costs from about 0.2 ms (cpu ↔ wasm) to several ms (to webgpu),
// so a program that keeps to one tfjs backend never pays it. Composite kernels run in tf.tidy,
// so the tfjs tensors they create on the way are freed at once; the handles they return are
// freed by the transformation scopes (src/core/scope.ts) through `dispose`.
// ---------------------------------------------------------------------------------------------

/** How one tfjs backend is wired into dualtape. */
export interface TfjsBackendConfig {
  /** The dualtape name: 'tfjs-cpu', 'tfjs-wasm', 'tfjs-webgpu'. */
  readonly name: string
  /** The TensorFlow.js backend name: 'cpu', 'wasm', 'webgpu'. */
  readonly tfBackend: string
  /** Whether `dataSync` works on it (not for WebGPU in Node, which reads only asynchronously). */
  readonly syncRead: boolean
  /**
   * Which transposed operands of a matmul are transposed explicitly before a plain tf.matMul,
   * rather than passed to tf.matMul as its transpose flags: tfjs-backend-wasm multiplies a
   * transposed operand about 10× slower than a plain one (see bench/tfjs.ts).
   */
  readonly explicitTranspose: { readonly a: boolean; readonly b: boolean }
  /** `read` returns a copy (tfjs-cpu's `data()` hands out its own storage). */
  readonly copyOnRead: boolean
  /** Errors the device reported since the last call (WebGPU validation, device loss). */
  readonly takeErrors?: () => readonly string[]
}

const swapLast2 = (rank: number): number[] => {
  const perm = Array.from({ length: rank }, (_, i) => i)
  perm[rank - 2] = rank - 1
  perm[rank - 1] = rank - 2
  return perm
}

/** Whether tf.matMul broadcasts these batch shapes itself: equal, or one holding a single matrix. */
function tfBroadcastsBatch(a: Shape, b: Shape): boolean {
  if (sizeOf(a) === 1 || sizeOf(b) === 1) return true
  const n = Math.max(a.length, b.length)
  for (let i = 1; i <= n; i++) if ((a[a.length - i] ?? 1) !== (b[b.length - i] ?? 1)) return false
  return true
}

/**
 * A dualtape backend running every kernel through TensorFlow.js on the tfjs backend
 * `config.tfBackend`, which must already be registered and initialised (initTfjsBackend does
 * both; use it rather than this).
 */
export function createTfjsBackend(tf: Tf, config: TfjsBackendConfig): Backend<T> {
  const { name, tfBackend } = config

  /** Makes this backend's tfjs backend the active one (synchronous: it is initialised). */
  const ensure = (): void => {
    if (tf.getBackend() === tfBackend) return
    if ((tf.findBackend(tfBackend) ?? null) === null) {
      throw new BackendError(
        `${name}: the TensorFlow.js backend '${tfBackend}' is not initialised (removed with tf.removeBackend?); ` +
          `call initTfjsBackend('${tfBackend}') again`,
      )
    }
    tf.setBackend(tfBackend).catch(() => undefined)
    if (tf.getBackend() !== tfBackend) {
      throw new BackendError(`${name}: could not switch TensorFlow.js to its '${tfBackend}' backend`)
    }
  }
  const run =
    <A extends unknown[]>(f: (...args: A) => T) =>
    (...args: A): T => {
      ensure()
      return f(...args)
    }
  const tidy =
    <A extends unknown[]>(f: (...args: A) => T) =>
    (...args: A): T => {
      ensure()
      return tf.tidy(() => f(...args))
    }
  /**
   * Zero padding of `x` (of `shape`) by `pads`, one [before, after] per axis, as tf.pad gives it,
   * in ranks of at most 4: tfjs-backend-webgpu cannot pad a tensor of rank 5 or more (its shader
   * indexes a vector type WGSL lacks). An axis and the one inside it are merged when the inner one
   * is not padded (its rows stay whole), and the padded axes are padded three at a time, so that
   * each step pads a tensor of at most four axes.
   */
  const padMerged = (x: T, shape: readonly number[], pads: readonly [number, number][]): T => {
    if (shape.length <= 4) return tf.pad(x, [...pads])
    const padded = pads.flatMap(([lo, hi], i) => (lo > 0 || hi > 0 ? [i] : []))
    let cur = x
    let curShape = [...shape]
    for (let k = 0; k < padded.length; k += 3) {
      const now = new Set(padded.slice(k, k + 3))
      const step = pads.map((p, i): [number, number] => (now.has(i) ? p : [0, 0]))
      const sizes: number[] = []
      const merged: [number, number][] = []
      curShape.forEach((n, i) => {
        const [lo, hi] = step[i]!
        const last = sizes.length - 1
        if (last >= 0 && lo === 0 && hi === 0) {
          // the inner axis is whole: fold it into the one outside it
          sizes[last] = sizes[last]! * n
          merged[last] = [merged[last]![0] * n, merged[last]![1] * n]
        } else {
          sizes.push(n)
          merged.push([lo, hi])
        }
      })
      const next = curShape.map((n, i) => n + step[i]![0] + step[i]![1])
      cur = tf.reshape(tf.pad(tf.reshape(cur, sizes), merged), next)
      curShape = next
    }
    return cur
  }

  /**
   * x broadcast to `shape`. tfjs-backend-webgpu tiles a tensor of rank 5 or more on the CPU, through
   * a synchronous read that Node does not have (vector mode makes such ranks), so there it is a
   * product with ones, which broadcasts on the GPU and keeps every value (−0, ±∞ and NaN).
   */
  const broadcast = (x: T, shape: Shape): T =>
    shape.length >= 5 && tfBackend === 'webgpu'
      ? tf.tidy(() => tf.mul(x, tf.ones(shape as number[], x.dtype)))
      : tf.broadcastTo(x, shape as number[])
  const to = (x: T, m: Meta, out: Meta): T => (shapesEqual(m.shape, out.shape) ? x : broadcast(x, out.shape))
  const scalar = (v: number): T => tf.scalar(v, 'float32')

  // ------------------------------------------------------------------------------------------
  // elementwise
  // ------------------------------------------------------------------------------------------

  /** Each unary kernel is the TensorFlow.js op of the same name (a name tfjs lacks fails the type check). */
  const unaryFns: { readonly [K in UnaryKernelName]: (x: T) => T } = tf

  const asFloat = (t: T): T => tf.cast(t, 'float32')
  const binaryFns: { readonly [K in BinaryKernelName]: (a: T, b: T) => T } = {
    add: (a, b) => tf.add(a, b),
    sub: (a, b) => tf.sub(a, b),
    mul: (a, b) => tf.mul(a, b),
    div: (a, b) => tf.div(a, b),
    maximum: (a, b) => tf.maximum(a, b),
    minimum: (a, b) => tf.minimum(a, b),
    greater: (a, b) => asFloat(tf.greater(a, b)),
    greaterEqual: (a, b) => asFloat(tf.greaterEqual(a, b)),
    less: (a, b) => asFloat(tf.less(a, b)),
    lessEqual: (a, b) => asFloat(tf.lessEqual(a, b)),
    equal: (a, b) => asFloat(tf.equal(a, b)),
    atan2: (a, b) => tf.atan2(a, b),
    powTensor: (a, b) => tf.pow(a, b),
  }

  /** The derivative table (src/ops/derivatives.ts) on float32 tf tensors. */
  const algebra: DerivAlgebra<T> = {
    add: (a, b) => tf.add(a, b),
    sub: (a, b) => tf.sub(a, b),
    mul: (a, b) => tf.mul(a, b),
    div: (a, b) => tf.div(a, b),
    neg: (a) => tf.neg(a),
    scalar: (_like, c) => scalar(c),
    sin: (a) => tf.sin(a),
    cos: (a) => tf.cos(a),
    sigmoid: (a) => tf.sigmoid(a),
    sign: (a) => tf.sign(a),
    step: (a) => tf.step(a, 0),
    // x⁰ = 1, also at x = 0 and NaN, as Math.pow
    pow: (a, p) => (p === 0 ? tf.onesLike(a) : pow(a, p)),
    exp: (a) => tf.exp(a),
    sinh: (a) => tf.sinh(a),
    cosh: (a) => tf.cosh(a),
  }

  /** ct · f′(x), f′ from the table at x and y = f(x); ct may carry leading batch axes. */
  const derivMul = (op: DerivKernelName, x: T, y: T, ct: T, p: number): T =>
    tf.mul(ct, derivatives[op](algebra, x, y, p))

  const pow = (x: T, p: number): T => {
    if (p === 2) return tf.square(x)
    if (p === 1) return tf.clone(x)
    if (p === 0.5) return tf.sqrt(x)
    if (p === -1) return tf.reciprocal(x)
    return tf.pow(x, scalar(p))
  }

  // ------------------------------------------------------------------------------------------
  // matmul: op(A)·op(B) with batch axes broadcast
  // ------------------------------------------------------------------------------------------

  /** `y` with the shape of `out` (a relabelling: the data is shared, `y` itself is freed). */
  const shaped = (y: T, out: Meta): T => {
    if (shapesEqual(y.shape, out.shape)) return y
    const r = tf.reshape(y, out.shape as number[])
    y.dispose()
    return r
  }

  const matmul = (a: T, b: T, ma: Meta, mb: Meta, out: Meta, transA: boolean, transB: boolean): T => {
    // an inner dimension of 0: a sum of no products (tfjs-wasm leaves the memory as it was)
    if (sizeOf(ma.shape) === 0 || sizeOf(mb.shape) === 0) return tf.zeros(out.shape as number[], 'float32')
    const batchA = ma.shape.slice(0, -2)
    const batchB = mb.shape.slice(0, -2)
    const broadcasts = tfBroadcastsBatch(batchA, batchB)
    const ea = transA && config.explicitTranspose.a
    const eb = transB && config.explicitTranspose.b
    if (broadcasts && !ea && !eb) {
      return shaped(tf.matMul(a, b, transA, transB), out)
    }
    return tf.tidy(() => {
      let A = a
      let B = b
      if (!broadcasts) {
        const batch = out.shape.slice(0, -2)
        A = broadcast(A, [...batch, ...ma.shape.slice(-2)])
        B = broadcast(B, [...batch, ...mb.shape.slice(-2)])
      }
      if (ea) A = tf.transpose(A, swapLast2(A.rank))
      if (eb) B = tf.transpose(B, swapLast2(B.rank))
      return tf.reshape(tf.matMul(A, B, transA && !ea, transB && !eb), out.shape as number[])
    })
  }

  // ------------------------------------------------------------------------------------------
  // reductions over sorted axes; `out` may keep them as size 1
  // ------------------------------------------------------------------------------------------

  /**
   * A reduction over `axes`, with `empty` (its identity) wherever they hold no element: the
   * engine runs no kernel for an empty output, but a reduction of an empty tensor can have a
   * non-empty one, which tfjs-wasm fills with stale memory, tfjs-cpu with NaN for max, and
   * WebGPU does not compute at all.
   */
  const reduction =
    (f: (x: T, axes: number[]) => T, empty: number) =>
    (x: T, m: Meta, axes: readonly number[], out: Meta): T => {
      if (axes.length === 0) return tf.reshape(x, out.shape as number[])
      if (sizeOf(m.shape) === 0) return tf.fill(out.shape as number[], empty, 'float32')
      return shaped(f(x, [...axes]), out)
    }

  /**
   * log Σ eˣ as the cpu backend computes it, kept dims: m + log Σ e^(x − m), m = max x, with m taken as 0
   * where it is infinite, so that [−∞, −∞] gives −∞ and [∞, 0] gives ∞ (tf.logSumExp gives NaN
   * for both: it subtracts the maximum as it is).
   */
  const logSumExp = (x: T, axes: number[]): T =>
    tf.tidy(() => {
      const mx = tf.max(x, axes, true)
      const m = tf.where(tf.isFinite(mx), mx, tf.zerosLike(mx))
      return tf.add(tf.log(tf.sum(tf.exp(tf.sub(x, m)), axes, true)), m)
    })

  const unaryNames: readonly UnaryKernelName[] = [...derivNames.filter((k) => k !== 'pow'), 'neg', 'sign']
  const binaryNames = Object.keys(binaryFns) as BinaryKernelName[]

  /** Single tfjs ops need no tidy: they create nothing but their result. */
  const single = new Set<BinaryKernelName>([
    'add',
    'sub',
    'mul',
    'div',
    'maximum',
    'minimum',
    'atan2',
    'powTensor',
  ])

  const kernels: Kernels<T> = {
    ...(Object.fromEntries(unaryNames.map((k) => [k, run((x: T, _m: Meta) => unaryFns[k](x))])) as {
      [K in UnaryKernelName]: (x: T, m: Meta) => T
    }),
    ...(Object.fromEntries(
      binaryNames.map((k) => {
        const f = (a: T, b: T, _ma: Meta, _mb: Meta, _out: Meta): T => binaryFns[k](a, b)
        return [k, single.has(k) ? run(f) : tidy(f)]
      }),
    ) as {
      [K in BinaryKernelName]: (a: T, b: T, ma: Meta, mb: Meta, out: Meta) => T
    }),
    pow: tidy((x: T, _m: Meta, p: number) => pow(x, p)),
    clip: run((x: T, _m: Meta, lo: number, hi: number) => tf.clipByValue(x, lo, hi)),
    derivMul: tidy((op: DerivKernelName, x: T, y: T, ct: T, _m: Meta, _ctMeta: Meta, p: number) =>
      derivMul(op, x, y, ct, p),
    ),
    // cond ≠ 0 picks a
    where: tidy((c: T, a: T, b: T, mc: Meta, ma: Meta, mb: Meta, out: Meta) =>
      tf.where(tf.notEqual(to(c, mc, out), scalar(0)), to(a, ma, out), to(b, mb, out)),
    ),
    matmul: run(matmul),
    transpose: run((x: T, _m: Meta, perm: readonly number[]) => tf.transpose(x, [...perm])),
    reshape: run((x: T, _m: Meta, out: Meta) => tf.reshape(x, out.shape as number[])),
    broadcastTo: run((x: T, _m: Meta, out: Meta) => broadcast(x, out.shape)),
    sum: run(reduction((x, axes) => tf.sum(x, axes), 0)),
    max: run(reduction((x, axes) => tf.max(x, axes), -Infinity)),
    min: run(reduction((x, axes) => tf.min(x, axes), Infinity)),
    prod: run(reduction((x, axes) => tf.prod(x, axes), 1)),
    logsumexp: run(reduction(logSumExp, -Infinity)),
    // empty parts add nothing (and tfjs-wasm copies stale memory for them)
    concat: run((xs: readonly T[], ms: readonly Meta[], axis: number) => {
      const parts = xs.filter((_, i) => sizeOf(ms[i]!.shape) > 0)
      return parts.length === 1 ? tf.clone(parts[0]!) : tf.concat(parts, axis)
    }),
    // a scalar's only box, and its only padding, is itself
    slice: run((x: T, m: Meta, begin: readonly number[], out: Meta) =>
      m.shape.length === 0 ? tf.clone(x) : tf.slice(x, [...begin], out.shape as number[]),
    ),
    // an empty tensor padded is all padding
    pad: tidy((x: T, m: Meta, before: readonly number[], out: Meta) =>
      m.shape.length === 0
        ? tf.clone(x)
        : sizeOf(m.shape) === 0
          ? tf.zeros(out.shape as number[], out.dtype === 'int32' ? 'int32' : 'float32')
          : padMerged(
              x,
              m.shape,
              before.map((b, i): [number, number] => [b, out.shape[i]! - m.shape[i]! - b]),
            ),
    ),
    cast: run((x: T, m: Meta, out: Meta): T => {
      if (out.dtype === m.dtype) return tf.clone(x)
      // an index tensor's values as floats
      if (m.dtype === 'int32' && out.dtype === 'float32') return tf.cast(x, 'float32')
      throw new DTypeError(
        `cast: the ${name} backend holds float32 only, so it cannot cast ${m.dtype} to ${out.dtype}; ` +
          `move the tensor to the cpu backend first (toBackend(t, 'cpu'))`,
      )
    }),
    // the sums from the end as the running sums of the reversed axis: tf.cumsum's own reverse flag
    // gives wrong sums on tfjs-webgpu (a [3, 1] tensor along axis 0, tfjs 4.22)
    cumsum: tidy((x: T, _m: Meta, axis: number, reverse: boolean) =>
      reverse ? tf.reverse(tf.cumsum(tf.reverse(x, axis), axis), axis) : tf.cumsum(x, axis),
    ),
    argmax: run((x: T, _m: Meta, axis: number) => tf.argMax(x, axis)),
    argmin: run((x: T, _m: Meta, axis: number) => tf.argMin(x, axis)),
    // the indices were checked before the kernel runs: tf.gather clamps or gives zeros out of range
    take: run((x: T, idx: T, _m: Meta, _mi: Meta, axis: number) => tf.gather(x, idx, axis)),
    scatterAdd: tidy((u: T, idx: T, _m: Meta, mi: Meta, axis: number, out: Meta) => {
      // u as [outer, k, inner] → [k, outer · inner]; scatterND adds the rows of repeated indices
      const k = sizeOf(mi.shape)
      const outer = sizeOf(out.shape.slice(0, axis))
      const inner = sizeOf(out.shape.slice(axis + 1))
      const n = out.shape[axis]!
      if (k === 0) return tf.zeros(out.shape as number[], 'float32')
      const rows = tf.reshape(tf.transpose(tf.reshape(u, [outer, k, inner]), [1, 0, 2]), [k, outer * inner])
      const sums = tf.scatterND(tf.reshape(idx, [k, 1]), rows, [n, outer * inner])
      return tf.reshape(tf.transpose(tf.reshape(sums, [n, outer, inner]), [1, 0, 2]), out.shape as number[])
    }),
  }

  /** The error for a handle used after it was freed (tfjs itself throws a bare TypeError there). */
  const disposed = (what: string): ValueError =>
    new ValueError(
      `${what}: a ${name} tensor was used after it was disposed (by dispose(), or by the tidy or ` +
        'transformation that created it without returning it); keep() a tensor that must outlive its scope',
    )
  const isDead = (a: unknown): boolean => a instanceof tf.Tensor && a.isDisposed
  /** Every kernel, first checking that none of its handles (or lists of handles) was disposed. */
  const guarded = Object.fromEntries(
    Object.entries(kernels as unknown as Record<string, (...args: unknown[]) => T>).map(([k, f]) => [
      k,
      (...args: unknown[]): T => {
        for (const a of args) if (isDead(a) || (Array.isArray(a) && a.some(isDead))) throw disposed(k)
        return f(...args)
      },
    ]),
  ) as unknown as Kernels<T>

  const checkDevice = (): void => {
    const errors = config.takeErrors?.() ?? []
    if (errors.length > 0) throw new BackendError(`${name}: the device reported errors: ${errors.join('; ')}`)
  }

  return {
    name,
    dtypes: ['float32'],
    syncRead: config.syncRead,
    ownsMemory: true,
    shapeOf: (h: T): Shape => h.shape,
    fromArray: (data: FloatArray, m: Meta): T => {
      if (m.dtype === 'int32' && data instanceof Int32Array) {
        ensure()
        return tf.tensor(data, m.shape as number[], 'int32')
      }
      if (!(data instanceof Float32Array)) {
        throw new DTypeError(
          `${name}: data must be float32 (a Float32Array); create with { dtype: 'float32' }`,
        )
      }
      ensure()
      return tf.tensor(data, m.shape as number[], 'float32')
    },
    readSync: (h: T): FloatArray => {
      if (h.isDisposed) throw disposed('dataSync')
      if (!config.syncRead) {
        throw new BackendError(`${name}: data is read asynchronously here; use \`await t.data()\``)
      }
      const d = h.dataSync() as Float32Array
      checkDevice()
      return d
    },
    read: async (h: T): Promise<FloatArray> => {
      if (h.isDisposed) throw disposed('data')
      const d = (await h.data()) as Float32Array
      checkDevice()
      return config.copyOnRead ? d.slice() : d
    },
    dispose: (h: T) => h.dispose(),
    kernels: guarded,
  }
}
