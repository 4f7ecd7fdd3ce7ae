// Arbitraries for the API fuzzer: tensors described as plain data (built inside each run), with
// random shapes (zero-size included), dtypes, backends and special values, and values of every
// other kind that a caller might pass by mistake.

import fc from 'fast-check'
import { type Backend, cpuBackend, registerBackend } from '../../src/backends/index.js'
import { type DType, Tensor, backendNames, tensor } from '../../src/index.js'
import type { Ref } from './fuzz-reference.js'

/** A second backend: the cpu kernels under another name, so that mixing backends can be tried. */
export const otherBackend = 'cpu2'
if (!backendNames().includes(otherBackend))
  registerBackend({ ...cpuBackend, name: otherBackend } as unknown as Backend)

/** A tensor as plain data. */
export interface TSpec {
  readonly kind: 'tensor'
  readonly shape: readonly number[]
  readonly dtype: DType
  readonly backend: string
  readonly data: readonly number[]
}

/** A value that is not a tensor. */
export interface Other {
  readonly kind: 'other'
  readonly value: unknown
  readonly label: string
}

/** A plain number, which ops take as a scalar of the other operand's dtype. */
export interface Num {
  readonly kind: 'number'
  readonly value: number
}

export type Arg = TSpec | Other | Num

const cyclic: unknown[] = []
cyclic.push(cyclic)
const holey: unknown[] = new Array(3)
holey[0] = 1
holey[2] = 3

/** Values of the wrong kind, each with a label for failure messages. */
export const junkValues: readonly [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['a string', 'x'],
  ['an empty string', ''],
  ['true', true],
  ['an empty array', []],
  ['an array of numbers', [1, 2]],
  ['a ragged array', [[1], [2, 3]]],
  ['an array with a hole', holey],
  ['an array containing itself', cyclic],
  ['an empty object', {}],
  ['a tensor-shaped object', { shape: [2], dtype: 'float64' }],
  ['a function', () => 1],
  ['a symbol', Symbol('s')],
  ['a bigint', 10n],
  ['an Int32Array', new Int32Array(2)],
  ['a Float64Array', new Float64Array([1, 2])],
  ['an object without prototype', Object.create(null) as unknown],
  ['a Date', new Date(0)],
  ['a Map', new Map()],
]

export const junk: fc.Arbitrary<Other> = fc
  .constantFrom(...junkValues)
  .map(([label, value]) => ({ kind: 'other', value, label }))

/** Numbers including the awkward ones. */
export const specialNumbers = [0, -0, 1, -1, 0.5, 2, NaN, Infinity, -Infinity, 1e300, -1e-300, 2 ** 40]

export const numbers: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.double({ min: -3, max: 3, noNaN: true }), weight: 3 },
  { arbitrary: fc.constantFrom(...specialNumbers), weight: 2 },
)

/** Element values: mostly moderate, sometimes NaN, ±Infinity, ±0 or huge (when `special`). */
const element = (special: boolean): fc.Arbitrary<number> =>
  special
    ? fc.oneof(
        { arbitrary: fc.double({ min: -3, max: 3, noNaN: true }), weight: 8 },
        { arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e300, -1e300), weight: 2 },
      )
    : fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true })

/** Shapes of rank 0 to `maxRank` with axes of size 0 to 3 (1 to 3 mostly). */
export const shapes = (maxRank = 3): fc.Arbitrary<number[]> =>
  fc.array(
    fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 6 },
      { arbitrary: fc.constant(0), weight: 1 },
    ),
    { maxLength: maxRank },
  )

/** Another shape that broadcasts with `s` most of the time. */
export const partnerShape = (s: readonly number[]): fc.Arbitrary<number[]> =>
  fc.oneof(
    { arbitrary: fc.constant<number[]>([...s]), weight: 2 },
    {
      // a suffix of s with some axes set to 1
      arbitrary: fc
        .tuple(fc.integer({ min: 0, max: s.length }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
        .map(([drop, ones]) => s.slice(drop).map((d, i) => (ones[i] === true ? 1 : d))),
      weight: 3,
    },
    {
      // s with leading axes added
      arbitrary: fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 1 }).map((lead) => [...lead, ...s]),
      weight: 1,
    },
    { arbitrary: shapes(), weight: 1 },
  )

export interface TensorOptions {
  /** Allow NaN, ±Infinity and huge values. */
  readonly special?: boolean
  /** How often the dtype is float32 and the backend the second one (out of 10). */
  readonly mixed?: number
}

export const dtypes = (mixed: number): fc.Arbitrary<DType> =>
  fc.oneof(
    { arbitrary: fc.constant('float64' as const), weight: 10 - mixed },
    { arbitrary: fc.constant('float32' as const), weight: mixed },
  )

export const backends = (mixed: number): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constant('cpu'), weight: 10 - mixed },
    { arbitrary: fc.constant(otherBackend), weight: mixed },
  )

/** A tensor of a given shape. */
export function tensorOf(shape: readonly number[], o: TensorOptions = {}): fc.Arbitrary<TSpec> {
  const mixed = o.mixed ?? 1
  const n = shape.reduce((a, d) => a * d, 1)
  return fc
    .tuple(
      dtypes(mixed),
      backends(mixed),
      fc.array(element(o.special ?? true), { minLength: n, maxLength: n }),
    )
    .map(([dtype, backend, data]) => ({
      kind: 'tensor' as const,
      shape,
      dtype,
      backend,
      data: dtype === 'float32' ? data.map(Math.fround) : data,
    }))
}

/** A tensor of a random shape. */
export const tensors = (o: TensorOptions = {}): fc.Arbitrary<TSpec> => shapes().chain((s) => tensorOf(s, o))

/** A tensor most of the time, else a number or a value of the wrong kind. */
export const args = (t: fc.Arbitrary<TSpec>, numbersToo = false): fc.Arbitrary<Arg> =>
  fc.oneof(
    { arbitrary: t, weight: 12 },
    { arbitrary: numbers.map((value): Num => ({ kind: 'number', value })), weight: numbersToo ? 2 : 0 },
    { arbitrary: junk, weight: 1 },
  )

/** Builds the value an Arg describes. */
export function build(a: Arg): unknown {
  if (a.kind === 'tensor')
    return tensor(Float64Array.from(a.data), { shape: a.shape, dtype: a.dtype, backend: a.backend })
  return a.value
}

/** The reference array of a tensor spec. */
export const refOf = (t: TSpec): Ref => ({ shape: t.shape, data: t.data })

/** A short description of an Arg, for failure messages. */
export function show(a: Arg): string {
  if (a.kind === 'tensor') {
    const head = a.data.slice(0, 6).join(', ')
    return `${a.dtype}[${a.shape.join(', ')}]@${a.backend}(${head}${a.data.length > 6 ? ', …' : ''})`
  }
  return a.kind === 'number' ? `number ${a.value}` : a.label
}

/** Axis arguments: undefined, an integer in [-4, 4], a list of them, or a value of the wrong kind. */
export const axes: fc.Arbitrary<Arg> = fc.oneof(
  { arbitrary: fc.constant<Other>({ kind: 'other', value: undefined, label: 'undefined' }), weight: 3 },
  { arbitrary: fc.integer({ min: -4, max: 4 }).map((value): Num => ({ kind: 'number', value })), weight: 4 },
  {
    arbitrary: fc
      .array(fc.integer({ min: -4, max: 4 }), { maxLength: 3 })
      .map((value): Other => ({ kind: 'other', value, label: JSON.stringify(value) })),
    weight: 3,
  },
  {
    arbitrary: fc.constantFrom(0.5, NaN, Infinity).map((value): Num => ({ kind: 'number', value })),
    weight: 1,
  },
  { arbitrary: junk, weight: 1 },
)

/** Integer lists for shapes, begins, sizes and widths: mostly small non-negative, some wrong. */
export const intLists = (length: fc.Arbitrary<number>, min = -1, max = 3): fc.Arbitrary<unknown> =>
  fc.oneof(
    {
      arbitrary: length.chain((n) => fc.array(fc.integer({ min, max }), { minLength: n, maxLength: n })),
      weight: 8,
    },
    {
      arbitrary: fc.array(fc.constantFrom<unknown>(1.5, NaN, -2, 2 ** 40, '1', null), {
        minLength: 1,
        maxLength: 3,
      }),
      weight: 1,
    },
    { arbitrary: junk.map((j) => j.value), weight: 1 },
  )

export { Tensor }
