// The hotpath-load CLI. Exit codes: 0 all thresholds pass, 1 a threshold failed (or the run failed), 2 invalid usage,
// 130 interrupted (Ctrl-C / SIGINT: the partial result is printed and written, whatever its thresholds say).
import { readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { isHotpathError } from '@hotpath/core'
import { compareCommand, mergeCommand } from './cli-commands.ts'
import { type CliIo, parsing, processIo } from './cli-io.ts'
import type { LoadErrorCode } from './error-codes.ts'
import { LoadUsageError } from './errors.ts'
import { renderHtmlReport } from './html.ts'
import type { LoadOptions } from './options.ts'
import { createProgressWriter } from './progress.ts'
import { formatResult } from './report-text.ts'
import { RESULT_SCHEMA_VERSION } from './result.ts'
import { runLoad } from './run.ts'
import { parseDuration } from './units.ts'

export const usage: string = `Usage:
  hotpath-load [options] <url>
  hotpath-load run <scenario.mjs|.ts|.json> [options] <url>
  hotpath-load compare <before.json> <after.json> [--markdown] [--fail-if 'p99>+10%' ...] [--allow-mismatch]
  hotpath-load merge <a.json> <b.json> ... [--json <file>] [--html <file>] [--threshold <expr> ...]

Load model (closed by default):
  -c, --connections <n>     connections (default 10)
  -p, --pipelining <n>      requests in flight per connection (default 1)
  -R, --rate <n>            open model: requests per second on a fixed schedule
      --model <open|closed> model for --stages (default closed)
      --catch-up <policy>   open model, sends behind schedule: burst-2x (default, at most 2x the rate) or drop
      --stages <list>       ramp, e.g. 10s:100,30s:1000,10s:0 (rate or connections; 30:100 = 30 s)
  -d, --duration <time>     run length: 10s, 2m, 500ms; a bare number is seconds (default 10s)
      --warmup <time>       warm-up run before the measured one, same model/rate, not recorded
  -n, --amount <n>          stop after n iterations
  -w, --workers <n>         worker threads (default 1)
      --segment <i>/<n>     run segment i of n of the test (every n-th send/connection/iteration); merge the results
      --start-at <time>     start the measured schedule at this ISO 8601 time (align the segments' processes)
Requests:
  -m, --method <method>     HTTP method (default GET)
  -H, --header <k: v>       request header (repeatable)
  -b, --body <text>         request body
      --scenario <file>     scenario file (.json, .js, .mjs, .ts): an object, or a function per iteration
  -t, --timeout <time>      per-request deadline (default 10s)
      --transport <t>       raw (default, http: and https:) or undici (default with --http2)
  -k, --insecure            https: accept any certificate (self-signed): no verification
      --ca <file>           https: trust this CA certificate (PEM file), e.g. a self-signed target's
      --http2               offer HTTP/2 (h2 via ALPN on https:, h2c on http:); default HTTP/1.1 only
Output:
      --json <file>         write the result as JSON (schemaVersion ${RESULT_SCHEMA_VERSION})
      --html <file>         write a self-contained HTML report
      --threshold <expr>    e.g. "p99<50ms", "errors<1%", "rps>1000" (repeatable); exit 1 when one fails
  -q, --quiet               no live progress
  -h, --help                this help
`

function cliDuration(name: string, text: string): number {
  const ms = parseDuration(text)
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new LoadUsageError(
      `invalid --${name} "${text}": expected a duration like 10s, 500ms, 2m or a number of seconds`,
    )
  }
  return ms
}

function cliTime(text: string): string {
  if (!Number.isFinite(Date.parse(text))) {
    throw new LoadUsageError(
      `invalid --start-at "${text}": expected an ISO 8601 time like 2026-12-02T10:00:00Z`,
    )
  }
  return text
}

async function readCa(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new LoadUsageError(`invalid --ca "${file}": ${(error as Error).message}`, error)
  }
}

function cliInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text.trim()))
    throw new LoadUsageError(`invalid --${name} "${text}": expected a positive integer`)
  return Number(text)
}

function cliNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new LoadUsageError(`invalid --${name} "${text}": expected a number > 0`)
  return n
}

/**
 * Runs the CLI with `argv` (without node and script); resolves with the exit code (0 pass, 1 threshold failed or
 * run failed, 2 invalid usage, 130 interrupted). Never rejects: every failure is written to `io.stderr`.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const out = io.stdout
  const err = io.stderr
  try {
    if (argv[0] === 'compare') return await compareCommand(argv.slice(1), out)
    if (argv[0] === 'merge') return await mergeCommand(argv.slice(1), out, err)
    if (argv[0] === 'run') {
      // `run <scenario> [options] <url>`: the scenario file (declarative or programmable) as --scenario.
      if (argv[1] === undefined || argv[1].startsWith('-')) {
        throw new LoadUsageError('run needs a scenario file: run <scenario.mjs|.ts|.json> [options] <url>')
      }
      argv = ['--scenario', argv[1], ...argv.slice(2)]
    }
    const { values, positionals } = parsing(() =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: {
          connections: { type: 'string', short: 'c' },
          pipelining: { type: 'string', short: 'p' },
          rate: { type: 'string', short: 'R' },
          model: { type: 'string' },
          stages: { type: 'string' },
          duration: { type: 'string', short: 'd' },
          amount: { type: 'string', short: 'n' },
          workers: { type: 'string', short: 'w' },
          method: { type: 'string', short: 'm' },
          header: { type: 'string', short: 'H', multiple: true },
          body: { type: 'string', short: 'b' },
          scenario: { type: 'string' },
          transport: { type: 'string' },
          insecure: { type: 'boolean', short: 'k' },
          ca: { type: 'string' },
          http2: { type: 'boolean' },
          segment: { type: 'string' },
          'start-at': { type: 'string' },
          timeout: { type: 'string', short: 't' },
          warmup: { type: 'string' },
          'catch-up': { type: 'string' },
          json: { type: 'string' },
          html: { type: 'string' },
          threshold: { type: 'string', multiple: true },
          quiet: { type: 'boolean', short: 'q' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    )
    if (values.help) {
      out.write(usage)
      return 0
    }
    if (positionals.length !== 1)
      throw new LoadUsageError(
        positionals.length === 0 ? 'missing <url>' : `expected one <url>, got: ${positionals.join(' ')}`,
      )
    const headers: Record<string, string> = {}
    for (const h of values.header ?? []) {
      const i = h.indexOf(':')
      if (i <= 0) throw new LoadUsageError(`invalid --header "${h}": expected "name: value"`)
      headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim()
    }
    if (values.model !== undefined && values.model !== 'open' && values.model !== 'closed') {
      throw new LoadUsageError(`invalid --model "${values.model}": expected open or closed`)
    }
    const controller = new AbortController()
    const progress = createProgressWriter(err, !values.quiet, io.env ?? process.env)
    const options: LoadOptions = {
      url: positionals[0]!,
      method: values.method,
      headers: Object.keys(headers).length > 0 ? headers : undefined,
      body: values.body,
      scenario: values.scenario,
      transport: values.transport as 'raw' | 'undici' | undefined,
      insecure: values.insecure,
      ca: values.ca === undefined ? undefined : await readCa(values.ca),
      http2: values.http2,
      segment: values.segment,
      startAt: values['start-at'] === undefined ? undefined : cliTime(values['start-at']),
      model: values.model as 'open' | 'closed' | undefined,
      connections: cliInt('connections', values.connections),
      pipelining: cliInt('pipelining', values.pipelining),
      rate: cliNumber('rate', values.rate),
      stages: values.stages,
      duration: values.duration === undefined ? undefined : cliDuration('duration', values.duration),
      amount: cliInt('amount', values.amount),
      workers: cliInt('workers', values.workers),
      timeout: values.timeout === undefined ? undefined : cliDuration('timeout', values.timeout),
      catchUp: values['catch-up'] as 'burst-2x' | 'drop' | undefined,
      warmup: values.warmup === undefined ? undefined : cliDuration('warmup', values.warmup),
      thresholds: values.threshold,
      signal: controller.signal,
      onProgress: (p) => progress.update(p),
    }
    for (const [k, v] of Object.entries(options))
      if (v === undefined) delete (options as unknown as Record<string, unknown>)[k]
    let interrupted = false
    const stopListening = io.onInterrupt?.(() => {
      interrupted = true
      controller.abort()
    })
    let result: Awaited<ReturnType<typeof runLoad>>
    try {
      result = await runLoad(options)
    } finally {
      stopListening?.()
      progress.done()
    }
    out.write(`${formatResult(result)}\n`)
    if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`)
    if (values.html) await writeFile(values.html, renderHtmlReport(result))
    const failed = result.thresholds.filter((t) => !t.pass)
    if (failed.length > 0) {
      err.write(`\n${failed.length} threshold(s) failed: ${failed.map((t) => t.expression).join(', ')}\n`)
    }
    // An interrupted run is never a pass: a partial result proves nothing about the full one.
    if (interrupted) {
      err.write('\nhotpath-load: interrupted: the result covers the part that ran (exit 130)\n')
      return EXIT_INTERRUPTED
    }
    return failed.length > 0 ? 1 : 0
  } catch (error) {
    if (isHotpathError(error) && usageCodes.has(error.code)) {
      err.write(`hotpath-load: ${error.message}\nRun "hotpath-load --help" for usage.\n`)
      return 2
    }
    err.write(
      `hotpath-load: ${isHotpathError(error) ? `${error.code}: ` : ''}${(error as Error)?.message ?? String(error)}\n`,
    )
    return 1
  }
}

/** Exit code of a run stopped by Ctrl-C (SIGINT), the shell convention 128 + 2. */
export const EXIT_INTERRUPTED = 130

/** Codes that mean the user asked for something invalid: exit code 2. */
const usageCodes: ReadonlySet<string> = new Set([
  'HOTPATH_LOAD_USAGE',
  'HOTPATH_LOAD_INVALID_OPTION',
  'HOTPATH_LOAD_INVALID_THRESHOLD',
  'HOTPATH_LOAD_INVALID_SCENARIO',
  'HOTPATH_LOAD_INVALID_RESULT',
  'HOTPATH_LOAD_MERGE_MISMATCH',
] satisfies LoadErrorCode[])

export type { CliIo } from './cli-io.ts'
