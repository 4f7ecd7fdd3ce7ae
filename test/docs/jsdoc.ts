import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'

// ---------------------------------------------------------------------------------------------
// The exports of each entry point and the `@example` blocks of their JSDoc, found with the
// TypeScript compiler API (the checker resolves every re-export to its declaration); the
// `@module` header of each entry point and its examples; every `@example` tag written in a
// folder, to find those that no entry point documents.
// ---------------------------------------------------------------------------------------------

/** One `@example` block: the code, and where it is written. */
export interface JsdocExample {
  /** The export it documents, or `module dualtape/…` for the `@module` header of an entry point. */
  readonly exportName: string
  /** The source file (relative to the repository root) and the line of the `@example` tag. */
  readonly file: string
  readonly line: number
  /**
   * The code: the fenced ```ts blocks of the tag, or its whole text when it has no fence. Its
   * line k (1-based) is line `line + k - 1` of the source file.
   */
  readonly code: string
}

/** One export of src/index.ts. */
export interface ExportInfo {
  readonly name: string
  /** `value` (a function, class, constant) or `type` (an interface or type alias only). */
  readonly kind: 'value' | 'type'
  /** Where it is declared (relative to the repository root), and at which line. */
  readonly file: string
  readonly line: number
  readonly examples: readonly JsdocExample[]
  /** The examples of its members, for a class or an interface (`Tensor.toString`). */
  readonly memberExamples: readonly JsdocExample[]
}

/** The compiler options of the repository's tsconfig.json. */
export const projectOptions = (root: string): ts.CompilerOptions => {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    resolve(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      },
    },
  )
  if (!parsed) throw new Error(`cannot read ${root}/tsconfig.json`)
  return parsed.options
}

/**
 * The lines of a JSDoc tag as written, after the tag name, with the comment's leading `*`
 * stripped: line k of the result is line k of the tag (line 0 is the tag's own line).
 */
const tagLines = (tag: ts.JSDocTag, sf: ts.SourceFile): string[] => {
  const raw = sf.text.slice(tag.tagName.end, tag.end).replace(/\s*\*\/\s*$/, '')
  return raw
    .split('\n')
    .map((l, i) => (i === 0 ? l.trim() : l.replace(/^\s*\* ?/, '').replace(/^\s*\*$/, '')))
}

/**
 * The code of an `@example` with every line kept at its place (line k is line k of the tag):
 * its fenced ts blocks with all other lines blanked, or (typedoc's rule) all of it when it has
 * no fence.
 */
export const exampleCode = (lines: readonly string[]): string => {
  const fenced = lines.some((l) => /^\s*```/.test(l))
  if (!fenced) return lines.join('\n').trimEnd() + '\n'
  const out = lines.map(() => '')
  let inside = false
  let runnable = false
  lines.forEach((l, k) => {
    const fence = /^\s*```\s*(\S*)/.exec(l)
    if (fence) {
      if (!inside) runnable = ['', 'ts', 'typescript'].includes(fence[1]!)
      inside = !inside
    } else if (inside && runnable) out[k] = l
  })
  return out.join('\n').trimEnd() + '\n'
}

/** The tags of the `@module` comment at the top of a file are the module's, not its first statement's. */
const inModuleHeader = (tag: ts.JSDocTag): boolean =>
  ts.isJSDoc(tag.parent) && (tag.parent.tags ?? []).some((t) => t.tagName.text === 'module')

const isExample = (tag: ts.JSDocTag): boolean => tag.tagName.text === 'example' && !inModuleHeader(tag)

/** The `export { name } from '...'` statements that lead from `symbol` to its declaration. */
const reexports = (checker: ts.TypeChecker, symbol: ts.Symbol): ts.Node[] => {
  const out: ts.Node[] = []
  let s: ts.Symbol | undefined = symbol
  for (let depth = 0; s && s.flags & ts.SymbolFlags.Alias && depth < 20; depth++) {
    for (const d of s.declarations ?? []) if (ts.isExportSpecifier(d)) out.push(d.parent.parent)
    s = checker.getImmediateAliasedSymbol(s)
  }
  return out
}

const isTypeOnly = (s: ts.Symbol): boolean =>
  (s.flags & ts.SymbolFlags.Value) === 0 && (s.flags & ts.SymbolFlags.Type) !== 0

/**
 * Every export of `entry` (default src/index.ts) with its declaration and its `@example`
 * blocks, in the order the checker lists them. Returns the program too, for reuse.
 */
export const collectExports = (
  root: string,
  entry = 'src/index.ts',
): { exports: ExportInfo[]; program: ts.Program } => {
  const index = resolve(root, entry)
  const program = ts.createProgram([index], { ...projectOptions(root), noEmit: true })
  const checker = program.getTypeChecker()
  const sf = program.getSourceFile(index)
  const mod = sf && checker.getSymbolAtLocation(sf)
  if (!mod) throw new Error(`${entry} is not a module`)
  const exports: ExportInfo[] = []
  for (const exported of checker.getExportsOfModule(mod)) {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const decls = target.declarations ?? []
    const first = decls[0]
    const seen = new Set<string>()
    const examplesOf = (nodes: readonly ts.Node[], name: (node: ts.Node) => string): JsdocExample[] =>
      nodes.flatMap((decl) => {
        const dsf = decl.getSourceFile()
        return ts.getJSDocTags(decl).flatMap((tag) => {
          const key = `${dsf.fileName}:${tag.pos}`
          if (!isExample(tag) || seen.has(key)) return []
          seen.add(key)
          return [
            {
              exportName: name(decl),
              file: relative(root, dsf.fileName),
              line: dsf.getLineAndCharacterOfPosition(tag.getStart(dsf)).line + 1,
              code: exampleCode(tagLines(tag, dsf)),
            },
          ]
        })
      })
    // the declaration's own JSDoc; failing that (a re-export of another package's type), the
    // JSDoc of the `export { ... } from` statements on the way
    const documented = (nodes: readonly ts.Node[]) => nodes.some((d) => ts.getJSDocTags(d).some(isExample))
    const candidates = documented(decls) ? decls : [...decls, ...reexports(checker, exported)]
    const examples = examplesOf(candidates, () => exported.name)
    const members = decls.flatMap((d) =>
      ts.isClassDeclaration(d) || ts.isInterfaceDeclaration(d) ? [...d.members] : [],
    )
    const memberExamples = examplesOf(
      members,
      (m) => `${exported.name}.${ts.getNameOfDeclaration(m as ts.Declaration)?.getText() ?? 'constructor'}`,
    )
    exports.push({
      name: exported.name,
      kind: isTypeOnly(target) ? 'type' : 'value',
      file: first ? relative(root, first.getSourceFile().fileName) : '?',
      line: first ? first.getSourceFile().getLineAndCharacterOfPosition(first.getStart()).line + 1 : 0,
      examples,
      memberExamples,
    })
  }
  return { exports, program }
}

/** The 1-based line of a position in a text. */
const lineAt = (text: string, pos: number): number => text.slice(0, pos).split('\n').length

/**
 * The `@module` comment at the top of `file` (relative to the repository root), with its line and
 * its `@example` blocks (as `module <specifier>`); null when the file begins with none. A tag
 * runs to the next line that begins with `@`, as TypeScript reads JSDoc.
 */
export const moduleHeader = (
  root: string,
  file: string,
  specifier: string,
): { readonly line: number; readonly examples: readonly JsdocExample[] } | null => {
  const text = readFileSync(resolve(root, file), 'utf8')
  for (const c of ts.getLeadingCommentRanges(text, 0) ?? []) {
    const comment = text.slice(c.pos, c.end)
    if (!comment.startsWith('/**') || !/^\s*\*?\s*@module\b/m.test(comment)) continue
    const first = lineAt(text, c.pos)
    const lines = comment
      .replace(/\*\/$/, '')
      .split('\n')
      .map((l, i) =>
        i === 0 ? l.replace(/^\/\*\*\s?/, '') : l.replace(/^\s*\* ?/, '').replace(/^\s*\*$/, ''),
      )
    const examples: JsdocExample[] = []
    lines.forEach((l, i) => {
      const tag = /^\s*@example\b(.*)$/.exec(l)
      if (tag === null) return
      let end = i + 1
      while (end < lines.length && !/^\s*@\w/.test(lines[end]!)) end++
      examples.push({
        exportName: `module ${specifier}`,
        file,
        line: first + i,
        code: exampleCode([tag[1]!.trim(), ...lines.slice(i + 1, end)]),
      })
    })
    return { line: first, examples }
  }
  return null
}

/** Every `@example` tag in a JSDoc comment of the .ts files under `dir` (relative to the repository root). */
export const exampleTags = (root: string, dir: string): { readonly file: string; readonly line: number }[] =>
  (readdirSync(resolve(root, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort()
    .flatMap((f) => {
      const file = join(dir, f)
      return readFileSync(resolve(root, file), 'utf8')
        .split('\n')
        .flatMap((l, i) => (/^\s*(\/\*\*|\*)\s*@example\b/.test(l) ? [{ file, line: i + 1 }] : []))
    })
