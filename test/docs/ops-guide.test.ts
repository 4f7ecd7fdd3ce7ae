import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import * as root from '../../src/index.js'
import * as matrix from '../../src/matrix/index.js'
import * as nn from '../../src/nn/index.js'
import { registry } from '../../src/ops/registry.js'

// The ops guide (docs/ops.md) lists every op: each primitive of the registry and each op function
// of the root, nn and matrix entries appears in it as `name` or `name(…)`, so an op added without its derivative
// convention fails here.

const guide = readFileSync(join(resolve(import.meta.dirname, '..', '..'), 'docs', 'ops.md'), 'utf8')
// `name` or `name(args…)`
const named = new Set([...guide.matchAll(/`([A-Za-z0-9]+)[`(]/g)].map((m) => m[1]!))

/** Root functions that are not ops: transformations, creation, backends, scopes, errors. */
const notOps = new Set([
  'Tensor',
  'arange',
  'backendNames',
  'checkpoint',
  'checkpointLoop',
  'chooseMode',
  'debugNans',
  'defineOp',
  'dispose',
  'elementwiseGrad',
  'eye',
  'full',
  'getBackend',
  'grad',
  'hessian',
  'hvp',
  'jacfwd',
  'jacobian',
  'jacrev',
  'jvp',
  'keep',
  'linearTranspose',
  'linearVjp',
  'linearize',
  'observeOps',
  'ones',
  'onesLike',
  'randn',
  'revolveAdvances',
  'revolveSchedule',
  'tensor',
  'tidy',
  'uniform',
  'useBackend',
  'valueAndGrad',
  'vmap',
  'vjp',
  'vjpWithAux',
  'withNanCheck',
  'zeros',
  'zerosLike',
])

describe('the ops guide', () => {
  test('names every primitive of the registry', () => {
    const missing = Object.keys(registry).filter((k) => !named.has(k))
    expect(missing, 'primitives missing from docs/ops.md').toEqual([])
  })

  test('names every op function of the root, nn and matrix entries', () => {
    const fns = (m: object) =>
      Object.entries(m)
        .filter(([k, v]) => typeof v === 'function' && !/Error$/.test(k) && !notOps.has(k))
        .map(([k]) => k)
    const missing = [...fns(root), ...fns(nn), ...fns(matrix)].filter((k) => !named.has(k))
    expect(missing, 'op functions missing from docs/ops.md (or add a non-op to notOps here)').toEqual([])
  })
})
