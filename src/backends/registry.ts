import { BackendError } from '../core/errors.js'
import type { Backend } from './backend.js'
import { cpuBackend } from './cpu/index.js'

const backends = new Map<string, Backend>([['cpu', cpuBackend as Backend]])
let current: Backend = cpuBackend as Backend

/**
 * Makes a backend available under its name (the tfjs backends register themselves this way).
 *
 * @example
 * import { registerBackend, cpuBackend } from 'dualtape'
 * registerBackend({ ...cpuBackend, name: 'cpu-copy' })
 */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend)
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

/** A registered backend by name; throws a BackendError listing the known ones. */
export function getBackend(name?: string): Backend {
  if (name === undefined) return current
  const b = backends.get(name)
  if (b === undefined) {
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

/** The names of the registered backends. */
export const backendNames = (): string[] => [...backends.keys()]
