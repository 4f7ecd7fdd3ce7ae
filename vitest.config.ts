import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    // the package's own name, as documented code imports it (docs/*.md, JSDoc @example)
    alias: [
      { find: /^dualtape$/, replacement: src('index.ts') },
      { find: /^dualtape\/vitest$/, replacement: src('check/vitest.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'props/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
