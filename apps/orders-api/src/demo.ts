// `pnpm demo`: the service in the `baseline` profile (no caches, a pool of 1, a plain fetch per upstream call,
// synchronous audit inserts) and the `optimized` one, driven by @hotpath/load in its own process through one mixed
// scenario (src/demo-scenario.ts): closed model for peak throughput, then the open model at a fixed rate the
// baseline can almost sustain. Prints before/after tables, writes the JSON results and HTML reports.
// Embedded: SQLite + in-memory caches + the stand-in upstream in its own process; no server to install.
import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createDatabase, sqlite } from '@hotpath/db'
import { type LoadResult, renderHtmlReport } from '@hotpath/load'
import { buildApp } from './app.ts'
import { FULL_SEED, type SeedSize, SMALL_SEED, seed } from './seed.ts'
import { createServices, type Mode, type Services } from './services.ts'
import { UPSTREAM_LATENCY, type Upstream } from './upstream.ts'
import { startUpstreamProcess } from './upstream-process.ts'

export interface DemoOptions {
  /** CI: the small seed and short phases. */
  quick?: boolean
  /** Measured time of each phase (ms). Default 20 s (quick: 1 s). */
  duration?: number
  /** Unmeasured warm-up of each profile before its phases (ms; 0: none). Default 3 s (quick: none). */
  warmup?: number
  /** Closed-model connections. Default 32. */
  connections?: number
  /** The open model's rate as a share of the baseline's closed-model throughput. Default 0.7. */
  openShare?: number
  /** Where the JSON results, HTML reports and summary go. Default: a `demo-results` folder in the cwd. */
  outDir?: string
  /** Stand-in upstream latency (ms). Default UPSTREAM_LATENCY (50: see upstream.ts). */
  upstreamLatency?: number
  log?: (line: string) => void
}

export interface PhaseRun {
  mode: Mode
  model: 'closed' | 'open'
  rate: number | undefined
  result: LoadResult
  /** API requests the service answered during the phase (warm-up included; the denominators below). */
  served: number
  /** Service cache hit rate (undefined in baseline: no cache). */
  hitRate: number | undefined
  dbQueriesPerRequest: number
  upstreamCallsPerRequest: number
}

export interface DemoResult {
  closed: [PhaseRun, PhaseRun]
  open: [PhaseRun, PhaseRun]
  rate: number
  tables: { closed: string; open: string }
  /** The load generator's own warnings per phase (e.g. it was the bottleneck on a busy machine). */
  warnings: string[]
  files: string[]
}

const scenarioFile = new URL('./demo-scenario.ts', import.meta.url).pathname
const loadProcess = new URL('./load-process.ts', import.meta.url).pathname

function fmt(n: number | undefined, digits = 1): string {
  return n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : 'n/a'
}

/** Markdown before/after table with ratios (the ratio is always "how many times better"). */
export function beforeAfterTable(before: PhaseRun, after: PhaseRun): string {
  const pct = (v: number | undefined) => (v === undefined ? undefined : v * 100)
  const rows: Array<[string, number | undefined, number | undefined, 'higher' | 'lower' | 'none', number]> = [
    ['throughput (req/s)', before.result.throughput.rps, after.result.throughput.rps, 'higher', 1],
    ['latency p50 (ms)', before.result.latency.p50, after.result.latency.p50, 'lower', 2],
    ['latency p95 (ms)', before.result.latency.p95, after.result.latency.p95, 'lower', 2],
    ['latency p99 (ms)', before.result.latency.p99, after.result.latency.p99, 'lower', 2],
    ['errors', before.result.requests.errors, after.result.requests.errors, 'lower', 0],
    ['cache hit rate (%)', pct(before.hitRate), pct(after.hitRate), 'none', 1],
    ['DB queries / request', before.dbQueriesPerRequest, after.dbQueriesPerRequest, 'lower', 2],
    ['upstream calls / request', before.upstreamCallsPerRequest, after.upstreamCallsPerRequest, 'lower', 3],
  ]
  const lines = ['| metric | before (baseline) | after (hotpath) | change |', '| --- | ---: | ---: | ---: |']
  for (const [name, b, a, better, digits] of rows) {
    let change = ''
    if (b !== undefined && a !== undefined && better !== 'none') {
      const ratio = better === 'higher' ? a / b : b / a
      change =
        b === 0 && a === 0
          ? '='
          : Number.isFinite(ratio) && ratio > 0
            ? `${fmt(ratio, 2)}x ${better === 'higher' ? 'more' : 'less'}`
            : a === 0
              ? 'none left'
              : 'n/a'
    }
    lines.push(`| ${name} | ${fmt(b, digits)} | ${fmt(a, digits)} | ${change} |`)
  }
  return lines.join('\n')
}

interface Snapshot {
  served: number
  queries: number
  upstream: number
  hits: number
  misses: number
}

async function snapshot(services: Services, upstream: Upstream): Promise<Snapshot> {
  const cache = services.cache?.stats()
  return {
    served: services.counters.requests,
    queries: services.db.stats().queries.reduce((sum, q) => sum + q.count, 0),
    upstream: await upstream.count(),
    hits: cache ? cache.l1Hits + cache.l2Hits : 0,
    misses: cache ? cache.misses : 0,
  }
}

/** Runs @hotpath/load in a child process (its own CPU, its own event loop) and reads its result. */
async function runLoadProcess(
  options: Record<string, unknown>,
  dir: string,
  size: SeedSize,
): Promise<LoadResult> {
  const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`
  const optionsFile = join(dir, `load-${id}.json`)
  const resultFile = join(dir, `result-${id}.json`)
  await writeFile(optionsFile, JSON.stringify(options))
  const child = spawn(process.execPath, [loadProcess, optionsFile, resultFile], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      DEMO_PRODUCTS: String(size.products),
      DEMO_ORDERS: String(size.orders),
      DEMO_CUSTOMERS: String(size.customers),
    },
  })
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)))
  if (code !== 0) throw new Error(`the load process exited with ${code}`)
  const { readFile } = await import('node:fs/promises')
  return JSON.parse(await readFile(resultFile, 'utf8')) as LoadResult
}

interface Running {
  services: Services
  url: string
  close(): Promise<void>
}

async function startMode(
  mode: Mode,
  sqliteFile: string,
  upstream: Upstream,
  slowLines: string[],
): Promise<Running> {
  const services = createServices({
    mode,
    sqliteFile,
    upstreamOrigin: upstream.origin,
    // The slow-request log goes to a file of the results, not into the table's output.
    slowRequestWrite: (line) => {
      if (slowLines.length < 10_000) slowLines.push(line)
    },
  })
  const app = buildApp(services)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    services,
    url: `http://127.0.0.1:${port}/`,
    async close() {
      await app.close()
      await services.close()
    },
  }
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const quick = options.quick ?? false
  const duration = options.duration ?? (quick ? 1_000 : 20_000)
  const connections = options.connections ?? 32
  const warmup = options.warmup ?? (quick ? 0 : 3_000)
  const openShare = options.openShare ?? 0.7
  const log = options.log ?? ((line: string) => console.log(line))
  const size = quick ? SMALL_SEED : FULL_SEED
  const outDir = resolve(options.outDir ?? 'demo-results')
  const dir = await mkdtemp(join(tmpdir(), 'hotpath-demo-'))
  const upstreamLatency = options.upstreamLatency ?? UPSTREAM_LATENCY
  const upstream = await startUpstreamProcess({ latency: upstreamLatency })
  const running: Running[] = []
  try {
    const template = join(dir, 'seed.db')
    log(`stand-in upstream in its own process: ${upstreamLatency} ms per answer`)
    log(
      `seeding SQLite: ${size.products.toLocaleString('en')} products, ${size.customers.toLocaleString('en')} customers, ${size.orders.toLocaleString('en')} orders ...`,
    )
    const seeding = createDatabase({ driver: sqlite({ filename: template }), queryCache: false })
    const seededIn = performance.now()
    await seed(seeding, size)
    await seeding.close()
    log(`  seeded in ${((performance.now() - seededIn) / 1000).toFixed(1)} s`)

    /** Warm-up, not measured: a running service has warm caches (and SQLite its page cache) in both profiles. */
    const warmUp = async (mode: Mode, target: Running) => {
      if (warmup <= 0) return
      log(`  ${mode}: warm-up, closed model, ${warmup / 1000} s (not measured)`)
      await runLoadProcess(
        { url: target.url, scenario: scenarioFile, duration: warmup, connections },
        dir,
        size,
      )
    }
    const phase = async (
      mode: Mode,
      target: Running,
      model: 'closed' | 'open',
      rate?: number,
    ): Promise<PhaseRun> => {
      log(
        `  ${mode}: ${model} model, ${model === 'closed' ? `${connections} connections` : `${rate} req/s`}, ${duration / 1000} s`,
      )
      const before = await snapshot(target.services, upstream)
      const result = await runLoadProcess(
        {
          url: target.url,
          scenario: scenarioFile,
          duration,
          timeout: 10_000,
          // Each phase is a fresh load process: its first second (cold JIT, new connections) is not measured,
          // for either profile (it once put a 281 ms p99 into the first second of an open phase).
          ...(warmup > 0 ? { warmup: Math.min(1_000, warmup) } : {}),
          ...(model === 'closed' ? { connections } : { rate, connections: Math.max(64, connections) }),
        },
        dir,
        size,
      )
      const after = await snapshot(target.services, upstream)
      const served = Math.max(1, after.served - before.served)
      const lookups = after.hits - before.hits + (after.misses - before.misses)
      return {
        mode,
        model,
        rate,
        result,
        served,
        hitRate: target.services.cache ? (lookups > 0 ? (after.hits - before.hits) / lookups : 0) : undefined,
        dbQueriesPerRequest: (after.queries - before.queries) / served,
        upstreamCallsPerRequest: (after.upstream - before.upstream) / served,
      }
    }

    const files: string[] = []
    await mkdir(outDir, { recursive: true })
    const keep = async (run: PhaseRun) => {
      const base = join(outDir, `${run.mode}-${run.model}`)
      await writeFile(`${base}.json`, JSON.stringify(run.result, null, 2))
      await writeFile(`${base}.html`, renderHtmlReport(run.result))
      files.push(`${base}.json`, `${base}.html`)
    }

    // Each profile gets its own copy of the seeded database, so both start from the same rows.
    await copyFile(template, join(dir, 'baseline.db'))
    await copyFile(template, join(dir, 'optimized.db'))
    const slowLines: string[] = []
    const baseline = await startMode('baseline', join(dir, 'baseline.db'), upstream, slowLines)
    running.push(baseline)
    await warmUp('baseline', baseline)
    const baselineClosed = await phase('baseline', baseline, 'closed')
    const rate = Math.max(10, Math.round(baselineClosed.result.throughput.rps * openShare))
    const baselineOpen = await phase('baseline', baseline, 'open', rate)
    await baseline.close()
    running.pop()
    const optimized = await startMode('optimized', join(dir, 'optimized.db'), upstream, slowLines)
    running.push(optimized)
    await warmUp('optimized', optimized)
    const optimizedOpen = await phase('optimized', optimized, 'open', rate)
    const optimizedClosed = await phase('optimized', optimized, 'closed')
    for (const run of [baselineClosed, baselineOpen, optimizedOpen, optimizedClosed]) await keep(run)
    const tables = {
      closed: beforeAfterTable(baselineClosed, optimizedClosed),
      open: beforeAfterTable(baselineOpen, optimizedOpen),
    }
    // The generator says when it, not the service, limited a run (an overloaded machine): never hide that.
    const warnings = [baselineClosed, baselineOpen, optimizedOpen, optimizedClosed].flatMap((run) =>
      (run.result.warnings ?? []).map((w) => `${run.mode} ${run.model}: ${w}`),
    )
    const summary = join(outDir, 'summary.md')
    await writeFile(
      summary,
      `# pnpm demo${quick ? ' --quick' : ''}\n\nStand-in upstream: ${upstreamLatency} ms per answer.\n\nClosed model (${connections} connections, ${duration / 1000} s per profile):\n\n${tables.closed}\n\nOpen model at ${rate} req/s (${Math.round(openShare * 100)} % of the baseline's closed-model throughput):\n\n${tables.open}\n${warnings.length ? `\nWarnings of the load generator:\n\n${warnings.map((w) => `- ${w}`).join('\n')}\n` : ''}`,
    )
    files.push(summary)
    const slowFile = join(outDir, 'slow-requests.log')
    await writeFile(slowFile, slowLines.join('\n'))
    files.push(slowFile)
    return {
      closed: [baselineClosed, optimizedClosed],
      open: [baselineOpen, optimizedOpen],
      rate,
      tables,
      warnings,
      files,
    }
  } finally {
    for (const r of running) await r.close()
    await upstream.close()
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      connections: { type: 'string' },
      out: { type: 'string' },
      'upstream-latency': { type: 'string' },
    },
  })
  const quick = values.quick ?? false
  const latency = values['upstream-latency']
  if (latency !== undefined && !/^\d{1,5}$/.test(latency)) {
    console.error(`--upstream-latency must be a whole number of ms (received "${latency}")`)
    process.exit(2)
  }
  console.log(
    'hotpath demo: orders-api baseline vs optimized (SQLite, in-memory caches, stand-in upstream; all on 127.0.0.1)\n',
  )
  const demo = await runDemo({
    quick,
    ...(values.duration ? { duration: Number(values.duration) * 1000 } : {}),
    ...(values.connections ? { connections: Number(values.connections) } : {}),
    ...(values.out ? { outDir: values.out } : {}),
    ...(latency !== undefined ? { upstreamLatency: Number(latency) } : {}),
  })
  console.log(`\nClosed model (peak throughput):\n\n${demo.tables.closed}\n`)
  console.log(`Open model at ${demo.rate} req/s (the same schedule for both):\n\n${demo.tables.open}\n`)
  for (const w of demo.warnings) console.log(`warning: ${w}`)
  console.log(`${demo.warnings.length ? '\n' : ''}results: ${demo.files.join(', ')}`)
  console.log(
    '\nRun the service yourself: pnpm --filter @hotpath/orders-api start  (then GET /products, /orders/1, /metrics)',
  )
}
