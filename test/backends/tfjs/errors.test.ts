import { describe, expect, test } from 'vitest'
import { getBackend, useBackend } from '../../../src/backends/registry.js'
import { initTfjsBackend, type TfjsKind } from '../../../src/backends/tfjs/index.js'
import { WebGPUUnavailableError } from '../../../src/backends/tfjs/node-webgpu.js'
import {
  BackendError,
  ValueError,
  add,
  concat,
  dispose,
  grad,
  sum,
  tensor,
  tidy,
  type Tensor,
} from '../../../src/index.js'
import { toBackend } from '../../../src/backends/tfjs/index.js'

// Bad input at the tfjs boundary: typed errors that say what to do. The WebGPU failure runs first
// in this process, before any EGL display is opened, and is then retried successfully.
describe('tfjs backends: errors', () => {
  test('a backend that is not initialised says how to initialise it', () => {
    expect(() => getBackend('tfjs-wasm')).toThrow(BackendError)
    expect(() => useBackend('tfjs-wasm')).toThrow(/initTfjsBackend/)
    expect(() => tensor([1], { backend: 'tfjs-webgpu' })).toThrow(/initTfjsBackend/)
  })

  test('an unknown kind is a BackendError listing the kinds', async () => {
    await expect(initTfjsBackend('gpu' as TfjsKind)).rejects.toThrow(BackendError)
    await expect(initTfjsBackend('gpu' as TfjsKind)).rejects.toThrow(/'cpu', 'wasm' or 'webgpu'/)
  })

  test('no WebGPU adapter: a BackendError naming what is missing and the fallbacks; retrying works', async () => {
    const saved = { egl: process.env.EGL_PLATFORM, display: process.env.DISPLAY }
    // X11 without a display: Mesa's EGL cannot start, as on a machine set up wrongly
    process.env.EGL_PLATFORM = 'x11'
    delete process.env.DISPLAY
    let err: unknown
    try {
      err = await initTfjsBackend('webgpu', { webgpu: { backend: 'opengles' } }).then(
        () => undefined,
        (e: unknown) => e,
      )
    } finally {
      if (saved.egl === undefined) delete process.env.EGL_PLATFORM
      else process.env.EGL_PLATFORM = saved.egl
      if (saved.display !== undefined) process.env.DISPLAY = saved.display
    }
    expect(err).toBeInstanceOf(BackendError)
    const e = err as BackendError
    expect(e.message).toContain('EGL_PLATFORM=surfaceless')
    expect(e.message).toContain("initTfjsBackend('wasm')")
    expect(e.cause).toBeInstanceOf(WebGPUUnavailableError)
    // asking for it by name repeats why it failed
    expect(() => getBackend('tfjs-webgpu')).toThrow(/failed to initialise.*EGL_PLATFORM/s)
    expect(() => tensor([1], { backend: 'tfjs-webgpu' })).toThrow(BackendError)

    // fixed environment, second try
    const backend = await initTfjsBackend('webgpu', { webgpu: { backend: 'opengles' } })
    expect(getBackend('tfjs-webgpu')).toBe(backend)
    const x = tensor([1, 2], { backend: 'tfjs-webgpu' })
    expect(Array.from(await x.data())).toEqual([1, 2])
  })

  test('a tensor used after it was disposed is a ValueError naming the op or the read', async () => {
    await initTfjsBackend('cpu')
    const t = tensor([1, 2], { backend: 'tfjs-cpu' })
    dispose(t)
    const msg = /a tfjs-cpu tensor was used after it was disposed/
    expect(() => t.toArray()).toThrow(ValueError)
    expect(() => t.toArray()).toThrow(msg)
    expect(() => add(t, t)).toThrow(/^add: a tfjs-cpu tensor was used after it was disposed/)
    expect(() => concat([t, t])).toThrow(/^concat: /)
    expect(() => grad((x: Tensor) => sum(x))(t)).toThrow(ValueError)
    expect(() => toBackend(t, 'cpu')).toThrow(ValueError)
    await expect(t.data()).rejects.toThrow(ValueError)
    // a tensor freed by the tidy that made it
    let inner: Tensor | undefined
    tidy(() => {
      inner = add(tensor([1], { backend: 'tfjs-cpu' }), 1)
      return tensor([0], { backend: 'tfjs-cpu' })
    })
    expect(() => inner!.toArray()).toThrow(msg)
    // a live tensor still works
    expect(Array.from(add(tensor([1], { backend: 'tfjs-cpu' }), 1).dataSync())).toEqual([2])
  })
})
