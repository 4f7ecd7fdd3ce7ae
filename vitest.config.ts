import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { entryPoints } from './bench/entry-points.js'

const root = fileURLToPath(new URL('.', import.meta.url))

/** Each entry point of package.json's "exports" (`dualtape/linalg`) mapped to its source file. */
const entryAliases = () =>
  entryPoints(root).map((e) => ({
    find: new RegExp(`^${e.specifier}$`),
    replacement: resolve(root, e.source),
  }))

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
