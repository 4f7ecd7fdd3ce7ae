import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, test } from 'vitest'
import { type CheckGradsOptions, checkGrads, formatReport } from '../src/check/index.js'
import { propsRuns, propsSeed } from '../src/check/config.js'
import type { Tensor } from '../src/core/tensor.js'
import { type Expr, NARGS, evaluate, programArb, show } from './programs.js'

// Random programs (see programs.ts) checked by checkGrads in both modes.

function checkProgram(p: { expr: Expr; args: Tensor[] }, options: CheckGradsOptions): void {
  const f = (...ts: Tensor[]): Tensor => evaluate(p.expr, ts.slice(0, NARGS), ts[NARGS]!)
  const r = checkGrads(f, p.args, options)
  if (E.isLeft(r)) {
    const shapes = p.args.map((a) => `[${a.shape.join(', ')}]`).join(', ')
    throw new Error(`program ${show(p.expr)} on shapes ${shapes}, W last:\n${formatReport(r.left)}`)
  }
}

describe('random programs through checkGrads', () => {
  const seed = propsSeed()
  test(`order 1, full Jacobians, fwd and rev (seed ${seed})`, () => {
    fc.assert(
      fc.property(programArb, (p) => checkProgram(p, { order: 1, modes: ['fwd', 'rev'] })),
      { seed, numRuns: propsRuns(60), includeErrorInReport: true },
    )
  })

  test(`order 2, projections (fast), fwd and rev (seed ${seed})`, () => {
    fc.assert(
      fc.property(programArb, (p) => checkProgram(p, { order: 2, modes: ['fwd', 'rev'], fast: true })),
      { seed: seed + 1, numRuns: propsRuns(60), includeErrorInReport: true },
    )
  })
})
