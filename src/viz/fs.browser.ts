/**
 * The browser's stand-in for `fs.ts`: the package's `browser` field maps
 * `dist/src/viz/fs.js` to this module, so a bundle for the browser has no Node built-in. There
 * is no file system to write to; each function rejects with a BackendError that says so.
 *
 * @module
 */
import { BackendError } from '../core/errors.js'
import type * as NodeFs from './fs.js'

const nodeOnly = (path: string): BackendError =>
  new BackendError(
    `cannot write ${JSON.stringify(path)}: writing files works in Node only; in a browser, renderVegaLite returns the SVG string, to put into the page`,
  )

/** In a browser: rejects with a BackendError (there are no folders to create). */
export const ensureDir: typeof NodeFs.ensureDir = (dir) => Promise.reject(nodeOnly(dir))

/** In a browser: rejects with a BackendError (there are no files to write). */
export const writeTextFile: typeof NodeFs.writeTextFile = (path) => Promise.reject(nodeOnly(path))
