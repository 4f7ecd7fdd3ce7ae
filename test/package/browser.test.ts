import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Browser, type Page, chromium } from 'playwright-core'
import { afterAll, describe, expect, test } from 'vitest'
import {
  browserMapping,
  buildExample,
  bundleForBrowser,
  optionalPackages,
  root,
} from '../../examples/browser/build.js'
import type { Check } from './browser-page.js'

// dualtape in a real browser: test/package/browser-page.ts and the example examples/browser/ are bundled
// for the browser with esbuild, applying package.json's "browser" field as a bundler does, and
// run in headless Chromium (Debian's chromium, installed by .ci/run; DUALTAPE_CHROMIUM names
// another binary). A missing Chromium fails the test.

const chromiumPath = process.env.DUALTAPE_CHROMIUM ?? '/usr/bin/chromium'
mkdirSync(join(root, 'out'), { recursive: true })
const dir = mkdtempSync(join(root, 'out', 'browser-test-'))
const pageErrors: string[] = []

interface Setup {
  readonly bundle: { readonly bytes: number; readonly inputs: readonly string[] }
  readonly examplePage: string
  readonly browser: Browser
  readonly page: Page
}

// each test awaits this: a missing Chromium fails every test that needs it (none is skipped)
let started: Promise<Setup> | undefined
const setup = (): Promise<Setup> => (started ??= start())

async function start(): Promise<Setup> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium (or set DUALTAPE_CHROMIUM)`)
  }
  // the page uses tfjs-cpu, so TensorFlow.js's core and cpu backend go into its bundle
  const uses = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu']
  const [bundle, examplePage] = await Promise.all([
    bundleForBrowser({
      entry: join(root, 'test/package/browser-page.ts'),
      outfile: join(dir, 'page.js'),
      external: optionalPackages.filter((p) => !uses.includes(p)),
    }),
    buildExample(join(dir, 'example')),
  ])
  const browser = await chromium.launch({ executablePath: chromiumPath, chromiumSandbox: false })
  const page = await browser.newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text())
  })
  return { bundle, examplePage, browser, page }
}

afterAll(async () => {
  await started?.then(({ browser }) => browser.close()).catch(() => undefined)
  rmSync(dir, { recursive: true, force: true })
})

describe('the browser field', () => {
  test('maps the Node-only modules to existing sources', () => {
    const rel = (p: string | false) => (p === false ? false : p.slice(root.length + 1))
    const mapping = Object.fromEntries([...browserMapping()].map(([from, to]) => [rel(from), rel(to)]))
    expect(mapping).toEqual({
      'src/backends/tfjs/node-wasm.ts': false,
      'src/backends/tfjs/node-webgpu.ts': false,
    })
  })

  test('the bundle takes no Node-only module', async () => {
    const { bundle } = await setup()
    expect(bundle.inputs.filter((p) => p.startsWith('bench/'))).toEqual([])
    // a module mapped to false becomes an empty one
    const nodeOnly = bundle.inputs.filter((p) => /node-(wasm|webgpu)\.ts$|node_modules\/webgpu\//.test(p))
    expect(nodeOnly.map((p) => p.replace(`${root}/`, ''))).toEqual([
      'browser-false:src/backends/tfjs/node-wasm.ts',
      'browser-false:src/backends/tfjs/node-webgpu.ts',
    ])
    console.log(
      `test page bundle (with tfjs-core and tfjs-backend-cpu): ${(bundle.bytes / 1024).toFixed(0)} KB`,
    )
  })
})

describe('in headless Chromium', () => {
  test('grad, jvp, a Hessian and tfjs-cpu give the known values', async () => {
    const { page } = await setup()
    await page.setContent('<!doctype html><title>dualtape</title><body></body>')
    await page.addScriptTag({ path: join(dir, 'page.js') })
    const checks = await page.evaluate(
      () => (globalThis as { dualtapeChecks?: Promise<Check[]> }).dualtapeChecks,
    )
    expect(checks).toBeDefined()
    for (const c of checks!) console.log(`${c.name}: ${c.got} (expected ${c.want}, tolerance ${c.tol})`)
    for (const c of checks!) {
      if (typeof c.want === 'number')
        expect(Math.abs(Number(c.got) - c.want), c.name).toBeLessThanOrEqual(c.tol)
      else expect(c.got, c.name).toBe(c.want)
    }
    expect(checks!.map((c) => c.name)).toHaveLength(11)
    expect(pageErrors).toEqual([])
  })

  test('the example page draws f(x1, x2) = x1·x2 + sin(x2) with its values and adjoints', async () => {
    const { page, examplePage } = await setup()
    await page.goto(pathToFileURL(examplePage).href)
    const nodes = async () =>
      page.$$eval('#graph g.node', (gs) =>
        Object.fromEntries(
          gs.map((g) => [
            g.getAttribute('data-name'),
            [Number(g.getAttribute('data-value')), Number(g.getAttribute('data-adjoint'))],
          ]),
        ),
      )
    const cell = async (row: string, mode: string) =>
      Number(await page.getAttribute(`#results tr[data-row="${row}"] td[data-mode="${mode}"]`, 'data-value'))

    // at (2, 3): x̄1 = x2 = 3, x̄2 = x1 + cos x2, every aᵢ has adjoint 1
    const at23 = await nodes()
    console.log('example at (2, 3): [value, adjoint] per node', at23)
    const want = {
      x1: [2, 3],
      x2: [3, 2 + Math.cos(3)],
      a1: [Math.sin(3), 1],
      a2: [6, 1],
      a3: [6 + Math.sin(3), 1],
    }
    expect(Object.keys(at23).sort()).toEqual(Object.keys(want).sort())
    for (const [name, [v, adj]] of Object.entries(want)) {
      expect(at23[name]![0], `${name} value`).toBeCloseTo(v!, 12)
      expect(at23[name]![1], `${name} adjoint`).toBeCloseTo(adj!, 12)
    }
    for (const mode of ['reverse', 'forward', 'closedForm']) {
      expect(await cell('f', mode)).toBeCloseTo(6 + Math.sin(3), 12)
      expect(await cell('dx1', mode)).toBeCloseTo(3, 12)
      expect(await cell('dx2', mode)).toBeCloseTo(2 + Math.cos(3), 12)
    }
    expect(await page.textContent('#graph')).toContain('v̄ = 1.01001')

    // typing a new x1 redraws: x̄2 = x1 + cos x2
    await page.fill('#x1', '-1.5')
    const moved = await nodes()
    expect(moved.x2![1]).toBeCloseTo(-1.5 + Math.cos(3), 12)
    expect(await cell('dx2', 'forward')).toBeCloseTo(-1.5 + Math.cos(3), 12)
    expect(await page.textContent('#error')).toBe('')
    expect(pageErrors).toEqual([])
  })
})
