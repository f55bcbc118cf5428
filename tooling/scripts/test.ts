#!/usr/bin/env node
// `pnpm test`: builds once, then runs the test tasks in two lanes side by side, one package at a time per lane,
// so at most two suites share the two cores of the reference machine (each suite judges timings against what its
// real servers recorded and passes with another process busy on a core, which is what the other lane is):
//  - lane 1: the four heaviest suites (load, cache, db, http);
//  - lane 2: every other package (a new package lands here by itself), then the package-check's own tests and
//    `check:packages` (pack, install, import, type-check the built dist).
// Both lanes run with `--only`: the build already ran, so no lane rebuilds a dist another one is reading.
// Exits non-zero when the build or a lane fails; each lane still runs to the end (`--continue`).
import { spawn } from 'node:child_process'

const extra = process.argv.slice(2).filter((arg) => arg !== '--')
const HEAVY = ['@hotpath/load', '@hotpath/cache', '@hotpath/db', '@hotpath/http']
const PACKAGE_CHECK = '@hotpath/package-check'

function turbo(label: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('turbo', ['run', ...args, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
    // Whole lines only, so the lanes never interleave inside a line.
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

const tests = ['test', '--only', '--continue', '--concurrency=1']
const started = Date.now()
const build = await turbo('[build]', ['build', '--output-logs=errors-only'])
if (build !== 0) process.exit(build)

const lanes = await Promise.all([
  turbo('[lane 1]', [...tests, ...HEAVY.map((p) => `--filter=${p}`)]),
  (async () => {
    const rest = await turbo('[lane 2]', [...tests, ...[...HEAVY, PACKAGE_CHECK].map((p) => `--filter=!${p}`)])
    const packaging = await turbo('[lane 2]', [
      'test',
      'check:packages',
      '--only',
      '--continue',
      '--concurrency=1',
      `--filter=${PACKAGE_CHECK}`,
    ])
    return rest !== 0 ? rest : packaging
  })(),
])
const seconds = Math.round((Date.now() - started) / 1000)
const verdict = lanes.map((code, i) => `lane ${i + 1} ${code === 0 ? 'ok' : 'FAILED'}`).join(', ')
console.log(`pnpm test: ${verdict} (${Math.floor(seconds / 60)}m${seconds % 60}s)`)
process.exit(lanes.find((code) => code !== 0) ?? 0)
