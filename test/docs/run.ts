import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll } from 'vitest'
import { debugNans, useBackend } from '../../src/index.js'
import { type CaptureResult, assertCaptured, startCapture, stopCapture } from './runtime.js'

/**
 * Runs one generated module (a guide page or a JSDoc example) in `scratch`, capturing what it
 * prints, then checks its annotations. The global settings a module may change (the backend,
 * NaN checking) are reset afterwards, so the next one starts afresh. A thrown error carries
 * what the module printed.
 */
export async function runCaptured(
  path: string,
  scratch: string,
  where: (line: number) => string,
): Promise<CaptureResult> {
  const cwd = process.cwd()
  process.chdir(scratch)
  startCapture(where)
  let error: unknown = null
  try {
    await import(pathToFileURL(path).href)
  } catch (e) {
    error = e
  }
  const result = stopCapture()
  process.chdir(cwd)
  useBackend('cpu')
  debugNans(false)
  if (error !== null) {
    if (error instanceof Error && result.printed.length > 0)
      error.message += `\nit printed:\n${result.printed.join('\n')}`
    throw error
  }
  assertCaptured(result)
  return result
}

/**
 * A folder under out/ for the generated modules of one test file (removed after its tests),
 * with a scratch working directory inside, and `specifier(target)`: the import specifier of a
 * repository file (`'test/docs/runtime.js'`) from a module in that folder.
 */
export function generatedModules(
  root: string,
  prefix: string,
): {
  dir: string
  scratch: string
  specifier: (target: string) => string
} {
  mkdirSync(join(root, 'out'), { recursive: true })
  const dir = mkdtempSync(join(root, 'out', prefix))
  const scratch = join(dir, 'cwd')
  mkdirSync(scratch)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const specifier = (target: string): string => {
    const rel = relative(dir, resolve(root, target))
    return rel.startsWith('.') ? rel : `./${rel}`
  }
  return { dir, scratch, specifier }
}
