import * as assert from 'node:assert'
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { transformSync } from 'esbuild'
import { describe, expect, it } from 'vitest'

import * as sparse from '../src/jacobian/sparse/index.js'

// Every export of src/jacobian/sparse has JSDoc with an @example, and every example runs: its
// imports from 'dualtape' are bound to the sparse module, `assert` to node:assert.

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'jacobian', 'sparse')
const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts')
const indexText = readFileSync(join(dir, 'index.ts'), 'utf8')

interface Declaration {
  readonly file: string
  readonly name: string
  readonly doc: string | undefined
}

function declarations(file: string): Declaration[] {
  const text = readFileSync(join(dir, file), 'utf8')
  const found: Declaration[] = []
  for (const match of text.matchAll(
    /^export (?:abstract )?(?:class|function|interface|type|const) (\w+)/gm,
  )) {
    const before = text.slice(0, match.index).trimEnd()
    const start = before.lastIndexOf('/**')
    const doc = before.endsWith('*/') && start >= 0 ? before.slice(start) : undefined
    found.push({ file, name: match[1]!, doc })
  }
  return found
}

function exampleOf(doc: string): string {
  const lines = doc.split('\n')
  const at = lines.findIndex((l) => /@example/.test(l))
  return lines
    .slice(at + 1)
    .map((l) => l.replace(/^\s*\*\/?\s?/, ''))
    .join('\n')
}

function runnable(example: string): string {
  const code = example
    .replace(/^import type \{[^}]*\} from 'dualtape'$/gm, '')
    .replace(/^import \{([^}]*)\} from 'dualtape'$/gm, (_, names: string) => {
      const values = names
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '' && !n.startsWith('type '))
      return `const { ${values.join(', ')} } = __dualtape`
    })
    .replace(/^import \* as assert from 'node:assert'$/gm, 'const assert = __assert')
  expect(code).not.toMatch(/^import /m)
  return transformSync(code, { loader: 'ts' }).code
}

const all = files.flatMap(declarations)

describe('sparse module documentation', () => {
  it('finds the declarations', () => {
    expect(all.length).toBeGreaterThan(30)
  })

  it.each(all.map((d) => [`${d.file}: ${d.name}`, d] as const))('%s has JSDoc with an @example', (_, d) => {
    expect(d.doc, `${d.name} has no JSDoc`).toBeDefined()
    expect(d.doc).toMatch(/@example/)
  })

  it.each(all.map((d) => [`${d.file}: ${d.name}`, d] as const))('%s is exported by index.ts', (_, d) => {
    expect(indexText).toMatch(new RegExp(`\\b${d.name}\\b`))
  })

  it.each(all.filter((d) => d.doc?.includes('@example')).map((d) => [`${d.file}: ${d.name}`, d] as const))(
    'the example of %s runs',
    (_, d) => {
      const js = runnable(exampleOf(d.doc!))
      new Function('__dualtape', '__assert', js)(sparse, assert)
    },
  )
})
