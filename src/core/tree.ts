import { ShapeError, ValueError, fmtShape } from './errors.js'
import type { Level } from './levels.js'
import { describe, primalAt } from './op.js'
import { Tensor, isTensor } from './tensor.js'

/**
 * A tree of tensors: a tensor, or nested arrays and plain objects of trees (null/undefined are empty).
 * Object keys are data: `__proto__` and `constructor` (as `JSON.parse` makes them) are keys like
 * any other, and the trees dualtape builds keep them as own properties, with `Object.prototype`.
 *
 * @example
 * import { grad, add, mul, sum, tensor, type Tensor, type Tree } from 'dualtape'
 * // parameters as an object of tensors: the gradient has the same structure
 * const params = { w: tensor([1, 2]), b: tensor(0.5) } satisfies Tree
 * const loss = (p: typeof params): Tensor => sum(add(mul(p.w, p.w), p.b))
 * grad(loss)(params) // → { w: [2, 4], b: 2 }
 */
export type Tree = Tensor | null | undefined | readonly Tree[] | { readonly [key: string]: Tree }

/** Whether `T` is `any` (an untyped parameter): its trees are untyped too. */
type IsAny<T> = 0 extends 1 & T ? true : false

/**
 * The type of a tree with the structure of `T` and `Leaf` at each tensor: arrays, tuples and
 * plain objects are mapped key by key, `null` and `undefined` stay. This is the type of what the
 * transformations build from a tree (a gradient, a tangent, a Jacobian's blocks). A leaf that is
 * no tree (a number, a string, a function) maps to `never`; the wide `Tree` maps to `Tree`, and
 * `any` (an untyped parameter) to `any`; a tree type of tensors with `Leaf` a Tensor maps to
 * itself. A recursive type that is no tree of tensors is followed 12 levels deep, then maps to
 * `Tree`.
 *
 * @example
 * import { tensor, type MapTree, type Tensor } from 'dualtape'
 * type Params = { w: Tensor; layers: [Tensor, Tensor] }
 * // the Jacobian of a [Tensor, Tensor] output with respect to Params: Params at each output leaf
 * type J = MapTree<[Tensor, Tensor], Params>
 * const j: J[1]['layers'][0] = tensor([1]) // → [1]
 */
export type MapTree<T, Leaf> = MapTreeAt<T, Leaf, []>

/** `MapTree` at depth `D['length']`. */
type MapTreeAt<T, Leaf, D extends unknown[]> =
  IsAny<T> extends true
    ? any
    : [Tree] extends [T]
      ? Tree
      : [Leaf, T] extends [Tensor, Tree]
        ? T
        : D['length'] extends 12
          ? Tree
          : MapTreeOf<T, Leaf, [...D, unknown]>

type MapTreeOf<T, Leaf, D extends unknown[]> = T extends Tensor
  ? Leaf
  : T extends null | undefined
    ? T
    : T extends (...args: never[]) => unknown
      ? never
      : T extends object
        ? { -readonly [K in keyof T]: MapTreeAt<T[K], Leaf, D> }
        : never

/**
 * The type of a tree of tensors with the structure of `T`: the type of a gradient of an argument
 * of type `T`, of a tangent of it, or of a cotangent of an output of type `T`. A Tensor gives a
 * Tensor, `{ w: Tensor; b: Tensor[] }` gives `{ w: Tensor; b: Tensor[] }`.
 *
 * @example
 * import { grad, mul, sum, tensor, type Tangent, type Tensor } from 'dualtape'
 * const params = { w: tensor([1, 2]), b: [tensor(3)] }
 * const g: Tangent<typeof params> = grad((p: typeof params) => sum(mul(p.w, p.b[0]!)))(params)
 * g.w // → [3, 3]
 */
export type Tangent<T> = MapTree<T, Tensor>

/** The structure of a tree, without its tensors. */
export type TreeDef =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'none'; readonly value: null | undefined }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] }

/** The deepest nesting of arrays and objects in a tree. */
const maxDepth = 1000

/** Whether every element of `a` is a tensor (a hole is not: `every` would skip it). */
function allTensors(a: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (!isTensor(a[i])) return false
  return true
}

/** The structure of a leaf: one object, shared (structures are never changed). */
const leafDef: TreeDef = Object.freeze({ kind: 'leaf' })

/** The tensors of a tree in a fixed order (arrays by index, objects by sorted key), and its structure. */
export function flatten(where: string, tree: unknown, path = 'args'): [Tensor[], TreeDef] {
  // the common trees, a tensor and an array of tensors (the arguments of most calls), without the
  // walk's set and closures
  if (isTensor(tree)) return [[tree], leafDef]
  if (Array.isArray(tree) && tree.length <= 16 && allTensors(tree)) {
    return [[...(tree as Tensor[])], { kind: 'array', children: tree.map(() => leafDef) }]
  }
  const leaves: Tensor[] = []
  // the arrays and objects on the path from the root: a tree that contains itself is no tree
  const ancestors = new Set<object>()
  const inside = <T>(t: object, p: string, body: () => T): T => {
    if (ancestors.has(t))
      throw new ValueError(`${where}: ${p} contains itself; a tree of tensors must be finite`)
    if (ancestors.size >= maxDepth)
      throw new ValueError(`${where}: ${p} is nested more than ${maxDepth} deep`)
    ancestors.add(t)
    const r = body()
    ancestors.delete(t)
    return r
  }
  const go = (t: unknown, p: string): TreeDef => {
    if (isTensor(t)) {
      leaves.push(t)
      return leafDef
    }
    if (t === null || t === undefined) return { kind: 'none', value: t }
    if (Array.isArray(t)) {
      return inside(t, p, () => ({ kind: 'array', children: t.map((c, i) => go(c, `${p}[${i}]`)) }))
    }
    if (typeof t === 'object' && Object.getPrototypeOf(t) === Object.prototype) {
      const keys = Object.keys(t).sort()
      return inside(t, p, () => ({
        kind: 'object',
        keys,
        children: keys.map((k) => go((t as Record<string, unknown>)[k], `${p}.${k}`)),
      }))
    }
    throw new ValueError(`${where}: ${p} is ${describe(t)}, not a Tensor (or an array or object of tensors)`)
  }
  const def = go(tree, path)
  return [leaves, def]
}

/** Rebuilds a tree of the structure `def` from its leaves (in flatten's order). */
export function unflatten<T = Tree>(def: TreeDef, leaves: readonly unknown[]): T {
  // the common structures, as flatten's fast path makes them
  if (def === leafDef) return leaves[0] as T
  if (
    def.kind === 'array' &&
    leaves.length >= def.children.length &&
    def.children.every((c) => c === leafDef)
  ) {
    return leaves.slice(0, def.children.length) as T
  }
  let k = 0
  const go = (d: TreeDef): unknown => {
    switch (d.kind) {
      case 'leaf':
        return leaves[k++]
      case 'none':
        return d.value
      case 'array':
        return d.children.map(go)
      case 'object': {
        const o: Record<string, unknown> = {}
        d.keys.forEach((key, i) => setKey(o, key, go(d.children[i]!)))
        return o
      }
    }
  }
  return go(def) as T
}

/**
 * Sets `o[key] = value` as an own data property, whatever the key: `o.__proto__ = v` would
 * replace the prototype instead (a tree parsed from JSON may hold such a key). Keys of trees are
 * data, as the keys of JAX's pytree dicts.
 */
export function setKey(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true })
  else o[key] = value
}

/** Whether two tree structures are the same. */
export function sameDef(a: TreeDef, b: TreeDef): boolean {
  if (a.kind !== b.kind) return false
  if (a.kind === 'array' && b.kind === 'array') {
    return a.children.length === b.children.length && a.children.every((c, i) => sameDef(c, b.children[i]!))
  }
  if (a.kind === 'object' && b.kind === 'object') {
    return (
      a.keys.length === b.keys.length &&
      a.keys.every((k, i) => k === b.keys[i] && sameDef(a.children[i]!, b.children[i]!))
    )
  }
  return true
}

/**
 * A readable form of a tree structure, for error messages: each tensor as `T` and its shape
 * (`T[2, 3]`) when the leaves are given.
 */
export function showDef(def: TreeDef, leaves?: readonly Tensor[]): string {
  let k = 0
  const go = (d: TreeDef): string => {
    switch (d.kind) {
      case 'leaf': {
        const t = leaves?.[k++]
        return t === undefined ? 'T' : `T${fmtShape(t.shape)}`
      }
      case 'none':
        return String(d.value)
      case 'array':
        return `[${d.children.map(go).join(', ')}]`
      case 'object':
        return `{${d.keys.map((key, i) => `${key}: ${go(d.children[i]!)}`).join(', ')}}`
    }
  }
  return go(def)
}

/** Maps the tensors of a tree, keeping its structure. */
export function treeMap<T = Tree>(where: string, tree: unknown, f: (t: Tensor, i: number) => unknown): T {
  const [leaves, def] = flatten(where, tree)
  return unflatten<T>(def, leaves.map(f))
}

/** Checks that two trees have the same structure and leaf shapes (`b` with `batch` leading axes). */
export function checkMatchingTrees(
  where: string,
  what: [string, string],
  a: [Tensor[], TreeDef],
  b: [Tensor[], TreeDef],
): void {
  if (!sameDef(a[1], b[1])) {
    throw new ShapeError(
      `${where}: ${what[1]} have structure ${showDef(b[1])} but ${what[0]} have ${showDef(a[1])}`,
    )
  }
  a[0].forEach((x, i) => {
    const y = b[0][i]!
    if (x.shape.length !== y.shape.length || x.shape.some((d, j) => d !== y.shape[j])) {
      throw new ShapeError(
        `${where}: ${what[1]} leaf ${i} has shape ${fmtShape(y.shape)} but the ${what[0]} leaf has ${fmtShape(x.shape)}`,
      )
    }
  })
}

/** Replaces the tracers of `level` in a tree by their primals (non-tensor leaves pass through). */
export function stripLevel(tree: unknown, level: Level): unknown {
  // each array or object is copied once, so shared parts stay shared and a cycle stays a cycle
  const copies = new Map<object, unknown>()
  const go = (t: unknown): unknown => {
    if (t instanceof Tensor) return primalAt(t, level)
    if (t === null || typeof t !== 'object') return t
    const done = copies.get(t)
    if (done !== undefined) return done
    if (Array.isArray(t)) {
      const out: unknown[] = []
      copies.set(t, out)
      for (const e of t) out.push(go(e))
      return out
    }
    if (Object.getPrototypeOf(t) !== Object.prototype) return t
    const out: Record<string, unknown> = {}
    copies.set(t, out)
    for (const [key, v] of Object.entries(t)) setKey(out, key, go(v))
    return out
  }
  return go(tree)
}
