#!/usr/bin/env node
// pnpm bench [suite ...] — runs suites from benchmarks/suites, writes results/<suite>.json and RESULTS.md.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { renderSuite, writeResultsMarkdown } from './report.ts'
import { runSuite, saveResult } from './runner.ts'

const benchDir = new URL('..', import.meta.url).pathname
const suitesDir = join(benchDir, 'suites')
const available = (await readdir(suitesDir)).filter((f) => /\.ts$/.test(f)).map((f) => f.replace(/\.ts$/, ''))
const wanted = process.argv.slice(2).filter((a) => a !== '--')

const unknown = wanted.filter((w) => !available.includes(w))
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}`)
  process.exit(2)
}

let failedTargets = 0
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n# suite ${name}`)
  const result = await runSuite(join(suitesDir, `${name}.ts`))
  await saveResult(benchDir, result)
  console.log(renderSuite(result))
  failedTargets += result.targets.filter((t) => !t.pass).length
}
const md = await writeResultsMarkdown(benchDir)
console.log(`\nwrote ${md}${failedTargets ? ` (${failedTargets} target(s) missed)` : ''}`)
