import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'

// The repository paths that the guides and the README name in their prose (`src/ops/unary.ts`,
// test/package/types.test.ts, `test/check/*.test.ts`) exist, and so do the test files they name
// by their file name alone (`sparse.props.test.ts`): a file that moves takes its mentions along.
// Code blocks are left out (they show a user's files); links are checked by guides.test.ts.

const root = resolve(import.meta.dirname, '..', '..')
const pages = [
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
  'README.md',
]

/** The lines of a page outside its fenced code blocks, with their 1-based numbers. */
const prose = (markdown: string): { text: string; line: number }[] => {
  let fenced = false
  return markdown.split('\n').flatMap((text, i) => {
    if (/^\s*(```|~~~)/.test(text)) {
      fenced = !fenced
      return []
    }
    return fenced ? [] : [{ text, line: i + 1 }]
  })
}

/** Paths from the repository's root: src/…, test/…, bench/…, props/…, examples/… */
const rootPath = /(?<![\w./-])(?:src|test|bench|props|examples)\/(?:[\w.*-]+\/)*[\w*-]*(?:\.[\w*]+)*/g
/** Test files named without a folder, in backticks. */
const bareTestFile = /`([\w.-]+\.test\.ts)`/g

/**
 * Whether `pattern` (a path, `*` matching within one name) names at least one file or folder; a
 * `.js` path names its `.ts` source, as imports inside the repository do.
 */
const exists = (pattern: string): boolean => {
  if (pattern.endsWith('.js') && !existsSync(join(root, pattern)))
    return exists(pattern.replace(/\.js$/, '.ts'))
  if (!pattern.includes('*')) return existsSync(join(root, pattern))
  const parts = pattern.replace(/\/$/, '').split('/')
  const walk = (dir: string, k: number): boolean => {
    if (k === parts.length) return true
    const re = new RegExp(`^${parts[k]!.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`)
    if (!existsSync(join(root, dir))) return false
    return readdirSync(join(root, dir), { withFileTypes: true }).some(
      (e) => re.test(e.name) && (k === parts.length - 1 || e.isDirectory()) && walk(join(dir, e.name), k + 1),
    )
  }
  return walk('', 0)
}

/** Every test file of the repository by its file name. */
const testFiles = new Set(
  ['test', 'props'].flatMap((dir) =>
    (readdirSync(join(root, dir), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => f.split('/').pop()!),
  ),
)

describe('repository paths named in docs/*.md and README.md', () => {
  test('the patterns find what they should', () => {
    const found = (s: string) => [...s.matchAll(rootPath)].map((m) => m[0])
    expect(found('see `src/ops/unary.ts` and test/check/*.test.ts.')).toEqual([
      'src/ops/unary.ts',
      'test/check/*.test.ts',
    ])
    expect(found('in bench/ (not dist/bench/), props/samplers.ts: x')).toEqual([
      'bench/',
      'props/samplers.ts',
    ])
    expect(exists('test/check/*.test.ts')).toBe(true)
    expect(exists('test/check/*.nothing.ts')).toBe(false)
    expect(exists('test/fuzz-api.test.ts')).toBe(false)
    expect(exists('src/check/vitest.js')).toBe(true)
    expect(testFiles.has('planted.test.ts')).toBe(true)
  })

  for (const page of pages) {
    test(page, () => {
      const missing = prose(readFileSync(join(root, page), 'utf8')).flatMap(({ text, line }) => [
        ...[...text.matchAll(rootPath)].filter((m) => !exists(m[0])).map((m) => `${page}:${line}: ${m[0]}`),
        ...[...text.matchAll(bareTestFile)]
          .filter((m) => !testFiles.has(m[1]!))
          .map((m) => `${page}:${line}: ${m[1]}`),
      ])
      if (missing.length > 0) throw new Error(`paths that do not exist:\n${missing.join('\n')}`)
    })
  }
})
