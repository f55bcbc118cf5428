// Contract payloads (docs/diagnostics-channels.md) published on the real channels.
import { execFile } from 'node:child_process'
import { type Channel, channel, tracingChannel } from 'node:diagnostics_channel'
import { isCI } from '@hotpath/test-helpers'

export const ch: Record<
  | 'cacheGet'
  | 'cacheEvict'
  | 'cacheFactory'
  | 'cacheL2Error'
  | 'httpRequest'
  | 'httpRetry'
  | 'dbQuery'
  | 'dbSlow'
  | 'poolAcquire'
  | 'poolRelease'
  | 'poolTimeout',
  Channel
> = {
  cacheGet: channel('hotpath:cache:get'),
  cacheEvict: channel('hotpath:cache:evict'),
  cacheFactory: channel('hotpath:cache:factory'),
  cacheL2Error: channel('hotpath:cache:l2:error'),
  httpRequest: channel('hotpath:http:request'),
  httpRetry: channel('hotpath:http:retry'),
  dbQuery: channel('hotpath:db:query'),
  dbSlow: channel('hotpath:db:slow-query'),
  poolAcquire: channel('hotpath:db:pool:acquire'),
  poolRelease: channel('hotpath:db:pool:release'),
  poolTimeout: channel('hotpath:db:pool:timeout'),
}

export function cacheGet(
  cache: string,
  result: 'hit' | 'miss' | 'stale',
  tier: 'l1' | 'l2' | 'none',
  n = 1,
): void {
  for (let i = 0; i < n; i++) ch.cacheGet.publish({ cache, key: `user:${i}`, result, tier })
}

export function httpRequest(durationMs: number, over: Record<string, unknown> = {}): void {
  ch.httpRequest.publish({
    client: 'upstream',
    method: 'GET',
    origin: 'http://127.0.0.1:9000',
    path: '/items/123',
    statusCode: 200,
    durationMs,
    cache: 'miss',
    retries: 0,
    ...over,
  })
}

const dbTracing = tracingChannel('hotpath:db:query')

/**
 * One statement as @hotpath/db publishes it: the plain hotpath:db:query event from inside the statement's
 * hotpath:db:query tracing channel run (a no-op wrapper while nobody traces).
 */
export function dbQuery(durationMs: number, over: Record<string, unknown> = {}): void {
  const event = {
    database: 'main',
    system: 'postgresql',
    namespace: 'main',
    operation: 'SELECT',
    fingerprint: 'select id, total from orders where id = ?',
    summary: 'SELECT orders',
    durationMs,
    rows: 1,
    cached: false,
    pipelined: false,
    ...over,
  }
  const trace = { ...event, collection: 'orders', sqlState: undefined }
  // as the package does: a promise-traced run (its span ends a microtask later, at asyncEnd)
  void dbTracing.tracePromise(async () => ch.dbQuery.publish(event), trace)
}

/** Exact nearest-rank percentile of a sample. */
export function exactPercentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number
}

export interface PromtoolResult {
  available: boolean
  code: number
  output: string
}

/** Runs `promtool check metrics` on an exposition; `available: false` when promtool is missing (fails under CI). */
export function promtoolCheck(text: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], { timeout: 20_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        if (isCI()) reject(new Error('promtool is required under CI (Debian package `prometheus`)'))
        else resolve({ available: false, code: -1, output: 'promtool not installed' })
        return
      }
      resolve({ available: true, code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output })
    })
    child.stdin?.end(text)
  })
}

/** Parses exposition lines into { name, labels, value } (enough for assertions; promtool does validation). */
export function samples(
  text: string,
): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = l[2] as string
    out.push({
      name: m[1] as string,
      labels,
      value: m[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[3]),
    })
  }
  return out
}
