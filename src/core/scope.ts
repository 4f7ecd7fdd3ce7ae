import { tapeActive } from './levels.js'
import { type Concrete, Tensor } from './tensor.js'

// ---------------------------------------------------------------------------------------------
// Memory scopes. A backend whose handles hold memory that must be freed (tfjs: GPU buffers,
// wasm heap) sets `ownsMemory`. Every transformation (jvp, vjp, grad, the Jacobian builders)
// runs inside a scope that records the concrete tensors of such backends created while it is
// active; when the transformation returns, those not reachable from its result are disposed,
// and the reachable ones pass to the enclosing scope (or to the caller). Tensors created outside
// every scope belong to the caller, who frees them with `dispose` (or runs the code in `tidy`).
//
// Two rules keep this safe under nesting:
// - while a tape is recording (an enclosing vjp level is active), its pullback closures may hold
//   any tensor created in an inner scope, so an inner scope disposes nothing and hands all its
//   tensors to the enclosing one, which frees them once the tape is gone;
// - a handle is recorded once, by the scope active when it first appears: a kernel that returns
//   one of its inputs' handles (stopGradient) or a re-wrapped handle (defineOp) is not a new one.
// ---------------------------------------------------------------------------------------------

interface Scope {
  readonly owned: Concrete[]
}

const scopes: Scope[] = []
/** Handles already recorded (or created outside every scope). */
const seen = new WeakSet<object>()
/** Handles that no scope may dispose (`keep`). */
const kept = new WeakSet<object>()

/** Records the concrete data of a new tensor of a memory-owning backend (internal: Tensor calls it). */
export function track(c: Concrete): void {
  const h = c.handle
  if (typeof h !== 'object' || h === null || seen.has(h)) return
  seen.add(h)
  const top = scopes[scopes.length - 1]
  if (top !== undefined) top.owned.push(c)
}

/** Calls `visit` with the concrete data under every tensor of a tree (arrays, plain objects, tensors). */
function forEachConcrete(tree: unknown, visit: (c: Concrete) => void): void {
  const todo: unknown[] = [tree]
  const visited = new Set<unknown>()
  while (todo.length > 0) {
    const v = todo.pop()
    if (typeof v === 'object' && v !== null) {
      // a result may contain itself
      if (visited.has(v)) continue
      visited.add(v)
    }
    if (v instanceof Tensor) {
      const impl = v.impl
      if (impl.kind === 'concrete') visit(impl)
      else {
        todo.push(impl.primal)
        if (impl.kind === 'dual') todo.push(impl.tangent)
      }
    } else if (Array.isArray(v)) {
      for (const e of v) todo.push(e)
    } else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const e of Object.values(v)) todo.push(e)
    }
  }
}

function reachable(tree: unknown): Set<unknown> {
  const live = new Set<unknown>()
  forEachConcrete(tree, (c) => live.add(c.handle))
  return live
}

function moveAll(from: readonly Concrete[], to: Concrete[]): void {
  for (const c of from) to.push(c)
}

/** Ends a scope: frees what `result` does not reach, unless a tape may still need it. */
function release(scope: Scope, result: unknown): void {
  if (scope.owned.length === 0) return
  const parent = scopes[scopes.length - 1]
  if (parent !== undefined && tapeActive()) {
    moveAll(scope.owned, parent.owned)
    return
  }
  const live = reachable(result)
  for (const c of scope.owned) {
    const h = c.handle as object
    if (live.has(h)) parent?.owned.push(c)
    else if (!kept.has(h)) c.backend.dispose(h)
  }
}

/**
 * Runs `body` in a scope: the memory-owning tensors it creates and does not return are freed
 * when it returns (or throws). Used by every transformation (internal).
 */
export function withScope<T>(body: () => T): T {
  const scope: Scope = { owned: [] }
  scopes.push(scope)
  let result: T
  try {
    result = body()
  } catch (e) {
    scopes.pop()
    release(scope, undefined)
    throw e
  }
  scopes.pop()
  release(scope, result)
  return result
}

/** Tensors kept alive for a function (a pullback) until it is garbage-collected, by handle. */
type Owned = Map<object, Concrete>

const finalizer = new FinalizationRegistry<Owned>((owned) => {
  for (const c of owned.values()) c.backend.dispose(c.handle)
})

/**
 * Runs `body` (which records a tape) in a scope that frees nothing: the tape's pullback needs
 * the tensors it created. Inside another scope they pass to it; at the top level they are
 * returned, apart from those that `outputs(result)` reaches (they belong to the caller), to be
 * handed to `ownedBy` (internal).
 */
export function withTapeScope<T>(body: () => T, outputs: (result: T) => unknown): [T, Owned | null] {
  const scope: Scope = { owned: [] }
  scopes.push(scope)
  let result: T
  try {
    result = body()
  } catch (e) {
    scopes.pop()
    release(scope, undefined)
    throw e
  }
  scopes.pop()
  if (scope.owned.length === 0) return [result, null]
  const parent = scopes[scopes.length - 1]
  if (parent !== undefined) {
    moveAll(scope.owned, parent.owned)
    return [result, null]
  }
  const live = reachable(outputs(result))
  const owned: Owned = new Map()
  for (const c of scope.owned) {
    const h = c.handle as object
    if (!live.has(h) && !kept.has(h)) owned.set(h, c)
  }
  return [result, owned]
}

/**
 * Wraps a pullback so that each call runs in its own scope (its intermediate cotangents are
 * freed when it returns) and the tensors of its tape (`owned`) are freed when it is
 * garbage-collected. A cotangent it returns that is one of the tape's own tensors is handed
 * to the caller (internal).
 */
export function ownedBy<A extends unknown[], R>(
  fn: (...args: A) => R,
  owned: Owned | null,
): (...args: A) => R {
  if (owned === null) return (...args: A) => withScope(() => fn(...args))
  const wrapped = (...args: A): R => {
    const r = withScope(() => fn(...args))
    forEachConcrete(r, (c) => owned.delete(c.handle as object))
    return r
  }
  finalizer.register(wrapped, owned)
  return wrapped
}

/**
 * Runs `fn` and frees the memory of every tensor it created that is not reachable from its
 * result (an array, a plain object or a tensor), like TensorFlow.js's `tf.tidy`. Only backends
 * that own memory (the tfjs ones) free anything; on the cpu backend it only runs `fn`.
 *
 * @example
 * import { tidy, tensor, mul, add, sum } from 'dualtape'
 * const x = tensor([1, 2, 3])
 * const s = tidy(() => sum(add(mul(x, x), 1))) // the products and sums inside are freed
 * s.item() // 17
 */
export function tidy<T>(fn: () => T): T {
  return withScope(fn)
}

/**
 * Frees the memory of the tensors in a tree now (tfjs backends; a no-op on the cpu backend). A
 * disposed tensor must not be used again, nor any tensor that shares its data (`stopGradient`
 * returns one).
 *
 * @example
 * import { dispose, tensor } from 'dualtape'
 * const a = tensor([1, 2])
 * const b = tensor([3, 4])
 * dispose([a, b])
 */
export function dispose(tree: unknown): void {
  forEachConcrete(tree, (c) => c.backend.dispose(c.handle))
}

/**
 * Marks a tensor so that no scope frees it: a tensor created inside a transformation or `tidy`
 * that outlives it without being returned (a cache). Returns the tensor. Free it with `dispose`.
 *
 * @example
 * import { keep, tidy, tensor, exp, type Tensor } from 'dualtape'
 * let cache: Tensor | undefined
 * tidy(() => {
 *   cache = keep(exp(tensor([1])))
 * })
 * cache!.toArray() // → [2.718281828459045]
 */
export function keep<T extends Tensor>(t: T): T {
  forEachConcrete(t, (c) => {
    if (typeof c.handle === 'object' && c.handle !== null) kept.add(c.handle)
  })
  return t
}
