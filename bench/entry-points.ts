/**
 * The package's entry points, read from package.json's "exports": the one list that the vitest
 * aliases, the docs' type check, the JSDoc and layering tests and `bench/import-time.ts` use.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

/** One entry point: its specifier (`dualtape/linalg`), its source and its compiled file. */
export interface EntryPoint {
  readonly specifier: string
  /** The source file, relative to the repository root (`src/linalg/index.ts`). */
  readonly source: string
  /** The compiled file, relative to the repository root (`dist/src/linalg/index.js`). */
  readonly compiled: string
}

/** The entry points of the package at `root` (each `./dist/src/….js` of "exports" and its `src/….ts`). */
export function entryPoints(root: string): EntryPoint[] {
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
    name: string
    exports: Record<string, string | { import: string }>
  }
  return Object.entries(pkg.exports).flatMap(([key, target]) => {
    const file = typeof target === 'string' ? target : target.import
    const m = /^\.\/(dist\/(src\/.+))\.js$/.exec(file)
    if (m === null) return []
    return [
      {
        specifier: key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`,
        source: `${m[2]}.ts`,
        compiled: `${m[1]}.js`,
      },
    ]
  })
}
