/**
 * Graph colourings that compress a sparse Jacobian or Hessian into a few products.
 *
 * - Column colouring (forward mode): columns j and k conflict when some row has nonzeros in
 *   both. A colouring in which no two conflicting columns share a colour is a distance-1
 *   colouring of the column-intersection graph, equivalently a partial distance-2 colouring of
 *   the bipartite row/column graph. With seed s_c = Σ_{colour(j) = c} e_j, every nonzero is
 *   read directly: J_ij = (J s_{colour(j)})_i.
 * - Row colouring (reverse mode): the same on the transpose, J_ij = (s_{colour(i)}ᵀ J)_j.
 * - Star colouring (symmetric Hessians): a distance-1 colouring of the adjacency graph of the
 *   pattern in which every path on four vertices uses at least three colours. Each off-diagonal
 *   H_ij is then read from the compressed column of colour(j) at row i, or of colour(i) at row j.
 *
 * Reference: A. H. Gebremedhin, F. Manne, A. Pothen, "What color is your Jacobian? Graph
 * coloring for computing derivatives", SIAM Review 47(4), 629–705, 2005. The column colouring is
 * its greedy partial distance-2 colouring (Algorithm 3.2), the star colouring its greedy star
 * colouring (Algorithm 4.1), recovery is direct (one entry of one product per nonzero).
 *
 * Every colouring is greedy: vertices are visited in an order and each takes the smallest colour
 * its constraints allow. The order decides the quality. The default, `'best'`, tries several
 * orders in turn (natural, smallest-last, incidence-degree, largest-first for columns and rows;
 * largest-first, smallest-last, incidence-degree for stars), stops as soon as one reaches the
 * lower bound (which is then optimal), and keeps the one with fewest colours.
 *
 * Cost: the column-intersection graph is never formed; the neighbours of column j are found by
 * walking the rows of column j, so one pass costs O(Σ_i ρ_i²) time (ρ_i = nonzeros of row i) and
 * O(n) memory. A dense row makes that quadratic, but then ρ_max = n and every column needs its own
 * colour, which is returned at once. A star colouring pass costs O(k · nnz) for k colours: the
 * sets of forbidden colours are maintained as vertices are coloured, so a hub (a dense row and
 * column) is not rescanned for each of its neighbours.
 *
 * @module
 */

import { SparsityError } from './errors.js'
import type { SparsityPattern } from './pattern.js'

// ---------------------------------------------------------------------------------------------
// types
// ---------------------------------------------------------------------------------------------

/**
 * A vertex order for greedy colouring.
 *
 * - `'natural'`: 0, 1, …, n-1.
 * - `'largest-first'`: by decreasing degree (Welsh–Powell).
 * - `'smallest-last'`: repeatedly remove a vertex of smallest degree in what remains; colour in
 *   the reverse order of removal (Matula–Beck). Uses at most 1 + max_k (min degree of a k-core)
 *   colours.
 * - `'incidence-degree'`: repeatedly pick the vertex with the most already-ordered neighbours.
 *
 * @example
 * import { colourColumns, type ColouringOrder, bandedPattern } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const order: ColouringOrder = 'smallest-last'
 * assert.strictEqual(colourColumns(bandedPattern(10, 1, 1), { ordering: order }).count, 3)
 */
export type ColouringOrder = 'natural' | 'largest-first' | 'smallest-last' | 'incidence-degree'

/**
 * The orders `'best'` tries, in this order; the first to reach the lower bound wins, else the
 * fewest colours (the earlier order on a tie). Natural order comes first because it costs no
 * ordering pass and is optimal on banded patterns, the commonest case.
 */
const BEST_ORDERS: readonly ColouringOrder[] = [
  'natural',
  'smallest-last',
  'incidence-degree',
  'largest-first',
]
/**
 * For star colourings `'best'` leaves natural order out: rule (b) of the star colouring makes the
 * neighbours of a hub coloured after them pairwise distinct, so an order that reaches a hub late
 * costs colours and time. Largest-first colours hubs first and needs no more than a counting sort,
 * so it leads.
 */
const BEST_STAR_ORDERS: readonly ColouringOrder[] = ['largest-first', 'smallest-last', 'incidence-degree']
const ORDERS: readonly string[] = [...BEST_ORDERS, 'best']

/**
 * Options of the colouring functions. `ordering` is a `ColouringOrder`, or `'best'` (the default):
 * try several orders and keep the colouring with fewest colours.
 *
 * @example
 * import { colourRows, bandedPattern, type ColouringOptions } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const options: ColouringOptions = { ordering: 'largest-first' }
 * assert.strictEqual(colourRows(bandedPattern(6, 2, 2), options).count, 5)
 */
export interface ColouringOptions {
  readonly ordering?: ColouringOrder | 'best'
}

/**
 * What a colouring compresses: the columns of a Jacobian (forward mode), its rows (reverse mode),
 * or a symmetric Hessian (star colouring of its columns).
 *
 * @example
 * import { colourStar, bandedPattern, type ColouringKind } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const kind: ColouringKind = colourStar(bandedPattern(4, 1, 1)).kind
 * assert.strictEqual(kind, 'star')
 */
export type ColouringKind = 'column' | 'row' | 'star'

/**
 * A colouring and its report.
 *
 * - `colour[v]`: the colour (0 ≤ colour < count) of column v (`'column'`, `'star'`) or row v
 *   (`'row'`); one product per colour.
 * - `count`: the number of colours, hence of products.
 * - `lowerBound`: no colouring of this kind uses fewer colours. For columns: ρ_max, the largest
 *   number of nonzeros in a row (those columns pairwise conflict). For rows: the largest number of
 *   nonzeros in a column. For star colourings: the size of a clique found greedily, raised to 3
 *   when the graph has a path on four vertices or a triangle. ρ_max is not a bound for star
 *   colourings: an arrow-shaped Hessian (one dense row and column) has ρ_max = n yet needs only
 *   2 colours. Any kind needs at least one colour when there is a vertex.
 * - `maxRowNnz`: ρ_max of the pattern, for comparison.
 * - `ordering`: the vertex order that produced this colouring.
 *
 * @example
 * import { colourColumns, patternFromRows, type Colouring } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const c: Colouring = colourColumns(patternFromRows(3, [[0, 1], [1, 2]]))
 * assert.strictEqual(c.count, 2)
 * assert.strictEqual(c.colour[0], c.colour[2])
 */
export interface Colouring {
  readonly kind: ColouringKind
  readonly colour: Int32Array
  readonly count: number
  readonly lowerBound: number
  readonly maxRowNnz: number
  readonly ordering: ColouringOrder
}

// ---------------------------------------------------------------------------------------------
// graphs given by their neighbourhoods
// ---------------------------------------------------------------------------------------------

/** An undirected graph on vertices 0..n-1 without loops. */
interface Graph {
  readonly n: number
  /** Writes the distinct neighbours of v (v excluded) into `out` and returns how many. */
  neighbours(v: number, out: Int32Array): number
  /** The degree of every vertex; `buffer` has room for n neighbours. */
  degrees(buffer: Int32Array): Int32Array
}

/**
 * The column-intersection graph of a pattern: j ~ k iff some row i has J_ij ≠ 0 and J_ik ≠ 0.
 * Implicit: neighbours are gathered through the rows of column j and deduplicated by stamping.
 */
class ColumnIntersectionGraph implements Graph {
  readonly n: number
  readonly #pattern: SparsityPattern
  readonly #transposed: SparsityPattern
  readonly #stampOf: Int32Array
  #stamp = 0

  constructor(pattern: SparsityPattern) {
    this.n = pattern.nCols
    this.#pattern = pattern
    this.#transposed = pattern.transpose()
    this.#stampOf = new Int32Array(pattern.nCols)
  }

  neighbours(v: number, out: Int32Array): number {
    const { rowPtr, colIdx } = this.#pattern
    const t = this.#transposed
    const stampOf = this.#stampOf
    const stamp = ++this.#stamp
    stampOf[v] = stamp
    let count = 0
    for (let q = t.rowPtr[v]!; q < t.rowPtr[v + 1]!; q++) {
      const i = t.colIdx[q]!
      for (let r = rowPtr[i]!; r < rowPtr[i + 1]!; r++) {
        const k = colIdx[r]!
        if (stampOf[k] !== stamp) {
          stampOf[k] = stamp
          out[count++] = k
        }
      }
    }
    return count
  }

  degrees(buffer: Int32Array): Int32Array {
    const degree = new Int32Array(this.n)
    for (let v = 0; v < this.n; v++) degree[v] = this.neighbours(v, buffer)
    return degree
  }
}

/**
 * The adjacency graph of a symmetric pattern in CSR form: i ~ j iff i ≠ j and H_ij ≠ 0 (the
 * diagonal dropped); the neighbours of v are adj[ptr[v] .. ptr[v+1]), sorted.
 */
class AdjacencyGraph implements Graph {
  readonly n: number
  readonly ptr: Int32Array
  readonly adj: Int32Array

  constructor(pattern: SparsityPattern) {
    const n = pattern.nRows
    const ptr = new Int32Array(n + 1)
    const adj = new Int32Array(pattern.nnz)
    let count = 0
    for (let i = 0; i < n; i++) {
      for (let p = pattern.rowPtr[i]!; p < pattern.rowPtr[i + 1]!; p++) {
        const j = pattern.colIdx[p]!
        if (j !== i) adj[count++] = j
      }
      ptr[i + 1] = count
    }
    this.n = n
    this.ptr = ptr
    this.adj = adj.slice(0, count)
  }

  neighbours(v: number, out: Int32Array): number {
    const { ptr, adj } = this
    const start = ptr[v]!
    const end = ptr[v + 1]!
    for (let q = start; q < end; q++) out[q - start] = adj[q]!
    return end - start
  }

  degrees(): Int32Array {
    const degree = new Int32Array(this.n)
    for (let v = 0; v < this.n; v++) degree[v] = this.ptr[v + 1]! - this.ptr[v]!
    return degree
  }
}

// ---------------------------------------------------------------------------------------------
// vertex orders
// ---------------------------------------------------------------------------------------------

/** Doubly linked lists of vertices bucketed by a key in [0, n). */
class Buckets {
  readonly head: Int32Array
  readonly next: Int32Array
  readonly prev: Int32Array
  readonly key: Int32Array

  constructor(n: number, key: Int32Array) {
    this.head = new Int32Array(Math.max(n, 1)).fill(-1)
    this.next = new Int32Array(n).fill(-1)
    this.prev = new Int32Array(n).fill(-1)
    this.key = key
    // inserted from the back so that each bucket lists its vertices in increasing order
    for (let v = n - 1; v >= 0; v--) this.insert(v)
  }

  insert(v: number): void {
    const k = this.key[v]!
    const h = this.head[k]!
    this.prev[v] = -1
    this.next[v] = h
    if (h >= 0) this.prev[h] = v
    this.head[k] = v
  }

  remove(v: number): void {
    const p = this.prev[v]!
    const nx = this.next[v]!
    if (p >= 0) this.next[p] = nx
    else this.head[this.key[v]!] = nx
    if (nx >= 0) this.prev[nx] = p
  }

  move(v: number, key: number): void {
    this.remove(v)
    this.key[v] = key
    this.insert(v)
  }
}

function naturalOrder(n: number): Int32Array {
  const order = new Int32Array(n)
  for (let v = 0; v < n; v++) order[v] = v
  return order
}

/** Decreasing degree, ties by increasing index (a counting sort). */
function largestFirstOrder(graph: Graph, buffer: Int32Array): Int32Array {
  const n = graph.n
  const degree = graph.degrees(buffer)
  const start = new Int32Array(n + 1)
  for (let v = 0; v < n; v++) start[n - 1 - degree[v]!]!++
  let sum = 0
  for (let d = 0; d <= n; d++) {
    const c = start[d]!
    start[d] = sum
    sum += c
  }
  const order = new Int32Array(n)
  for (let v = 0; v < n; v++) order[start[n - 1 - degree[v]!]!++] = v
  return order
}

/** Remove a vertex of minimum remaining degree, n times; colour in reverse order of removal. */
function smallestLastOrder(graph: Graph, buffer: Int32Array): Int32Array {
  const n = graph.n
  const degree = graph.degrees(buffer)
  const buckets = new Buckets(n, degree)
  const removed = new Uint8Array(n)
  const order = new Int32Array(n)
  let minDegree = 0
  for (let k = n - 1; k >= 0; k--) {
    while (buckets.head[minDegree]! < 0) minDegree++
    const v = buckets.head[minDegree]!
    buckets.remove(v)
    removed[v] = 1
    order[k] = v
    const count = graph.neighbours(v, buffer)
    for (let q = 0; q < count; q++) {
      const u = buffer[q]!
      if (removed[u] === 0) buckets.move(u, degree[u]! - 1)
    }
    minDegree = Math.max(minDegree - 1, 0)
  }
  return order
}

/** Repeatedly take the vertex with the most neighbours already taken. */
function incidenceDegreeOrder(graph: Graph, buffer: Int32Array): Int32Array {
  const n = graph.n
  const incidence = new Int32Array(n)
  const buckets = new Buckets(n, incidence)
  const taken = new Uint8Array(n)
  const order = new Int32Array(n)
  let maxIncidence = 0
  for (let k = 0; k < n; k++) {
    while (buckets.head[maxIncidence]! < 0) maxIncidence--
    const v = buckets.head[maxIncidence]!
    buckets.remove(v)
    taken[v] = 1
    order[k] = v
    const count = graph.neighbours(v, buffer)
    for (let q = 0; q < count; q++) {
      const u = buffer[q]!
      if (taken[u] === 0) {
        buckets.move(u, incidence[u]! + 1)
        maxIncidence = Math.max(maxIncidence, incidence[u]!)
      }
    }
  }
  return order
}

function vertexOrder(ordering: ColouringOrder, graph: Graph, buffer: Int32Array): Int32Array {
  switch (ordering) {
    case 'natural':
      return naturalOrder(graph.n)
    case 'largest-first':
      return largestFirstOrder(graph, buffer)
    case 'smallest-last':
      return smallestLastOrder(graph, buffer)
    case 'incidence-degree':
      return incidenceDegreeOrder(graph, buffer)
  }
}

// ---------------------------------------------------------------------------------------------
// greedy colourings
// ---------------------------------------------------------------------------------------------

interface Coloured {
  readonly colour: Int32Array
  readonly count: number
}

/** Distance-1 greedy: each vertex takes the smallest colour none of its coloured neighbours has. */
function greedyDistance1(graph: Graph, order: Int32Array, buffer: Int32Array): Coloured {
  const n = graph.n
  const colour = new Int32Array(n).fill(-1)
  const forbiddenBy = new Int32Array(n + 1).fill(-1)
  let count = 0
  for (let k = 0; k < n; k++) {
    const v = order[k]!
    const degree = graph.neighbours(v, buffer)
    for (let q = 0; q < degree; q++) {
      const c = colour[buffer[q]!]!
      if (c >= 0) forbiddenBy[c] = v
    }
    let c = 0
    while (forbiddenBy[c] === v) c++
    colour[v] = c
    count = Math.max(count, c + 1)
  }
  return { colour, count }
}

/**
 * Greedy star colouring (Algorithm 4.1 of the paper). Vertex v may not take the colour of
 *   (a) a coloured neighbour w (distance-1);
 *   (b) a coloured x two steps away through an uncoloured w (v - w - x);
 *   (c) a coloured x on a path v - w - x - y, all coloured, with colour(y) = colour(w): otherwise
 *       v, w, x, y would be a bicoloured path.
 * Proof that no path p1 - p2 - p3 - p4 ends up with two colours: let t be its last coloured
 * vertex. If t is an end, (c) forbade its colour. If t = p2, then p1 and p3 were coloured while
 * their common neighbour p2 was not, so the later of them avoided the other's colour by (b).
 *
 * The sets are kept up to date instead of being searched for at each v, so a hub is not scanned
 * once per neighbour. As v is uncoloured, neither depends on v:
 *   (b) through w: seen(w), the colours of w's coloured neighbours;
 *   (c) through w: hub(w) = { colour(x) : x ~ w coloured, x has ≥ 2 neighbours coloured colour(w) }
 *       (w is one of them, y another).
 * For each vertex x and each colour c in seen(x), `firstOf` holds x's only neighbour coloured c,
 * or -1 once there are two or more. Both sets of x hold distinct colours of x's neighbours, so
 * each fits in x's segment adj[ptr[x] .. ptr[x+1]) of an array aligned with `adj`. Cost:
 * O(Σ_v deg(v) · k) for k colours.
 */
function greedyStar(graph: AdjacencyGraph, order: Int32Array): Coloured {
  const { n, ptr, adj } = graph
  const colour = new Int32Array(n).fill(-1)
  const forbiddenBy = new Int32Array(n + 1).fill(-1)
  const seen = new Int32Array(adj.length)
  const firstOf = new Int32Array(adj.length)
  const seenCount = new Int32Array(n)
  const hub = new Int32Array(adj.length)
  const hubCount = new Int32Array(n)

  /** The slot of colour c in seen(x), or -1. */
  const find = (x: number, c: number): number => {
    const end = ptr[x]! + seenCount[x]!
    for (let s = ptr[x]!; s < end; s++) if (seen[s] === c) return s
    return -1
  }
  const addHub = (w: number, c: number): void => {
    const end = ptr[w]! + hubCount[w]!
    for (let s = ptr[w]!; s < end; s++) if (hub[s] === c) return
    hub[end] = c
    hubCount[w]!++
  }

  let count = 0
  for (let k = 0; k < n; k++) {
    const v = order[k]!
    for (let q = ptr[v]!; q < ptr[v + 1]!; q++) {
      const w = adj[q]!
      const cw = colour[w]!
      const start = ptr[w]!
      if (cw >= 0) {
        forbiddenBy[cw] = v // (a)
        for (let s = start; s < start + hubCount[w]!; s++) forbiddenBy[hub[s]!] = v // (c)
      } else {
        for (let s = start; s < start + seenCount[w]!; s++) forbiddenBy[seen[s]!] = v // (b)
      }
    }
    let c = 0
    while (forbiddenBy[c] === v) c++
    colour[v] = c
    count = Math.max(count, c + 1)

    for (let q = ptr[v]!; q < ptr[v + 1]!; q++) {
      const x = adj[q]!
      const cx = colour[x]!
      // v joins seen(x)
      const slot = find(x, c)
      if (slot < 0) {
        const fresh = ptr[x]! + seenCount[x]!++
        seen[fresh] = c
        firstOf[fresh] = v
      } else if (firstOf[slot]! >= 0) {
        // x now has two neighbours coloured c: paths · - (first or v) - x - (v or first)
        const first = firstOf[slot]!
        firstOf[slot] = -1
        if (cx >= 0) {
          addHub(first, cx)
          addHub(v, cx)
        }
      } else if (cx >= 0) {
        addHub(v, cx)
      }
      // v as the x of a path · - x - v - y: v has two neighbours coloured colour(x)
      if (cx >= 0) {
        const mine = find(v, cx)
        if (mine >= 0 && firstOf[mine] === -1) addHub(x, c)
      }
    }
  }
  return { colour, count }
}

function checkOrdering(where: string, options: ColouringOptions | undefined): ColouringOrder | 'best' {
  const ordering = options?.ordering ?? 'best'
  if (!ORDERS.includes(ordering)) {
    throw new SparsityError(
      `${where}: unknown ordering '${String(ordering)}', expected one of ${ORDERS.join(', ')}`,
    )
  }
  return ordering
}

/** Runs `colourWith` for one order, or for the `'best'` candidates until one reaches the bound. */
function bestOf(
  ordering: ColouringOrder | 'best',
  candidates: readonly ColouringOrder[],
  lowerBound: number,
  colourWith: (order: ColouringOrder) => Coloured,
): Coloured & { readonly ordering: ColouringOrder } {
  if (ordering !== 'best') candidates = [ordering]
  let best: (Coloured & { readonly ordering: ColouringOrder }) | undefined
  for (const order of candidates) {
    const result = colourWith(order)
    if (best === undefined || result.count < best.count) best = { ...result, ordering: order }
    if (best.count <= lowerBound) break
  }
  return best!
}

// ---------------------------------------------------------------------------------------------
// public colourings
// ---------------------------------------------------------------------------------------------

/**
 * Colours the columns of a pattern for forward mode: columns sharing a row get distinct colours
 * (a distance-1 colouring of the column-intersection graph). One JVP per colour then yields the
 * whole Jacobian. `lowerBound` is ρ_max, the largest number of nonzeros in a row.
 *
 * @example
 * import { colourColumns, bandedPattern } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * // a tridiagonal Jacobian of any size costs 3 JVPs
 * const c = colourColumns(bandedPattern(1000, 1, 1))
 * assert.strictEqual(c.count, 3)
 * assert.strictEqual(c.lowerBound, 3)
 */
export function colourColumns(pattern: SparsityPattern, options?: ColouringOptions): Colouring {
  const ordering = checkOrdering('colourColumns', options)
  const n = pattern.nCols
  const maxRowNnz = pattern.maxRowNnz()
  const lowerBound = n === 0 ? 0 : Math.max(1, maxRowNnz)
  if (lowerBound === n) {
    // some row is dense: every column needs its own colour
    return {
      kind: 'column',
      colour: naturalOrder(n),
      count: n,
      lowerBound,
      maxRowNnz,
      ordering: ordering === 'best' ? 'natural' : ordering,
    }
  }
  const graph = new ColumnIntersectionGraph(pattern)
  const buffer = new Int32Array(n)
  const best = bestOf(ordering, BEST_ORDERS, lowerBound, (order) =>
    greedyDistance1(graph, vertexOrder(order, graph, buffer), buffer),
  )
  return {
    kind: 'column',
    colour: best.colour,
    count: best.count,
    lowerBound,
    maxRowNnz,
    ordering: best.ordering,
  }
}

/**
 * Colours the rows of a pattern for reverse mode: rows sharing a column get distinct colours (the
 * column colouring of the transpose). One VJP per colour then yields the whole Jacobian.
 * `lowerBound` is the largest number of nonzeros in a column.
 *
 * @example
 * import { colourColumns, colourRows, patternFromRows } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * // one dense row: forward mode needs n JVPs, reverse mode 2 VJPs
 * const arrow = patternFromRows(5, [[0, 1, 2, 3, 4], [1], [2], [3], [4]])
 * assert.strictEqual(colourColumns(arrow).count, 5)
 * assert.strictEqual(colourRows(arrow).count, 2)
 */
export function colourRows(pattern: SparsityPattern, options?: ColouringOptions): Colouring {
  checkOrdering('colourRows', options)
  const c = colourColumns(pattern.transpose(), options)
  return { ...c, kind: 'row', maxRowNnz: pattern.maxRowNnz() }
}

/** A lower bound on the star chromatic number of the adjacency graph of a symmetric pattern. */
function starLowerBound(graph: AdjacencyGraph): number {
  const { n, ptr, adj } = graph
  if (n === 0) return 0
  let bound = 1
  // an edge gives 2; an edge u ~ w with another neighbour on each side closes a triangle or makes
  // a path on four vertices, and two colours would make either bicoloured: 3
  for (let u = 0; u < n && bound < 3; u++) {
    const degree = ptr[u + 1]! - ptr[u]!
    if (degree > 0) bound = Math.max(bound, 2)
    if (degree < 2) continue
    for (let q = ptr[u]!; q < ptr[u + 1]!; q++) {
      const w = adj[q]!
      if (ptr[w + 1]! - ptr[w]! >= 2) {
        bound = 3
        break
      }
    }
  }
  // a clique needs as many colours as it has vertices: grow one greedily from each vertex whose
  // degree leaves room for a larger clique than found so far
  const adjacent = (u: number, w: number): boolean => {
    let lo = ptr[u]!
    let hi = ptr[u + 1]! - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const k = adj[mid]!
      if (k === w) return true
      if (k < w) lo = mid + 1
      else hi = mid - 1
    }
    return false
  }
  const clique: number[] = []
  for (let v = 0; v < n; v++) {
    if (ptr[v + 1]! - ptr[v]! + 1 <= bound) continue
    clique.length = 0
    clique.push(v)
    for (let q = ptr[v]!; q < ptr[v + 1]!; q++) {
      const w = adj[q]!
      if (ptr[w + 1]! - ptr[w]! < clique.length) continue
      let adjacentToAll = true
      for (let m = 1; m < clique.length && adjacentToAll; m++) adjacentToAll = adjacent(w, clique[m]!)
      if (adjacentToAll) clique.push(w)
    }
    bound = Math.max(bound, clique.length)
  }
  return bound
}

/**
 * Star-colours a symmetric pattern for Hessians: a distance-1 colouring of its adjacency graph
 * (diagonal ignored) in which every path on four vertices uses at least three colours
 * (Gebremedhin, Manne, Pothen, SIAM Review 2005). One Hessian-vector product per colour then
 * yields every entry of the Hessian by direct symmetric recovery (`decompressStar`). Throws a
 * `SparsityError` when the pattern is not square and symmetric (see `symmetrize`).
 *
 * @example
 * import { colourColumns, colourStar, patternFromRows } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * // an arrow-shaped Hessian: dense first row and column, and the diagonal
 * const arrow = patternFromRows(5, [[0, 1, 2, 3, 4], [0, 1], [0, 2], [0, 3], [0, 4]])
 * assert.strictEqual(colourColumns(arrow).count, 5) // ignoring symmetry
 * assert.strictEqual(colourStar(arrow).count, 2) // exploiting it
 */
export function colourStar(pattern: SparsityPattern, options?: ColouringOptions): Colouring {
  const ordering = checkOrdering('colourStar', options)
  if (!pattern.isSymmetric()) {
    throw new SparsityError(
      `colourStar: the pattern must be square and symmetric, got a ${pattern.nRows}×${pattern.nCols} ` +
        'pattern that is not; symmetrize(pattern) gives P ∪ Pᵀ',
    )
  }
  const graph = new AdjacencyGraph(pattern)
  const lowerBound = starLowerBound(graph)
  const buffer = new Int32Array(graph.n)
  const best = bestOf(ordering, BEST_STAR_ORDERS, lowerBound, (order) =>
    greedyStar(graph, vertexOrder(order, graph, buffer)),
  )
  return {
    kind: 'star',
    colour: best.colour,
    count: best.count,
    lowerBound,
    maxRowNnz: pattern.maxRowNnz(),
    ordering: best.ordering,
  }
}

// ---------------------------------------------------------------------------------------------
// validity
// ---------------------------------------------------------------------------------------------

/** Whether every entry is an integer in [0, n). */
function inRange(colour: ArrayLike<number>, n: number): boolean {
  for (let v = 0; v < colour.length; v++) {
    const c = colour[v]!
    if (!Number.isInteger(c) || c < 0 || c >= n) return false
  }
  return true
}

/**
 * Whether `colour` (one entry per column, integers in [0, nCols)) gives distinct colours to the
 * columns of every row, so that forward-mode compression loses nothing. O(nnz).
 *
 * @example
 * import { isColumnColouring, patternFromRows } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const p = patternFromRows(3, [[0, 1], [1, 2]])
 * assert.ok(isColumnColouring(p, [0, 1, 0]))
 * assert.ok(!isColumnColouring(p, [0, 0, 1]))
 */
export function isColumnColouring(pattern: SparsityPattern, colour: ArrayLike<number>): boolean {
  const n = pattern.nCols
  if (colour.length !== n || !inRange(colour, n)) return false
  const seenIn = new Int32Array(n).fill(-1)
  for (let i = 0; i < pattern.nRows; i++) {
    for (let p = pattern.rowPtr[i]!; p < pattern.rowPtr[i + 1]!; p++) {
      const c = colour[pattern.colIdx[p]!]!
      if (seenIn[c] === i) return false
      seenIn[c] = i
    }
  }
  return true
}

/**
 * Whether `colour` (one entry per row, integers in [0, nRows)) gives distinct colours to the rows
 * of every column, so that reverse-mode compression loses nothing.
 *
 * @example
 * import { isRowColouring, patternFromRows } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const p = patternFromRows(2, [[0], [0, 1], [1]])
 * assert.ok(isRowColouring(p, [0, 1, 0]))
 * assert.ok(!isRowColouring(p, [0, 0, 1]))
 */
export function isRowColouring(pattern: SparsityPattern, colour: ArrayLike<number>): boolean {
  return isColumnColouring(pattern.transpose(), colour)
}

/**
 * Whether `colour` (one entry per vertex, integers in [0, n)) is a star colouring of the
 * symmetric pattern: adjacent vertices differ, and no path x - v - w - y on four vertices has only
 * two colours. Every such path is checked through its middle edge v ~ w: it is bicoloured iff
 * colour(x) = colour(w) and colour(y) = colour(v), that is iff v has two neighbours coloured like
 * w (w and x) and w two neighbours coloured like v (v and y). O(nnz + n).
 *
 * @example
 * import { isStarColouring, bandedPattern } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * const path = bandedPattern(4, 1, 1)
 * assert.ok(!isStarColouring(path, [0, 1, 0, 1])) // the path itself is bicoloured
 * assert.ok(isStarColouring(path, [0, 1, 0, 2]))
 */
export function isStarColouring(pattern: SparsityPattern, colour: ArrayLike<number>): boolean {
  if (!pattern.isSymmetric()) return false
  const { n, ptr, adj } = new AdjacencyGraph(pattern)
  if (colour.length !== n || !inRange(colour, n)) return false
  // twice[q] = 1 when q holds v ~ w and v has at least two neighbours coloured colour(w)
  const twice = new Uint8Array(adj.length)
  const neighboursColoured = new Int32Array(n)
  for (let v = 0; v < n; v++) {
    for (let q = ptr[v]!; q < ptr[v + 1]!; q++) {
      if (colour[adj[q]!] === colour[v]) return false
      neighboursColoured[colour[adj[q]!]!]!++
    }
    for (let q = ptr[v]!; q < ptr[v + 1]!; q++) if (neighboursColoured[colour[adj[q]!]!]! >= 2) twice[q] = 1
    for (let q = ptr[v]!; q < ptr[v + 1]!; q++) neighboursColoured[colour[adj[q]!]!] = 0
  }
  // the entry w ~ v mirroring v ~ w: rows are sorted and symmetric, so the k-th visit to row w
  // (in increasing v) is its k-th entry
  const fill = ptr.slice(0, n)
  for (let v = 0; v < n; v++) {
    for (let q = ptr[v]!; q < ptr[v + 1]!; q++) {
      const mirror = fill[adj[q]!]!++
      if (twice[q] === 1 && twice[mirror] === 1) return false
    }
  }
  return true
}
