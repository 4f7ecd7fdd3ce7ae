import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, test } from 'vitest'
import { annotate } from './annotate.js'
import { entryPoints } from '../../bench/entry-points.js'
import { collectExports, exampleTags, type ExportInfo, type JsdocExample, moduleHeader } from './jsdoc.js'
import { generatedModules, runCaptured } from './run.js'
import { typecheck } from './typecheck.js'

// Every `@example` in the JSDoc of the package's exports (those of each entry point in
// package.json's "exports"), of their members, and of the `@module` header of each entry point
// is written to its own module under out/, with 'dualtape' and its entry points mapped to the
// sources; all of them are type-checked as one program, then each is imported (run) here. An
// example may print; a thrown error fails it, and its `// →` and `// prints:` annotations
// (docs/README.md) are checked. Each runs with the working directory set to a scratch folder.
// An `@example` anywhere else in src/ would never run, so there is none.

const root = resolve(import.meta.dirname, '..', '..')
const entries = entryPoints(root)
const exported: ExportInfo[] = entries.flatMap((entry) => collectExports(root, entry.source).exports)
const headers = entries.map((entry) => ({ entry, header: moduleHeader(root, entry.source, entry.specifier) }))
const examples: JsdocExample[] = [
  ...headers.flatMap((h) => h.header?.examples ?? []),
  ...exported.flatMap((e) => [...e.examples, ...e.memberExamples]),
]

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
  const path = join(dir, `${String(i).padStart(3, '0')}-${example.exportName.replace(/[^\w.]+/g, '-')}.ts`)
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

  test('each entry point begins with a `@module` header', () => {
    const missing = headers
      .filter((h) => h.header === null)
      .map((h) => `${h.entry.specifier} (${h.entry.source})`)
    if (missing.length > 0) throw new Error(`entry points without a @module header:\n${missing.join('\n')}`)
  })

  test('every `@example` in src/ documents an entry point, an export of one or a member of an export', () => {
    const run = new Set(examples.map((e) => `${e.file}:${e.line}`))
    const offenders = exampleTags(root, 'src')
      .filter((t) => !run.has(`${t.file}:${t.line}`))
      .map((t) => `${t.file}:${t.line}`)
    if (offenders.length > 0)
      throw new Error(`${offenders.length} @example blocks that no test runs:\n${offenders.join('\n')}`)
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
