import { ValueError, fmtValue } from './errors.js'

/**
 * Checks a seed: any safe integer, negative ones included (|seed| ≤ 2⁵³ − 1, the integers a
 * number holds exactly), as JAX's `PRNGKey` takes any integer. Every bit of it counts: seeds
 * that agree modulo 2³² (0 and 2³², −1 and 2³² − 1) give different numbers. Anything else, 2⁵³
 * and 1e300 included (which no longer hold one exact integer), is a `ValueError` naming the
 * function and the value.
 */
export function checkSeed(where: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new ValueError(
      `${where}: seed must be a safe integer (between -(2^53 - 1) and 2^53 - 1), got ${fmtValue(seed)}`,
    )
  }
  return seed
}

/** A bijection of 32-bit words that finishes each splitmix32 step. */
type Finish = (t: number) => number

// murmur3's fmix32: the expansion of the low 32 bits of a seed
const fmix32: Finish = (t) => {
  t = Math.imul(t ^ (t >>> 16), 0x85ebca6b) >>> 0
  t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35) >>> 0
  return (t ^ (t >>> 16)) >>> 0
}

// another bijection (lowbias32) for the high bits, so that the two halves never cancel
const lowbias32: Finish = (t) => {
  t = Math.imul(t ^ (t >>> 16), 0x7feb352d) >>> 0
  t = Math.imul(t ^ (t >>> 15), 0x846ca68b) >>> 0
  return (t ^ (t >>> 16)) >>> 0
}

/** Four 32-bit words from a 32-bit value: z += 0x9e3779b9, then `finish(z)`, four times. */
function expand(z: number, finish: Finish): [number, number, number, number] {
  const next = (): number => {
    z = (z + 0x9e3779b9) >>> 0
    return finish(z)
  }
  return [next(), next(), next(), next()]
}

/**
 * A small, fast, seedable generator (xoshiro128**, 32-bit state words), so that the same seed
 * gives the same numbers on every machine.
 */
export class Rng {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  /**
   * The state from a safe integer: splitmix32 expands its low 32 bits into the four state words;
   * when the bits above (two's complement, as a 64-bit integer) are not all zero, their own
   * expansion is xored in. Seeds in [0, 2³²) keep the numbers they always gave.
   */
  constructor(seed: number) {
    const lo = seed >>> 0
    const hi = Math.floor(seed / 4294967296) >>> 0
    const s = expand(lo, fmix32)
    if (hi !== 0) {
      const h = expand(hi, lowbias32)
      for (let i = 0; i < 4; i++) s[i] = (s[i]! ^ h[i]!) >>> 0
    }
    // xoshiro's one bad state
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1
    ;[this.s0, this.s1, this.s2, this.s3] = s
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0
    const t = (this.s1 << 9) >>> 0
    this.s2 = (this.s2 ^ this.s0) >>> 0
    this.s3 = (this.s3 ^ this.s1) >>> 0
    this.s1 = (this.s1 ^ this.s2) >>> 0
    this.s0 = (this.s0 ^ this.s3) >>> 0
    this.s2 = (this.s2 ^ t) >>> 0
    this.s3 = rotl(this.s3, 11)
    return result
  }

  /** A uniform number in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5
    const lo = this.nextU32() >>> 6
    return (hi * 67108864 + lo) / 9007199254740992
  }

  /** A standard normal number (Box–Muller). */
  normal(): number {
    let u = this.uniform()
    while (u === 0) u = this.uniform()
    const v = this.uniform()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0
