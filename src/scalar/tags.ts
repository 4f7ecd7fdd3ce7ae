import { TagError } from './errors.js'

// -------------------------------------------------------------------------------------
// tags
// -------------------------------------------------------------------------------------

/*
 * Every dual carries a tag: the derivative call whose perturbation it holds, or 0 for a
 * constant (a dual with no perturbation, valid in every call at its level). Tags are strictly
 * increasing, so a call nested inside another has a larger tag than the enclosing one (as
 * ForwardDiff.jl's ordered `Dual{Tag}`). A binary operation joins the tags of its operands:
 * equal tags, or a constant and a tag, give that tag; two different non-zero tags are
 * perturbations of two different calls, and mixing them throws a `TagError`. The only mutable
 * state is the tag counter and the stack of tags whose call is still running; the stack is
 * read only to word error messages.
 */

/**
 * The tag of constants: duals with no perturbation, valid in every call at their level.
 */
export const CONSTANT = 0

let counter = 0
const open: number[] = []

/**
 * A fresh tag, larger than every tag handed out before.
 */
export const freshTag = (): number => ++counter

/**
 * Runs `body` with a fresh tag marked as open (its derivative call is running).
 */
export const withFreshTag = <T>(body: (tag: number) => T): T => {
  const tag = openTag()
  try {
    return body(tag)
  } finally {
    closeTag()
  }
}

/**
 * A fresh tag, marked as open until the matching `closeTag()`; `withFreshTag` pairs the two.
 */
export const openTag = (): number => {
  const tag = ++counter
  open.push(tag)
  return tag
}

/**
 * Closes the most recently opened tag.
 */
export const closeTag = (): void => {
  open.pop()
}

/**
 * The tag of the result of a binary operation on duals tagged `a` and `b`: a constant takes the
 * other's tag, two equal tags stay, two different calls' tags are a TagError.
 */
export const joinTags = (a: number, b: number): number =>
  a === b || b === CONSTANT ? a : a === CONSTANT ? b : throwMixed(a, b)

const throwMixed = (a: number, b: number): never => {
  throw mixedTags('a binary operation', a, b)
}

const describeTag = (tag: number): string =>
  open.includes(tag) ? `tag ${tag}, a running call` : `tag ${tag}, from a call that is not running`

/**
 * The error for duals of two different calls (tags `a` and `b`) met in one operation.
 */
export const mixedTags = (op: string, a: unknown, b: unknown): TagError => {
  if (typeof a !== 'number' || typeof b !== 'number') {
    return new TagError(`${op}: expected duals, got a value without a tag`)
  }
  const [outer, inner] = a < b ? [a, b] : [b, a]
  if (open.includes(outer) && open.includes(inner)) {
    return new TagError(
      `${op}: a dual of the enclosing derivative call (tag ${outer}) met a dual of the call nested in it ` +
        `(tag ${inner}); take the inner derivative with derivative(f, N) and lift captured values with D.lift(x)`,
    )
  }
  return new TagError(
    `${op}: duals of two different calls met (${describeTag(a)}; ${describeTag(b)}); a dual must not ` +
      'escape the call that created it: return values from the function instead of storing them',
  )
}

/**
 * The error for a value read by the algebra of tag `expected` that is neither one of its duals
 * nor a constant.
 */
export const wrongTag = (op: string, expected: number, value: unknown): TagError => {
  const tag = (value as { tag?: unknown } | null)?.tag
  if (typeof tag !== 'number') {
    return new TagError(`${op}: expected a dual of tag ${expected}, got a value without a tag`)
  }
  return mixedTags(op, expected, tag)
}
