import type { Tensor } from './tensor.js'

/** The hook called with every concrete op output; set by the NaN checker when it is on. */
let hook: ((op: string, inputs: readonly Tensor[], y: Tensor) => void) | null = null

/** Installs (or removes, with null) the hook that inspects every concrete op output. */
export function setNonFiniteHook(h: typeof hook): void {
  hook = h
}

/** Calls the hook, if one is installed. */
export function checkNonFinite(op: string, inputs: readonly Tensor[], y: Tensor): void {
  if (hook !== null) hook(op, inputs, y)
}
