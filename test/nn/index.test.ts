import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, test } from 'vitest'
import {
  ShapeError,
  ValueError,
  grad,
  jacfwd,
  jacrev,
  matmul,
  sum,
  tensor,
  type Tensor,
} from '../../src/index.js'
import { checkGrads, formatReport } from '../../src/check/index.js'
import { crossEntropy, logSoftmax, oneHot, softmax } from '../../src/nn/index.js'

const close = (got: number[], want: number[], tol: number) => {
  expect(got).toHaveLength(want.length)
  got.forEach((g, i) =>
    expect(Math.abs(g - want[i]!), `entry ${i}: ${g} against ${want[i]}`).toBeLessThanOrEqual(tol),
  )
}

/** softmax along the last axis of a matrix, written out in float64 with the maximum subtracted. */
const logSoftmaxRows = (rows: number[][]): number[][] =>
  rows.map((r) => {
    const m = Math.max(...r)
    const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0))
    return r.map((v) => v - lse)
  })

const softmaxRows = (rows: number[][]): number[][] =>
  rows.map((r) => {
    const m = Math.max(...r)
    const e = r.map((v) => Math.exp(v - m))
    const s = e.reduce((a, b) => a + b, 0)
    return e.map((v) => v / s)
  })

describe('softmax and logSoftmax', () => {
  const rows = [
    [0.3, -1.2, 2.5, 0.7],
    [1000, -1000, 999, 1000],
    [-1000, -1001, -999.5, -1000.25],
  ]

  test('match the formula, at ordinary inputs and at ±1000', () => {
    const want = softmaxRows(rows)
    // x - logsumexp(x) rounds to the unit in the last place of x: 1.1e-13 at 1000
    rows.forEach((row, i) => {
      const tol = Math.max(...row.map(Math.abs)) > 100 ? 1e-12 : 1e-15
      close(softmax(tensor(row)).toArray() as number[], want[i]!, tol)
      const logs = logSoftmax(tensor(row)).toArray() as number[]
      close(logs, logSoftmaxRows([row])[0]!, tol)
      expect(logs.every(Number.isFinite)).toBe(true)
    })
  })

  test('along another axis', () => {
    const t = tensor(rows)
    const byCol = (softmax(t, 0).toArray() as number[][]).flat()
    const cols = rows[0]!.map((_, j) => rows.map((r) => r[j]!))
    const want = softmaxRows(cols)
    close(
      byCol,
      rows.flatMap((_, i) => want.map((c) => c[i]!)),
      1e-15,
    )
  })

  test('their derivatives at ±1000 are finite and exact: J = diag(s) - s sᵀ', () => {
    for (const row of rows) {
      const s = softmaxRows([row])[0]!
      const want = s.flatMap((si, i) => s.map((sj, j) => (i === j ? si : 0) - si * sj))
      for (const J of [
        jacfwd((x: Tensor) => softmax(x))(tensor(row)),
        jacrev((x: Tensor) => softmax(x))(tensor(row)),
      ]) {
        close((J.toArray() as number[][]).flat(), want, 1e-12)
      }
      // d logSoftmax = I - 1 sᵀ
      const wantLog = s.flatMap((_, i) => s.map((sj, j) => (i === j ? 1 : 0) - sj))
      close(
        (jacrev((x: Tensor) => logSoftmax(x))(tensor(row)).toArray() as number[][]).flat(),
        wantLog,
        1e-12,
      )
    }
  })

  test('both modes agree with finite differences, to second order', () => {
    const r = checkGrads(
      (x: Tensor) => softmax(matmul(x, x)),
      [
        tensor([
          [0.3, -0.4],
          [0.8, 0.1],
        ]),
      ],
      { order: 2 },
    )
    expect(E.isRight(r), E.isLeft(r) ? formatReport(r.left) : '').toBe(true)
  })

  test('a scalar has no axis to normalise over', () => {
    expect(() => softmax(tensor(1))).toThrow(ShapeError)
    expect(() => logSoftmax(tensor([1, 2]), 1)).toThrow(/logSoftmax/)
  })
})

describe('oneHot and crossEntropy', () => {
  test('oneHot puts a 1 at each label', () => {
    expect(oneHot([2, 0, 1], 3).toArray()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ])
    expect(oneHot(tensor([1]), 2, { dtype: 'float32' }).dtype).toBe('float32')
  })

  test('crossEntropy is -log softmax at the label, averaged; its gradient (softmax - one-hot) / n', () => {
    const z = [
      [2, 0, -1],
      [0.5, 0.5, 3],
      [1000, -1000, 999],
    ]
    const labels = [0, 2, 1]
    const s = softmaxRows(z)
    const rowLoss = labels.map((l, i) => -Math.log(s[i]![l]!))
    // the third row's label has probability e^-2000 / (1 + e^-1), which underflows: its loss is
    // logsumexp - z = 2000 + log(1 + e^-1), finite
    rowLoss[2] = 2000 + Math.log1p(Math.exp(-1))
    close(crossEntropy(tensor(z), labels, { reduction: 'none' }).toArray() as number[], rowLoss, 1e-12)
    close([crossEntropy(tensor(z), labels).item()], [rowLoss.reduce((a, b) => a + b) / 3], 1e-12)
    close(
      [crossEntropy(tensor(z), labels, { reduction: 'sum' }).item()],
      [rowLoss.reduce((a, b) => a + b)],
      1e-11,
    )
    const g = grad((x: Tensor) => crossEntropy(x, labels))(tensor(z)).toArray() as number[][]
    s.forEach((row, i) => {
      const want = row.map((p, j) => (p - (j === labels[i] ? 1 : 0)) / 3)
      // the row at ±1000: softmax rounds to the last place of 1000 (1.1e-13)
      close(g[i]!, want, i === 2 ? 1e-12 : 1e-15)
    })
    expect(g.flat().every(Number.isFinite)).toBe(true)
  })

  test('bad labels and shapes are typed errors naming the op', () => {
    const z = tensor([
      [0, 1],
      [1, 0],
    ])
    expect(() => crossEntropy(z, [0, 2])).toThrow(ValueError)
    expect(() => crossEntropy(z, [0, 2])).toThrow(
      /crossEntropy: label 1 is 2; labels must be integers from 0 to 1/,
    )
    expect(() => crossEntropy(z, [0.5, 1])).toThrow(ValueError)
    expect(() => crossEntropy(z, [0])).toThrow(ShapeError)
    expect(() => crossEntropy(tensor([0, 1]), [0])).toThrow(/logits must be \[n, classes\]/)
    expect(() => crossEntropy(z, [0, 1], { reduction: 'avg' as never })).toThrow(ValueError)
    expect(() => crossEntropy(z, [0, 1], { reduce: 'sum' } as never)).toThrow(/unknown option 'reduce'/)
    expect(() => oneHot([0], 0)).toThrow(/oneHot: classes must be a positive integer/)
    expect(() => oneHot([-1], 2)).toThrow(ValueError)
    expect(() => oneHot(tensor([[0]]), 2)).toThrow(ShapeError)
    expect(sum(oneHot([], 4)).item()).toBe(0)
  })
})
