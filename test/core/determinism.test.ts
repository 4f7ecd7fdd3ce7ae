import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { randn, uniform } from '../../src/index.js'
import { shapes } from '../../src/check/index.js'
import { results } from '../support/determinism-cases.js'

// The same seed gives the same numbers: random tensors, property-test cases, and the float64
// results of every transformation, bit for bit, in this process and in another one.

// ---------------------------------------------------------------------------------------------
// A reference for the generator of src/core/random.ts, written from its definition on BigInts
// (arithmetic mod 2³²), so that it shares no code with the Math.imul version it checks.
// ---------------------------------------------------------------------------------------------

const MASK = (1n << 32n) - 1n
const u32 = (x: bigint): bigint => x & MASK
const rotl = (x: bigint, k: bigint): bigint => u32((x << k) | (x >> (32n - k)))

function reference(seed: number) {
  // splitmix32: z += 0x9e3779b9; t = z; t = (t ^ t >> a)·m1; t = (t ^ t >> b)·m2; t ^ t >> 16
  const expand = (z: bigint, b: bigint, m1: bigint, m2: bigint): bigint[] =>
    Array.from({ length: 4 }, () => {
      z = u32(z + 0x9e3779b9n)
      let t = z
      t = u32((t ^ (t >> 16n)) * m1)
      t = u32((t ^ (t >> b)) * m2)
      return t ^ (t >> 16n)
    })
  // the seed as a 64-bit two's complement integer: its low word expanded with murmur3's
  // constants, xored with its high word expanded with lowbias32's when that word is not 0
  const s64 = BigInt.asUintN(64, BigInt(seed))
  const lo = expand(u32(s64), 13n, 0x85ebca6bn, 0xc2b2ae35n)
  const hi = s64 >> 32n
  const words = hi === 0n ? lo : expand(hi, 15n, 0x7feb352dn, 0x846ca68bn).map((h, i) => h ^ lo[i]!)
  let [s0, s1, s2, s3] = words as [bigint, bigint, bigint, bigint]
  // xoshiro128**: the output is rotl(5·s1, 7)·9; the state moves by xors, a shift and a rotation
  const next = (): bigint => {
    const out = u32(rotl(u32(s1 * 5n), 7n) * 9n)
    const t = u32(s1 << 9n)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 11n)
    return out
  }
  // 53 random bits: the top 27 of one word and the top 26 of the next
  const unit = (): number => Number(((next() >> 5n) << 26n) + (next() >> 6n)) / 2 ** 53
  // Box–Muller: √(-2 ln u) cos(2π v), u ≠ 0
  const normal = (): number => {
    let u = unit()
    while (u === 0) u = unit()
    const v = unit()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
  return { unit, normal }
}

describe('random tensors', () => {
  test('randn([3], { seed: 0 }) is the reference generator’s first three normals', () => {
    // from the BigInt reference above
    const pinned = [0.48854632132701026, 2.5868475608858597, 0.95127605211885724]
    const r = reference(0)
    expect([r.normal(), r.normal(), r.normal()]).toEqual(pinned)
    expect([...randn([3], { seed: 0 }).dataSync()]).toEqual(pinned)
  })

  test('randn and uniform follow the reference for other seeds, shapes and ranges', () => {
    const wide = [2 ** 32, 2 ** 32 + 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 40 + 12345]
    for (const seed of [1, 42, -7, 2 ** 31 + 5, 123456789, ...wide]) {
      const r = reference(seed)
      const want = Array.from({ length: 6 }, () => r.normal())
      expect([...randn([2, 3], { seed }).dataSync()]).toEqual(want)
      const u = reference(seed)
      const lows = Array.from({ length: 5 }, () => -2 + 5 * u.unit())
      expect([...uniform([5], { seed, low: -2, high: 3 }).dataSync()]).toEqual(lows)
    }
  })

  test('the same seed gives the same tensor; float32 is the rounded float64', () => {
    expect(randn([4, 4], { seed: 9 }).toArray()).toEqual(randn([4, 4], { seed: 9 }).toArray())
    expect([...randn([8], { seed: 9, dtype: 'float32' }).dataSync()]).toEqual(
      [...randn([8], { seed: 9 }).dataSync()].map(Math.fround),
    )
    expect(randn([4], { seed: 9 }).toArray()).not.toEqual(randn([4], { seed: 10 }).toArray())
  })
})

describe('property-test cases', () => {
  test('fast-check with a fixed seed draws the same cases, run after run', () => {
    const arb = fc.tuple(
      shapes({ maxRank: 3 }),
      fc.double({ noNaN: true }),
      fc.array(fc.integer(), { maxLength: 5 }),
    )
    const draw = () => fc.sample(arb, { seed: 20240611, numRuns: 50 })
    expect(draw()).toEqual(draw())
    expect(fc.sample(arb, { seed: 20240612, numRuns: 50 })).not.toEqual(draw())
    // and a property visits them in the same order
    const seen = (): string[] => {
      const out: string[] = []
      fc.assert(
        fc.property(arb, (v) => {
          out.push(JSON.stringify(v))
        }),
        { seed: 20240611, numRuns: 30 },
      )
      return out
    }
    expect(seen()).toEqual(seen())
  })
})

describe('float64 results are reproducible bit for bit', () => {
  const here = results()

  test('run twice in one process', () => {
    expect(results()).toEqual(here)
    expect(Object.keys(here).length).toBe(9)
    // the results are real numbers, not empty or NaN
    const grad = new Float64Array(Uint8Array.from(Buffer.from(here.grad!, 'hex')).buffer)
    expect(grad.length).toBe(64)
    expect(grad.every(Number.isFinite)).toBe(true)
  })

  test('and in a child process', () => {
    const script = fileURLToPath(new URL('../support/determinism-cases.ts', import.meta.url))
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(child.status, child.stderr).toBe(0)
    expect(JSON.parse(child.stdout)).toEqual(here)
  })
})
