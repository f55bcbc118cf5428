#!/usr/bin/env node
// pnpm bench [suite ...] — runs suites from benchmarks/suites, writes results/<suite>.json and RESULTS.md.
// Exits 1 when a suite fails (a contender's check, a crash) so a broken benchmark cannot look green.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { updateReadmeFigures } from './readme.ts'
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
const failedSuites: string[] = []
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n# suite ${name}`)
  try {
    const result = await runSuite(join(suitesDir, `${name}.ts`))
    await saveResult(benchDir, result)
    const readme = await updateReadmeFigures(join(benchDir, '..'), result)
    console.log(renderSuite(result))
    if (readme) console.log(`updated the benchmark figures of ${readme}`)
    failedTargets += result.targets.filter((t) => !t.pass).length
  } catch (error) {
    console.error(`suite ${name} failed: ${(error as Error).message}`)
    failedSuites.push(name)
  }
}
const md = await writeResultsMarkdown(benchDir)
console.log(`\nwrote ${md}${failedTargets ? ` (${failedTargets} target(s) missed)` : ''}`)
if (failedSuites.length > 0) {
  console.error(`failed suites: ${failedSuites.join(', ')}`)
  process.exitCode = 1
}
