import type { DType, FloatArray } from './dtype.js'
import type { Shape } from './shape.js'
import type { DerivName } from '../ops/derivatives.js'

/**
 * Shape and dtype of a kernel argument or result.
 *
 * @example
 * import { cpuBackend, type Meta } from 'dualtape/backends'
 * const meta: Meta = { shape: [2], dtype: 'float64' }
 * const handle = cpuBackend.fromArray(Float64Array.of(1, 2), meta)
 * cpuBackend.readSync(handle, meta) // → [1, 2]
 */
export interface Meta {
  readonly shape: Shape
  readonly dtype: DType
}

/**
 * Elementwise unary kernels, each applying one scalar function: neg, sign, and the ops of the
 * derivative table (src/ops/derivatives.ts) but pow, which has a kernel of its own.
 */
export type UnaryKernelName = Exclude<DerivName, 'pow'> | 'neg' | 'sign'

/** Elementwise binary kernels with numpy broadcasting. */
export type BinaryKernelName =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'maximum'
  | 'minimum'
  | 'greater'
  | 'greaterEqual'
  | 'less'
  | 'lessEqual'
  | 'equal'
  | 'atan2'
  | 'powTensor'

/** The ops whose derivative has a fused kernel `ct · f′(x)` (see `derivMul`): those of the derivative table. */
export type DerivKernelName = DerivName

type Unary<H> = (x: H, m: Meta) => H
type Binary<H> = (a: H, b: H, ma: Meta, mb: Meta, out: Meta) => H

/**
 * The kernels of a backend: one per primitive. Kernels receive handles and the metas the
 * op's shape rule has already validated, so they never check shapes themselves.
 *
 * @example
 * import { cpuBackend, type FloatArray, type Kernels } from 'dualtape/backends'
 * const kernels: Kernels<FloatArray> = cpuBackend.kernels
 * kernels.exp(Float64Array.of(0, 1), { shape: [2], dtype: 'float64' }) // → [1, 2.718282]
 */
export type Kernels<H> = { readonly [K in UnaryKernelName]: Unary<H> } & {
  readonly [K in BinaryKernelName]: Binary<H>
} & {
  /** min(max(x, lo), hi) elementwise (NaN stays NaN), lo ≤ hi. */
  readonly clip: (x: H, m: Meta, lo: number, hi: number) => H
  /** x^p elementwise, p a number. */
  readonly pow: (x: H, m: Meta, p: number) => H
  /** ct · f′(x) with f′ written from x and y = f(x); `ct` may carry leading batch axes. */
  readonly derivMul: (op: DerivKernelName, x: H, y: H, ct: H, m: Meta, ctMeta: Meta, p: number) => H
  /** cond ? a : b elementwise, broadcasting all three. */
  readonly where: (c: H, a: H, b: H, mc: Meta, ma: Meta, mb: Meta, out: Meta) => H
  /**
   * Batched matrix product op(A)·op(B) over the last two axes, batch axes broadcast, ranks ≥ 2;
   * op transposes the operand's last two axes when its flag is set.
   */
  readonly matmul: (a: H, b: H, ma: Meta, mb: Meta, out: Meta, transA: boolean, transB: boolean) => H
  readonly transpose: (x: H, m: Meta, perm: readonly number[], out: Meta) => H
  readonly reshape: (x: H, m: Meta, out: Meta) => H
  readonly broadcastTo: (x: H, m: Meta, out: Meta) => H
  /** Reductions over sorted distinct `axes`; `out` may keep the reduced axes as size 1. */
  readonly sum: (x: H, m: Meta, axes: readonly number[], out: Meta) => H
  readonly max: (x: H, m: Meta, axes: readonly number[], out: Meta) => H
  readonly min: (x: H, m: Meta, axes: readonly number[], out: Meta) => H
  readonly prod: (x: H, m: Meta, axes: readonly number[], out: Meta) => H
  /** Running sums along `axis`, from its end with `reverse`. */
  readonly cumsum: (x: H, m: Meta, axis: number, reverse: boolean, out: Meta) => H
  /** The int32 position of the first maximum (minimum) along `axis`, a NaN counting as the extreme. */
  readonly argmax: (x: H, m: Meta, axis: number, out: Meta) => H
  readonly argmin: (x: H, m: Meta, axis: number, out: Meta) => H
  readonly logsumexp: (x: H, m: Meta, axes: readonly number[], out: Meta) => H
  readonly concat: (xs: readonly H[], ms: readonly Meta[], axis: number, out: Meta) => H
  /** The box starting at `begin` with the shape of `out`. */
  readonly slice: (x: H, m: Meta, begin: readonly number[], out: Meta) => H
  /** Zero padding with `before` elements before each axis (the adjoint of slice). */
  readonly pad: (x: H, m: Meta, before: readonly number[], out: Meta) => H
  readonly cast: (x: H, m: Meta, out: Meta) => H
  /**
   * y = x[..., idx, ...] along `axis`: out has shape x[:axis] ++ idx.shape ++ x[axis+1:]; idx is
   * int32, each entry in [0, x.shape[axis]) (checked before the kernel runs).
   */
  readonly take: (x: H, idx: H, m: Meta, mIdx: Meta, axis: number, out: Meta) => H
  /**
   * The transpose of take: u (of take's output shape) added into zeros of shape `out` at the
   * indices along `axis`, a repeated index accumulating.
   */
  readonly scatterAdd: (u: H, idx: H, m: Meta, mIdx: Meta, axis: number, out: Meta) => H
} & { readonly [K in MatrixKernelName]?: MatrixKernels<H>[K] }

/**
 * The kernels of the matrix functions (`dualtape/matrix`), each on stacks of matrices in the last
 * two axes. A backend may lack them (TensorFlow.js has no Cholesky, triangular solve, LU or
 * symmetric eigensolver): the op then raises a BackendError naming itself and the backend. A
 * kernel raises a LinAlgError for a matrix it cannot take (singular, not positive definite).
 *
 * @example
 * import { cpuBackend, type FloatArray, type MatrixKernels } from 'dualtape/backends'
 * const chol: MatrixKernels<FloatArray>['cholesky'] | undefined = cpuBackend.kernels.cholesky
 * const m = { shape: [2, 2], dtype: 'float64' as const }
 * chol?.(Float64Array.of(4, 2, 2, 5), m, m) // → [2, 0, 1, 2]
 */
export interface MatrixKernels<H> {
  /** The lower Cholesky factor of the symmetric part of each matrix. */
  readonly cholesky: (a: H, m: Meta, out: Meta) => H
  /** op(T) X = B, T the `lower` (or upper) triangle of A, op(T) = T or Tᵀ; batch axes broadcast. */
  readonly triangularSolve: (a: H, b: H, ma: Meta, mb: Meta, out: Meta, lower: boolean, transA: boolean) => H
  /** op(A) X = B by LU with partial pivoting; batch axes broadcast. */
  readonly solve: (a: H, b: H, ma: Meta, mb: Meta, out: Meta, transA: boolean) => H
  /** log |det A| of each matrix (`positive`: a LinAlgError where det A ≤ 0). */
  readonly logAbsDet: (a: H, m: Meta, out: Meta, positive: boolean) => H
  /** The sign of det A of each matrix (0 where it is singular). */
  readonly detSign: (a: H, m: Meta, out: Meta) => H
  /** The eigenvalues (row 0) and eigenvectors (rows 1…n, as columns) of the symmetric part, packed [..., n + 1, n]. */
  readonly eigh: (a: H, m: Meta, out: Meta) => H
}

/** The names of the matrix kernels, which are the names of their ops. */
export type MatrixKernelName = keyof MatrixKernels<unknown>

/** Every matrix kernel's name once (a name missing here fails the type check). */
const matrixKernelSet: { readonly [K in MatrixKernelName]: true } = {
  cholesky: true,
  triangularSolve: true,
  solve: true,
  logAbsDet: true,
  detSign: true,
  eigh: true,
}

/** The matrix kernels, which a backend may lack (internal: the backend registry and the tests read it). */
export const matrixKernelNames = Object.keys(matrixKernelSet) as readonly MatrixKernelName[]

/**
 * Where tensor data lives and how kernels run on it. The AD layer only ever sees opaque
 * handles; a backend that must free memory does it in `dispose`.
 *
 * @example
 * import { getBackend } from 'dualtape'
 * import { type Backend } from 'dualtape/backends'
 * const cpu: Backend = getBackend('cpu')
 * cpu.dtypes // → ['float64', 'float32']
 * cpu.syncRead // → true
 */
export interface Backend<H = unknown> {
  /** 'cpu', 'tfjs-cpu', 'tfjs-wasm', 'tfjs-webgpu', ... */
  readonly name: string
  readonly dtypes: readonly DType[]
  /** Whether `readSync` works (the cpu backend); otherwise read with `await read`. */
  readonly syncRead: boolean
  /**
   * Whether handles hold memory that `dispose` must free (tfjs). Tensors of such a backend
   * created inside a transformation are freed when it returns unless they are returned.
   */
  readonly ownsMemory?: boolean
  /**
   * The shape a handle holds, where the backend can tell (tfjs). The engine then checks every
   * kernel's output against the shape the op's shape rule gives, and raises a BackendError
   * when they differ, rather than label wrong data with the expected shape.
   */
  shapeOf?(h: H): Shape
  fromArray(data: FloatArray, m: Meta): H
  readSync(h: H, m: Meta): FloatArray
  read(h: H, m: Meta): Promise<FloatArray>
  dispose(h: H): void
  readonly kernels: Kernels<H>
  /**
   * ct · f′(x) on one float64 value, as the `derivMul` kernel computes each element (to the bit),
   * where the backend has it (the cpu backend): the reverse sweep then pulls zero-dimensional
   * float64 entries of ops of the derivative table back on numbers, without building tensors.
   */
  readonly derivMulNumber?: (op: DerivKernelName, x: number, y: number, ct: number, p: number) => number
}
