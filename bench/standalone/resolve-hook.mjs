// A module resolution hook for tfjs.mjs: tfjs-core's ES modules in dist/ import each other
// without file extensions ('../kernel_names'), which Node's ESM loader refuses; this retries
// such relative imports with '.js' appended.
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (e) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../')
    const inTfjs = context.parentURL?.includes('/@tensorflow/tfjs-core/dist/')
    if (!relative || !inTfjs || e?.code !== 'ERR_MODULE_NOT_FOUND') throw e
    return next(`${specifier}.js`, context)
  }
}
