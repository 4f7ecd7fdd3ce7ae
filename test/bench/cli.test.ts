import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { Suite } from '../../bench/suites/types.js'
import { EXIT, type CliIO, main, runBench } from '../../bench/cli.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'bin', 'dualtape.js')

/** Runs the installed command, as a user would. */
const dualtape = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** An io that records what the command writes. */
const capture = (): CliIO & { out: () => string; err: () => string } => {
  let out = ''
  let err = ''
  return {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    out: () => out,
    err: () => err,
  }
}

const dirs: string[] = []
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'dualtape-cli-'))
  dirs.push(d)
  return d
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('the dualtape command (bin/dualtape.js)', () => {
  it('--help lists the commands', () => {
    const top = dualtape('--help')
    expect(top.code).toBe(0)
    expect(top.stdout).toContain('Usage: dualtape')
    expect(top.stdout).toContain('bench')
  })

  it('an unknown suite: a message naming the suites, exit code 2', () => {
    const r = dualtape('bench', 'nosuch')
    expect(r.code).toBe(EXIT.usage)
    expect(r.stderr).toContain("unknown suite 'nosuch'")
    expect(r.stderr).toContain('overhead, modes, chain, linearize, checkpoint, peers')
  })
})

describe('main', () => {
  it('bench --help lists the suites, the options and the exit codes', async () => {
    const io = capture()
    expect(await main(['bench', '--help'], io)).toBe(EXIT.ok)
    for (const s of [
      'overhead',
      'modes',
      'chain',
      'peers',
      '--quick',
      '--backend',
      '--out',
      '--json',
      '--in-process',
      'bench compare A.json B.json',
      'Exit codes',
    ]) {
      expect(io.out()).toContain(s)
    }
  })

  it('--version prints the version of package.json', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }
    const io = capture()
    expect(await main(['--version'], io)).toBe(EXIT.ok)
    expect(io.out().trim()).toBe(pkg.version)
  })

  it('no arguments: the help', async () => {
    const io = capture()
    expect(await main([], io)).toBe(EXIT.ok)
    expect(io.out()).toContain('Usage: dualtape')
  })

  it('an unknown backend or option is a usage error', async () => {
    const io = capture()
    expect(await main(['bench', 'chain', '--backend', 'nosuch'], io)).toBe(EXIT.usage)
    expect(io.err()).toContain("unknown backend 'nosuch'; available: cpu, tfjs-cpu, tfjs-wasm, tfjs-webgpu")
    const io2 = capture()
    expect(await main(['bench', '--frobnicate'], io2)).toBe(EXIT.usage)
    expect(io2.err()).toContain('unknown option')
    const io3 = capture()
    expect(await main(['bench', '--quick', '--smoke'], io3)).toBe(EXIT.usage)
  })

  it('an output directory that cannot be written: exit code 3, nothing run', async () => {
    const dir = await tempDir()
    const file = join(dir, 'a-file')
    await writeFile(file, '')
    const io = capture()
    expect(await main(['bench', 'chain', '--smoke', '--out', join(file, 'report')], io)).toBe(EXIT.output)
    expect(io.err()).toContain('cannot write the output directory')
    expect(io.out()).toBe('')
  })

  it('a tiny run writes report.md, results.json and SVG plots', async () => {
    const dir = await tempDir()
    const out = join(dir, 'report')
    const json = join(dir, 'elsewhere', 'results.json')
    const io = capture()
    const code = await main(['bench', 'chain', 'modes', '--smoke', '--out', out, '--json', json], io)
    expect(code).toBe(EXIT.ok)
    const files = await readdir(out)
    expect(files).toContain('report.md')
    expect(files).toContain('results.json')
    expect(files.filter((f) => f.endsWith('.svg')).length).toBeGreaterThanOrEqual(1)
    const report = await readFile(join(out, 'report.md'), 'utf8')
    expect(report).toContain('## Wide against deep')
    expect(report).toContain('## Jacobian chains')
    const results = JSON.parse(await readFile(json, 'utf8'))
    expect(results.suites.map((s: { name: string }) => s.name)).toEqual(['chain', 'modes'])
    expect(results.size).toBe('smoke')
    // the load average before and after each suite
    for (const s of results.suites) {
      expect(s.load.before).toHaveLength(3)
      expect(s.load.after).toHaveLength(3)
    }
    expect(io.out()).toContain('Report: ')
    expect(io.out()).toContain('Accumulation of the chain')

    // the run against itself: every figure within noise
    const same = capture()
    expect(await main(['bench', 'compare', json, json], same)).toBe(EXIT.ok)
    expect(same.out()).toMatch(/(\d+) figures in both runs: 0 changed beyond the noise/)
    expect(same.out()).not.toContain(' 0 figures in both runs')
    const bad = capture()
    expect(await main(['bench', 'compare', json], bad)).toBe(EXIT.usage)
    expect(bad.err()).toContain('two results.json files')
    const missing = capture()
    expect(await main(['bench', 'compare', json, join(dir, 'nope.json')], missing)).toBe(EXIT.usage)
  })

  it('a suite that throws is reported, the others still run, exit code 1', async () => {
    const dir = await tempDir()
    const fine: Suite = {
      name: 'fine',
      title: 'Fine',
      description: 'runs',
      steps: () => 1,
      run: async (ctx) => {
        ctx.tick('fine')
        return { notes: [], tables: [], targets: [], plots: [], problems: [] }
      },
    }
    const broken: Suite = {
      ...fine,
      name: 'broken',
      title: 'Broken',
      run: async () => {
        throw new Error('deliberately broken')
      },
    }
    const io = capture()
    const opts = { size: 'smoke' as const, backend: 'cpu', out: dir, strict: false, progress: false }
    expect(await runBench([], opts, io, [broken, fine])).toBe(EXIT.suiteFailed)
    expect(io.err()).toContain("the suite 'broken' failed: deliberately broken")
    const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'))
    expect(results.suites.map((s: { status: string }) => s.status)).toEqual(['failed', 'ok'])
  })

  it('a peer that fails to load gives exit code 4; a missed target gives 5 only with --strict', async () => {
    const dir = await tempDir()
    const opts = { size: 'smoke' as const, backend: 'cpu', out: dir, strict: false, progress: false }
    const peer: Suite = {
      name: 'peer',
      title: 'Peer',
      description: 'a peer that is missing',
      steps: () => 1,
      run: async () => ({
        notes: [],
        tables: [],
        targets: [],
        plots: [],
        problems: [{ kind: 'peer-load', message: 'somelib: not installed' }],
      }),
    }
    const missed: Suite = {
      ...peer,
      name: 'missed',
      run: async () => ({
        notes: [],
        tables: [],
        targets: [
          { name: 't', measured: 2, comparison: '>=', limit: 10, status: 'missed' },
          { name: 'u', measured: 9, lo: 8, hi: 11, comparison: '>=', limit: 10, status: 'noisy' },
        ],
        plots: [],
        problems: [],
      }),
    }
    const io = capture()
    expect(await runBench([], opts, io, [peer])).toBe(EXIT.peerFailed)
    expect(io.err()).toContain('somelib: not installed')
    expect(await runBench([], opts, capture(), [missed])).toBe(EXIT.ok)
    expect(await runBench([], { ...opts, strict: true }, capture(), [missed])).toBe(EXIT.targetMissed)
    // a noisy target (its interval holds the limit) is not a miss
    const noisyOnly: Suite = {
      ...missed,
      run: async () => ({
        notes: [],
        tables: [],
        targets: [{ name: 'u', measured: 9, lo: 8, hi: 11, comparison: '>=', limit: 10, status: 'noisy' }],
        plots: [],
        problems: [],
      }),
    }
    const io2 = capture()
    expect(await runBench([], { ...opts, strict: true }, io2, [noisyOnly])).toBe(EXIT.ok)
    expect(io2.out()).toContain('~ u: 9.00 ±22% (>= 10) noisy')
  })
})

describe('outputs, interruption and concurrent runs', () => {
  const opts = (out: string) => ({
    size: 'smoke' as const,
    backend: 'cpu',
    out,
    strict: false,
    progress: false,
  })
  const never: Suite = {
    name: 'never',
    title: 'Never',
    description: 'must not run',
    steps: () => 1,
    run: async () => {
      throw new Error('ran although an output was bad')
    },
  }

  it('an output directory that cannot exist fails at once, before anything runs', async () => {
    const io = capture()
    const t0 = performance.now()
    expect(await main(['bench', 'chain', '--smoke', '--out', '/proc/dualtape-nowhere'], io)).toBe(EXIT.output)
    expect(performance.now() - t0).toBeLessThan(10_000)
    expect(io.err()).toContain('cannot write the output directory /proc/dualtape-nowhere')
  })

  it('a JSON path that is a folder is refused before anything runs', async () => {
    const dir = await tempDir()
    const io = capture()
    await expect(runBench([], { ...opts(join(dir, 'out')), json: dir }, io, [never])).rejects.toThrow(
      `cannot write the JSON file ${dir}: it is a folder`,
    )
    expect(io.out()).toBe('')
  })

  it('a second run into an output directory in use stops with code 3; a lock left by a finished process is taken over', async () => {
    const dir = await tempDir()
    // the lock of a live process (this one's parent stands in for another run)
    await writeFile(join(dir, '.dualtape-bench.lock'), String(process.ppid))
    const io = capture()
    await expect(runBench([], opts(dir), io, [never])).rejects.toThrow(
      `another dualtape bench run (process ${process.ppid}) is writing into ${dir}`,
    )
    expect(await main(['bench', 'chain', '--smoke', '--out', dir], capture())).toBe(EXIT.output)
    // a lock whose process is gone
    const gone = spawnSync(process.execPath, ['-e', 'process.pid'], { encoding: 'utf8' }).pid!
    await writeFile(join(dir, '.dualtape-bench.lock'), String(gone))
    const fine: Suite = {
      ...never,
      name: 'fine',
      run: async () => ({ notes: [], tables: [], targets: [], plots: [], problems: [] }),
    }
    expect(await runBench([], opts(dir), capture(), [fine])).toBe(EXIT.ok)
    // the run took the lock and gave it back
    expect(await readdir(dir)).not.toContain('.dualtape-bench.lock')
  })

  /** Starts a run of test/support/bench-interrupt-run.ts, and interrupts it once it prints `when`. */
  async function interrupt(mode: 'sleep' | 'child' | 'first', when: string) {
    const dir = await tempDir()
    const script = join(root, 'test', 'support', 'bench-interrupt-run.ts')
    const { spawn } = await import('node:child_process')
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, mode], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`the run did not end: ${stdout} ${stderr}`))
      }, 50_000)
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString()
        if (stdout.includes(when) && !child.killed) child.kill('SIGINT')
      })
      child.on('exit', (c) => {
        clearTimeout(timer)
        resolve(c)
      })
    })
    const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'))
    const report = await readFile(join(dir, 'report.md'), 'utf8')
    return { code, stdout, stderr, results, report, dir }
  }

  it('SIGINT during a suite: exit 130, and results.json and report.md hold every finished suite and the interrupted one', async () => {
    const r = await interrupt('sleep', 'second started')
    expect(r.code).toBe(EXIT.interrupted)
    expect(r.results.suites.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ['first', 'ok'],
      ['second', 'interrupted'],
    ])
    expect(r.results.suites[0].output.notes).toEqual(['first done'])
    // report.md is the same run: same date, same suites
    expect(r.report).toContain(`- date: ${r.results.date}`)
    expect(r.report).toContain('| [first](#first) | ✓ |')
    expect(r.report).toContain('| [second](#second) | ⏹ interrupted |')
    expect(r.stderr).toContain('interrupted; writing the report of the suites that finished')
    expect(await readdir(r.dir)).not.toContain('.dualtape-bench.lock')
  }, 60_000)

  it('SIGINT during the first suite: the pair holds it, interrupted', async () => {
    const r = await interrupt('first', 'first started')
    expect(r.code).toBe(EXIT.interrupted)
    expect(r.results.suites.map((s: { status: string }) => s.status)).toEqual(['interrupted'])
    expect(r.report).toContain(`- date: ${r.results.date}`)
    expect(r.report).toContain('| [first](#first) | ⏹ interrupted |')
  }, 60_000)

  it('SIGINT while a child process measures: the child is ended, the finished suite kept', async () => {
    const r = await interrupt('child', 'second started')
    expect(r.code).toBe(EXIT.interrupted)
    expect(r.results.suites.map((s: { status: string }) => s.status)).toEqual(['ok', 'interrupted'])
    const pid = Number(/child (\d+)/.exec(r.stdout)?.[1])
    expect(pid).toBeGreaterThan(0)
    // the child process is gone (it may take a moment on a loaded machine)
    const alive = () => {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    }
    for (let waited = 0; alive() && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(alive()).toBe(false)
  }, 60_000)
})
