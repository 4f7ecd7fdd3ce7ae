import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { at, matmulWorstError, values } from '../../support/tfjs-env-checks.js'
import {
  SOFTWARE_GL_PACKAGES,
  WebGPUUnavailableError,
  initNodeWebGPU,
  missingSoftwareGLPackages,
  takeWebGPUErrors,
} from '../../../src/backends/tfjs/node-webgpu.js'

// These tests run in order, in one process: the failing start first (before any EGL display
// opens), then a Node 21-like `navigator`, then the real start and computations.
describe('initNodeWebGPU', () => {
  it('names what is missing when no adapter can be created', async () => {
    const saved = {
      egl: process.env.EGL_PLATFORM,
      display: process.env.DISPLAY,
      wayland: process.env.WAYLAND_DISPLAY,
    }
    // An X11 platform without a display: Mesa's EGL cannot initialize, as when the variable is wrong.
    process.env.EGL_PLATFORM = 'x11'
    delete process.env.DISPLAY
    delete process.env.WAYLAND_DISPLAY
    try {
      const err: unknown = await initNodeWebGPU({ backend: 'opengles' }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(WebGPUUnavailableError)
      const error = err as WebGPUUnavailableError
      expect(error.name).toBe('WebGPUUnavailableError')
      expect(error.message).toContain('EGL_PLATFORM=surfaceless')
      expect(error.message).toContain("it is 'x11'")
      for (const pkg of SOFTWARE_GL_PACKAGES) expect(error.message).toContain(pkg)
      expect(error.missingPackages).toEqual(missingSoftwareGLPackages())
    } finally {
      if (saved.egl === undefined) delete process.env.EGL_PLATFORM
      else process.env.EGL_PLATFORM = saved.egl
      if (saved.display !== undefined) process.env.DISPLAY = saved.display
      if (saved.wayland !== undefined) process.env.WAYLAND_DISPLAY = saved.wayland
    }
  })

  it('finds the software GL libraries on this machine', () => {
    // CI installs them (.ci/run); without them the WebGPU tests below cannot run.
    expect(missingSoftwareGLPackages()).toEqual([])
  })

  it('starts, selects the webgpu tfjs backend and is idempotent', async () => {
    // Node 21 and later define a `navigator` whose object may refuse new properties; mimic that.
    // Its getters read private fields, so they must keep running on the original object.
    class FakeNavigator {
      readonly #agent = 'test-agent'
      get userAgent(): string {
        return this.#agent
      }
    }
    const frozen = Object.freeze(new FakeNavigator())
    const hadNavigator = 'navigator' in globalThis
    if (!hadNavigator)
      Object.defineProperty(globalThis, 'navigator', { get: () => frozen, configurable: true })

    // Fails with Dawn's and our reasons, not a skip, when no adapter can be created. Two
    // overlapping first calls share one start.
    const [info, second] = await Promise.all([initNodeWebGPU(), initNodeWebGPU()])
    expect(second).toEqual(info)
    expect(info.adapterInfo.length).toBeGreaterThan(0)
    expect(['opengles', 'vulkan']).toContain(info.backend)
    expect(tf.getBackend()).toBe('webgpu')
    const nav = (globalThis as unknown as { navigator: { gpu?: unknown; userAgent?: string } }).navigator
    expect(nav.gpu).toBeDefined()
    if (!hadNavigator) expect(nav.userAgent).toBe('test-agent')

    const again = await Promise.all([initNodeWebGPU(), initNodeWebGPU({ backend: info.backend })])
    expect(again).toEqual([info, info])
    const other = info.backend === 'opengles' ? 'vulkan' : 'opengles'
    await expect(initNodeWebGPU({ backend: other })).rejects.toThrow(/cannot switch/)
  })

  it('computes a 64x64 matmul that matches a float64 reference to 1e-4', async () => {
    await initNodeWebGPU()
    expect(await matmulWorstError(64)).toBeLessThan(1e-4)
    expect(takeWebGPUErrors()).toEqual([])
  })

  it('computes elementwise ops', async () => {
    await initNodeWebGPU()
    const x = values(1000, 3)
    const y = tf.tidy(() => {
      const t = tf.tensor1d(x)
      return tf.add(tf.mul(tf.exp(t), tf.tanh(t)), tf.scalar(0.5))
    })
    const got = await y.data()
    y.dispose()
    for (let i = 0; i < x.length; i++) {
      const ref = Math.exp(at(x, i)) * Math.tanh(at(x, i)) + 0.5
      expect(Math.abs(at(got, i) - ref)).toBeLessThan(1e-5 * (1 + Math.abs(ref)))
    }
  })

  it('lets a kernel bind more than 8 storage buffers', async () => {
    await initNodeWebGPU()
    const sum = tf.tidy(() => tf.addN(Array.from({ length: 12 }, (_, i) => tf.fill([4], i + 1))))
    expect(Array.from(await sum.data())).toEqual([78, 78, 78, 78])
    sum.dispose()
    expect(takeWebGPUErrors()).toEqual([])
  })

  it('records uncaptured device errors', async () => {
    await initNodeWebGPU()
    const device = (tf.backend() as unknown as { device: GPUDevice }).device
    device.createBuffer({ size: 4, usage: 0xffff })
    await device.queue.onSubmittedWorkDone()
    let errors: string[] = []
    for (let i = 0; i < 50 && errors.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      errors = takeWebGPUErrors()
    }
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/GPUValidationError/)
    expect(takeWebGPUErrors()).toEqual([])
  })

  it('registers the backend again after it was removed', async () => {
    const info = await initNodeWebGPU()
    tf.removeBackend('webgpu')
    expect(await initNodeWebGPU()).toEqual(info)
    expect(tf.getBackend()).toBe('webgpu')
    const y = tf.tidy(() => tf.matMul(tf.ones([8, 8]), tf.ones([8, 8])))
    expect((await y.data())[0]).toBe(8)
    y.dispose()
  })
})
