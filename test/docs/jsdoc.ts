import { readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import ts from 'typescript'

// ---------------------------------------------------------------------------------------------
// The exports of src/index.ts and the `@example` blocks of their JSDoc, found with the
// TypeScript compiler API (the checker resolves every re-export to its declaration).
// ---------------------------------------------------------------------------------------------

/** One `@example` block: the code, and where it is written. */
export interface JsdocExample {
  /** The export it documents. */
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
}

/** One entry point of the package: its specifier (`dualtape/linalg`) and its source file. */
export interface EntryPoint {
  readonly specifier: string
  readonly source: string
}

/**
 * The package's entry points, read from package.json's "exports" (each `./dist/src/….js`
 * becomes its `src/….ts`).
 */
export const entryPoints = (root: string): EntryPoint[] => {
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
    name: string
    exports: Record<string, string | { import: string }>
  }
  return Object.entries(pkg.exports).flatMap(([key, target]) => {
    const file = typeof target === 'string' ? target : target.import
    const m = /^\.\/dist\/(src\/.+)\.js$/.exec(file)
    if (m === null) return []
    return [{ specifier: key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`, source: `${m[1]}.ts` }]
  })
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

const isExample = (tag: ts.JSDocTag): boolean => tag.tagName.text === 'example'

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
    const examples: JsdocExample[] = []
    const seen = new Set<string>()
    // the declaration's own JSDoc; failing that (a re-export of another package's type), the
    // JSDoc of the `export { ... } from` statements on the way
    const documented = (nodes: readonly ts.Node[]) => nodes.some((d) => ts.getJSDocTags(d).some(isExample))
    const candidates = documented(decls) ? decls : [...decls, ...reexports(checker, exported)]
    for (const decl of candidates) {
      const dsf = decl.getSourceFile()
      for (const tag of ts.getJSDocTags(decl)) {
        if (!isExample(tag)) continue
        const key = `${dsf.fileName}:${tag.pos}`
        if (seen.has(key)) continue
        seen.add(key)
        examples.push({
          exportName: exported.name,
          file: relative(root, dsf.fileName),
          line: dsf.getLineAndCharacterOfPosition(tag.getStart(dsf)).line + 1,
          code: exampleCode(tagLines(tag, dsf)),
        })
      }
    }
    exports.push({
      name: exported.name,
      kind: isTypeOnly(target) ? 'type' : 'value',
      file: first ? relative(root, first.getSourceFile().fileName) : '?',
      line: first ? first.getSourceFile().getLineAndCharacterOfPosition(first.getStart()).line + 1 : 0,
      examples,
    })
  }
  return { exports, program }
}
