import { ValueError, fmtValue } from './errors.js'

/** Checks that the options a user passed are undefined or an object (not null, an array or a number). */
export function checkOptions(where: string, opts: unknown): void {
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
    throw new ValueError(`${where}: options must be an object, got ${fmtValue(opts)}`)
  }
}
