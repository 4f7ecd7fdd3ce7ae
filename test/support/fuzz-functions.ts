// Functions with closed-form derivatives for the API fuzzer's transformation, Jacobian and
// checking tests (test/forward, test/reverse, test/jacobian, test/sparse, test/check), and the
// cases that call them with matching and spoiled primals, tangents and cotangents.

import fc from 'fast-check'
import * as D from '../../src/index.js'
import { ShapeError, type Tensor } from '../../src/index.js'
import { type Expect, mixed } from './fuzz-harness.js'
import * as R from './fuzz-reference.js'
import {
  type Other,
  type TSpec,
  junk,
  otherBackend,
  partnerShape,
  refOf,
  shapes,
  tensorOf,
} from './fuzz-values.js'

/** A reference for one function: its output and its linear maps, or the error it gives. */
export interface Lin {
  readonly out: R.Ref
  readonly jvp: (ts: readonly R.Ref[]) => R.Ref
  readonly vjp: (ct: R.Ref) => R.Ref[]
}

export interface PoolFn {
  readonly name: string
  readonly arity: number
  readonly f: (...a: Tensor[]) => Tensor
  readonly scalar: boolean
  /** The output's dtype and backend when they do not follow the first argument's. */
  readonly fixedOutput?: boolean
  readonly ref: (xs: readonly TSpec[]) => Lin | Expect
}

const zip = (a: R.Ref, b: R.Ref, f: (x: number, y: number) => number): R.Ref => R.zipWith(a, b, f)!
export const scalarRef = (v: number): R.Ref => ({ shape: [], data: [v] })
const total = (r: R.Ref): number => r.data.reduce((a, v) => a + v, 0)

/** Sums g down to `shape`: the adjoint of broadcasting `shape` to g's shape. */
function sumTo(g: R.Ref, shape: readonly number[]): R.Ref {
  const lead = g.shape.length - shape.length
  const ax = g.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1))
  return { shape, data: R.reduce(g, ax, true, 0, (a, v) => a + v).data }
}

export const pool: readonly PoolFn[] = [
  {
    name: 'sum(x·x)',
    arity: 1,
    scalar: true,
    f: (x) => D.sum(D.mul(x, x)),
    ref: ([x]) => {
      const r = refOf(x!)
      return {
        out: scalarRef(total(R.map(r, (v) => v * v))),
        // d Σx² = Σ 2x dx
        jvp: ([t]) => scalarRef(total(zip(r, t!, (v, dv) => 2 * v * dv))),
        vjp: (ct) => [R.map(r, (v) => 2 * v * ct.data[0]!)],
      }
    },
  },
  {
    name: 'sin',
    arity: 1,
    scalar: false,
    f: (x) => D.sin(x),
    ref: ([x]) => {
      const r = refOf(x!)
      const c = R.map(r, Math.cos)
      return {
        out: R.map(r, Math.sin),
        jvp: ([t]) => zip(c, t!, (a, b) => a * b),
        vjp: (ct) => [zip(ct, c, (a, b) => a * b)],
      }
    },
  },
  {
    name: 'x·y + y',
    arity: 2,
    scalar: false,
    f: (x, y) => D.add(D.mul(x, y), y),
    ref: ([x, y]) => {
      const [a, b] = [refOf(x!), refOf(y!)]
      const s = R.broadcast(a.shape, b.shape)
      if (s === null) return { error: ShapeError }
      const bad = mixed([x!, y!])
      if (bad !== null) return bad
      return {
        out: zip(
          zip(a, b, (u, v) => u * v),
          b,
          (u, v) => u + v,
        ),
        // d(x y + y) = dx y + x dy + dy
        jvp: ([tx, ty]) =>
          zip(
            zip(
              zip(tx!, b, (u, v) => u * v),
              zip(a, ty!, (u, v) => u * v),
              (u, v) => u + v,
            ),
            ty!,
            (u, v) => u + v,
          ),
        vjp: (ct) => [
          sumTo(
            zip(ct, b, (u, v) => u * v),
            a.shape,
          ),
          zip(
            sumTo(ct, b.shape),
            sumTo(
              zip(ct, a, (u, v) => u * v),
              b.shape,
            ),
            (u, v) => u + v,
          ),
        ],
      }
    },
  },
  {
    name: 'sum(x²·x)',
    arity: 1,
    scalar: true,
    f: (x) => D.sum(D.mul(D.square(x), x)),
    ref: ([x]) => {
      const r = refOf(x!)
      return {
        out: scalarRef(total(R.map(r, (v) => v * v * v))),
        // d Σx³ = Σ 3x² dx
        jvp: ([t]) => scalarRef(total(zip(r, t!, (v, dv) => 3 * v * v * dv))),
        vjp: (ct) => [R.map(r, (v) => 3 * v * v * ct.data[0]!)],
      }
    },
  },
  {
    name: 'identity',
    arity: 1,
    scalar: false,
    f: (x) => x,
    ref: ([x]) => ({ out: refOf(x!), jvp: ([t]) => t!, vjp: (ct) => [ct] }),
  },
  {
    name: 'constant',
    arity: 1,
    scalar: true,
    fixedOutput: true,
    f: () => D.tensor(2),
    ref: ([x]) => ({
      out: scalarRef(2),
      jvp: () => scalarRef(0),
      vjp: () => [{ shape: x!.shape, data: x!.data.map(() => 0) }],
    }),
  },
]

/** A pool function with arguments and matching tangents or cotangents, some of them spoiled. */
export interface Case {
  readonly fn: PoolFn
  readonly xs: TSpec[]
  readonly ts: TSpec[]
  /** How the tangents (or cotangent) were spoiled: null when they match. */
  readonly spoil: null | 'shape' | 'dtype' | 'backend' | 'junk' | 'count' | 'nest'
  readonly junk: Other
  readonly ct: TSpec
}

export const transformCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.constantFrom(...pool),
    shapes(),
    fc.nat(),
    fc.constantFrom(null, null, null, 'shape', 'dtype', 'backend', 'junk', 'count', 'nest'),
    junk,
  )
  .chain(([fn, s, k, spoil, j]) =>
    fc
      .tuple(
        tensorOf(s, { mixed: 1 }),
        partnerShape(s).chain((s2) => tensorOf(s2, { mixed: 1 })),
        shapes(),
      )
      .chain(([x0, x1, other]) => {
        const xs = fn.arity === 1 ? [x0] : [x0, x1]
        const like = (x: TSpec, i: number) =>
          tensorOf(
            spoil === 'shape' && i === k % xs.length && other.join() !== x.shape.join() ? other : x.shape,
            {
              special: false,
              mixed: 0,
            },
          ).map((t) => ({
            ...t,
            dtype:
              spoil === 'dtype' && i === k % xs.length
                ? x.dtype === 'float32'
                  ? 'float64'
                  : 'float32'
                : x.dtype,
            backend:
              spoil === 'backend' && i === k % xs.length
                ? x.backend === 'cpu'
                  ? otherBackend
                  : 'cpu'
                : x.backend,
          }))
        const lin = fn.ref(xs)
        const outShape = 'out' in lin ? lin.out.shape : []
        return fc
          .tuple(
            fc
              .tuple(...xs.map(like))
              .map((ts) =>
                ts.map((t) => ({ ...t, data: t.dtype === 'float32' ? t.data.map(Math.fround) : t.data })),
              ),
            tensorOf(outShape, { special: false, mixed: 0 }).map((t) =>
              fn.fixedOutput === true
                ? t
                : {
                    ...t,
                    dtype: xs[0]!.dtype,
                    backend: xs[0]!.backend,
                    data: xs[0]!.dtype === 'float32' ? t.data.map(Math.fround) : t.data,
                  },
            ),
          )
          .map(([ts, ct]) => ({ fn, xs, ts: ts as TSpec[], spoil, junk: j, ct }))
      }),
  )

export const linTol = (xs: readonly TSpec[]): number =>
  xs.some((x) => x.dtype === 'float32') ? 2 ** -18 : 1e-12

/** A scale for comparing a linear map's result: the largest magnitude among the inputs and outputs. */
export const scaleOf = (...rs: readonly R.Ref[]): number[] => {
  const m = Math.max(1, ...rs.flatMap((r) => r.data.filter(Number.isFinite).map(Math.abs)))
  return new Array<number>(1000).fill(m * m * 4)
}

/** The reference Jacobian [...out, ...in] of a one-argument pool function, column by column. */
export function jacobianRef(lin: Lin, x: TSpec): R.Ref {
  const n = x.data.length
  const m = R.sizeOf(lin.out.shape)
  const data = new Array<number>(m * n).fill(0)
  for (let j = 0; j < n; j++) {
    const e = { shape: x.shape, data: x.data.map((_, k) => +(k === j)) }
    lin.jvp([e]).data.forEach((v, i) => (data[i * n + j] = v))
  }
  return { shape: [...lin.out.shape, ...x.shape], data }
}
