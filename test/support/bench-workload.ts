/** A workload module for the tests of the benchmark hosts (test/bench/measure.test.ts). */
import type { Setup } from '../../bench/measure/host.js'

/** Two busy loops, one about `ratio` times longer than the other, and an echo of the arguments. */
export function busyLoops(n: number, ratio: number): Setup {
  const loop = (k: number) => (): number => {
    let s = 0
    for (let i = 0; i < k; i++) s += Math.sqrt(i + 0.5)
    return s
  }
  return { subjects: { short: loop(n), long: loop(n * ratio) }, info: { n, ratio, pid: process.pid } }
}

/** A setup that fails. */
export function broken(): Setup {
  throw new TypeError('this workload cannot be built')
}

/** A subject that ends its process when called. */
export function dies(): Setup {
  return { subjects: { exit: () => process.exit(3) } }
}

/** Subjects that differ from process to process (named after the process id). */
export function byProcess(): Setup {
  return { subjects: { [`pid${process.pid}`]: () => process.pid } }
}

/** A subject that spins for a minute (for interrupting a run while a child process works). */
export function spins(): Setup {
  return {
    subjects: {
      spin: () => {
        const t0 = Date.now()
        while (Date.now() - t0 < 60_000);
      },
    },
    info: { pid: process.pid },
  }
}
