import { pathToFileURL } from 'node:url'
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
