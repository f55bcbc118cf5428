// Environment of the sample service, validated at start: every problem is reported at once, by variable name.
// Defaults are embedded: memory cache + SQLite, no servers needed.
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { HotpathError } from '@hotpath/cache'
import type { Mode } from './services.ts'

export interface EnvConfig {
  port: number
  metricsPort: number
  host: string
  workers: number
  mode: Mode
  sqliteFile: string
  postgresUrl: string | undefined
  redisUrl: string | undefined
  upstreamOrigin: string | undefined
  seed: 'full' | 'small'
  debugToken: string | undefined
  rateLimit: number
  rateLimitWindow: number
  slowRequestThreshold: number
  maxRequests: number
  maxRequestsJitter: number
  /** `METRICS=off`: no @hotpath/metrics instrumentation (measures what it costs; see the orders-metrics benchmark). */
  metrics: boolean
}

/** The configuration is invalid; `details.problems` lists one line per variable. */
export class ConfigError extends HotpathError {
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super('ORDERS_CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    })
    this.problems = problems
  }
}

/** Every variable read, for `--help` and the README. */
export const VARIABLES: ReadonlyArray<readonly [name: string, fallback: string, meaning: string]> = [
  ['PORT', '3000', 'port to listen on (0..65535)'],
  ['HOST', '127.0.0.1', 'address to listen on'],
  [
    'MODE',
    'optimized',
    'optimized (hotpath on) or baseline (no caches, one connection, plain fetch, sync audit)',
  ],
  [
    'WORKERS',
    'min(4, os.availableParallelism())',
    'node:cluster workers sharing PORT (>= 1; 1: no cluster); a worker that dies is re-forked with backoff',
  ],
  ['MAX_REQUESTS', '0', 'cluster mode: a worker is replaced gracefully after this many requests (0: never)'],
  [
    'MAX_REQUESTS_JITTER',
    '0',
    'adds 0..this many requests to MAX_REQUESTS per worker (workers do not retire together)',
  ],
  ['METRICS_PORT', 'PORT + 1', "the cluster primary's merged /metrics, /debug/performance and /workers"],
  ['SQLITE_FILE', '$TMPDIR/hotpath-orders.db', 'embedded database (seeded on first start)'],
  ['DATABASE_URL', '-', 'postgres:// connection string: PostgreSQL instead of SQLite'],
  ['REDIS_URL', '-', 'redis:// URL: shared L2 caches, invalidation bus, idempotency keys, rate-limit counts'],
  ['UPSTREAM_URL', 'a stand-in in its own process', 'http(s) origin of the rates and shipping API'],
  [
    'SEED',
    'full',
    'full (10k products, 1k customers, 100k orders) or small (1k, 100, 1k) for an empty database',
  ],
  ['DEBUG_TOKEN', '-', 'bearer token of the /debug routes (16+ characters); unset: the routes are off'],
  [
    'METRICS',
    'on',
    'on or off: off leaves out @hotpath/metrics (no /metrics, X-Response-Time, X-Request-Count; to measure its cost)',
  ],
  ['RATE_LIMIT', '0', 'requests per client per RATE_LIMIT_WINDOW (0: no limit); 429 + Retry-After beyond'],
  ['RATE_LIMIT_WINDOW', '1000', 'window of RATE_LIMIT (ms)'],
  [
    'SLOW_REQUEST_THRESHOLD',
    '500',
    'requests at least this slow (ms) are logged on stderr with route and DB time',
  ],
]

export function helpText(): string {
  const width = Math.max(...VARIABLES.map(([n]) => n.length))
  const lines = VARIABLES.map(([n, d, m]) => `  ${n.padEnd(width)}  ${m} (default: ${d})`)
  return `orders-api: the hotpath sample service\n\nusage: node src/server.ts [--help]\n\nenvironment:\n${lines.join('\n')}\n\nThe stand-in upstream (started when UPSTREAM_URL is unset) reads UPSTREAM_LATENCY (ms, 50),\nUPSTREAM_ERROR_RATE (0..1, 0) and UPSTREAM_MAX_AGE (s, 60).\n`
}

const MODES: readonly Mode[] = ['optimized', 'baseline']

/** WORKERS when unset: the seeds' 4, capped at the cores this process may use. */
export function defaultWorkers(): number {
  return Math.min(4, availableParallelism())
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const problems: string[] = []
  const int = (name: string, fallback: number, min: number, max: number, what: string): number => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    const n = /^[0-9]+$/.test(raw.trim()) ? Number(raw) : Number.NaN
    if (!Number.isSafeInteger(n) || n < min || n > max)
      problems.push(`${name} must be ${what} (received "${raw}")`)
    return n
  }
  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const raw = env[name]
    if (raw === undefined || raw === '') return undefined
    let ok = false
    try {
      ok = protocols.includes(new URL(raw).protocol)
    } catch {}
    if (!ok)
      problems.push(
        `${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL (received "${raw}")`,
      )
    return raw
  }

  if (env.SERVICE_MODE !== undefined) problems.push('SERVICE_MODE is not read any more: use MODE')
  const mode = (env.MODE || 'optimized') as Mode
  if (!MODES.includes(mode)) problems.push(`MODE must be one of ${MODES.join(', ')} (received "${env.MODE}")`)
  const port = int('PORT', 3000, 0, 65535, 'an integer 0..65535')
  const metricsPort = int('METRICS_PORT', port + 1, 0, 65535, 'an integer 0..65535')
  const workers = int('WORKERS', defaultWorkers(), 1, 1024, 'an integer >= 1')
  const host = env.HOST ?? '127.0.0.1'
  if (host.trim() === '') problems.push('HOST must not be empty')
  const postgresUrl = url('DATABASE_URL', ['postgres:', 'postgresql:'])
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:'])
  const upstreamOrigin = url('UPSTREAM_URL', ['http:', 'https:'])
  const seed = (env.SEED || 'full') as EnvConfig['seed']
  if (seed !== 'full' && seed !== 'small')
    problems.push(`SEED must be full or small (received "${env.SEED}")`)
  const debugToken = env.DEBUG_TOKEN || undefined
  if (debugToken !== undefined && !/^[\x21-\x7e]{16,256}$/.test(debugToken))
    problems.push('DEBUG_TOKEN must be 16-256 visible ASCII characters (value not shown)')
  const metricsSwitch = env.METRICS || 'on'
  if (metricsSwitch !== 'on' && metricsSwitch !== 'off')
    problems.push(`METRICS must be on or off (received "${env.METRICS}")`)
  const rateLimit = int('RATE_LIMIT', 0, 0, 1_000_000, 'an integer >= 0')
  const rateLimitWindow = int('RATE_LIMIT_WINDOW', 1000, 1, 3_600_000, 'an integer 1..3600000 (ms)')
  const maxRequests = int('MAX_REQUESTS', 0, 0, 1_000_000_000, 'an integer >= 0')
  const maxRequestsJitter = int('MAX_REQUESTS_JITTER', 0, 0, 1_000_000_000, 'an integer >= 0')
  const slowRequestThreshold = int('SLOW_REQUEST_THRESHOLD', 500, 1, 3_600_000, 'an integer 1..3600000 (ms)')
  if (problems.length > 0) throw new ConfigError(problems)
  return {
    port,
    metricsPort,
    host,
    workers,
    mode,
    sqliteFile: env.SQLITE_FILE || join(tmpdir(), 'hotpath-orders.db'),
    postgresUrl,
    redisUrl,
    upstreamOrigin,
    seed,
    debugToken,
    rateLimit,
    rateLimitWindow,
    slowRequestThreshold,
    maxRequests,
    maxRequestsJitter,
    metrics: metricsSwitch !== 'off',
  }
}

/** readEnv for a process: `--help` prints the variables and exits 0; a bad config prints its problems and exits 2. */
export function readEnvOrExit(argv: readonly string[] = process.argv.slice(2)): EnvConfig {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText())
    process.exit(0)
  }
  const unknown = argv.filter((a) => a !== '--help' && a !== '-h')
  try {
    if (unknown.length > 0) throw new ConfigError([`unknown argument ${unknown[0]} (see --help)`])
    return readEnv()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`orders-api: ${error.message}\nRun with --help for the list of variables.\n`)
    process.exit(2)
  }
}
