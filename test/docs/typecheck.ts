import { resolve } from 'node:path'
import ts from 'typescript'
import { entryPoints } from '../../bench/entry-points.js'
import { projectOptions } from './jsdoc.js'

// ---------------------------------------------------------------------------------------------
// Type-checks generated files together, in one program, with the repository's compiler options
// and the package's entry points (`dualtape`, `dualtape/linalg`, …) mapped to their sources (as vitest.config.ts maps them at run
// time). Only the generated files' own diagnostics are reported: the sources have `tsc`.
// ---------------------------------------------------------------------------------------------

/**
 * The repository's options with the package's own name mapped to its sources, and without
 * `noUncheckedIndexedAccess`: documented code is checked as a user's `strict` code is.
 */
export const docsCompilerOptions = (root: string): ts.CompilerOptions => ({
  ...projectOptions(root),
  noEmit: true,
  noUncheckedIndexedAccess: false,
  paths: Object.fromEntries(entryPoints(root).map((e) => [e.specifier, [resolve(root, e.source)]])),
  pathsBasePath: root,
})

/** One diagnostic of a generated file: the file, its 1-based line and the message. */
export interface FileDiagnostic {
  readonly file: string
  readonly line: number
  readonly message: string
}

/** The diagnostics (syntax and types) of `files`, checked as one program. */
export const typecheck = (root: string, files: readonly string[]): FileDiagnostic[] => {
  const program = ts.createProgram(files, docsCompilerOptions(root))
  const out: FileDiagnostic[] = []
  for (const file of files) {
    const sf = program.getSourceFile(file)
    if (!sf) {
      out.push({ file, line: 0, message: 'not part of the program' })
      continue
    }
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1
      out.push({ file, line, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') })
    }
  }
  return out
}
