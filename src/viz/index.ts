/**
 * `dualtape/viz`: pictures of the graph that reverse mode records. `traceGraph` runs a function
 * on a tape and keeps its nodes and edges with their values, `backwardGraph` adds each node's
 * cotangent and each edge's contribution, `collapseGraph` fuses runs of elementwise ops, `toDot`
 * writes Graphviz DOT and `renderGraph` lays it out as SVG (with the optional package
 * `@hpcc-js/wasm-graphviz`).
 *
 * @example
 * import { tensor, mul, sin, add } from 'dualtape'
 * import { traceGraph, backwardGraph, toDot } from 'dualtape/viz'
 * const g = backwardGraph(traceGraph((a, b) => add(mul(a, b), sin(b)), tensor(2), tensor(3)))
 * toDot(g).startsWith('digraph') // → true
 *
 * @module
 */
export * from './graph.js'
export * from './dot.js'
