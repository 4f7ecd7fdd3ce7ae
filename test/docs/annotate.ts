import ts from 'typescript'

// ---------------------------------------------------------------------------------------------
// Rewrites the annotations of a piece of documented code into checks, keeping every line where
// it was (so the type checker's and the runtime's line numbers are the reader's):
//
//   expr // → literal          becomes  __doc.value((expr), "literal", line) // → literal
//   stmt // prints: text       becomes  stmt; __doc.printed(["text"], line); // prints: text
//   // prints:                 becomes  __doc.printed(["line 1", "line 2"], line);
//   // line 1                           // line 1
//   // line 2                           // line 2
//
// Annotations are read on top-level statements only (not inside a function or a loop body).
// Imports may be deduplicated (blocks of one page are one module) and their specifiers mapped.
// ---------------------------------------------------------------------------------------------

export interface AnnotateOptions {
  /** The module that exports `__doc` (an absolute path). */
  readonly runtime: string
  /** Drop the imported names already imported from the same module by an earlier import. */
  readonly dedupeImports?: boolean
  /** Module specifiers to replace (such as 'dualtape/vitest' by a stand-in). */
  readonly specifiers?: Readonly<Record<string, string>>
}

export class AnnotationError extends Error {
  override readonly name = 'AnnotationError'
}

interface Edit {
  readonly start: number
  readonly end: number
  readonly text: string
}

/** A comment's text without `//` and one space. */
const commentBody = (code: string, range: ts.CommentRange): string =>
  code.slice(range.pos + 2, range.end).replace(/^ /, '')

const ANNOTATION = /^(→|prints:)/

/** Every `//` comment of the code, found by the scanner (so not inside strings). */
const lineComments = (code: string): ts.CommentRange[] => {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, code)
  const found: ts.CommentRange[] = []
  for (let t = scanner.scan(); t !== ts.SyntaxKind.EndOfFileToken; t = scanner.scan()) {
    if (t === ts.SyntaxKind.SingleLineCommentTrivia)
      found.push({ pos: scanner.getTokenStart(), end: scanner.getTokenEnd(), kind: t })
  }
  return found
}

/** The expression whose value `// →` checks: an expression statement's, or the initializer of `const x = ...`. */
const annotatedExpression = (stmt: ts.Statement): ts.Expression | null => {
  if (ts.isExpressionStatement(stmt)) return stmt.expression
  if (ts.isVariableStatement(stmt) && stmt.declarationList.declarations.length === 1)
    return stmt.declarationList.declarations[0]!.initializer ?? null
  return null
}

/**
 * The code with its annotations turned into checks and `import { __doc } from runtime` added on
 * its last line; the number of annotations; line numbers are 1-based lines of `code`.
 */
export const annotate = (code: string, options: AnnotateOptions): { code: string; annotations: number } => {
  const sf = ts.createSourceFile('doc.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1
  const edits: Edit[] = []
  const handled = new Set<number>()
  /** Statements whose value a `// →` already checks (by their end). */
  const checked = new Set<number>()

  // imports: dedupe and map specifiers
  const imported = new Map<string, string>()
  for (const stmt of sf.statements) {
    if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue
    const from = stmt.moduleSpecifier.text
    const mapped = options.specifiers?.[from]
    if (mapped !== undefined)
      edits.push({
        start: stmt.moduleSpecifier.getStart(sf),
        end: stmt.moduleSpecifier.end,
        text: JSON.stringify(mapped),
      })
    if (!options.dedupeImports) continue
    const clause = stmt.importClause
    if (!clause) continue
    const locals: { name: string; node: ts.Node }[] = []
    if (clause.name) locals.push({ name: clause.name.text, node: clause.name })
    const bindings = clause.namedBindings
    if (bindings && ts.isNamespaceImport(bindings)) locals.push({ name: bindings.name.text, node: bindings })
    if (bindings && ts.isNamedImports(bindings))
      for (const el of bindings.elements) locals.push({ name: el.name.text, node: el })
    const repeated = locals.filter((l) => imported.get(l.name) === from)
    for (const l of locals) imported.set(l.name, from)
    if (repeated.length === 0) continue
    if (repeated.length === locals.length) {
      // the whole import repeats earlier ones: blank it, keeping its lines
      const text = code.slice(stmt.getStart(sf), stmt.end).replace(/[^\n]/g, ' ')
      edits.push({ start: stmt.getStart(sf), end: stmt.end, text })
    } else if (bindings && ts.isNamedImports(bindings)) {
      const keep = bindings.elements.filter((el) => !repeated.some((r) => r.node === el))
      const text = `{ ${keep.map((el) => el.getText(sf)).join(', ')} }`
      const old = code.slice(bindings.getStart(sf), bindings.end)
      const pad = old.split('\n').length - 1
      edits.push({ start: bindings.getStart(sf), end: bindings.end, text: text + '\n'.repeat(pad) })
    }
  }

  // trailing annotations of top-level statements
  for (const stmt of sf.statements) {
    for (const c of ts.getTrailingCommentRanges(code, stmt.end) ?? []) {
      if (c.kind !== ts.SyntaxKind.SingleLineCommentTrivia) continue
      const body = commentBody(code, c).trim()
      const line = lineOf(c.pos)
      if (body.startsWith('→')) {
        const expr = annotatedExpression(stmt)
        if (expr === null)
          throw new AnnotationError(
            `line ${line}: \`// →\` annotates an expression statement or a declaration of one variable`,
          )
        edits.push({ start: expr.getStart(sf), end: expr.getStart(sf), text: '__doc.value((' })
        edits.push({
          start: expr.end,
          end: expr.end,
          text: `), ${JSON.stringify(body.slice(1).trim())}, ${line})`,
        })
        handled.add(c.pos)
        checked.add(stmt.end)
      } else if (body.startsWith('prints:')) {
        const text = body.slice('prints:'.length).trim()
        if (text === '')
          throw new AnnotationError(
            `line ${line}: put a \`// prints:\` followed by lines on a line of its own`,
          )
        const expected = [text]
        edits.push({
          start: stmt.end,
          end: stmt.end,
          text: `; __doc.printed(${JSON.stringify(expected)}, ${line});`,
        })
        handled.add(c.pos)
      }
    }
  }

  // `// prints:` on a line of its own, with the expected lines as comments under it; `// →` on
  // the line right after the statement it annotates (for a long value)
  const leading = [...sf.statements.map((s) => s.pos), sf.endOfFileToken.pos]
  leading.forEach((pos, k) => {
    const comments = ts.getLeadingCommentRanges(code, pos) ?? []
    const previous = k > 0 ? sf.statements[k - 1] : undefined
    for (let i = 0; i < comments.length; i++) {
      const c = comments[i]!
      if (c.kind !== ts.SyntaxKind.SingleLineCommentTrivia) continue
      const body = commentBody(code, c)
      if (body.trim().startsWith('→') && i === 0 && previous && lineOf(c.pos) === lineOf(previous.end) + 1) {
        const expr = annotatedExpression(previous)
        if (expr === null || checked.has(previous.end))
          throw new AnnotationError(`line ${lineOf(c.pos)}: \`// →\` does not follow an expression to check`)
        const line = lineOf(c.pos)
        edits.push({ start: expr.getStart(sf), end: expr.getStart(sf), text: '__doc.value((' })
        edits.push({
          start: expr.end,
          end: expr.end,
          text: `), ${JSON.stringify(body.trim().slice(1).trim())}, ${line})`,
        })
        handled.add(c.pos)
        continue
      }
      if (!body.trim().startsWith('prints:')) continue
      const line = lineOf(c.pos)
      const first = body.trim().slice('prints:'.length).trim()
      const expected = first === '' ? [] : [first]
      for (let j = i + 1; j < comments.length; j++) {
        const next = comments[j]!
        if (next.kind !== ts.SyntaxKind.SingleLineCommentTrivia || lineOf(next.pos) !== line + (j - i)) break
        expected.push(commentBody(code, next))
      }
      edits.push({ start: c.pos, end: c.end, text: `__doc.printed(${JSON.stringify(expected)}, ${line});` })
      handled.add(c.pos)
    }
  })

  // an annotation that was not read (inside a function or a block) is an error, not a silent pass
  for (const c of lineComments(code)) {
    if (!ANNOTATION.test(commentBody(code, c).trim()) || handled.has(c.pos)) continue
    throw new AnnotationError(
      `line ${lineOf(c.pos)}: this annotation is not on a top-level statement, so it would not be checked`,
    )
  }

  let out = code
  for (const e of [...edits].sort((a, b) => b.start - a.start || b.end - a.end)) {
    out = out.slice(0, e.start) + e.text + out.slice(e.end)
  }
  const annotations = handled.size
  out = out.replace(/\n*$/, '\n') + `import { __doc } from ${JSON.stringify(options.runtime)}\n`
  return { code: out, annotations }
}
