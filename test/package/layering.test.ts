import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, normalize, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import { entryPoints } from '../../bench/entry-points.js'

// The import graph of src/, read from the sources: the layers of docs/design-notes.md hold.
// - nothing in src/ imports from outside it (bench/, test/);
// - core/ imports nothing from backends/: it holds the Backend interface (core/backend.ts) that
//   the backends implement;
// - no module outside src/backends/ imports one backend's code (backends/cpu/, backends/tfjs/):
//   the AD layer reaches backends through the registry and the Backend interface only (the
//   entry points may export a backend: the root exports cpuBackend);
// - every module of src/ is used by the package: reachable from an entry point of package.json's
//   "exports" or from the command (bench/cli.ts).

const root = resolve(import.meta.dirname, '..', '..')

interface Edge {
  readonly from: string
  readonly to: string
  readonly typeOnly: boolean
}

const importPattern =
  /(?:^|\n)\s*(import|export)(\s+type)?\s[^'"`;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g

/** The relative imports of a module, resolved to repository paths (`.js` read as `.ts`). */
function importsOf(file: string): Edge[] {
  const text = readFileSync(join(root, file), 'utf8')
  const edges: Edge[] = []
  for (const m of text.matchAll(importPattern)) {
    const spec = m[3] ?? m[4]!
    const to = normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts')
    edges.push({ from: file, to, typeOnly: m[2] !== undefined })
  }
  return edges
}

const tracked = execFileSync('git', ['ls-files', 'src', 'bench'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f.endsWith('.ts'))
const sources = tracked.filter((f) => f.startsWith('src/'))
const edges = sources.flatMap(importsOf)
const entries = entryPoints(root).map((e) => e.source)
const show = (es: readonly Edge[]) => es.map((e) => `${e.from} → ${e.to}`)

describe('the import graph of src/', () => {
  test('reads the imports (the pattern finds them)', () => {
    expect(edges.length).toBeGreaterThan(300)
    expect(edges.some((e) => e.from === 'src/index.ts' && e.to === 'src/reverse/vjp.ts')).toBe(true)
    expect(edges.some((e) => e.typeOnly)).toBe(true)
  })

  test('nothing in src/ imports from outside it', () => {
    expect(show(edges.filter((e) => !e.to.startsWith('src/')))).toEqual([])
  })

  test('core/ imports nothing from backends/', () => {
    const bad = edges.filter((e) => e.from.startsWith('src/core/') && e.to.startsWith('src/backends/'))
    expect(show(bad)).toEqual([])
  })

  test("no module outside src/backends/ but the entry points imports one backend's code", () => {
    const bad = edges.filter(
      (e) =>
        !e.from.startsWith('src/backends/') &&
        !entries.includes(e.from) &&
        /^src\/backends\/(cpu|tfjs)\//.test(e.to),
    )
    expect(show(bad)).toEqual([])
  })

  test('every module of src/ is reachable from an entry point or the command', () => {
    const all = new Map<string, Edge[]>()
    for (const f of [...sources, 'bench/cli.ts']) all.set(f, [])
    for (const f of tracked.filter((f) => f.startsWith('bench/'))) all.set(f, importsOf(f))
    for (const e of edges) all.get(e.from)!.push(e)
    const seen = new Set<string>()
    const stack = [...entries, 'bench/cli.ts']
    // the command loads its workloads by path (new URL(…, import.meta.url)), not by import
    stack.push(...tracked.filter((f) => f.startsWith('bench/workloads/') || f === 'bench/measure/child.ts'))
    while (stack.length > 0) {
      const f = stack.pop()!
      if (seen.has(f)) continue
      seen.add(f)
      for (const e of all.get(f) ?? []) stack.push(e.to)
    }
    expect(sources.filter((f) => !seen.has(f))).toEqual([])
  })
})
