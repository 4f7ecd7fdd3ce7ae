import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { tensor } from '../../src/index.js'
import { AnnotationError, annotate } from './annotate.js'
import { linesMatch, mismatch, parsePattern, splitAnnotation } from './expect.js'
import { pageModule } from './markdown.js'
import { generatedModules, runCaptured } from './run.js'
import { assertCaptured, startCapture, stopCapture } from './runtime.js'
import { type FileDiagnostic, typecheck } from './typecheck.js'

// The guides run. The ```ts blocks of each page of docs/, and of the README (not those marked
// ```ts no-run), are one module, in page order, with 'dualtape' mapped to the sources; every
// page is type-checked as a user's `strict` code (one program for all of them), then run here,
// and the `// →` and `// prints:` annotations are checked. The conventions are written at the
// top of docs/README.md. Relative links of every page must point to files that exist.

const root = resolve(import.meta.dirname, '..', '..')
const docs = join(root, 'docs')
const pages = readdirSync(docs)
  .filter((f) => f.endsWith('.md'))
  .sort()

const { dir, scratch, specifier } = generatedModules(root, 'docs-')
const options = {
  runtime: specifier('test/docs/runtime.js'),
  dedupeImports: true,
  specifiers: { 'dualtape/vitest': specifier('test/docs/test-op.js') },
}

interface Page {
  /** The page's path from the repository's root: `docs/getting-started.md`, `README.md`. */
  readonly name: string
  readonly markdown: string
  readonly blocks: number
  readonly path: string
  readonly error: Error | null
}
const generated: Page[] = [...pages.map((p) => `docs/${p}`), 'README.md'].map((name) => {
  const markdown = readFileSync(join(root, name), 'utf8')
  const { code, blocks } = pageModule(markdown)
  const path = join(dir, name.replace(/\//g, '-').replace(/\.md$/, '.ts'))
  try {
    writeFileSync(path, `${annotate(code, options).code}export {}\n`)
    return { name, markdown, blocks: blocks.length, path, error: null }
  } catch (e) {
    return { name, markdown, blocks: blocks.length, path, error: e as Error }
  }
})
const runnable = generated.filter((p) => p.blocks > 0)

let diagnostics: Map<string, FileDiagnostic[]> | null = null
/** The diagnostics of every page, from one program (computed once, by the first test that asks). */
const diagnosticsOf = (page: Page): FileDiagnostic[] => {
  if (diagnostics === null) {
    const files = runnable.filter((p) => p.error === null).map((p) => p.path)
    diagnostics = new Map(files.map((f) => [f, []]))
    for (const d of typecheck(root, files)) diagnostics.get(d.file)?.push(d)
  }
  return diagnostics.get(page.path) ?? []
}

let blocksRun = 0
let checks = 0
afterAll(() => {
  console.log(
    `Guides and README: ${generated.length} pages, ${runnable.length} with code, ${blocksRun} blocks run, ${checks} annotations checked`,
  )
})

/** The relative link targets of a page (not http:, mailto: or in-page anchors), with their lines. */
const links = (markdown: string): { target: string; line: number }[] => {
  const out: { target: string; line: number }[] = []
  let fenced = false
  markdown.split('\n').forEach((text, i) => {
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced
    if (fenced) return
    for (const m of text.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]!
      if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue
      out.push({ target: decodeURIComponent(target.replace(/#.*$/, '')), line: i + 1 })
    }
  })
  return out
}

describe('docs/*.md and README.md', () => {
  for (const page of generated) {
    describe(page.name, () => {
      test('its relative links point to files that exist', () => {
        const broken = links(page.markdown)
          .filter((l) => !existsSync(resolve(root, dirname(page.name), l.target)))
          .map((l) => `${page.name}:${l.line}: ${l.target}`)
        if (broken.length > 0) throw new Error(`broken links:\n${broken.join('\n')}`)
      })
      if (page.blocks === 0) return

      test('its code blocks type-check', { timeout: 300_000 }, () => {
        if (page.error) throw new Error(`${page.name}: ${page.error.message}`)
        const errors = diagnosticsOf(page).map((d) => `${page.name}:${d.line}: ${d.message}`)
        if (errors.length > 0) throw new Error(`${errors.length} type errors:\n${errors.join('\n')}`)
      })

      test(`its ${page.blocks} code blocks run, in order, as one module`, async () => {
        if (page.error) throw new Error(`${page.name}: ${page.error.message}`)
        const result = await runCaptured(page.path, scratch, (line) => `${page.name}:${line}`)
        blocksRun += page.blocks
        checks += result.checks
      })
    })
  }
})

// The conventions themselves: a wrong annotation must fail, never pass silently.
describe('the annotation conventions of docs/README.md', () => {
  const matches = (literal: string, actual: unknown) => mismatch(parsePattern(literal), actual) === null

  test('numbers match to the digits written; integers to 1e-12', () => {
    expect(matches('0.8415', 0.8414709848)).toBe(true)
    expect(matches('0.8416', 0.8414709848)).toBe(false)
    expect(matches('1e-3', 0.0012)).toBe(true)
    expect(matches('1e-3', 0.0016)).toBe(false)
    expect(matches('12', 12 + 1e-14)).toBe(true)
    expect(matches('12', 12.000001)).toBe(false)
    expect(matches('-0.0625', -0.0625)).toBe(true)
    expect(matches('0', -0)).toBe(true)
    expect(matches('NaN', NaN)).toBe(true)
    expect(matches('-Infinity', -Infinity)).toBe(true)
    expect(matches('1', NaN)).toBe(false)
  })

  test('tensors and typed arrays are compared by value; objects by the keys listed', () => {
    expect(
      matches(
        '[[1, 2], [3, 4]]',
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe(true)
    expect(matches('[1, 2]', tensor([[1, 2]]))).toBe(false)
    expect(matches('[1, 2]', Float64Array.of(1, 2))).toBe(true)
    expect(matches('3', tensor(3))).toBe(true)
    expect(matches('{ shape: [2] }', tensor([1, 2]))).toBe(true)
    expect(matches('{ w: [2, 4], b: 2 }', { w: tensor([2, 4]), b: tensor(2) })).toBe(true)
    expect(matches('{ w: [2, 4] }', { b: tensor(2) })).toBe(false)
    expect(matches("'float64'", 'float32')).toBe(false)
  })

  test('a note after the literal is not checked', () => {
    expect(splitAnnotation('[2, 4]: the gradient').literal).toBe('[2, 4]')
    expect(splitAnnotation("'a: b' — a string with a colon").literal).toBe("'a: b'")
    expect(splitAnnotation('{ kind: 1 }').literal).toBe('{ kind: 1 }')
    expect(() => parsePattern('x + 1')).toThrow(/not a literal/)
  })

  test('printed lines match exactly, with ... as a wildcard', () => {
    expect(linesMatch(['a', 'b'], ['a', 'b'])).toBe(true)
    expect(linesMatch(['a'], ['a', 'b'])).toBe(false)
    expect(linesMatch(['a', '...'], ['a', 'b', 'c'])).toBe(true)
    expect(linesMatch(['x = ...'], ['x = 42'])).toBe(true)
    expect(linesMatch(['...', 'c'], ['a', 'b'])).toBe(false)
  })

  test('an annotation that would not be checked is an error', () => {
    const opts = { runtime: './runtime.js' }
    expect(() => annotate('function f() {\n  g() // → 1\n}\n', opts)).toThrow(AnnotationError)
    expect(() => annotate('for (const x of [1]) console.log(x) // prints:\n', opts)).toThrow(AnnotationError)
    expect(() => annotate('if (1) {\n}\n// → 2\n', opts)).toThrow(AnnotationError)
    expect(
      annotate('const x = 1 // → 1\nx\n// → 1\nconsole.log(x)\n// prints:\n// 1\n', opts).annotations,
    ).toBe(3)
  })

  test('a wrong annotation fails the run and names its line', async () => {
    const path = join(dir, 'wrong.ts')
    const code = [
      "import { tensor } from 'dualtape'",
      'tensor([1, 2]) // → [1, 3]',
      'console.log(1)',
      '// prints: 2',
      '',
    ]
    writeFileSync(path, `${annotate(code.join('\n'), options).code}export {}\n`)
    startCapture((line) => `wrong.md:${line}`)
    await import(pathToFileURL(path).href)
    const result = stopCapture()
    expect(result.failures).toHaveLength(2)
    expect(result.failures[0]).toMatch(/^wrong\.md:2: .*expected 3 at \[1\]/)
    expect(result.failures[1]).toMatch(/^wrong\.md:4: \/\/ prints:/)
    expect(() => assertCaptured(result)).toThrow(/2 annotations failed/)
  })
})
