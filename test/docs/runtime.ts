import { format } from 'node:util'
import { linesMatch, mismatch, parsePattern, show, splitAnnotation } from './expect.js'

// ---------------------------------------------------------------------------------------------
// What the checked code calls at run time (the annotations are rewritten into calls of `__doc`),
// and the capture of what it prints through console.log / console.info.
// ---------------------------------------------------------------------------------------------

/** A failed annotation: names the place, what was expected and what came. */
export class DocCheckError extends Error {
  override readonly name = 'DocCheckError'
}

interface Capture {
  /** Maps a line of the generated file to the place a reader sees (page:line). */
  readonly where: (line: number) => string
  /** Everything printed, line by line. */
  readonly printed: string[]
  /** Where the lines not yet checked by a `// prints:` start. */
  pending: number
  /** How many annotations were checked. */
  checks: number
  /** The annotations that did not hold (the code goes on, so that one run reports them all). */
  readonly failures: string[]
}

let capture: Capture | null = null
const original = { log: console.log, info: console.info }

/** Starts capturing console.log / console.info; `where` names the place of a generated line. */
export const startCapture = (where: (line: number) => string): void => {
  if (capture !== null) throw new Error('startCapture: a capture is already running')
  const c: Capture = { where, printed: [], pending: 0, checks: 0, failures: [] }
  capture = c
  const write = (...args: unknown[]) => {
    c.printed.push(...format(...args).split('\n'))
  }
  console.log = write
  console.info = write
}

/** What a capture saw: the printed lines, the annotations checked, and those that failed. */
export interface CaptureResult {
  readonly printed: readonly string[]
  readonly checks: number
  readonly failures: readonly string[]
}

/** Stops capturing and returns what was printed and how the annotations fared. */
export const stopCapture = (): CaptureResult => {
  const c = capture
  capture = null
  console.log = original.log
  console.info = original.info
  return { printed: c?.printed ?? [], checks: c?.checks ?? 0, failures: c?.failures ?? [] }
}

/** Throws a DocCheckError listing the failed annotations of a capture, if any. */
export const assertCaptured = (result: CaptureResult): void => {
  if (result.failures.length > 0)
    throw new DocCheckError(
      `${result.failures.length} annotation${result.failures.length === 1 ? '' : 's'} failed:\n${result.failures.join('\n')}`,
    )
}

const current = (): Capture => {
  if (capture === null) throw new Error('an annotated example ran outside startCapture/stopCapture')
  return capture
}

/** The calls that the annotations are rewritten into. */
export const __doc = {
  /** `expr // → literal`: checks the value of `expr` and returns it. */
  value<T>(actual: T, expected: string, line: number): T {
    const c = current()
    const m = mismatch(parsePattern(splitAnnotation(expected).literal), actual)
    if (m !== null) c.failures.push(`${c.where(line)}: // → ${expected}: ${m}; the value is ${show(actual)}`)
    c.checks++
    return actual
  },
  /** `// prints:` and the comment lines under it: checks what was printed since the last check. */
  printed(expected: readonly string[], line: number): void {
    const c = current()
    const actual = c.printed.slice(c.pending)
    if (!linesMatch(expected, actual))
      c.failures.push(
        `${c.where(line)}: // prints: expected\n${expected.map((l) => `  | ${l}`).join('\n')}\nbut it printed\n${actual.map((l) => `  | ${l}`).join('\n') || '  (nothing)'}`,
      )
    c.pending = c.printed.length
    c.checks++
  },
}
