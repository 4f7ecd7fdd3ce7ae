#!/usr/bin/env bash
# The package as its users install it: `npm pack` of this tree (prepack builds it), the tarball
# installed into an empty project, then
#   - the installed size with the core's dependencies only (at most 15 MB) and what was installed;
#   - `import` and `require` of the root entry, and a gradient through each; every entry point
#     imported and required on its own in a fresh process; the time of a cold import;
#   - a bundle for the browser made by esbuild from the installed package (the "browser" field);
#   - `npx dualtape bench --smoke` from the installed package: exit 0, with the peers and the
#     plots, whose optional packages are not installed, listed as skipped;
#   - a vitest test of a custom op through `dualtape/vitest`, with only its documented peers
#     (vitest and @fast-check/vitest) added.
# Run by .ci/run after the tests; needs the npm registry.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d -t dualtape-package-XXXXXX)"
trap 'rm -rf "$work"' EXIT
version() { node -p "require('$root/package.json').devDependencies['$1']"; }

echo "--- npm pack"
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
cd "$work"
npm init -y >/dev/null
echo "--- npm install dualtape-*.tgz into an empty project"
npm install --no-audit --no-fund ./dualtape-*.tgz >/dev/null
kb="$(du -sk node_modules | cut -f1)"
echo "installed: $((kb / 1024)) MB in $(ls node_modules | wc -l) top-level entries"
if [ "$kb" -gt $((15 * 1024)) ]; then
  echo "the core installs more than 15 MB" >&2
  exit 1
fi

echo "--- import and require"
node --input-type=module -e "
  import { grad, tensor, sum, mul } from 'dualtape'
  const g = grad((x) => sum(mul(x, x)))(tensor([1, 2])).toArray()
  if (JSON.stringify(g) !== '[2,4]') throw new Error('import: grad gave ' + JSON.stringify(g))
"
node -e "
  const d = require('dualtape')
  const g = d.grad((x) => d.sum(d.mul(x, x)))(d.tensor([3])).toArray()
  if (JSON.stringify(g) !== '[6]') throw new Error('require: grad gave ' + JSON.stringify(g))
"

echo "--- each entry point on its own, in a fresh process (import and require), and a cold import's time"
node -e "
  const pkg = require('./node_modules/dualtape/package.json')
  const { execFileSync } = require('node:child_process')
  for (const key of Object.keys(pkg.exports)) {
    // dualtape/vitest needs vitest, installed further down
    if (key === './package.json' || key === './vitest') continue
    const name = key === '.' ? 'dualtape' : 'dualtape/' + key.slice(2)
    const names = (code) => execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }).trim()
    const imported = names(\"const m = await import('\" + name + \"'); console.log(Object.keys(m).length)\")
    const required = execFileSync(process.execPath, ['-e', \"console.log(Object.keys(require('\" + name + \"')).length)\"], { encoding: 'utf8' }).trim()
    if (imported !== required || Number(imported) === 0) throw new Error(name + ': import gave ' + imported + ' names, require ' + required)
    console.log(name + ': ' + imported + ' names')
  }
"
node --input-type=module -e "
  const { execFileSync } = await import('node:child_process')
  const ms = []
  for (let i = 0; i < 7; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', \"const t = performance.now(); await import('dualtape'); console.log(performance.now() - t)\"], { encoding: 'utf8' })
    ms.push(Number(out))
  }
  ms.sort((a, b) => a - b)
  console.log('cold import of dualtape: median ' + ms[3].toFixed(0) + ' ms (min ' + ms[0].toFixed(0) + ', max ' + ms[6].toFixed(0) + ', 7 fresh processes)')
"

echo "--- a bundle for the browser (esbuild honours the \"browser\" field: no Node built-in)"
# the optional packages are not installed here: a user's bundle leaves them out the same way
cat >app.mjs <<'APP'
import { grad, hessian, jvp, mul, sum, tensor } from 'dualtape'
import { derivative } from 'dualtape/scalar'
import { chainFromFactors } from 'dualtape/linalg'
import { cholesky } from 'dualtape/matrix'
import { sparseJacobian } from 'dualtape/sparse'
import { traceGraph } from 'dualtape/viz'
import { initTfjsBackend } from 'dualtape/tfjs'
console.log(grad((x) => sum(mul(x, x)))(tensor([1, 2])).toArray(), hessian, jvp, derivative, chainFromFactors, cholesky, sparseJacobian, traceGraph, initTfjsBackend)
APP
"$root/node_modules/.bin/esbuild" app.mjs --bundle --platform=browser --format=esm --minify --log-level=warning \
  --external:vega --external:vega-lite --external:@hpcc-js/wasm-graphviz '--external:@tensorflow/*' --outfile=app.js
echo "browser bundle: $(wc -c <app.js) bytes minified, $(gzip -c app.js | wc -c) gzipped"

echo "--- npx dualtape bench --smoke"
npx dualtape bench --smoke --no-progress --out report >bench.log 2>&1 || {
  cat bench.log
  echo "the installed bench command failed" >&2
  exit 1
}
grep -q "skipped: TensorFlow.js tfjs-backend-wasm float32 eager (tape): not installed: npm install" bench.log
grep -q "plots skipped: plotting needs packages that are not installed: npm install vega vega-lite" bench.log
test -s report/report.md && test -s report/results.json

echo "--- dualtape/vitest with its peers"
npm install --no-audit --no-fund "vitest@$(version vitest)" "@fast-check/vitest@$(version @fast-check/vitest)" >/dev/null
mkdir -p t
cat >t/op.test.mjs <<'TEST'
import { testOp } from 'dualtape/vitest'
import { defineOp, exp, mul } from 'dualtape'
import { arrays, opCase, shapes } from 'dualtape/check'

const myExp = defineOp({
  name: 'myExp',
  impl: ([x]) => exp(x),
  jvp: ({ dx: [dx], y }) => mul(dx, y),
  vjp: ({ ct, y }) => [mul(ct, y)],
})
testOp(myExp, { arbitraries: opCase([arrays(shapes(), 'real')]) })
TEST
npx vitest run --root . t/op.test.mjs
echo "the package works as installed"
