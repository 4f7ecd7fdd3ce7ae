import { describe, expect, test } from 'vitest'
import { notInstalled } from '../../bench/suites/peers.js'
import { BackendError, MissingPackageError } from '../../src/index.js'
import { importOptional } from '../../src/core/errors.js'

// The optional packages (TensorFlow.js, webgpu, vega, Graphviz, the benchmark's peers) load on
// first use; a missing one is a MissingPackageError that names the feature and the install
// command. test/package/package.sh checks the same from the packed tarball in an empty project.

describe('importOptional', () => {
  // a specifier built at run time, so that no bundler or test runner resolves it ahead
  const missing = ['@dualtape-test', 'no-such-package'].join('/')

  test('a package that is not installed is a MissingPackageError naming the feature and the command', async () => {
    const load = () => import(/* @vite-ignore */ missing)
    const err = await importOptional('drawing things', [missing, 'another'], load).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MissingPackageError)
    expect(err).toBeInstanceOf(BackendError)
    expect((err as MissingPackageError).packages).toEqual([missing, 'another'])
    expect((err as Error).message).toBe(
      `drawing things needs packages that are not installed: npm install ${missing} another`,
    )
  })

  test('an installed package loads; any other failure passes through unchanged', async () => {
    const fc = await importOptional('checking', ['fast-check'], () => import('fast-check'))
    expect(typeof fc.default.assert).toBe('function')
    const boom = new Error('the module threw while loading')
    await expect(importOptional('x', ['fast-check'], () => Promise.reject(boom))).rejects.toBe(boom)
  })
})

describe('the benchmark skips peers that are not installed', () => {
  test('notInstalled lists exactly the missing packages', () => {
    expect(notInstalled(['@tensorflow/tfjs-core', 'fast-check', 'no-such-package-of-dualtape'])).toEqual([
      'no-such-package-of-dualtape',
    ])
  })
})
