import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { afterEach, describe, expect, test } from 'vitest'
import {
  type ArraySpec,
  arrays,
  broadcastingShapes,
  checkContract,
  contractChecks,
  materialize,
  opCase,
  opContract,
  shapes,
  specValues,
} from '../../src/check/index.js'
import { defaultSeed, propsRuns, propsSeed } from '../../src/check/config.js'
import { testOp } from '../../src/check/vitest.js'
import { scalarLike } from '../../src/ops/create.js'
import { ValueError } from '../../src/core/errors.js'
import { broadcastShapes, sizeOf } from '../../src/core/shape.js'
import { mul } from '../../src/ops/binary.js'
import { defineOp } from '../../src/ops/define.js'
import { registry } from '../../src/ops/registry.js'
import { square } from '../../src/ops/unary.js'

const spec = (shape: number[], domain: ArraySpec['domain'], seed = 1): ArraySpec => ({ shape, domain, seed })

describe('arbitraries', () => {
  test('shapes respect the rank and size bounds', () => {
    for (const s of fc.sample(shapes({ minRank: 1, maxRank: 2, minDim: 2, maxDim: 4 }), {
      seed: 1,
      numRuns: 200,
    })) {
      expect(s.length).toBeGreaterThanOrEqual(1)
      expect(s.length).toBeLessThanOrEqual(2)
      for (const d of s) expect(d >= 2 && d <= 4).toBe(true)
    }
  })

  test('broadcastingShapes broadcast together', () => {
    for (const ss of fc.sample(broadcastingShapes({}, 3), { seed: 2, numRuns: 200 })) {
      expect(ss).toHaveLength(3)
      expect(() => ss.reduce((a, b) => [...broadcastShapes('test', a, b)], [])).not.toThrow()
    }
  })

  test('domains keep values where they promise', () => {
    fc.assert(
      fc.property(shapes({ maxDim: 4 }), fc.nat(), (shape, seed) => {
        const v = (d: ArraySpec['domain']) => Array.from(specValues(spec(shape, d, seed)))
        expect(v('positive').every((x) => x >= 0.5 && x <= 3)).toBe(true)
        expect(v('nonzero').every((x) => Math.abs(x) >= 0.25 && Math.abs(x) <= 2)).toBe(true)
        expect(v('mask').every((x) => x === 0 || x === 1)).toBe(true)
        expect(v({ lo: -0.5, hi: 0.25 }).every((x) => x >= -0.5 && x <= 0.25)).toBe(true)
        const d = v('distinct').sort((a, b) => a - b)
        for (let i = 1; i < d.length; i++) expect(d[i]! - d[i - 1]!).toBeGreaterThanOrEqual(0.2)
        const a = v('gridA')
        const b = Array.from(specValues(spec(shape, 'gridB', seed + 1)))
        for (const x of a) for (const y of b) expect(Math.abs(x - y)).toBeGreaterThanOrEqual(0.19)
      }),
      { seed: 3, numRuns: 100 },
    )
  })

  test('materialize builds the tensor of a spec, float64 unless told otherwise', () => {
    const t = materialize(spec([2, 3], 'real'))
    expect(t.shape).toEqual([2, 3])
    expect(t.dtype).toBe('float64')
    expect(Array.from(t.dataSync())).toEqual(Array.from(specValues(spec([2, 3], 'real'))))
    expect(materialize({ ...spec([2], 'real'), dtype: 'float32' }).dtype).toBe('float32')
  })

  test('opCase pairs inputs with params (null by default)', () => {
    const [c] = fc.sample(opCase([arrays(shapes(), 'positive')]), { seed: 4, numRuns: 1 })
    expect(c!.params).toBe(null)
    expect(c!.inputs).toHaveLength(1)
    expect(c!.inputs[0]!.domain).toBe('positive')
  })
})

describe('checkContract and opContract', () => {
  test('built-in ops by name and by definition hold on a case', () => {
    const c = { inputs: [spec([2, 3], 'real'), spec([3], 'real', 2)], params: null }
    expect(E.isRight(checkContract('mul', c))).toBe(true)
    expect(E.isRight(checkContract(registry.mul, c))).toBe(true)
  })

  test('a custom op by its callable', () => {
    const mySquare = defineOp({
      name: 'mySquare',
      impl: ([x]) => square(x!),
      jvp: ({ x: [x], dx: [dx] }) => mul(dx!, mul(scalarLike(x!, 2), x!)),
      vjp: ({ ct, x: [x] }) => [mul(ct, mul(scalarLike(x!, 2), x!))],
    })
    expect(E.isRight(checkContract(mySquare, { inputs: [spec([3], 'real')], params: null }))).toBe(true)
  })

  test('a broken law gives left with the op, the law and the data', () => {
    const wrong = defineOp({
      name: 'wrongSquare',
      impl: ([x]) => square(x!),
      jvp: ({ x: [x], dx: [dx] }) => mul(dx!, x!),
      vjp: ({ ct, x: [x] }) => [mul(ct, x!)],
    })
    const r = checkContract(wrong, { inputs: [spec([2], 'real')], params: null })
    expect(E.isLeft(r)).toBe(true)
    if (E.isLeft(r)) {
      expect(r.left.op).toBe('wrongSquare')
      expect(r.left.check).toBe('jvp-fd')
      expect(r.left.message).toMatch(
        /^wrongSquare breaks its contract \(jvp-fd\): the JVP and finite differences differ at \[\d\]/,
      )
      expect(r.left.message).toContain('inputs: float64[2] (')
    }
    // the rules agree with each other (a consistent pair for x²/2): only the finite-difference
    // law ties them to the function, so with it switched off the contract holds
    const r2 = checkContract(wrong, { inputs: [spec([2], 'real')], params: null }, 0, {
      checks: contractChecks.filter((c) => c !== 'jvp-fd'),
    })
    expect(E.isRight(r2)).toBe(true)
  })

  test('constant inputs are not differentiated', () => {
    const c = {
      inputs: [spec([3], 'mask'), spec([3], 'real', 2), spec([3], 'real', 3)],
      params: null,
      constants: [0],
    }
    expect(E.isRight(checkContract('where', c))).toBe(true)
  })

  test('an unknown op or missing arbitraries is a ValueError', () => {
    expect(() => checkContract('nope' as never, { inputs: [], params: null })).toThrow(ValueError)
    expect(() => opContract('sin', {} as never)).toThrow(ValueError)
    expect(() => opContract(42 as never, { arbitraries: fc.constant({ inputs: [], params: null }) })).toThrow(
      ValueError,
    )
  })

  test('opContract is a fast-check property over cases and direction seeds', () => {
    const prop = opContract('tanh', { arbitraries: opCase([arrays(shapes(), 'real')]) })
    expect(fc.check(prop, { seed: 5, numRuns: 10 }).failed).toBe(false)
  })
})

describe('run settings from the environment', () => {
  const saved = { runs: process.env.DUALTAPE_PROPS_RUNS, seed: process.env.DUALTAPE_SEED }
  afterEach(() => {
    for (const [k, v] of [
      ['DUALTAPE_PROPS_RUNS', saved.runs],
      ['DUALTAPE_SEED', saved.seed],
    ] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })

  test('DUALTAPE_PROPS_RUNS is a multiplier or a count', () => {
    delete process.env.DUALTAPE_PROPS_RUNS
    expect(propsRuns(25)).toBe(25)
    process.env.DUALTAPE_PROPS_RUNS = '4x'
    expect(propsRuns(25)).toBe(100)
    process.env.DUALTAPE_PROPS_RUNS = 'x0.5'
    expect(propsRuns(25)).toBe(13)
    process.env.DUALTAPE_PROPS_RUNS = '300'
    expect(propsRuns(25)).toBe(300)
    process.env.DUALTAPE_PROPS_RUNS = 'many'
    expect(() => propsRuns(25)).toThrow(ValueError)
  })

  test('DUALTAPE_SEED overrides the fixed seed', () => {
    delete process.env.DUALTAPE_SEED
    expect(propsSeed()).toBe(defaultSeed)
    process.env.DUALTAPE_SEED = '123'
    expect(propsSeed()).toBe(123)
    process.env.DUALTAPE_SEED = 'abc'
    expect(() => propsSeed()).toThrow(ValueError)
  })
})

describe('testOp registers a vitest test', () => {
  const myCube = defineOp({
    name: 'myCube',
    raw: ([x]) => x!.map((v) => v ** 3),
    shape: ([m]) => m!,
    jvp: ({ x: [x], dx: [dx] }) => mul(dx!, mul(scalarLike(x!, 3), square(x!))),
    vjp: ({ ct, x: [x] }) => [mul(ct, mul(scalarLike(x!, 3), square(x!)))],
  })
  testOp(myCube, { arbitraries: opCase([arrays(shapes({ maxDim: 2 }), 'real')]), numRuns: 10, seed: 9 })
  test('and the sizes it generates are small', () => {
    for (const c of fc.sample(opCase([arrays(shapes({ maxDim: 2 }))]), { seed: 9, numRuns: 20 })) {
      expect(sizeOf(c.inputs[0]!.shape)).toBeLessThanOrEqual(8)
    }
  })
})
