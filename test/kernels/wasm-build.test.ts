import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { assemble, bytesModule, bytesPath, loadWabt, watPath } from '../../tools/build-wasm.js'

const root = new URL('../../', import.meta.url)

describe('the embedded WebAssembly module', () => {
  it('is the one that wabt builds from gemm.wat (npm run build:wasm)', async () => {
    const bytes = assemble(await loadWabt(), readFileSync(new URL(watPath, root), 'utf8'))
    expect(bytes.length).toBeGreaterThan(1000)
    expect(readFileSync(new URL(bytesPath, root), 'utf8')).toBe(bytesModule(bytes))
  })
})
