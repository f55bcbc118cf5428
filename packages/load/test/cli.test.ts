// The CLI: thresholds and exit codes 0/1/2, --json schema, --html, compare (text and Markdown). main(argv, io) runs
// in-process with captured streams; only the process boundary itself (the bin launcher, Ctrl-C) spawns a process.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isHotpathError } from '@hotpath/core'
import { eventually } from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.ts'
import { LoadUsageError } from '../src/errors.ts'
import { startTarget, type TargetProcess } from './servers.ts'

const cliFile = new URL('./fixtures/cli.ts', import.meta.url).pathname
let target: TargetProcess
let dir: string

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs main() in-process, capturing what it writes; CI is set, so no live progress. */
async function cli(args: string[]): Promise<Run> {
  let stdout = ''
  let stderr = ''
  const sink = (append: (text: string) => void) => ({
    write: (chunk: string | Uint8Array): boolean => {
      append(String(chunk))
      return true
    },
  })
  const code = await main(args, {
    stdout: sink((t) => {
      stdout += t
    }),
    stderr: sink((t) => {
      stderr += t
    }),
    env: { CI: 'true' },
  })
  return { code, stdout, stderr }
}

beforeAll(async () => {
  target = await startTarget({ mode: 'constant', ms: 2 })
  dir = await mkdtemp(join(tmpdir(), 'hotpath-load-cli-'))
})
afterAll(async () => {
  await target?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('hotpath-load CLI (main in-process)', () => {
  it('exit 0 when every threshold passes; writes the JSON result with its schema version', async () => {
    const json = join(dir, 'pass.json')
    const r = await cli([
      '-c',
      '4',
      '-d',
      '1',
      '--threshold',
      'p99<2s',
      '--threshold',
      'errors<1%',
      '--threshold',
      'rps>10',
      '--json',
      json,
      target.origin,
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('PASS  p99<2s')
    expect(r.stdout).toContain('PASS  errors<1%')
    const result = JSON.parse(await readFile(json, 'utf8'))
    expect(result.schemaVersion).toBe(3)
    expect(result.tool).toBe('@hotpath/load')
    expect(result.requests.completed).toBeGreaterThan(0)
    expect(result.statusCodes['200']).toBe(result.requests.completed)
    expect(Object.keys(result.latency)).toEqual([
      'min',
      'mean',
      'stdev',
      'p50',
      'p75',
      'p90',
      'p95',
      'p99',
      'p99_9',
      'max',
    ])
    expect(result.timeseries.length).toBeGreaterThanOrEqual(1)
    expect(typeof result.histogram).toBe('string')
    expect(result.thresholds.map((t: { pass: boolean }) => t.pass)).toEqual([true, true, true])
  })

  it('exit 1 when a threshold fails, and the report says which', async () => {
    const r = await cli([
      '-c',
      '2',
      '-d',
      '0.5',
      '--threshold',
      'p50<1us',
      '--threshold',
      'errors<1%',
      target.origin,
    ])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/FAIL {2}p50<1us {2}\(actual [\d.]+ms\)/)
    expect(r.stdout).toContain('PASS  errors<1%')
    expect(r.stderr).toContain('1 threshold(s) failed: p50<1us')
  })

  it('exit 2 for a mistyped metric, pointing at it with a suggestion', async () => {
    const r = await cli(['--threshold', 'p99x<50ms', target.origin])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown metric "p99x"; did you mean "p99"?')
    expect(r.stderr).toContain('  p99x<50ms\n  ^')
    expect(r.stdout).toBe('')
  })

  it('exit 2 for a bad unit, operator or number, pointing at the mistake', async () => {
    const unit = await cli(['--threshold', 'p99<50xs', target.origin])
    expect(unit.code).toBe(2)
    expect(unit.stderr).toContain('unknown unit "xs" for p99 (allowed: us, ms, s; default ms)')
    expect(unit.stderr).toContain('  p99<50xs\n        ^')
    const op = await cli(['--threshold', 'p99=50ms', target.origin])
    expect(op.code).toBe(2)
    expect(op.stderr).toContain('operator "=" is not supported')
    const num = await cli(['--threshold', 'rps>lots', target.origin])
    expect(num.code).toBe(2)
    expect(num.stderr).toContain('expected a number')
  })

  it('exit 2 for a bad URL, a bad duration, an unknown flag or a missing URL', async () => {
    const url = await cli(['-d', '1', 'not a url'])
    expect(url.code).toBe(2)
    expect(url.stderr).toContain('invalid option "url": received "not a url"')
    const ftp = await cli(['ftp://127.0.0.1/'])
    expect(ftp.code).toBe(2)
    expect(ftp.stderr).toContain('expected an http: or https: URL')
    const dur = await cli(['-d', '10x', target.origin])
    expect(dur.code).toBe(2)
    expect(dur.stderr).toContain('invalid --duration "10x"')
    const flag = await cli(['--conections', '5', target.origin])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain("Unknown option '--conections'")
    const none = await cli([])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('missing <url>')
    const stages = await cli(['--stages', '10s:100,oops', target.origin])
    expect(stages.code).toBe(2)
    expect(stages.stderr).toContain('bad stage "oops"')
  })

  it('usage mistakes are coded errors (LoadUsageError), never plain ones', async () => {
    const error = new LoadUsageError('missing <url>')
    expect(isHotpathError(error)).toBe(true)
    expect(error.code).toBe('HOTPATH_LOAD_USAGE')
    const r = await cli(['--connections'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("Option '-c, --connections <value>' argument missing")
  })

  it('--help prints usage and exits 0', async () => {
    const r = await cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('hotpath-load compare <before.json> <after.json>')
  })

  it('compare prints a before/after table with ratios, as text and as Markdown', async () => {
    const a = join(dir, 'a.json')
    const b = join(dir, 'b.json')
    expect((await cli(['-c', '1', '-d', '0.5', '--json', a, target.origin])).code).toBe(0)
    expect((await cli(['-c', '4', '-d', '0.5', '--json', b, target.origin])).code).toBe(0)
    const ra = JSON.parse(await readFile(a, 'utf8'))
    const rb = JSON.parse(await readFile(b, 'utf8'))
    const text = await cli(['compare', a, b])
    expect(text.code).toBe(0)
    const rpsLine = text.stdout.split('\n').find((l) => l.startsWith('rps'))!
    const ratio = rb.throughput.rps / ra.throughput.rps
    expect(rpsLine).toContain(`${ratio.toFixed(2)}x`)
    expect(rpsLine).toMatch(/better|worse|=/)
    expect(text.stdout).toMatch(/^metric +before +after +ratio/)
    const md = await cli(['compare', '--markdown', a, b])
    expect(md.code).toBe(0)
    const lines = md.stdout.trim().split('\n')
    expect(lines[0]).toBe('| metric | before | after | ratio |  |')
    expect(lines[1]).toBe('| --- | ---: | ---: | ---: | --- |')
    expect(lines.find((l) => l.startsWith('| p99 |'))).toMatch(
      /^\| p99 \| [\d.]+(ms|µs|s) \| [\d.]+(ms|µs|s) \| [\d.]+x \|/,
    )
  })

  it('compare refuses files that are not results (exit 2, names the file)', async () => {
    const bad = join(dir, 'bad.json')
    await writeFile(bad, '{"hello":1}')
    const r = await cli(['compare', bad, bad])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`invalid result file ${bad}: not a hotpath-load JSON result`)
    const missing = await cli(['compare', join(dir, 'nope.json'), bad])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('nope.json')
    const one = await cli(['compare', bad])
    expect(one.code).toBe(2)
    expect(one.stderr).toContain('compare needs two files')
  })

  it('a refused connection is reported as errors, not a crash or a hang; thresholds then fail with exit 1', async () => {
    const r = await cli(['-c', '2', '-d', '0.5', '--threshold', 'errors<1%', 'http://127.0.0.1:9/'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/Errors {4}ECONNREFUSED: \d+/)
    expect(r.stdout).toContain('FAIL  errors<1%')
  })
})

describe('hotpath-load as a real process', () => {
  it('the published bin launcher runs the built CLI', async (ctx) => {
    const bin = new URL('../bin/hotpath-load.js', import.meta.url).pathname
    if (!existsSync(new URL('../dist/cli.mjs', import.meta.url))) {
      console.warn('skipping: dist/cli.mjs not built (pnpm --filter @hotpath/load build)')
      ctx.skip()
      return
    }
    const r = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [bin, '-c', '2', '-d', '0.3', '--threshold', 'errors<1%', target.origin],
        (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr })
        },
      )
    })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('PASS  errors<1%')
  })

  it('Ctrl-C (SIGINT) stops the run early; the partial result is printed and written, marked aborted; exit 130', async () => {
    const json = join(dir, 'aborted.json')
    const { received: before } = await target.stats()
    const child: ChildProcess = spawn(
      process.execPath,
      [cliFile, '-c', '2', '-d', '60s', '--json', json, target.origin],
      {
        env: { ...process.env, CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    child.stdout!.on('data', (d) => {
      stdout += d
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    // Interrupt once the run demonstrably sends (start-up time varies on a busy machine).
    await eventually(async () => (await target.stats()).received > before + 10, {
      timeoutMs: 20_000,
      what: 'the CLI to send requests',
    })
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    expect(stdout).toContain('(aborted)')
    const result = JSON.parse(await readFile(json, 'utf8'))
    expect(result.aborted).toBe(true)
    expect(result.requests.completed).toBeGreaterThan(0)
  })
})
