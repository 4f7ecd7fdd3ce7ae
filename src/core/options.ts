import { ValueError, fmtValue } from './errors.js'
import type { Tangent } from './tree.js'

/**
 * Checks that the options a user passed are undefined or an object (not null, an array or a
 * number), and, when `known` lists the option names, that every key is one of them: a misspelt
 * option (`{ argnum: 1 }`) is a ValueError naming the nearest known one, not silently ignored.
 * (TypeScript rejects such keys at compile time; this is for JavaScript callers.)
 */
export function checkOptions(where: string, opts: unknown, known?: readonly string[]): void {
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
    throw new ValueError(`${where}: options must be an object, got ${fmtValue(opts)}`)
  }
  if (opts === undefined || known === undefined) return
  for (const key of Object.keys(opts)) {
    if (known.includes(key)) continue
    const near = known.find((k) => editDistance(k, key) <= 2)
    throw new ValueError(
      `${where}: unknown option '${key}'${near === undefined ? '' : ` (did you mean '${near}'?)`}; ` +
        `the options are ${known.map((k) => `'${k}'`).join(', ')}`,
    )
  }
}

/** The Levenshtein distance between two short strings. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]!
}

// ---------------------------------------------------------------------------------------------
// Types of options at compile time: options objects are exact (a misspelt key is an error), and
// argnums are checked against the arguments of f and followed into the result's type.
// ---------------------------------------------------------------------------------------------

/**
 * `Base` with every key of `O` that `Base` lacks typed `never`: as the constraint of an options
 * type parameter `O extends Exact<Base, O>`, it makes a misspelt key (`argnum`) a type error,
 * where a plain `Base` parameter would let it through when `O` is not a fresh object literal.
 */
export type Exact<Base, O> = Base & { readonly [K in Exclude<keyof O, keyof Base>]: never }

/** The negative argnums of a tuple of arguments: -1 (the last) to -length. */
type NegativeArgnum<A extends readonly unknown[]> = A extends readonly [unknown, ...infer R]
  ? (`-${A['length']}` extends `${infer N extends number}` ? N : never) | NegativeArgnum<R>
  : never

/** The argnums valid for arguments `A`: 0 to length − 1 and −length to −1 (any number for a rest parameter). */
export type Argnum<A extends readonly unknown[]> = number extends A['length']
  ? number
  : (Exclude<keyof A, keyof unknown[]> extends `${infer K extends number}` ? K : never) | NegativeArgnum<A>

/** `argnums` as `O` gives it (`undefined` when absent, or when `O` is `never`). */
export type ArgnumsOf<O> = [O] extends [never]
  ? undefined
  : 'argnums' extends keyof O
    ? O['argnums' & keyof O]
    : undefined

/**
 * The argnums `N` must be: each literal index one of `K`; a plain `number` (not known until run
 * time) is let through, to be checked then.
 */
type InRange<N, K> = N extends number
  ? number extends N
    ? number
    : K
  : N extends readonly unknown[]
    ? { readonly [I in keyof N]: number extends N[I] ? number : K }
    : never

/**
 * The constraint of an options type `O` with argnums, for a function of arguments `A`: `Base`,
 * exact, with literal argnums in range.
 */
export type OptionsWithArgnums<Base, O, A extends readonly unknown[]> = Omit<Base, 'argnums'> & {
  readonly [K in Exclude<keyof O, keyof Base>]: never
} & { readonly argnums?: InRange<ArgnumsOf<O>, Argnum<A>> }

/** The last element of `A` counted from 1 at the end, by `P` (argnum −P). */
type FromEnd<
  A extends readonly unknown[],
  P extends number,
  Seen extends unknown[] = [],
> = A extends readonly [...infer R, infer L]
  ? [...Seen, L]['length'] extends P
    ? L
    : FromEnd<R, P, [...Seen, L]>
  : A[number]

/** The argument at argnum `K` (negative ones count from the end; a plain `number`: any of them). */
export type ArgAt<A extends readonly unknown[], K> = K extends number
  ? number extends K
    ? A[number]
    : `${K}` extends `-${infer P extends number}`
      ? FromEnd<A, P>
      : `${K}` extends keyof A
        ? A[`${K}` & keyof A]
        : A[number]
  : never

/**
 * The gradients (or Jacobian blocks) for argnums `N` of arguments `A`, as the transformations
 * return them: one tree shaped like the argument for an index (or when argnums is absent:
 * argument 0), a tuple of them for a list of indices.
 */
export type ArgTangents<A extends readonly unknown[], N> = N extends undefined
  ? Tangent<ArgAt<A, 0>>
  : N extends number
    ? Tangent<ArgAt<A, N>>
    : N extends readonly unknown[]
      ? { -readonly [I in keyof N]: Tangent<ArgAt<A, N[I]>> }
      : never

/** `hasAux` as `O` gives it (`false` when absent, or when `O` is `never`). */
export type HasAux<O> = [O] extends [never] ? false : 'hasAux' extends keyof O ? O['hasAux' & keyof O] : false
