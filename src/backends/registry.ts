import { BackendError, ValueError, fmtValue } from '../core/errors.js'
import { type Backend, matrixKernelNames } from '../core/backend.js'
import { cpuBackend } from './cpu/index.js'

const backends = new Map<string, Backend>([['cpu', cpuBackend as Backend]])
/** Why a backend that was asked for could not be initialised, by name. */
const failures = new Map<string, string>()
let current: Backend = cpuBackend as Backend

/**
 * The kernels every backend must have: those of the cpu backend (the `Kernels` type's keys) but
 * the optional matrix kernels (`MatrixKernels`), whose ops raise a BackendError on a backend
 * without them.
 */
const optional: ReadonlySet<string> = new Set(matrixKernelNames)
const kernelNames = Object.keys(cpuBackend.kernels).filter((k) => !optional.has(k))

/**
 * Throws a BackendError unless `b` has what the engine calls: a non-empty name, known dtypes,
 * `syncRead`, the data functions and every kernel.
 */
function checkBackend(b: unknown): asserts b is Backend {
  const fail = (why: string): never => {
    throw new BackendError(
      `registerBackend: ${why}; see the Backend interface (cpuBackend is a complete one)`,
    )
  }
  if (typeof b !== 'object' || b === null) return fail(`a backend must be an object, got ${fmtValue(b)}`)
  const o = b as Record<string, unknown>
  if (typeof o.name !== 'string' || o.name === '')
    return fail(`a backend needs a non-empty string name, got ${fmtValue(o.name)}`)
  const name = `the backend '${o.name}'`
  const dtypes = o.dtypes
  if (
    !Array.isArray(dtypes) ||
    dtypes.length === 0 ||
    dtypes.some((d) => d !== 'float64' && d !== 'float32')
  ) {
    return fail(`${name} must list its dtypes ('float64', 'float32'), got ${fmtValue(dtypes)}`)
  }
  if (typeof o.syncRead !== 'boolean')
    return fail(`${name} must say whether readSync works (syncRead: boolean)`)
  for (const f of ['fromArray', 'readSync', 'read', 'dispose']) {
    if (typeof o[f] !== 'function') return fail(`${name} lacks the function ${f}`)
  }
  const kernels = o.kernels as Record<string, unknown> | null | undefined
  if (typeof kernels !== 'object' || kernels === null) return fail(`${name} has no kernels object`)
  const missing = kernelNames.filter((k) => typeof kernels[k] !== 'function')
  if (missing.length > 0) {
    return fail(`${name} lacks the kernel${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`)
  }
}

/**
 * Makes a backend available under its name (the tfjs backends register themselves this way).
 * The backend must be complete (a name, its dtypes, the data functions and every kernel of
 * `Kernels` but the optional matrix kernels); anything less is a BackendError and registers nothing.
 *
 * @example
 * import { registerBackend, cpuBackend } from 'dualtape/backends'
 * import { useBackend, tensor } from 'dualtape'
 * registerBackend({ ...cpuBackend, name: 'cpu-copy' })
 * useBackend('cpu-copy')
 * tensor([1, 2]).backend.name // → 'cpu-copy'
 * useBackend('cpu')
 */
export function registerBackend<H>(backend: Backend<H>): void {
  checkBackend(backend)
  backends.set(backend.name, backend as Backend)
  failures.delete(backend.name)
}

/**
 * Records why a backend could not be initialised, so that asking for it by name says so
 * (the tfjs backends call it when their initialisation fails): `getBackend(name)` then throws a
 * BackendError that ends with `failed to initialise: <reason>`.
 */
export function recordBackendFailure(name: string, reason: string): void {
  if (!backends.has(name)) failures.set(name, reason)
}

/**
 * The backend that new tensors are created on, by name (`'cpu'` by default).
 *
 * @example
 * import { useBackend, tensor } from 'dualtape'
 * useBackend('cpu')
 * tensor([1, 2]).backend.name // 'cpu'
 */
export function useBackend(name: string): Backend {
  current = getBackend(name)
  return current
}

/**
 * A registered backend by name; throws a BackendError listing the known ones.
 *
 * @example
 * import { getBackend } from 'dualtape'
 * import { cpuBackend } from 'dualtape/backends'
 * getBackend().name // → 'cpu': the current backend
 * getBackend('cpu') === cpuBackend // → true
 */
export function getBackend(name?: string): Backend {
  if (name === undefined) return current
  if (typeof name !== 'string')
    throw new ValueError(`getBackend: a backend name must be a string, got ${fmtValue(name)}`)
  const b = backends.get(name)
  if (b === undefined) {
    const failed = failures.get(name)
    if (failed !== undefined) throw new BackendError(`backend '${name}' failed to initialise: ${failed}`)
    throw new BackendError(
      `unknown backend '${name}'; registered: ${[...backends.keys()].join(', ')}` +
        (name.startsWith('tfjs') || name === 'webgpu' || name === 'wasm'
          ? ' (the tfjs backends are registered by initTfjsBackend())'
          : ''),
    )
  }
  return b
}

/** The backend new tensors are created on. */
export const currentBackend = (): Backend => current

/**
 * The names of the registered backends.
 *
 * @example
 * import { backendNames } from 'dualtape'
 * backendNames().includes('cpu') // → true
 */
export const backendNames = (): string[] => [...backends.keys()]
