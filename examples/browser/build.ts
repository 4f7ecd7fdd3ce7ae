/**
 * Bundles dualtape for the browser with esbuild, the way a user's bundler does: the package's
 * `browser` field (package.json) swaps its Node-only modules for browser ones or for nothing.
 * The field names the compiled files (`./dist/src/backends/tfjs/node-wasm.js`); here the bundle is made from the
 * sources, so `browserFieldPlugin` reads the same field and applies it to the matching
 * `src/**.ts` files. test/package/browser.test.ts bundles its page and this example with it.
 *
 * Run: npx tsx examples/browser/build.ts [--out DIR] [--minify], then open
 * out/examples/browser/index.html in a browser (a classic script: it works from file://).
 *
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { build, type Plugin } from 'esbuild'
import { isMain } from '../cli.js'

/** The repository's root folder. */
export const root = resolve(import.meta.dirname, '..', '..')

/**
 * The optional packages a page leaves out unless it uses them: a bundle then keeps their
 * `import()` (which fails only if called), as a user who has not installed them must.
 */
export const optionalPackages = [
  'vega',
  'vega-lite',
  '@hpcc-js/wasm-graphviz',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
] as const

/**
 * The package's `browser` field as a map from source files to their stand-ins in a browser: a
 * source file, or `false` for an empty module. Each entry must name a compiled module of
 * dist/src whose source exists.
 */
export function browserMapping(dir: string = root): ReadonlyMap<string, string | false> {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    browser?: Readonly<Record<string, string | false>>
  }
  if (typeof pkg.browser !== 'object' || pkg.browser === null)
    throw new Error('package.json has no "browser" field mapping files')
  const source = (compiled: string): string => {
    const m = /^\.\/dist\/(src\/.+)\.js$/.exec(compiled)
    if (m === null) throw new Error(`package.json "browser": ${compiled} is not a module of ./dist/src`)
    const file = join(dir, `${m[1]}.ts`)
    if (!existsSync(file)) throw new Error(`package.json "browser": ${compiled} has no source ${file}`)
    return file
  }
  return new Map(
    Object.entries(pkg.browser).map(([from, to]): [string, string | false] => [
      source(from),
      to === false ? false : source(to),
    ]),
  )
}

/**
 * An esbuild plugin that applies the package's `browser` field to dualtape's sources: an import
 * of a mapped module gets its stand-in (or an empty module for `false`).
 */
export function browserFieldPlugin(dir: string = root): Plugin {
  const mapping = browserMapping(dir)
  const src = join(dir, 'src')
  return {
    name: 'dualtape-browser-field',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (relative(src, args.importer).startsWith('..')) return undefined
        const target = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts')
        const to = mapping.get(target)
        if (to === undefined) return undefined
        return to === false ? { path: target, namespace: 'browser-false' } : { path: to }
      })
      b.onLoad({ filter: /.*/, namespace: 'browser-false' }, () => ({ contents: 'export {}', loader: 'js' }))
    },
  }
}

/** Options of {@link bundleForBrowser}. */
export interface BrowserBundleOptions {
  /** The page's script (TypeScript), importing dualtape. */
  readonly entry: string
  readonly outfile: string
  /** 'iife' (the default) runs as a classic script, also from file://. */
  readonly format?: 'iife' | 'esm'
  readonly minify?: boolean
  /** Packages left out of the bundle (default: every optional package, see optionalPackages). */
  readonly external?: readonly string[]
}

/**
 * Bundles a page's script for the browser (no Node built-ins allowed: esbuild stops on one)
 * and returns its size and the files it took in (relative to the repository's root).
 */
export async function bundleForBrowser(
  options: BrowserBundleOptions,
): Promise<{ readonly bytes: number; readonly inputs: readonly string[] }> {
  const result = await build({
    entryPoints: [options.entry],
    outfile: options.outfile,
    bundle: true,
    platform: 'browser',
    format: options.format ?? 'iife',
    target: 'es2022',
    minify: options.minify ?? false,
    external: [...(options.external ?? optionalPackages)],
    plugins: [browserFieldPlugin()],
    metafile: true,
    absWorkingDir: root,
    logLevel: 'silent',
  })
  const outputs = Object.values(result.metafile.outputs)
  return {
    bytes: outputs.reduce((s, o) => s + o.bytes, 0),
    inputs: Object.keys(result.metafile.inputs),
  }
}

/** Builds the example into `out` (index.html and main.js). */
export async function buildExample(out: string, minify = false): Promise<string> {
  mkdirSync(out, { recursive: true })
  const here = join(root, 'examples', 'browser')
  copyFileSync(join(here, 'index.html'), join(out, 'index.html'))
  await bundleForBrowser({ entry: join(here, 'main.ts'), outfile: join(out, 'main.js'), minify })
  return join(out, 'index.html')
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, minify: { type: 'boolean' } },
  })
  const page = await buildExample(values.out ?? join('out', 'examples', 'browser'), values.minify === true)
  console.log(`built ${page}: open it in a browser`)
}
