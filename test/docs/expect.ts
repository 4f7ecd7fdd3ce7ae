import { inspect } from 'node:util'
import ts from 'typescript'

// ---------------------------------------------------------------------------------------------
// The values written in `// → value` annotations, and how an actual value is matched to them.
//
// - A number matches to the digits written: `0.8415` matches 0.84147098 (|diff| ≤ half a unit
//   of the last written digit); an integer such as `12` must match to 1e-12 (relative).
//   `NaN`, `Infinity` and `-Infinity` match themselves; -0 matches 0.
// - A string, `true`, `false`, `null` or `undefined` must be equal.
// - An array matches an array, a typed array or a tensor (read with `toArray()`) of the same
//   length whose elements match one by one; a number matches a 0-d tensor.
// - An object literal matches any object that has the keys it lists with matching values
//   (other keys are not checked).
// ---------------------------------------------------------------------------------------------

/** What an annotation expects, parsed from its text. */
export type Pattern =
  | { readonly kind: 'number'; readonly value: number; readonly tolerance: number; readonly text: string }
  | { readonly kind: 'exact'; readonly value: string | boolean | null | undefined }
  | { readonly kind: 'array'; readonly items: readonly Pattern[] }
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, Pattern])[] }

/** The tolerance of a number written as `text`: half a unit of its last digit, or exact for an integer. */
const numberPattern = (text: string, negative: boolean): Pattern => {
  const clean = text.replace(/_/g, '')
  const value = (negative ? -1 : 1) * Number(clean)
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(clean)
  const decimals = m?.[2]?.length ?? 0
  const exponent = Number(m?.[3] ?? 0)
  const isInteger = m !== null && m[2] === undefined && exponent >= 0
  const tolerance = isInteger
    ? 1e-12 * Math.max(1, Math.abs(value))
    : 0.5 * 10 ** (exponent - decimals) * (1 + 1e-9) + 1e-15 * Math.abs(value)
  return { kind: 'number', value, tolerance, text: (negative ? '-' : '') + clean }
}

const fromNode = (node: ts.Expression, source: string): Pattern => {
  if (ts.isParenthesizedExpression(node)) return fromNode(node.expression, source)
  if (ts.isNumericLiteral(node)) return numberPattern(node.getText(), false)
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
    const inner = node.operand
    if (ts.isNumericLiteral(inner)) return numberPattern(inner.getText(), true)
    if (ts.isIdentifier(inner) && inner.text === 'Infinity')
      return { kind: 'number', value: -Infinity, tolerance: 0, text: '-Infinity' }
  }
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    return { kind: 'exact', value: node.text }
  if (node.kind === ts.SyntaxKind.TrueKeyword) return { kind: 'exact', value: true }
  if (node.kind === ts.SyntaxKind.FalseKeyword) return { kind: 'exact', value: false }
  if (node.kind === ts.SyntaxKind.NullKeyword) return { kind: 'exact', value: null }
  if (ts.isIdentifier(node)) {
    if (node.text === 'undefined') return { kind: 'exact', value: undefined }
    if (node.text === 'NaN') return { kind: 'number', value: NaN, tolerance: 0, text: 'NaN' }
    if (node.text === 'Infinity') return { kind: 'number', value: Infinity, tolerance: 0, text: 'Infinity' }
  }
  if (ts.isArrayLiteralExpression(node))
    return { kind: 'array', items: node.elements.map((e) => fromNode(e, source)) }
  if (ts.isObjectLiteralExpression(node)) {
    const entries = node.properties.map((p): readonly [string, Pattern] => {
      if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)))
        return [p.name.text, fromNode(p.initializer, source)]
      throw new Error(`unsupported property ${p.getText()} in the annotation ${source}`)
    })
    return { kind: 'object', entries }
  }
  throw new Error(
    `the annotation \`${source}\` is not a literal (numbers, strings, booleans, null, undefined, NaN, Infinity, arrays, objects): ${node.getText()}`,
  )
}

/**
 * The literal of an annotation and its note: `[1, 2]: the gradient` (or `— the gradient`, or
 * `(the gradient)`) is the literal `[1, 2]` and a note for the reader, which is not checked.
 * The literal ends at the first `:`, `—` or `(` outside brackets and strings.
 */
export const splitAnnotation = (text: string): { literal: string; note: string } => {
  let depth = 0
  let quote: string | null = null
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote !== null) {
      if (c === '\\') i++
      else if (c === quote) quote = null
    } else if (c === "'" || c === '"' || c === '`') quote = c
    else if (c === '[' || c === '{') depth++
    else if (c === ']' || c === '}') depth--
    else if (depth === 0 && i > 0 && (c === ':' || c === '—' || c === '(')) {
      return { literal: text.slice(0, i).trim(), note: text.slice(i).trim() }
    }
  }
  return { literal: text.trim(), note: '' }
}

/** Parses the literal of an annotation (a JavaScript literal) into a pattern. */
export const parsePattern = (source: string): Pattern => {
  const sf = ts.createSourceFile('annotation.ts', `(${source}\n)`, ts.ScriptTarget.Latest, true)
  const diagnostics = (sf as unknown as { parseDiagnostics: readonly ts.Diagnostic[] }).parseDiagnostics
  const stmt = sf.statements[0]
  if (diagnostics.length > 0 || sf.statements.length !== 1 || !stmt || !ts.isExpressionStatement(stmt))
    throw new Error(`the annotation \`${source}\` does not parse as one JavaScript literal`)
  return fromNode(stmt.expression, source)
}

const isTensorLike = (v: unknown): v is { toArray(): unknown; shape: readonly number[] } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { toArray?: unknown }).toArray === 'function' &&
  Array.isArray((v as { shape?: unknown }).shape)

/** An actual value as plain data: tensors through `toArray()`, typed arrays as arrays. */
const plain = (v: unknown): unknown => {
  if (isTensorLike(v)) return v.toArray()
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>)
  return v
}

/** An actual value for a message: tensors and typed arrays as nested arrays, at any depth. */
export const show = (actual: unknown): string => {
  const deep = (v: unknown, depth: number): unknown => {
    const p = plain(v)
    if (depth > 8) return p
    if (Array.isArray(p)) return p.map((x) => deep(x, depth + 1))
    if (typeof p === 'object' && p !== null && Object.getPrototypeOf(p) === Object.prototype)
      return Object.fromEntries(Object.entries(p).map(([k, x]) => [k, deep(x, depth + 1)]))
    return p
  }
  return inspect(deep(actual, 0), { depth: 10, breakLength: Infinity, maxArrayLength: 50 })
}

/** Where `actual` does not match `pattern`: a path and a reason, or null when it matches. */
export const mismatch = (pattern: Pattern, actual: unknown, path = ''): string | null => {
  const v = plain(actual)
  const at = path === '' ? '' : ` at ${path}`
  switch (pattern.kind) {
    case 'number': {
      if (typeof v !== 'number') return `expected the number ${pattern.text}${at}, got ${inspect(v)}`
      if (Number.isNaN(pattern.value)) return Number.isNaN(v) ? null : `expected NaN${at}, got ${v}`
      if (!Number.isFinite(pattern.value))
        return v === pattern.value ? null : `expected ${pattern.text}${at}, got ${v}`
      return Math.abs(v - pattern.value) <= pattern.tolerance
        ? null
        : `expected ${pattern.text}${at} (to the digits written), got ${v}`
    }
    case 'exact':
      return v === pattern.value ? null : `expected ${inspect(pattern.value)}${at}, got ${inspect(v)}`
    case 'array': {
      if (!Array.isArray(v)) return `expected an array${at}, got ${inspect(v)}`
      if (v.length !== pattern.items.length)
        return `expected ${pattern.items.length} elements${at}, got ${v.length}: ${inspect(v)}`
      for (let i = 0; i < v.length; i++) {
        const m = mismatch(pattern.items[i]!, v[i], `${path}[${i}]`)
        if (m !== null) return m
      }
      return null
    }
    case 'object': {
      // the object itself, not its values: `{ shape: [2] }` reads a tensor's shape
      const o = actual
      if (typeof o !== 'object' || o === null) return `expected an object${at}, got ${inspect(o)}`
      for (const [key, p] of pattern.entries) {
        if (!(key in o)) return `expected the key ${key}${at}, got ${show(o)}`
        const m = mismatch(p, (o as Record<string, unknown>)[key], `${path}.${key}`)
        if (m !== null) return m
      }
      return null
    }
  }
}

/**
 * Whether printed lines match the expected lines: each expected line equals its printed line
 * (trailing spaces ignored), except that `...` inside a line matches any text and a line that
 * is only `...` matches any number of lines (none included).
 */
export const linesMatch = (expected: readonly string[], actual: readonly string[]): boolean => {
  const lineMatches = (e: string, a: string): boolean => {
    if (!e.includes('...')) return e === a
    const parts = e.split('...').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    return new RegExp(`^${parts.join('.*')}$`, 's').test(a)
  }
  const go = (i: number, j: number): boolean => {
    if (i === expected.length) return j === actual.length
    if (expected[i]!.trim() === '...') return go(i + 1, j) || (j < actual.length && go(i, j + 1))
    return j < actual.length && lineMatches(expected[i]!.trimEnd(), actual[j]!.trimEnd()) && go(i + 1, j + 1)
  }
  return go(0, 0)
}
