import { DualtapeError } from '../core/errors.js'

/**
 * Errors of the sparse Jacobian and Hessian machinery.
 *
 * @module
 */

/**
 * Thrown when a sparsity pattern, a colouring or a product callback is inconsistent: a malformed
 * pattern, a product vector whose length does not match the pattern's shape, an unknown mode, a
 * colouring that does not fit the pattern, or a pattern that does not match the function
 * (`checkPattern`). The message names the function that threw and what it expected. It is a
 * `DualtapeError`, like every error thrown at dualtape's API boundary.
 *
 * @example
 * import { SparsityError, patternFromRows } from 'dualtape/sparse'
 * import * as assert from 'node:assert'
 *
 * assert.throws(() => patternFromRows(2, [[0, 5]]), SparsityError)
 * assert.strictEqual(new SparsityError('patternFromRows: …').name, 'SparsityError')
 */
export class SparsityError extends DualtapeError {
  override name = 'SparsityError'
}
