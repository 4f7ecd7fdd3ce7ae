/**
 * Hosts: where measured functions live. Each library (and each dualtape backend or dtype) runs in
 * its own child process, so that one library's code, memory and JIT state do not change
 * another's timings; the parent asks the hosts for samples in turn, round by round.
 *
 * A host is set up from a workload module: a module whose named export is a setup function
 * `(...args) => { subjects, info? }` (or a promise of it). `subjects` maps names to the thunks to
 * time; `info` is anything the parent should learn once (a gradient to check, a description).
 * The parent only sends the module's URL and the arguments, so the thunks are built where they
 * run. An in-process host does the same without a child, for tests and for `--in-process`.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type Sample, type WarmupOptions, type WarmupRecord, takeSample, warmUp } from './sampler.js'

/** What a workload module's setup function returns. */
export interface Setup {
  readonly subjects: Readonly<Record<string, () => unknown>>
  readonly info?: unknown
}

/** A setup function of a workload module. */
export type SetupFn = (...args: any[]) => Setup | Promise<Setup>

/** Where a setup function is: the module's URL (`import.meta.url` of the workload file) and its export. */
export interface SetupRef {
  readonly module: string
  readonly name: string
  readonly args?: readonly unknown[]
}

/** A place where measured functions run. */
export interface Host {
  /** What runs there, e.g. `dualtape cpu float64` or `TensorFlow.js wasm`. */
  readonly label: string
  /** Whether the host is a child process of its own. */
  readonly isolated: boolean
  /** Builds the subjects of a setup under `prefix/` and returns their names (prefixed) and the info. */
  setup(ref: SetupRef, prefix: string): Promise<{ names: string[]; info: unknown }>
  /** Warms every named subject up until stable; returns what each warm-up did. */
  warmUp(names: readonly string[], opts: WarmupOptions): Promise<Record<string, WarmupRecord>>
  /** One timed sample of a warmed subject, after `preroll` untimed calls. */
  sample(name: string, preroll?: number): Promise<Sample>
  /** Drops the subjects under `prefix/` (and what they hold). */
  drop(prefix: string): Promise<void>
  /** Ends the host (the child exits). */
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// the work a host does, in whichever process it runs
// ---------------------------------------------------------------------------------------------

/** The subjects of one host and their calls per sample. */
export class SubjectTable {
  private readonly subjects = new Map<string, () => unknown>()
  private readonly calls = new Map<string, number>()

  async setup(ref: SetupRef, prefix: string): Promise<{ names: string[]; info: unknown }> {
    const mod = (await import(ref.module)) as Record<string, unknown>
    const fn = mod[ref.name]
    if (typeof fn !== 'function') throw new Error(`${ref.module} has no setup function '${ref.name}'`)
    const out = await (fn as SetupFn)(...(ref.args ?? []))
    const names = Object.keys(out.subjects).map((n) => `${prefix}/${n}`)
    for (const [n, f] of Object.entries(out.subjects)) this.subjects.set(`${prefix}/${n}`, f)
    return { names, info: out.info ?? null }
  }

  warmUp(names: readonly string[], opts: WarmupOptions): Record<string, WarmupRecord> {
    const out: Record<string, WarmupRecord> = {}
    for (const n of names) {
      const record = warmUp(this.get(n), opts)
      this.calls.set(n, record.callsPerSample)
      out[n] = record
    }
    return out
  }

  sample(name: string, preroll = 0): Sample {
    const k = this.calls.get(name)
    if (k === undefined) throw new Error(`the subject '${name}' was not warmed up`)
    return takeSample(this.get(name), k, preroll)
  }

  drop(prefix: string): void {
    for (const n of [...this.subjects.keys()]) {
      if (n.startsWith(`${prefix}/`)) {
        this.subjects.delete(n)
        this.calls.delete(n)
      }
    }
  }

  private get(name: string): () => unknown {
    const f = this.subjects.get(name)
    if (f === undefined) throw new Error(`no subject '${name}'`)
    return f
  }
}

/** A host in this process. */
export function localHost(label: string): Host {
  const table = new SubjectTable()
  return {
    label,
    isolated: false,
    setup: (ref, prefix) => table.setup(ref, prefix),
    warmUp: async (names, opts) => table.warmUp(names, opts),
    sample: async (name, preroll) => table.sample(name, preroll),
    drop: async (prefix) => table.drop(prefix),
    close: async () => undefined,
  }
}

// ---------------------------------------------------------------------------------------------
// child processes
// ---------------------------------------------------------------------------------------------

/** A request to a child host. */
export type Request =
  | { readonly op: 'setup'; readonly ref: SetupRef; readonly prefix: string }
  | { readonly op: 'warmUp'; readonly names: readonly string[]; readonly opts: WarmupOptions }
  | { readonly op: 'sample'; readonly name: string; readonly preroll?: number }
  | { readonly op: 'drop'; readonly prefix: string }

/** A child's answer. */
export type Reply = { readonly id: number } & (
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string }
)

/** The file a child host runs: child.ts beside this file (child.js once compiled). */
function childEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url)
  const ts = here.endsWith('.ts')
  const file = here.replace(/host\.(ts|js)$/, `child.${ts ? 'ts' : 'js'}`)
  // TypeScript sources run through tsx's loader; the compiled package needs none
  const execArgv = ts ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : []
  return { file, execArgv }
}

/**
 * glibc's allocator settings of every measuring process: large freed blocks are kept for reuse
 * instead of being returned to the kernel, so that a fresh result does not fault its pages in
 * one by one (about 20 ns per entry on the machines this is measured on) and timings count
 * arithmetic, not page faults. Settings the environment already has win.
 */
export const MALLOC_SETTINGS = {
  MALLOC_MMAP_THRESHOLD_: '4294967296',
  MALLOC_TRIM_THRESHOLD_: '4294967296',
} as const

/** The child processes of every host not yet closed, so that an interrupted run can end them. */
const liveChildren = new Set<ChildProcess>()

/** Ends every child host of this process at once (an interrupted run). */
export function killChildHosts(): void {
  for (const child of liveChildren) child.kill('SIGKILL')
}

/** A host in a child process of its own. Rejects if the child does not start. */
export async function childHost(label: string): Promise<Host> {
  const { file, execArgv } = childEntry()
  const child: ChildProcess = fork(file, [], {
    execArgv,
    env: { ...MALLOC_SETTINGS, ...process.env },
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  // what the child prints (library banners, warnings) is kept for error messages, not shown
  let output = ''
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let nextId = 0
  let exited: string | undefined
  child.on('message', (m: Reply) => {
    const p = pending.get(m.id)
    if (p === undefined) return
    pending.delete(m.id)
    if (m.ok) p.resolve(m.value)
    else p.reject(new Error(m.error))
  })
  liveChildren.add(child)
  child.on('exit', (code, signal) => {
    liveChildren.delete(child)
    exited = `the ${label} process exited (${signal ?? `code ${code}`})${output.trim() === '' ? '' : `: ${output.trim().split('\n').slice(-5).join(' / ')}`}`
    for (const p of pending.values()) p.reject(new Error(exited))
    pending.clear()
  })
  const ask = <T>(req: Request): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited !== undefined) return reject(new Error(exited))
      const id = nextId++
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      child.send({ id, ...req })
    })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('error', reject)
    child.once('exit', () => reject(new Error(exited ?? `the ${label} process did not start`)))
  })
  return {
    label,
    isolated: true,
    setup: (ref, prefix) => ask({ op: 'setup', ref, prefix }),
    warmUp: (names, opts) => ask({ op: 'warmUp', names, opts }),
    sample: (name, preroll) => ask({ op: 'sample', name, preroll }),
    drop: (prefix) => ask({ op: 'drop', prefix }),
    close: async () => {
      if (exited !== undefined) return
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.disconnect()
      await gone
    },
  }
}
