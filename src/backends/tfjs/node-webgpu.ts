/**
 * TensorFlow.js on WebGPU in Node, through Dawn (the `webgpu` package).
 *
 * Node has no `navigator.gpu`; Dawn's Node binding provides a `GPU` object. On a machine with a
 * GPU, Dawn's Vulkan backend drives it. On a machine without one (developer machines, CI),
 * Dawn's OpenGL ES backend runs on Mesa's llvmpipe, a software rasterizer: slow, but the real
 * WebGPU code path of tfjs-backend-webgpu. That path needs:
 *
 * - the Debian packages `libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri`;
 * - `EGL_PLATFORM=surfaceless` (no display server). Mesa reads it when Dawn first opens an EGL
 *   display, so setting it in `process.env` inside the process, before that, is enough:
 *   {@link initNodeWebGPU} sets it when it is unset or empty, and keeps any other value;
 * - the adapter requested with `featureLevel: 'compatibility'` (OpenGL ES cannot offer core
 *   WebGPU). tfjs requests its adapter itself, so `requestAdapter` is wrapped to add it.
 *
 * tfjs-backend-webgpu registers its backend only if `navigator.gpu` exists when its module is
 * evaluated, so `navigator.gpu` is defined first and the module is imported dynamically after.
 *
 * Two more adjustments of the device tfjs creates:
 * - `maxStorageBuffersPerShaderStage` is raised to the adapter's maximum. WebGPU's default is 8,
 *   and a tfjs kernel with more bindings (`addN` of 8 tensors: 8 inputs and an output) fails
 *   validation, after which tfjs silently returns zeros.
 * - Uncaptured device errors (validation, out of memory, internal) and device loss are recorded;
 *   {@link takeWebGPUErrors} returns them, so a caller can turn such silent failures into errors.
 *
 * @module
 */
import { existsSync } from 'node:fs'
import type * as TfCore from '@tensorflow/tfjs-core'
import { MissingPackageError, importOptional } from '../../core/errors.js'

/**
 * Which Dawn backend {@link initNodeWebGPU} uses: `auto` tries Vulkan, then OpenGL ES.
 */
export type NodeWebGPUBackend = 'opengles' | 'vulkan' | 'auto'

/**
 * Options of {@link initNodeWebGPU}.
 */
export interface NodeWebGPUOptions {
  /** Dawn backend to use (default `auto`: Vulkan when a GPU driver offers it, else OpenGL ES). */
  backend?: NodeWebGPUBackend
}

/**
 * What {@link initNodeWebGPU} found.
 */
export interface NodeWebGPUInfo {
  /** The adapter in words: Dawn backend, feature level, device name and driver description. */
  adapterInfo: string
  /** The Dawn backend that gave the adapter. */
  backend: 'opengles' | 'vulkan'
}

/**
 * The Debian packages that Dawn's OpenGL ES backend needs to render in software on Mesa.
 */
export const SOFTWARE_GL_PACKAGES: readonly string[] = [
  'libegl1',
  'libegl-mesa0',
  'libgles2',
  'libgl1-mesa-dri',
]

/**
 * Thrown by {@link initNodeWebGPU} when no WebGPU adapter (or no tfjs WebGPU backend) can be
 * created; its message says what is missing: Debian packages, environment variables.
 */
export class WebGPUUnavailableError extends Error {
  /** Debian packages of {@link SOFTWARE_GL_PACKAGES} whose libraries were not found. */
  readonly missingPackages: readonly string[]

  constructor(message: string, missingPackages: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WebGPUUnavailableError'
    this.missingPackages = missingPackages
  }
}

const PACKAGE_FILES: ReadonlyArray<readonly [string, string]> = [
  ['libegl1', 'libEGL.so.1'],
  ['libegl-mesa0', 'libEGL_mesa.so.0'],
  ['libgles2', 'libGLESv2.so.2'],
  ['libgl1-mesa-dri', 'dri/swrast_dri.so'],
]

function libraryDirs(): string[] {
  const triplet =
    process.arch === 'x64' ? 'x86_64-linux-gnu' : process.arch === 'arm64' ? 'aarch64-linux-gnu' : undefined
  const dirs = ['/usr/lib64', '/usr/lib', '/lib64', '/lib']
  return triplet === undefined ? dirs : [`/usr/lib/${triplet}`, `/lib/${triplet}`, ...dirs]
}

function findLibrary(file: string): boolean {
  return libraryDirs().some((dir) => existsSync(`${dir}/${file}`))
}

/**
 * The packages of {@link SOFTWARE_GL_PACKAGES} whose libraries are not found in the usual
 * library folders (Linux only; elsewhere the answer is empty).
 */
export function missingSoftwareGLPackages(): string[] {
  if (process.platform !== 'linux') return []
  return PACKAGE_FILES.filter(([, file]) => !findLibrary(file)).map(([pkg]) => pkg)
}

type Tf = typeof TfCore
type DawnBackend = 'opengles' | 'vulkan'
type FeatureLevel = 'core' | 'compatibility'

interface Ready {
  info: NodeWebGPUInfo
  tf: Tf
  gpu: GPU
  featureLevel: FeatureLevel
  WebGPUBackend: new (device: GPUDevice, adapterInfo?: GPUAdapterInfo) => TfCore.KernelBackend
}

const MAX_RECORDED_ERRORS = 100
const recordedErrors: string[] = []

function recordError(message: string): void {
  if (recordedErrors.length >= MAX_RECORDED_ERRORS) recordedErrors.shift()
  recordedErrors.push(message)
}

/**
 * Returns and clears the WebGPU errors recorded since the last call: uncaptured device errors
 * (a shader that fails validation, out of memory) and device loss. tfjs does not check for
 * them; a kernel that failed validation reads back zeros.
 */
export function takeWebGPUErrors(): string[] {
  return recordedErrors.splice(0, recordedErrors.length)
}

function describeAdapter(adapter: GPUAdapter, backend: DawnBackend, featureLevel: FeatureLevel): string {
  const info = adapter.info
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(
    (part): part is string => typeof part === 'string' && part.length > 0,
  )
  return `${backend} (${featureLevel}): ${parts.join(' / ') || 'unnamed adapter'}`
}

/** Wraps `adapter.requestDevice` to raise the storage-buffer limit and record device errors. */
function instrumentAdapter(adapter: GPUAdapter): GPUAdapter {
  const requestDevice = adapter.requestDevice.bind(adapter)
  adapter.requestDevice = async (descriptor?: GPUDeviceDescriptor): Promise<GPUDevice> => {
    const limits: Record<string, number> = {
      ...(descriptor?.requiredLimits as Record<string, number> | undefined),
    }
    const max = adapter.limits.maxStorageBuffersPerShaderStage
    if ((limits.maxStorageBuffersPerShaderStage ?? 0) < max) limits.maxStorageBuffersPerShaderStage = max
    const device = await requestDevice({ ...descriptor, requiredLimits: limits })
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error
      recordError(`${error.constructor.name}: ${error.message.trim()}`)
    })
    void device.lost.then((lost) => {
      if (lost.reason !== 'destroyed') recordError(`device lost: ${lost.message.trim()}`)
    })
    return device
  }
  return adapter
}

function installGlobals(globals: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(globals)) {
    if (!(key in globalThis)) {
      Object.defineProperty(globalThis, key, { value, writable: true, configurable: true, enumerable: false })
    }
  }
}

/**
 * Defines `navigator.gpu`. Node 20 has no `navigator`; Node 21 and later have one, defined by a
 * getter on `globalThis`, whose object may refuse a new property: then `globalThis.navigator` is
 * replaced by a proxy of the original that adds `gpu`.
 */
function installNavigatorGpu(gpu: GPU): void {
  const g = globalThis as { navigator?: unknown }
  const existing = g.navigator
  if (typeof existing === 'object' && existing !== null) {
    if ((existing as { gpu?: unknown }).gpu === gpu) return
    try {
      Object.defineProperty(existing, 'gpu', {
        value: gpu,
        configurable: true,
        enumerable: true,
        writable: true,
      })
      if ((existing as { gpu?: unknown }).gpu === gpu) return
    } catch {
      // The existing object is frozen or has a getter-only `gpu`: replace it below.
    }
    // A proxy, not a derived object, so the original's getters still run on the original.
    const replacement = new Proxy(existing, {
      get: (target, key) => (key === 'gpu' ? gpu : Reflect.get(target, key, target)),
      has: (target, key) => key === 'gpu' || Reflect.has(target, key),
    })
    Object.defineProperty(globalThis, 'navigator', {
      value: replacement,
      configurable: true,
      enumerable: true,
      writable: true,
    })
    return
  }
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu },
    configurable: true,
    enumerable: true,
    writable: true,
  })
}

function unavailable(
  backend: NodeWebGPUBackend,
  tried: readonly string[],
  eglPlatformSet: boolean,
): WebGPUUnavailableError {
  const lines = [
    `No WebGPU adapter could be created in Node (backend: ${backend}; tried ${tried.join(', ')}).`,
  ]
  let missing: string[] = []
  if (backend !== 'vulkan') {
    missing = missingSoftwareGLPackages()
    const egl = process.env.EGL_PLATFORM
    lines.push(
      "Software rendering uses Dawn's OpenGL ES backend on Mesa (llvmpipe). It needs the Debian packages " +
        `${SOFTWARE_GL_PACKAGES.join(' ')}` +
        (missing.length > 0
          ? `; not found: ${missing.join(' ')} (apt-get install -y ${missing.join(' ')}).`
          : ' (their libraries were found).'),
      `It also needs EGL_PLATFORM=surfaceless; it is ${egl === undefined ? 'unset' : `'${egl}'`}` +
        (eglPlatformSet ? ' (set by initNodeWebGPU).' : '.') +
        (eglPlatformSet || egl === 'surfaceless'
          ? ''
          : ' Unset it or set it to surfaceless, before the first EGL display is opened in this process.'),
    )
  }
  if (backend !== 'opengles') {
    lines.push(
      'The Vulkan backend needs a GPU, the Vulkan loader (Debian package libvulkan1' +
        (findLibrary('libvulkan.so.1') ? ', found' : ', not found') +
        ') and a driver; for NVIDIA set VK_DRIVER_FILES to its ICD file ' +
        '(for instance /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json). ' +
        "Mesa's software Vulkan (lavapipe) is not enough for Dawn.",
    )
  }
  lines.push('Dawn prints the reason for each failed backend on stderr.')
  return new WebGPUUnavailableError(lines.join('\n'), missing)
}

async function setUp(backend: NodeWebGPUBackend): Promise<Ready> {
  let eglPlatformSet = false
  if (!process.env.EGL_PLATFORM) {
    process.env.EGL_PLATFORM = 'surfaceless'
    eglPlatformSet = true
  }

  let dawn: { create: (options: string[]) => GPU; globals: object }
  try {
    dawn = (await importOptional(
      'tfjs-webgpu in Node',
      ['webgpu'],
      () => import('webgpu'),
    )) as unknown as typeof dawn
  } catch (err) {
    if (err instanceof MissingPackageError) throw err
    throw new WebGPUUnavailableError(
      `The webgpu package could not load Dawn for ${process.platform}-${process.arch}: ${String(err)}`,
      [],
      { cause: err },
    )
  }

  const candidates: ReadonlyArray<readonly [DawnBackend, FeatureLevel]> =
    backend === 'vulkan'
      ? [['vulkan', 'core']]
      : backend === 'opengles'
        ? [['opengles', 'compatibility']]
        : [
            ['vulkan', 'core'],
            ['opengles', 'compatibility'],
          ]
  let chosen: { gpu: GPU; adapter: GPUAdapter; backend: DawnBackend; featureLevel: FeatureLevel } | undefined
  const tried: string[] = []
  for (const [name, featureLevel] of candidates) {
    tried.push(`${name} (${featureLevel})`)
    const gpu = dawn.create([`backend=${name}`])
    const adapter = await gpu.requestAdapter({ featureLevel } as GPURequestAdapterOptions)
    if (adapter !== null) {
      chosen = { gpu, adapter, backend: name, featureLevel }
      break
    }
  }
  if (chosen === undefined) throw unavailable(backend, tried, eglPlatformSet)

  const { gpu, featureLevel } = chosen
  const requestAdapter = gpu.requestAdapter.bind(gpu)
  gpu.requestAdapter = async (options?: GPURequestAdapterOptions): Promise<GPUAdapter | null> => {
    const adapter = await requestAdapter({ ...options, featureLevel } as GPURequestAdapterOptions)
    return adapter === null ? null : instrumentAdapter(adapter)
  }
  installGlobals(dawn.globals as Record<string, unknown>)
  installNavigatorGpu(gpu)

  const packages = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', 'webgpu']
  const tf = (await importOptional('tfjs-webgpu', packages, () => import('@tensorflow/tfjs-core'))) as Tf
  const tfWebGPU = (await importOptional(
    'tfjs-webgpu',
    packages,
    () => import('@tensorflow/tfjs-backend-webgpu'),
  )) as unknown as {
    WebGPUBackend: Ready['WebGPUBackend']
  }
  return {
    info: {
      adapterInfo: describeAdapter(chosen.adapter, chosen.backend, featureLevel),
      backend: chosen.backend,
    },
    tf,
    gpu,
    featureLevel,
    WebGPUBackend: tfWebGPU.WebGPUBackend,
  }
}

/**
 * Registers the `webgpu` tfjs backend if it is not registered: tfjs-backend-webgpu registers it
 * itself only when `navigator.gpu` existed as its module was first evaluated, and a caller may
 * have removed it since. The factory mirrors the package's own.
 */
function ensureRegistered(ready: Ready): void {
  const { tf, gpu, WebGPUBackend } = ready
  if ((tf.findBackendFactory('webgpu') ?? null) !== null) return
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' })
      if (adapter === null)
        throw new WebGPUUnavailableError('navigator.gpu.requestAdapter returned no adapter')
      const requiredFeatures: GPUFeatureName[] = []
      if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query')
      const l = adapter.limits
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      })
      return new WebGPUBackend(device, adapter.info)
    },
    3,
  )
}

async function activate(ready: Ready): Promise<NodeWebGPUInfo> {
  ensureRegistered(ready)
  if (ready.tf.getBackend() !== 'webgpu' || ready.tf.findBackend('webgpu') === null) {
    const ok = await ready.tf.setBackend('webgpu')
    if (!ok) {
      throw new WebGPUUnavailableError(
        `A WebGPU adapter was found (${ready.info.adapterInfo}), but tfjs-backend-webgpu failed to ` +
          'initialize on it; tfjs printed the reason as a warning.',
      )
    }
  }
  return ready.info
}

let state: { ready: Promise<Ready> } | undefined
let activating: Promise<unknown> = Promise.resolve()

/**
 * Makes TensorFlow.js compute on WebGPU in Node and returns the adapter it uses.
 *
 * The first call loads Dawn, finds an adapter (see {@link NodeWebGPUOptions.backend}), defines
 * `navigator.gpu` and the WebGPU globals (`GPUBufferUsage`, ...), imports
 * tfjs-backend-webgpu and selects the `webgpu` tfjs backend. Later calls reuse all that and only
 * select the backend again if another was selected in between; a call asking for a different
 * Dawn backend than the one in use rejects. A failed call leaves nothing cached, so it can be
 * retried. Rejects with {@link WebGPUUnavailableError} naming what is missing when no adapter
 * can be created.
 */
export async function initNodeWebGPU(opts: NodeWebGPUOptions = {}): Promise<NodeWebGPUInfo> {
  const backend = opts.backend ?? 'auto'
  if (state === undefined) {
    const ready = setUp(backend)
    const current = { ready }
    state = current
    ready.catch(() => {
      if (state === current) state = undefined
    })
  }
  const ready = await state.ready
  if (backend !== 'auto' && backend !== ready.info.backend) {
    throw new Error(
      `initNodeWebGPU: WebGPU already runs on Dawn's ${ready.info.backend} backend in this process; ` +
        `it cannot switch to ${backend}.`,
    )
  }
  // tfjs answers false to the earlier of two overlapping setBackend calls: run them one at a time.
  const run = activating.then(() => activate(ready))
  activating = run.catch(() => undefined)
  return run
}
