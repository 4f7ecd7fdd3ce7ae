/**
 * Where a benchmark run writes: folders created level by level (`ensureDir`: Node's recursive
 * mkdir never returns for a path under /proc), outputs checked before anything runs, files replaced
 * atomically (written beside, then renamed), and one run at a time per output folder.
 */
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ensureDir } from './plot/fs.js'

export { ensureDir }

/** An output that cannot be written; its message says which and why. */
export class OutputError extends Error {
  override readonly name = 'OutputError'
}

const codeOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code

/** Checks that `dir` can be created and written, by writing and removing a probe file. */
export async function checkWritableDir(dir: string, what: string): Promise<void> {
  try {
    await ensureDir(dir)
    const probe = join(dir, `.dualtape-write-test-${process.pid}`)
    await writeFile(probe, '')
    await rm(probe, { force: true })
  } catch (e) {
    throw new OutputError(`cannot write the ${what} ${dir}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** Checks that `file` can be written: its folder is writable and it is not itself a folder. */
export async function checkWritableFile(file: string, what: string): Promise<void> {
  await checkWritableDir(dirname(file), `folder of the ${what}`)
  try {
    if ((await stat(file)).isDirectory())
      throw new OutputError(`cannot write the ${what} ${file}: it is a folder`)
  } catch (e) {
    if (e instanceof OutputError) throw e
    if (codeOf(e) !== 'ENOENT') {
      throw new OutputError(`cannot write the ${what} ${file}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
}

/** Writes a file whole or not at all: into a temporary file beside it, then renamed over it. */
export async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${process.pid}.${Date.now()}.tmp`)
  try {
    await writeFile(tmp, text, 'utf8')
    await rename(tmp, file)
  } catch (e) {
    await rm(tmp, { force: true })
    throw e
  }
}

/** The lock file of a run in its output folder. */
export const LOCK_FILE = '.dualtape-bench.lock'

/** Whether a process with this id is running. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return codeOf(e) === 'EPERM'
  }
}

/**
 * Takes the output folder for this process: creates its lock file, or takes over one whose
 * process is gone. Throws an OutputError naming the other run when one is still writing there.
 * Returns the release.
 */
export async function lockOutput(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return async () => {
        // only this run's lock is removed
        const owner = await readFile(file, 'utf8').catch(() => '')
        if (owner.trim() === String(process.pid)) await rm(file, { force: true })
      }
    } catch (e) {
      if (codeOf(e) !== 'EEXIST')
        throw new OutputError(`cannot lock the output directory ${dir}: ${String(e)}`)
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim())
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new OutputError(
          `another dualtape bench run (process ${owner}) is writing into ${dir}; wait for it, or give this run another --out`,
        )
      }
      // a lock left by a run that is gone
      await rm(file, { force: true })
    }
  }
  throw new OutputError(`cannot lock the output directory ${dir}`)
}
