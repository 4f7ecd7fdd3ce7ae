import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, test } from 'vitest'
import { annotate } from './annotate.js'
import { collectExports, entryPoints, type ExportInfo, type JsdocExample } from './jsdoc.js'
import { generatedModules, runCaptured } from './run.js'
import { typecheck } from './typecheck.js'

// Every `@example` in the JSDoc of the package's exports (those of each entry point in
// package.json's "exports") is written to its own module under out/, with 'dualtape' and its
// entry points mapped to the sources; all of them are type-checked as one program, then each is imported (run) here. An
// example may print; a thrown error fails it, and its `// →` and `// prints:` annotations
// (docs/README.md) are checked. Each runs with the working directory set to a scratch folder.

const root = resolve(import.meta.dirname, '..', '..')
const entries = entryPoints(root).map((e) => e.source)
const exported: ExportInfo[] = entries.flatMap((entry) => collectExports(root, entry).exports)
const examples: JsdocExample[] = exported.flatMap((e) => e.examples)

const { dir, scratch, specifier } = generatedModules(root, 'jsdoc-examples-')
const options = {
  runtime: specifier('test/docs/runtime.js'),
  specifiers: { 'dualtape/vitest': specifier('test/docs/test-op.js') },
}

interface Generated {
  readonly example: JsdocExample
  readonly path: string
  readonly error: Error | null
}
const generated: Generated[] = examples.map((example, i) => {
  const path = join(dir, `${String(i).padStart(3, '0')}-${example.exportName}.ts`)
  try {
    const { code } = annotate(example.code, options)
    writeFileSync(path, `${code}export {}\n`)
    return { example, path, error: null }
  } catch (e) {
    return { example, path, error: e as Error }
  }
})
const place = (g: Generated, line: number) => `${g.example.file}:${g.example.line + line - 1}`

let checks = 0
afterAll(() => {
  const withExamples = exported.filter((e) => e.examples.length > 0).length
  console.log(
    `JSDoc examples: ${exported.length} exports, ${withExamples} with an @example, ${examples.length} examples run, ${checks} annotations checked`,
  )
})

describe('JSDoc @example blocks', () => {
  test('every export declared in src/ has an @example', () => {
    const missing = exported
      .filter((e) => e.examples.length === 0 && e.file.startsWith('src/'))
      .map((e) => `${e.name} (${e.kind}, ${e.file}:${e.line})`)
    if (missing.length > 0)
      throw new Error(`${missing.length} exports without an @example:\n${missing.join('\n')}`)
  })

  test('they type-check together', { timeout: 300_000 }, () => {
    const files = generated.filter((g) => g.error === null)
    const byPath = new Map(files.map((g) => [g.path, g]))
    const errors = typecheck(
      root,
      files.map((g) => g.path),
    ).map(
      (d) =>
        `${place(byPath.get(d.file)!, d.line)} (${byPath.get(d.file)!.example.exportName}): ${d.message}`,
    )
    if (errors.length > 0) throw new Error(`${errors.length} type errors:\n${errors.join('\n')}`)
  })

  for (const g of generated) {
    test(`${g.example.exportName} (${g.example.file}:${g.example.line})`, async () => {
      if (g.error) throw new Error(`${g.example.file}:${g.example.line}: ${g.error.message}`)
      const result = await runCaptured(g.path, scratch, (line) => place(g, line))
      checks += result.checks
    })
  }
})
