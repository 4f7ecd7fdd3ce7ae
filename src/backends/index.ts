/**
 * `dualtape/backends`: writing a backend of your own. The `Backend` interface (its data
 * functions and `Kernels`, each kernel taking handles and their `Meta`; the `MatrixKernels` of
 * `dualtape/matrix` are optional), `registerBackend`,
 * which checks a backend is complete before making it available by name, and `cpuBackend`,
 * the complete reference backend to start from. Choosing a backend (`useBackend`,
 * `getBackend`, the `backend` option of `tensor`) is in the root entry.
 *
 * @example
 * import { tensor, useBackend } from 'dualtape'
 * import { cpuBackend, registerBackend, type Backend, type FloatArray } from 'dualtape/backends'
 * const copy: Backend<FloatArray> = { ...cpuBackend, name: 'cpu-copy' }
 * registerBackend(copy)
 * useBackend('cpu-copy')
 * tensor([1, 2]).backend.name // → 'cpu-copy'
 * useBackend('cpu')
 *
 * @module
 */
export type { Backend, Kernels, MatrixKernels, Meta } from '../core/backend.js'
export type { FloatArray } from '../core/dtype.js'
export { cpuBackend } from './cpu/index.js'
export { registerBackend } from './registry.js'
