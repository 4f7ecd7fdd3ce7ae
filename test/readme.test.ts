import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { afterAll, describe, test } from 'vitest'
import { annotate } from './docs/annotate.js'
import { pageModule } from './docs/markdown.js'
import { runCaptured } from './docs/run.js'
import { typecheck } from './docs/typecheck.js'

// The README's ```ts blocks, as the pages of docs/ are checked (test/docs.test.ts): one module,
// with 'dualtape' mapped to the sources, type-checked as a user's `strict` code, then run with
// its `// →` and `// prints:` annotations checked.

const root = resolve(import.meta.dirname, '..')
mkdirSync(join(root, 'out'), { recursive: true })
const dir = mkdtempSync(join(root, 'out', 'readme-'))
const scratch = join(dir, 'cwd')
mkdirSync(scratch)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const specifier = (target: string) => {
  const rel = relative(dir, resolve(root, target))
  return rel.startsWith('.') ? rel : `./${rel}`
}

const { code, blocks } = pageModule(readFileSync(join(root, 'README.md'), 'utf8'))
const path = join(dir, 'README.ts')
writeFileSync(
  path,
  `${annotate(code, { runtime: specifier('test/docs/runtime.js'), dedupeImports: true }).code}export {}\n`,
)

describe('README.md', () => {
  test('has code blocks', () => {
    if (blocks.length === 0) throw new Error('README.md: no ```ts block found')
  })

  test('its code blocks type-check under strict', { timeout: 120_000 }, () => {
    const errors = typecheck(root, [path]).map((d) => `README.md:${d.line}: ${d.message}`)
    if (errors.length > 0) throw new Error(`${errors.length} type errors:\n${errors.join('\n')}`)
  })

  test('its code blocks run, in order, as one module', async () => {
    await runCaptured(path, scratch, (line) => `README.md:${line}`)
  })
})
