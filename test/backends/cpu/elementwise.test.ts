import { describe, expect, it } from 'vitest'
import type { BinaryKernelName, Meta } from '../../../src/core/backend.js'
import { cpuBackend } from '../../../src/backends/cpu/index.js'
import { binaryLoops, unaryLoop } from '../../../src/backends/cpu/elementwise.js'
import { binaryFns, unaryFns } from '../../../src/backends/cpu/scalar.js'
import type { FloatArray } from '../../../src/core/dtype.js'

/** Values with the special ones every op must get right: signed zeros, infinities, NaN, large and tiny. */
const specials = [0, -0, 1, -1, 0.5, -2.5, 3, 40, -40, 800, -800, 1e-300, Infinity, -Infinity, NaN]

function randomValues(n: number, seed: number): Float64Array {
  const x = new Float64Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    x[i] = (s / 2 ** 32 - 0.5) * 8
  }
  return x
}

const same = (x: FloatArray, y: ArrayLike<number>): boolean =>
  x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]))

describe('the cpu backend elementwise loops', () => {
  for (const generate of [true, false]) {
    it(`apply each unary op's scalar function element by element (${generate ? 'compiled' : 'shared closure'})`, () => {
      const x = Float64Array.from([...specials, ...randomValues(37, 3)])
      for (const [name, f] of Object.entries(unaryFns)) {
        const y = new Float64Array(x.length)
        unaryLoop(name, f, generate)(x, y)
        expect(same(y, Array.from(x, f)), name).toBe(true)
      }
    })

    it(`apply each binary op in every loop form (${generate ? 'compiled' : 'shared closure'})`, () => {
      const a = Float64Array.from([...specials, ...randomValues(9, 5)])
      const b = Float64Array.from([...randomValues(9, 6), ...specials.slice().reverse()])
      const n = a.length
      const len = 8
      const m = 3 * len
      for (const [name, f] of Object.entries(binaryFns)) {
        const loops = binaryLoops(name, f, generate)
        const y = new Float64Array(n)
        loops.same(a, b, y, n)
        expect(
          same(
            y,
            Array.from(a, (v, i) => f(v, b[i]!)),
          ),
          name,
        ).toBe(true)
        const r = new Float64Array(m)
        loops.rowB(a, b, r, m, len)
        expect(
          same(
            r,
            Array.from(r, (_, i) => f(a[i]!, b[i % len]!)),
          ),
          name,
        ).toBe(true)
        loops.rowA(a, b, r, m, len)
        expect(
          same(
            r,
            Array.from(r, (_, i) => f(a[i % len]!, b[i]!)),
          ),
          name,
        ).toBe(true)
        loops.rowB(a, b, r, m, 1)
        expect(
          same(
            r,
            Array.from(r, (_, i) => f(a[i]!, b[0]!)),
          ),
          name,
        ).toBe(true)
        loops.rowA(a, b, r, m, 1)
        expect(
          same(
            r,
            Array.from(r, (_, i) => f(a[0]!, b[i]!)),
          ),
          name,
        ).toBe(true)
        const s = new Float64Array(5)
        loops.run(a, 2, 3, b, 1, 0, s, 0, 5)
        expect(
          same(
            s,
            [0, 1, 2, 3, 4].map((i) => f(a[2 + 3 * i]!, b[1]!)),
          ),
          name,
        ).toBe(true)
      }
    })
  }
})

/** out = f(a, b) by explicit indices, numpy broadcasting. */
function broadcastReference(
  f: (x: number, y: number) => number,
  a: FloatArray,
  sa: readonly number[],
  b: FloatArray,
  sb: readonly number[],
  out: readonly number[],
): number[] {
  const size = out.reduce((p, d) => p * d, 1)
  const idxOf = (flat: number, shape: readonly number[]): number => {
    let rem = flat
    const coords = out.map(() => 0)
    for (let ax = out.length - 1; ax >= 0; ax--) {
      coords[ax] = rem % out[ax]!
      rem = Math.floor(rem / out[ax]!)
    }
    let i = 0
    const off = out.length - shape.length
    for (let ax = 0; ax < shape.length; ax++) i = i * shape[ax]! + (shape[ax] === 1 ? 0 : coords[off + ax]!)
    return i
  }
  return Array.from({ length: size }, (_, t) => f(a[idxOf(t, sa)]!, b[idxOf(t, sb)]!))
}

describe('the cpu backend binary kernels', () => {
  const cases: Array<[number[], number[], number[]]> = [
    [
      [3, 4],
      [3, 4],
      [3, 4],
    ],
    [[3, 4], [], [3, 4]],
    [[], [3, 4], [3, 4]],
    [[3, 4], [4], [3, 4]],
    [[4], [3, 4], [3, 4]],
    [
      [1, 4],
      [2, 3, 4],
      [2, 3, 4],
    ],
    [
      [2, 3, 4],
      [1, 1, 4],
      [2, 3, 4],
    ],
    [
      [3, 1],
      [3, 4],
      [3, 4],
    ],
    [
      [2, 1, 4],
      [3, 1],
      [2, 3, 4],
    ],
    [
      [3, 4],
      [2, 1, 1],
      [2, 3, 4],
    ],
    [[0, 4], [4], [0, 4]],
  ]
  for (const dtype of ['float64', 'float32'] as const)
    it(`broadcast as numpy does, same, scalar, repeated-row and general forms (${dtype})`, () => {
      const ctor = dtype === 'float64' ? Float64Array : Float32Array
      for (const name of ['add', 'sub', 'div', 'maximum', 'less'] as BinaryKernelName[]) {
        for (const [sa, sb, so] of cases) {
          const a = ctor.from(
            randomValues(
              sa.reduce((p, d) => p * d, 1),
              11,
            ),
          )
          const b = ctor.from(
            randomValues(
              sb.reduce((p, d) => p * d, 1),
              12,
            ),
          )
          const meta = (shape: number[]): Meta => ({ shape, dtype })
          const y = cpuBackend.kernels[name](a, b, meta(sa), meta(sb), meta(so))
          const want = ctor.from(broadcastReference(binaryFns[name], a, sa, b, sb, so))
          expect(y).toBeInstanceOf(ctor)
          expect(same(y, want), `${name} ${JSON.stringify([sa, sb])}`).toBe(true)
        }
      }
    })
})
