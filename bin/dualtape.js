#!/usr/bin/env node
// The `dualtape` command. In a clone the TypeScript sources run through tsx, with no build
// step; in an installed package without them, the compiled dist/ runs instead.
import { existsSync } from 'node:fs'
import process from 'node:process'
import { URL } from 'node:url'

const source = new URL('../bench/cli.ts', import.meta.url)
let cli
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  cli = await import(source.href)
} else {
  cli = await import(new URL('../dist/bench/cli.js', import.meta.url).href)
}
cli.exitWith(await cli.main(process.argv.slice(2)))
