import { afterAll, describe, test } from 'vitest'
import * as D from '../../src/index.js'
import { BackendError, DTypeError, ShapeError, type Tensor, ValueError } from '../../src/index.js'
import { type Case, type Lin, linTol, scaleOf, transformCase } from '../support/fuzz-functions.js'
import {
  type Expect,
  anyError,
  attempt,
  check,
  expectTensor,
  printTally,
  props,
} from '../support/fuzz-harness.js'
import { build, refOf, show } from '../support/fuzz-values.js'

// The API fuzzer (test/support/fuzz-harness.ts) on forward mode: jvp of functions with
// closed-form derivatives (test/support/fuzz-functions.ts), with matching and spoiled tangents.

afterAll(() => printTally('jvp'))

describe('transformations', () => {
  test('jvp: matching tangents give the closed form; spoiled ones an error naming jvp', () => {
    props(transformCase, 600, (c: Case) => {
      const primals = c.xs.map(build)
      let tangents: unknown[] = c.ts.map(build)
      let want: Expect
      const lin = c.fn.ref(c.xs)
      if (c.spoil === 'junk') {
        tangents[0] = c.junk.value
        want = { error: [ValueError, ShapeError] }
      } else if (c.spoil === 'count') {
        tangents = [...tangents, tangents[0]]
        want = { error: ShapeError }
      } else if (c.spoil === 'nest') {
        tangents = [tangents]
        want = { error: ShapeError }
      } else if (c.spoil === 'dtype') want = { error: DTypeError }
      else if (c.spoil === 'backend') want = { error: BackendError }
      else if (c.spoil === 'shape' && c.ts.some((t, i) => t.shape.join() !== c.xs[i]!.shape.join()))
        want = { error: ShapeError }
      else if (!('out' in lin)) want = lin
      else
        want = {
          value: lin.jvp(c.ts.map(refOf)),
          tol: linTol(c.xs),
          scale: scaleOf(...c.xs.map(refOf), ...c.ts.map(refOf)),
        }
      // null and undefined junk are empty trees, which the function itself may reject
      if (
        c.spoil === 'junk' &&
        (c.junk.value === null ||
          c.junk.value === undefined ||
          Array.isArray(c.junk.value) ||
          c.junk.label.includes('object'))
      )
        want = anyError
      const what = `jvp ${c.fn.name} ${c.xs.map(show)} tangents ${c.spoil ?? 'matching'}`
      // tangents may be junk on purpose: what a JavaScript caller could pass
      const out = attempt(what, () => D.jvp(c.fn.f, primals as Tensor[], tangents as never))
      if ('value' in want) {
        if (!out.ok) throw new Error(`${what}: threw ${out.error.message}`)
        const [y, dy] = out.value as [Tensor, Tensor]
        expectTensor(`${what} (output)`, y, {
          value: (lin as Lin).out,
          tol: linTol(c.xs),
          scale: scaleOf(...c.xs.map(refOf)),
        })
        expectTensor(`${what} (tangent)`, dy, want)
      } else check(what, out, want)
    })
  })
})
