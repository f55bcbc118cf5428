#!/usr/bin/env node
// `pnpm test`: builds once, then runs two lanes side by side.
//  - timing: every package's Vitest suite, one package at a time (they start real servers and judge timings
//    against what those servers recorded, so they must not compete with each other for the two cores);
//  - packaging: the package-check's own tests and `check:packages` (pack, install, import, type-check), which
//    only read the built dist and do not depend on timing.
// Both lanes run with `--only`: the build already ran, so neither rebuilds a dist the other is reading.
// Exits non-zero when the build or either lane fails; each lane still runs to the end (`--continue`).
import { spawn } from 'node:child_process'

const extra = process.argv.slice(2).filter((arg) => arg !== '--')

function turbo(label: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('turbo', ['run', ...args, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
    // Whole lines only, so the two lanes never interleave inside a line.
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      let pending = ''
      from.setEncoding('utf8')
      from.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n')
        pending = lines.pop() ?? ''
        if (lines.length > 0) to.write(lines.map((line) => `${label} ${line}\n`).join(''))
      })
      from.on('end', () => {
        if (pending) to.write(`${label} ${pending}\n`)
      })
    }
    child.on('error', (error) => {
      console.error(`${label} could not start turbo: ${error.message}`)
      resolve(1)
    })
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}

const started = Date.now()
const build = await turbo('[build]', ['build', '--output-logs=errors-only'])
if (build !== 0) process.exit(build)

const [timing, packaging] = await Promise.all([
  turbo('[timing]', ['test', '--only', '--continue', '--concurrency=1', '--filter=!@hotpath/package-check']),
  turbo('[packaging]', ['test', 'check:packages', '--only', '--continue', '--filter=@hotpath/package-check']),
])
const seconds = Math.round((Date.now() - started) / 1000)
console.log(`pnpm test: timing lane ${timing === 0 ? 'ok' : 'FAILED'}, packaging lane ${packaging === 0 ? 'ok' : 'FAILED'} (${Math.floor(seconds / 60)}m${seconds % 60}s)`)
process.exit(timing !== 0 ? timing : packaging)
