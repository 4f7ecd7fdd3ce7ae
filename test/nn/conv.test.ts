import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, test } from 'vitest'
import { propsRuns, propsSeed } from '../../src/check/config.js'
import { checkGrads, formatReport } from '../../src/check/index.js'
import { ShapeError, ValueError, grad, mul, randn, sum, tensor, vjp, type Tensor } from '../../src/index.js'
import { conv1d, conv2d, type ConvOptions } from '../../src/nn/index.js'

const params = { seed: propsSeed(), numRuns: propsRuns(25), includeErrorInReport: true }

const flat = (t: Tensor): number[] => {
  const a = t.toArray() as unknown
  return typeof a === 'number' ? [a] : ((a as unknown[]).flat(Infinity) as number[])
}

/**
 * The convolution by its definition, in float64 loops: y[n, o, i, j] = Σ_c Σ_p Σ_q
 * x[n, c, i·s + p·d − top, j·s + q·d − left] w[o, c, p, q], reading zeros outside x.
 */
function reference(
  x: { shape: readonly number[]; data: readonly number[] },
  w: { shape: readonly number[]; data: readonly number[] },
  stride: [number, number],
  dilation: [number, number],
  pads: [[number, number], [number, number]],
): { shape: number[]; data: number[] } {
  const [N, C, H, W] = x.shape as [number, number, number, number]
  const [O, , KH, KW] = w.shape as [number, number, number, number]
  const OH = Math.floor((H + pads[0][0] + pads[0][1] - (KH - 1) * dilation[0] - 1) / stride[0]) + 1
  const OW = Math.floor((W + pads[1][0] + pads[1][1] - (KW - 1) * dilation[1] - 1) / stride[1]) + 1
  const data: number[] = []
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let acc = 0
          for (let c = 0; c < C; c++)
            for (let p = 0; p < KH; p++)
              for (let q = 0; q < KW; q++) {
                const r = i * stride[0] + p * dilation[0] - pads[0][0]
                const t = j * stride[1] + q * dilation[1] - pads[1][0]
                if (r < 0 || r >= H || t < 0 || t >= W) continue
                acc += x.data[((n * C + c) * H + r) * W + t]! * w.data[((o * C + c) * KH + p) * KW + q]!
              }
          data.push(acc)
        }
  return { shape: [N, O, OH, OW], data }
}

const close = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length)
  got.forEach((g, i) =>
    expect(Math.abs(g - want[i]!), `entry ${i}`).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want[i]!))),
  )
}

describe('conv2d', () => {
  test('agrees with the definition for random shapes, strides, dilations and paddings', () => {
    const cases = fc.record({
      n: fc.integer({ min: 1, max: 2 }),
      c: fc.integer({ min: 1, max: 3 }),
      o: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: 7 }),
      w: fc.integer({ min: 1, max: 7 }),
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      p: fc.tuple(
        fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
        fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
      ),
      seed: fc.integer({ min: 0, max: 999 }),
    })
    fc.assert(
      fc.property(cases, (k) => {
        const fits =
          k.h + k.p[0][0] + k.p[0][1] >= (k.kh - 1) * k.d[0] + 1 &&
          k.w + k.p[1][0] + k.p[1][1] >= (k.kw - 1) * k.d[1] + 1
        const x = randn([k.n, k.c, k.h, k.w], { seed: k.seed })
        const w = randn([k.o, k.c, k.kh, k.kw], { seed: k.seed + 1 })
        const opts: ConvOptions = { stride: k.s, dilation: k.d, padding: k.p }
        if (!fits) {
          expect(() => conv2d(x, w, opts)).toThrow(ShapeError)
          return
        }
        const want = reference(
          { shape: x.shape, data: flat(x) },
          { shape: w.shape, data: flat(w) },
          k.s,
          k.d,
          k.p,
        )
        const y = conv2d(x, w, opts)
        expect(y.shape).toEqual(want.shape)
        close(flat(y), want.data)
      }),
      params,
    )
  })

  test("'same' keeps ceil(size / stride) positions, the odd zero after, as TensorFlow", () => {
    const x = randn([1, 2, 5, 6], { seed: 3 })
    const w = randn([3, 2, 3, 2], { seed: 4 })
    const y = conv2d(x, w, { padding: 'same', stride: 2 })
    expect(y.shape).toEqual([1, 3, 3, 3])
    // rows: total (3−1)·2 + 3 − 5 = 2 → 1 before, 1 after; columns: (3−1)·2 + 2 − 6 = 0
    const want = reference(
      { shape: x.shape, data: flat(x) },
      { shape: w.shape, data: flat(w) },
      [2, 2],
      [1, 1],
      [
        [1, 1],
        [0, 0],
      ],
    )
    close(flat(y), want.data)
    expect(conv2d(x, w, { padding: 'same' }).shape).toEqual([1, 3, 5, 6])
  })

  test('both modes agree with finite differences, to second order, with stride and padding', () => {
    const x = randn([2, 2, 5, 4], { seed: 5 })
    const w = randn([3, 2, 3, 2], { seed: 6 })
    const r = checkGrads(
      (a: Tensor, b: Tensor) => conv2d(a, b, { stride: [2, 1], padding: [1, [0, 1]] }),
      [x, w],
    )
    if (E.isLeft(r)) throw new Error(formatReport(r.left))
    const small = randn([1, 2, 4, 3], { seed: 12 })
    const r2 = checkGrads(
      (a: Tensor, b: Tensor) => {
        const y = conv2d(a, b, { dilation: 2, padding: 'same' })
        return sum(mul(y, y))
      },
      [small, w],
      { order: 2 },
    )
    if (E.isLeft(r2)) throw new Error(formatReport(r2.left))
  })

  test('its VJP in x is the transposed convolution: ⟨u, conv(x)⟩ = ⟨convᵀ(u), x⟩', () => {
    const x = randn([1, 2, 6, 6], { seed: 7 })
    const w = randn([3, 2, 3, 3], { seed: 8 })
    const opts: ConvOptions = { stride: 2, padding: 1 }
    const [y, pullback] = vjp((a: Tensor) => conv2d(a, w, opts), x)
    const u = randn(y.shape, { seed: 9 })
    const [xt] = pullback(u)
    const lhs = flat(mul(u, y)).reduce((a, b) => a + b, 0)
    const rhs = flat(mul(xt!, x)).reduce((a, b) => a + b, 0)
    expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(lhs)))
    // the gradient of Σ y in w is, per kernel tap, the sum of the input it reads
    const gw = grad((k: Tensor) => sum(conv2d(x, k)))(w)
    const xs = flat(x)
    const tap = (c: number, p: number, q: number) => {
      let s = 0
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) s += xs[(c * 6 + i + p) * 6 + j + q]!
      return s
    }
    const g = flat(gw)
    for (let o = 0; o < 3; o++)
      for (let c = 0; c < 2; c++)
        for (let p = 0; p < 3; p++)
          for (let q = 0; q < 3; q++) expect(g[((o * 2 + c) * 3 + p) * 3 + q]!).toBeCloseTo(tap(c, p, q), 12)
  })

  test('bad input: typed errors naming the op and the shapes', () => {
    const x = randn([1, 2, 4, 4])
    expect(() => conv2d(x, randn([3, 1, 2, 2]))).toThrow(
      /conv2d: the input has 2 channels \(shape \[1, 2, 4, 4\]\) but the kernel expects 1/,
    )
    expect(() => conv2d(randn([4, 4]), randn([3, 1, 2, 2]))).toThrow(
      /conv2d: the input must have shape .* got \[4, 4\]/,
    )
    expect(() => conv2d(x, randn([3, 2, 2]))).toThrow(
      /the kernel must have shape \[O, C, KH, KW\], got \[3, 2, 2\]/,
    )
    expect(() => conv2d(x, randn([3, 2, 5, 1]))).toThrow(/does not fit an input of shape \[1, 2, 4, 4\]/)
    expect(() => conv2d(x, randn([3, 2, 2, 2]), { stride: 0 })).toThrow(ValueError)
    expect(() => conv2d(x, randn([3, 2, 2, 2]), { stride: [1, 2, 3] })).toThrow(/one per spatial axis/)
    expect(() => conv2d(x, randn([3, 2, 2, 2]), { padding: -1 })).toThrow(/padding must be/)
    expect(() => conv2d(x, randn([3, 2, 2, 2]), { padding: 'full' as 'same' })).toThrow(ValueError)
    expect(() => conv2d(x, randn([3, 2, 2, 2]), { strides: 2 } as ConvOptions)).toThrow(
      /did you mean 'stride'/,
    )
  })
})

describe('conv1d', () => {
  test('is conv2d over a height of one, with one example or a batch', () => {
    const x = randn([2, 3, 9], { seed: 10 })
    const w = randn([4, 3, 3], { seed: 11 })
    const opts: ConvOptions = { stride: 2, padding: [[2, 1]], dilation: 2 }
    const y = conv1d(x, w, opts)
    const want = reference(
      { shape: [2, 3, 1, 9], data: flat(x) },
      { shape: [4, 3, 1, 3], data: flat(w) },
      [1, 2],
      [1, 2],
      [
        [0, 0],
        [2, 1],
      ],
    )
    expect(y.shape).toEqual([2, 4, want.shape[3]])
    close(flat(y), want.data)
    const one = conv1d(tensor(flat(x).slice(0, 27), [3, 9]), w, opts)
    expect(one.shape).toEqual([4, want.shape[3]])
    close(flat(one), want.data.slice(0, flat(one).length))
    const r = checkGrads((a: Tensor, b: Tensor) => conv1d(a, b, opts), [x, w])
    if (E.isLeft(r)) throw new Error(formatReport(r.left))
  })
})
