/**
 * Writing files in Node: creating the folders where plots and reports go, and writing text files
 * in them. Node's `mkdir(dir, { recursive: true })` never returns for a path that cannot exist
 * under /proc; this creates the missing levels one at a time, so such a path fails at once.
 *
 * @module
 */
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

const codeOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code

/** Creates a folder and the missing ones above it, one level at a time. */
export async function ensureDir(dir: string): Promise<void> {
  const missing: string[] = []
  for (let d = resolve(dir); ;) {
    try {
      if (!(await stat(d)).isDirectory()) throw new Error(`${d} is not a folder`)
      break
    } catch (e) {
      if (codeOf(e) !== 'ENOENT') throw e
      missing.push(d)
      const up = dirname(d)
      if (up === d) break
      d = up
    }
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d)
    } catch (e) {
      if (codeOf(e) !== 'EEXIST') throw e
    }
  }
}

/** Writes text (UTF-8) to a file, creating the missing folders above it. */
export async function writeTextFile(path: string, text: string): Promise<void> {
  await ensureDir(dirname(path))
  await writeFile(path, text, 'utf8')
}
