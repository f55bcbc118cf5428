#!/usr/bin/env node
// Totals every workspace's Vitest JSON report (test-results.json) and package-check report (check-results*.json:
// one "test" per checked package) into one plain "N passed, N failed" line.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(process.argv[2] ?? '.')
let passed = 0
let failed = 0
let skipped = 0
for (const group of ['packages', 'apps', 'tooling', '.']) {
  const base = join(root, group)
  const dirs = group === '.' ? ['benchmarks'] : existsSync(base) ? readdirSync(base) : []
  for (const dir of dirs) {
    const folder = join(group === '.' ? root : base, dir)
    const reports = existsSync(folder)
      ? readdirSync(folder).filter((f) => /^(?:test|check)-results(?:-[\w.-]+)?\.json$/.test(f))
      : []
    for (const file of reports) {
      const report = join(folder, file)
      const data = JSON.parse(readFileSync(report, 'utf8')) as {
        numPassedTests: number
        numFailedTests: number
        numPendingTests?: number
        numTodoTests?: number
      }
      passed += data.numPassedTests
      failed += data.numFailedTests
      skipped += (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0)
    }
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
