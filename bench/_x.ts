import { compareFiles } from './compare.js'
const c = await compareFiles('/tmp/run1.json', '/tmp/run2.json')
const flagged = c.changes.filter((x) => x.verdict === 'up' || x.verdict === 'down')
const mags = flagged.map((x) => Math.abs(Math.log(x.change.median))).sort((a, b) => a - b)
const q = (p: number) => Math.exp(mags[Math.floor(p * (mags.length - 1))]!)
console.log(flagged.length, 'median', q(0.5), 'p75', q(0.75), 'p90', q(0.9), 'max', q(1))
const all = c.changes
  .filter((x) => x.verdict !== 'unknown')
  .map((x) => Math.abs(Math.log(x.change.median)))
  .sort((a, b) => a - b)
console.log(
  'all',
  all.length,
  Math.exp(all[Math.floor(0.5 * all.length)]!),
  Math.exp(all[Math.floor(0.9 * all.length)]!),
  Math.exp(all[Math.floor(0.95 * all.length)]!),
)
for (const x of flagged.filter((x) => Math.abs(Math.log(x.change.median)) > Math.log(1.25)))
  console.log(x.suite, x.row, x.column, x.change.median.toFixed(2))
