import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, string | { import: string }>
}

/** Each entry point of package.json's "exports" (`dualtape/linalg`) mapped to its source file. */
const entryAliases = () =>
  Object.entries(pkg.exports).flatMap(([key, target]) => {
    const m = /^\.\/dist\/(src\/.+)\.js$/.exec(typeof target === 'string' ? target : target.import)
    if (m === null) return []
    const name = key === '.' ? 'dualtape' : `dualtape/${key.slice(2)}`
    return [
      { find: new RegExp(`^${name}$`), replacement: fileURLToPath(new URL(`./${m[1]}.ts`, import.meta.url)) },
    ]
  })

export default defineConfig({
  resolve: {
    // the package's own name, as documented code imports it (docs/*.md, JSDoc @example)
    alias: entryAliases(),
  },
  test: {
    include: ['test/**/*.test.ts', 'props/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
