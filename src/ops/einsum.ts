import { ShapeError, ValueError, fmtShape } from '../core/errors.js'
import { describe } from '../core/op.js'
import { isTensor, type Tensor } from '../core/tensor.js'
import { matmul } from './matmul.js'
import { sum } from './reduce.js'
import { broadcastTo, pad, reshape, slice, transpose } from './shape.js'

/** One operand's subscripts after parsing: a letter per axis. */
type Subscripts = readonly string[]

/** A tensor with a letter on each of its axes. */
interface Labelled {
  readonly t: Tensor
  readonly ix: Subscripts
}

const letter = /^[a-zA-Z]$/

/**
 * Einstein summation over one or more operands, as numpy's and JAX's `einsum`: `'ij,jk->ik'`
 * is the matrix product, `'bij,bjk->bik'` a batched one, `'ii->'` the trace, `'ij->ji'` a
 * transpose, `'i,j->ij'` the outer product. Without `->` the output takes the letters that
 * appear once, in alphabetical order. `...` stands for the same leading axes in every operand
 * (broadcast where one has size 1; an output without `...` sums them, as it sums any letter it
 * leaves out). A letter repeated within one operand takes its diagonal.
 *
 * It is a composition of the primitives, not a primitive of its own: each pair of operands
 * is contracted by one matrix product (batch letters first, then the free and the summed ones,
 * gathered by transposes and reshapes), so its derivatives are einsums again, both modes and
 * every backend differentiate it with no rule of its own, and its cost is that of the products.
 * More than two operands contract from the left, each intermediate keeping only the letters
 * that later operands or the output still need.
 *
 * @example
 * import { einsum, tensor } from 'dualtape'
 * const a = tensor([[1, 2], [3, 4]])
 * const b = tensor([[5, 6], [7, 8]])
 * einsum('ij,jk->ik', a, b) // → [[19, 22], [43, 50]]
 * einsum('ii', a).item() // → 5
 * einsum('ij->j', a) // → [4, 6]
 * einsum('i,j->ij', tensor([1, 2]), tensor([3, 4])) // → [[3, 4], [6, 8]]
 */
export function einsum(spec: string, ...operands: Tensor[]): Tensor {
  if (typeof spec !== 'string')
    throw new ValueError(`einsum: the subscripts must be a string, got ${describe(spec)}`)
  if (operands.length === 0) throw new ValueError(`einsum: '${spec}' needs at least one operand`)
  operands.forEach((x, i) => {
    if (!isTensor(x)) throw new ValueError(`einsum: operand ${i} must be a Tensor, got ${describe(x)}`)
  })
  const { inputs, output } = parse(spec, operands)
  const sizes = letterSizes(spec, inputs, operands)
  const terms: Labelled[] = inputs.map((ix, i) => ({ t: operands[i]!, ix }))
  // letters each operand still shares with the operands after it, or with the output
  const needed = (from: number): Set<string> => {
    const s = new Set(output)
    for (let k = from; k < terms.length; k++) for (const c of terms[k]!.ix) s.add(c)
    return s
  }
  let acc = reduceAlone(diagonals(terms[0]!), needed(1))
  for (let k = 1; k < terms.length; k++) {
    const keep = needed(k + 1)
    const next = reduceAlone(diagonals(terms[k]!), new Set([...keep, ...acc.ix]))
    acc = reduceAlone(acc, new Set([...keep, ...next.ix]))
    acc = contract(acc, next, keep, sizes)
  }
  acc = reduceAlone(acc, new Set(output))
  // every letter left is in the output, once: put them in its order
  const perm = output.map((c) => acc.ix.indexOf(c))
  const isIdentity = perm.every((p, i) => p === i)
  return isIdentity ? acc.t : transpose(acc.t, perm)
}

/** The operands' subscripts and the output's, with `...` spelled out as letters of its own. */
function parse(spec: string, operands: readonly Tensor[]): { inputs: Subscripts[]; output: Subscripts } {
  const s = spec.replace(/\s+/g, '')
  const arrow = s.indexOf('->')
  if (arrow !== s.lastIndexOf('->')) throw new ValueError(`einsum: '${spec}' has more than one '->'`)
  const lhs = arrow < 0 ? s : s.slice(0, arrow)
  const parts = lhs.split(',')
  if (parts.length !== operands.length) {
    throw new ValueError(
      `einsum: '${spec}' has subscripts for ${parts.length} operand${parts.length === 1 ? '' : 's'}, got ${operands.length}`,
    )
  }
  const split = (part: string, what: string): { before: string[]; after: string[]; dots: boolean } => {
    const at = part.indexOf('...')
    if (at !== part.lastIndexOf('...'))
      throw new ValueError(`einsum: ${what} '${part}' has more than one '...'`)
    const plain = at < 0 ? part : part.replace('...', '')
    for (const c of plain) {
      if (!letter.test(c))
        throw new ValueError(`einsum: ${what} '${part}' has '${c}': subscripts are letters a–z, A–Z`)
    }
    return at < 0
      ? { before: [...part], after: [], dots: false }
      : { before: [...part.slice(0, at)], after: [...part.slice(at + 3)], dots: true }
  }
  const pieces = parts.map((p, i) => split(p, `operand ${i}'s subscripts`))
  // the axes under '...': as many as the operand has beyond its letters (the most over all)
  const under = pieces.map((p, i) => (p.dots ? operands[i]!.rank - p.before.length - p.after.length : 0))
  const dotsRank = Math.max(0, ...under)
  const used = new Set(s.replace(/[^a-zA-Z]/g, ''))
  const spare = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'].filter((c) => !used.has(c))
  if (dotsRank > spare.length)
    throw new ValueError(`einsum: '...' covers ${dotsRank} axes; only ${spare.length} letters are free`)
  // right-aligned, as numpy broadcasts: an operand with fewer axes under '...' takes the last letters
  const dotsLetters = spare.slice(0, dotsRank)
  const inputs = pieces.map((p, i) => {
    const ix = [...p.before, ...dotsLetters.slice(dotsRank - Math.max(under[i]!, 0)), ...p.after]
    if (under[i]! < 0 || ix.length !== operands[i]!.rank) {
      throw new ShapeError(
        `einsum: operand ${i} has shape ${fmtShape(operands[i]!.shape)} (rank ${operands[i]!.rank}) but subscripts '${parts[i]}'`,
      )
    }
    return ix
  })
  if (arrow < 0) {
    const count = new Map<string, number>()
    for (const c of inputs.flat()) count.set(c, (count.get(c) ?? 0) + 1)
    const isDots = new Set(dotsLetters)
    const once = [...count.keys()].filter((c) => count.get(c) === 1 && !isDots.has(c)).sort()
    return { inputs, output: [...dotsLetters, ...once] }
  }
  const out = split(s.slice(arrow + 2), 'the output')
  const output = [...out.before, ...(out.dots ? dotsLetters : []), ...out.after]
  const seen = new Set<string>()
  const all = new Set(inputs.flat())
  for (const c of output) {
    if (seen.has(c)) throw new ValueError(`einsum: the output '${s.slice(arrow + 2)}' repeats '${c}'`)
    if (!all.has(c)) throw new ValueError(`einsum: the output's '${c}' is in no operand of '${spec}'`)
    seen.add(c)
  }
  return { inputs, output }
}

/** Each letter's size: equal wherever it appears, or 1 (broadcast) in some operands. */
function letterSizes(
  spec: string,
  inputs: readonly Subscripts[],
  operands: readonly Tensor[],
): Map<string, number> {
  const sizes = new Map<string, number>()
  const where = new Map<string, string>()
  inputs.forEach((ix, i) =>
    ix.forEach((c, a) => {
      const n = operands[i]!.shape[a]!
      const first = ix.indexOf(c)
      if (first !== a && operands[i]!.shape[first] !== n) {
        throw new ShapeError(
          `einsum: '${c}' is repeated in operand ${i} of shape ${fmtShape(operands[i]!.shape)} on axes of sizes ${operands[i]!.shape[first]} and ${n}: a diagonal needs a square`,
        )
      }
      const had = sizes.get(c)
      if (had === undefined || had === 1) {
        sizes.set(c, n)
        where.set(c, `operand ${i} ${fmtShape(operands[i]!.shape)}`)
      } else if (n !== had && n !== 1) {
        throw new ShapeError(
          `einsum: '${c}' in '${spec}' has size ${had} in ${where.get(c)} but ${n} in operand ${i} ${fmtShape(operands[i]!.shape)}`,
        )
      }
    }),
  )
  return sizes
}

/** Takes the diagonal for every letter repeated in one operand, until each letter is on one axis. */
function diagonals(x: Labelled): Labelled {
  let { t, ix } = x
  for (;;) {
    const a = ix.findIndex((c, i) => ix.indexOf(c) !== i)
    if (a < 0) return { t, ix }
    const c = ix[a]!
    const first = ix.indexOf(c)
    const n = t.shape[first]!
    // bring the two axes last, flatten them to n², pad to n(n+1) and read every (n+1)-th element
    const rest = ix.map((_, i) => i).filter((i) => i !== first && i !== a)
    const moved = transpose(t, [...rest, first, a])
    const lead = rest.map((i) => t.shape[i]!)
    const flat = reshape(moved, [...lead, n * n])
    const padded = pad(flat, lead.map(() => 0).concat(0), lead.map(() => 0).concat(n))
    const rows = reshape(padded, [...lead, n, n + 1])
    const diag = reshape(slice(rows, [...lead.map(() => 0), 0, 0], [...lead, n, 1]), [...lead, n])
    t = diag
    ix = [...rest.map((i) => ix[i]!), c]
  }
}

/** Sums out the axes whose letters are not in `keep`. */
function reduceAlone(x: Labelled, keep: ReadonlySet<string>): Labelled {
  const axes = x.ix.flatMap((c, i) => (keep.has(c) ? [] : [i]))
  if (axes.length === 0) return x
  return { t: sum(x.t, axes), ix: x.ix.filter((c) => keep.has(c)) }
}

/**
 * The product of two labelled operands, summed over the letters they share that `keep` lacks:
 * one (batched) matrix product of [batch, freeA, summed] by [batch, summed, freeB].
 */
function contract(
  a: Labelled,
  b: Labelled,
  keep: ReadonlySet<string>,
  sizes: ReadonlyMap<string, number>,
): Labelled {
  const inB = new Set(b.ix)
  const inA = new Set(a.ix)
  const batch = a.ix.filter((c) => inB.has(c) && keep.has(c))
  const summed = a.ix.filter((c) => inB.has(c) && !keep.has(c))
  const freeA = a.ix.filter((c) => !inB.has(c))
  const freeB = b.ix.filter((c) => !inA.has(c))
  const size = (cs: readonly string[]): number => cs.reduce((p, c) => p * sizes.get(c)!, 1)
  const arrange = (x: Labelled, order: readonly string[], shape: number[]): Tensor => {
    const perm = order.map((c) => x.ix.indexOf(c))
    let t = perm.every((p, i) => p === i) ? x.t : transpose(x.t, perm)
    const full = order.map((c) => sizes.get(c)!)
    if (t.shape.some((n, i) => n !== full[i])) t = broadcastTo(t, full)
    return reshape(t, shape)
  }
  const [nb, m, k, n] = [size(batch), size(freeA), size(summed), size(freeB)]
  const lead = batch.length === 0 ? [] : [nb]
  const left = arrange(a, [...batch, ...freeA, ...summed], [...lead, m, k])
  const right = arrange(b, [...batch, ...summed, ...freeB], [...lead, k, n])
  const ix = [...batch, ...freeA, ...freeB]
  return {
    t: reshape(
      matmul(left, right),
      ix.map((c) => sizes.get(c)!),
    ),
    ix,
  }
}
