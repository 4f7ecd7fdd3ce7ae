import type { FloatArray } from '../../core/dtype.js'
import { compileSource } from '../../ops/derivatives.js'

/**
 * The cpu backend's elementwise loops, one set per op.
 *
 * Each op's loops are compiled from source of their own (`compileSource`), with the op's scalar
 * function in scope: closures made from one function literal would share one call site, which
 * sees every op's function and so inlines none. Where code cannot be generated (a
 * Content-Security-Policy without 'unsafe-eval'), the shared closures below run instead: the same
 * numbers, more slowly.
 */

type Unary = (x: number) => number
type Binary = (a: number, b: number) => number
export type UnaryLoop = (x: FloatArray, y: FloatArray) => void

/** The loops of one binary op. */
export interface BinaryLoops {
  /** y[i] = f(a[i], b[i]) for i < n. */
  same(a: FloatArray, b: FloatArray, y: FloatArray, n: number): void
  /** y[o + j] = f(a[o + j], b[j]): b repeated along leading axes (a scalar is the case len = 1). */
  rowB(a: FloatArray, b: FloatArray, y: FloatArray, n: number, len: number): void
  /** y[o + j] = f(a[j], b[o + j]): a repeated along leading axes. */
  rowA(a: FloatArray, b: FloatArray, y: FloatArray, n: number, len: number): void
  /** y[o + i] = f(a[pa + i·da], b[pb + i·db]) for i < len: one run of a general broadcast. */
  run(
    a: FloatArray,
    pa: number,
    da: number,
    b: FloatArray,
    pb: number,
    db: number,
    y: FloatArray,
    o: number,
    len: number,
  ): void
}

/**
 * The loop y[i] = f(x[i]) of op `name`, compiled for it where `generate` (and code generation) allows,
 * else the shared closure.
 */
export function unaryLoop(name: string, f: Unary, generate = true): UnaryLoop {
  const compiled = !generate
    ? null
    : compileSource<UnaryLoop>(
        `return function ${name}Loop(x, y) {
  const n = x.length
  for (let i = 0; i < n; i++) y[i] = f(x[i])
}`,
        { f },
      )
  return (
    compiled ??
    ((x, y) => {
      for (let i = 0; i < x.length; i++) y[i] = f(x[i]!)
    })
  )
}

/**
 * The loops of binary op `name`, compiled for it where `generate` (and code generation) allows, else
 * the shared closures.
 */
export function binaryLoops(name: string, f: Binary, generate = true): BinaryLoops {
  const compiled = !generate
    ? null
    : compileSource<BinaryLoops>(
        `return {
  same: function ${name}Same(a, b, y, n) {
    for (let i = 0; i < n; i++) y[i] = f(a[i], b[i])
  },
  rowB: function ${name}RowB(a, b, y, n, len) {
    if (len === 1) {
      const s = b[0]
      for (let i = 0; i < n; i++) y[i] = f(a[i], s)
      return
    }
    for (let o = 0; o < n; o += len) for (let j = 0; j < len; j++) y[o + j] = f(a[o + j], b[j])
  },
  rowA: function ${name}RowA(a, b, y, n, len) {
    if (len === 1) {
      const s = a[0]
      for (let i = 0; i < n; i++) y[i] = f(s, b[i])
      return
    }
    for (let o = 0; o < n; o += len) for (let j = 0; j < len; j++) y[o + j] = f(a[j], b[o + j])
  },
  run: function ${name}Run(a, pa, da, b, pb, db, y, o, len) {
    for (let i = 0; i < len; i++, pa += da, pb += db) y[o + i] = f(a[pa], b[pb])
  },
}`,
        { f },
      )
  return (
    compiled ?? {
      same: (a, b, y, n) => {
        for (let i = 0; i < n; i++) y[i] = f(a[i]!, b[i]!)
      },
      rowB: (a, b, y, n, len) => {
        for (let o = 0; o < n; o += len) for (let j = 0; j < len; j++) y[o + j] = f(a[o + j]!, b[j]!)
      },
      rowA: (a, b, y, n, len) => {
        for (let o = 0; o < n; o += len) for (let j = 0; j < len; j++) y[o + j] = f(a[j]!, b[o + j]!)
      },
      run: (a, pa, da, b, pb, db, y, o, len) => {
        for (let i = 0; i < len; i++, pa += da, pb += db) y[o + i] = f(a[pa]!, b[pb]!)
      },
    }
  )
}
