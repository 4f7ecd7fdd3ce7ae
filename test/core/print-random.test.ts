import { inspect } from 'node:util'
import { describe, expect, test } from 'vitest'
import {
  ShapeError,
  ValueError,
  add,
  arange,
  broadcastTo,
  randn,
  reshape,
  sum,
  tensor,
  uniform,
  type Tensor,
} from '../../src/index.js'
import { checkGrads } from '../../src/check/index.js'

// Printing is bounded whatever the rank or size; seeds use all their bits; uniform samples stay
// finite over any finite range.

describe('printing a tensor is bounded', () => {
  test('small tensors print all their values, as before', () => {
    expect(String(tensor([1, 2]))).toBe('Tensor([1,2], shape=[2], dtype=float64)')
    expect(String(tensor([[NaN, -Infinity]]))).toBe('Tensor([[NaN,-Infinity]], shape=[1, 2], dtype=float64)')
    expect(String(tensor(3))).toBe('Tensor(3, shape=[], dtype=float64)')
    expect(inspect(tensor([1.5]))).toBe('Tensor([1.5], shape=[1], dtype=float64)')
  })

  test('more than 1000 values: the first and last three along each axis, as numpy prints', () => {
    expect(String(arange(2000))).toBe('Tensor([0,1,2,...,1997,1998,1999], shape=[2000], dtype=float64)')
    expect(String(reshape(arange(2000), [40, 50]))).toBe(
      'Tensor([[0,1,2,...,47,48,49],[50,51,52,...,97,98,99],[100,101,102,...,147,148,149],...,' +
        '[1850,1851,1852,...,1897,1898,1899],[1900,1901,1902,...,1947,1948,1949],' +
        '[1950,1951,1952,...,1997,1998,1999]], shape=[40, 50], dtype=float64)',
    )
  })

  test('fewer edge values when many axes would show too many, none when even one per side would', () => {
    // 6⁴ = 1296 values with three per side: two per side (4⁴ = 256) instead
    const four = String(reshape(arange(7 ** 4), [7, 7, 7, 7]))
    expect(four).toContain('[[[[0,1,...,5,6],[7,8,...,12,13],...')
    expect(four.endsWith('shape=[7, 7, 7, 7], dtype=float64)')).toBe(true)
    // 2¹² = 4096 values even with one per side
    const wide = broadcastTo(tensor(1), new Array<number>(12).fill(3))
    expect(String(wide)).toBe(
      'Tensor(<531441 values not shown>, shape=[3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], dtype=float64)',
    )
  })

  test('a tensor of rank 10⁵ prints a short summary (it exhausted the heap)', () => {
    const t = reshape(tensor([5]), new Array<number>(100_000).fill(1))
    const ones8 = new Array<string>(8).fill('1').join(', ')
    const want = `Tensor(<1 value not shown: rank 100000>, shape=[${ones8}, … 99984 more axes …, ${ones8}], dtype=float64)`
    expect(String(t)).toBe(want)
    expect(inspect(t)).toBe(want)
    expect(`${t}`.length).toBeLessThan(200)
  })

  test('toArray of a tensor of rank 10⁵ nests without recursion', () => {
    const t = reshape(tensor([5, 6]), [...new Array<number>(99_999).fill(1), 2])
    let v: unknown = t.toArray()
    let depth = 0
    while (Array.isArray(v) && v.length === 1) {
      v = v[0]
      depth++
    }
    expect(depth).toBe(99_999)
    expect(v).toEqual([5, 6])
    expect(reshape(arange(6), [2, 1, 3]).toArray()).toEqual([[[0, 1, 2]], [[3, 4, 5]]])
    expect(tensor([], { shape: [2, 0, 3] }).toArray()).toEqual([[], []])
  })

  test('errors about shapes of very high rank stay short', () => {
    const t = reshape(tensor([1, 2]), [...new Array<number>(50_000).fill(1), 2])
    let message = ''
    try {
      add(t, tensor([1, 2, 3]))
    } catch (e) {
      expect(e).toBeInstanceOf(ShapeError)
      message = (e as Error).message
    }
    expect(message).toContain('… 49985 more axes …')
    expect(message.length).toBeLessThan(300)
  })
})

describe('seeds use all their bits', () => {
  const draw = (seed: number) => [...randn([4], { seed }).dataSync()]

  test('seeds that agree modulo 2³² give different numbers', () => {
    for (const [a, b] of [
      [0, 2 ** 32],
      [1, 2 ** 32 + 1],
      [2 ** 32 - 1, -1],
      [5, 5 - 2 ** 32],
      [7, 7 + 2 ** 52],
      [2 ** 32, 2 ** 33],
    ] as const) {
      expect(draw(a)).not.toEqual(draw(b))
      expect([...uniform([4], { seed: a }).dataSync()]).not.toEqual([...uniform([4], { seed: b }).dataSync()])
    }
  })

  test('the largest safe integers are seeds; beyond them the seed is rejected, naming the op and the value', () => {
    for (const seed of [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 40 + 3]) {
      expect(draw(seed).every(Number.isFinite)).toBe(true)
      expect(draw(seed)).toEqual(draw(seed))
    }
    expect(draw(Number.MAX_SAFE_INTEGER)).not.toEqual(draw(-Number.MAX_SAFE_INTEGER))
    for (const [seed, shown] of [
      [2 ** 53, '9007199254740992'],
      [-(2 ** 53), '-9007199254740992'],
      [1e300, '1e+300'],
      [1.5, '1.5'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
    ] as const) {
      for (const [name, f] of [
        ['randn', () => randn([2], { seed })],
        ['uniform', () => uniform([2], { seed })],
        ['checkGrads', () => checkGrads((x: Tensor) => sum(x), [tensor([1])], { seed })],
      ] as const) {
        expect(f).toThrow(ValueError)
        expect(f).toThrow(`${name}: seed must be a safe integer`)
        expect(f).toThrow(shown)
      }
    }
  })
})

describe('uniform over any finite range', () => {
  const MAX = Number.MAX_VALUE

  test('a range wider than the largest double gives finite samples inside it (they were Infinity)', () => {
    for (const [low, high] of [
      [-MAX, MAX],
      [-1e308, 1e308],
      [MAX, -MAX],
    ] as const) {
      const data = [...uniform([2000], { seed: 11, low, high }).dataSync()]
      expect(data.every(Number.isFinite)).toBe(true)
      expect(data.every((v) => v >= Math.min(low, high) && v <= Math.max(low, high))).toBe(true)
      // spread over the whole range: close to both ends
      expect(Math.min(...data)).toBeLessThan(-0.99 * Math.abs(low))
      expect(Math.max(...data)).toBeGreaterThan(0.99 * Math.abs(high))
    }
  })

  test('float32: the range must lie within float32, or the error names the op and the values', () => {
    const data = [...uniform([500], { seed: 2, low: -3e38, high: 3e38, dtype: 'float32' }).dataSync()]
    expect(data.every(Number.isFinite)).toBe(true)
    for (const [low, high] of [
      [-1e39, 1],
      [0, 4e38],
    ] as const) {
      const f = () => uniform([2], { seed: 2, low, high, dtype: 'float32' })
      expect(f).toThrow(ValueError)
      expect(f).toThrow(/^uniform: .*float32/)
      expect(f).toThrow(String(low === 0 ? high : low))
    }
  })
})
