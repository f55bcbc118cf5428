// @hotpath/metrics on the sample service: the orders-api (optimized profile) in its own process, once with
// METRICS=on and once with METRICS=off, both running side by side in this run; a closed-model @hotpath/load run
// (its own process, fixed concurrency) on the cached routes GET /products/:id and GET /orders/:id, warmed so every
// read is an L1 hit (the order's prices and shipping quote from the HTTP cache). The figure is the service
// process's CPU time per request (process.cpuUsage over the window, reported over IPC; a full GC before each window).
// Target (issue 14): metrics on costs at most 1.15x the CPU per request of metrics off.
import { type ChildProcess, execFile, fork } from 'node:child_process'
import { expectSame } from '../src/check.ts'
import { recordWindow } from '../src/measure.ts'
import { defineSuite } from '../src/suite.ts'

const serviceScript = new URL('./orders-metrics/service.ts', import.meta.url).pathname
const loadChild = new URL('./load/hotpath-child.mjs', import.meta.url).pathname
const CONNECTIONS = 16
const WINDOW_MS = 4_000
/** The small seed has 1,000 products and 1,000 orders: this many of each are read (and cached). */
const HOT = 500
const scenario = {
  requests: [
    { name: 'product', path: `/products/{{int 1 ${HOT}}}`, expect: { status: 200 } },
    { name: 'order', path: `/orders/{{int 1 ${HOT}}}`, expect: { status: 200 } },
  ],
}

interface Service {
  child: ChildProcess
  url: string
  ask(type: 'gc' | 'start' | 'stop'): Promise<{ cpuUs?: number; requests?: number }>
}
const services: Partial<Record<'on' | 'off', Service>> = {}

async function startService(metrics: 'on' | 'off'): Promise<Service> {
  const child = fork(serviceScript, [], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, METRICS: metrics, MODE: 'optimized' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`service (METRICS=${metrics}) exited with ${code}`)))
    child.once('message', (m: { type: string; port: number }) => resolve(m.port))
  })
  const ask: Service['ask'] = (type) =>
    new Promise((resolve) => {
      const on = (m: { type: string; cpuUs?: number; requests?: number }) => {
        if (m.type !== type) return
        child.off('message', on)
        resolve(m)
      }
      child.on('message', on)
      child.send({ type })
    })
  return { child, url: `http://127.0.0.1:${port}/`, ask }
}

interface LoadRun {
  requests: number
  errors: number
  rps: number
}
function load(url: string, duration: number): Promise<LoadRun> {
  const options = JSON.stringify({ scenario, connections: CONNECTIONS, duration })
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [loadChild, url, options], { timeout: duration + 30_000 }, (error, stdout) => {
      if (error) reject(error)
      else resolve(JSON.parse(stdout) as LoadRun)
    })
  })
}

/** One window: GC, then the service's CPU µs per request over a closed-model run. */
async function cpuPerRequest(which: 'on' | 'off'): Promise<number> {
  const service = services[which]!
  await service.ask('gc')
  await service.ask('start')
  const started = performance.now()
  const run = await load(service.url, WINDOW_MS)
  const { cpuUs = 0, requests = 0 } = await service.ask('stop')
  if (requests <= 0 || run.errors > 0)
    throw new Error(`METRICS=${which}: ${requests} requests, ${run.errors} errors`)
  recordWindow({ ops: requests, wallMs: performance.now() - started, cpuUs })
  return cpuUs / requests
}

/** Both routes answer 200 with their bodies; /metrics exists (and counted the reads) only with metrics on. */
async function check(which: 'on' | 'off'): Promise<void> {
  const { url } = services[which]!
  const product = (await (await fetch(`${url}products/7`)).json()) as { id: number }
  expectSame(product.id, 7, `METRICS=${which} GET /products/7`)
  const order = (await (await fetch(`${url}orders/7`)).json()) as { id: number; total?: unknown }
  expectSame([order.id, typeof order.total], [7, 'object'], `METRICS=${which} GET /orders/7`)
  const scrape = await fetch(`${url}metrics`)
  const text = await scrape.text()
  if (which === 'off') expectSame(scrape.status, 404, 'METRICS=off has no /metrics')
  else {
    const counted =
      /^http_server_request_duration_seconds_count\{[^}]*http_route="\/orders\/:id"[^}]*\} (\d+)/m.exec(text)
    if (!counted || Number(counted[1]) < 1) throw new Error('METRICS=on did not count GET /orders/:id')
  }
}

export default defineSuite({
  name: 'orders-metrics',
  title: `@hotpath/metrics on the orders-api: service CPU per request on cached routes, ${CONNECTIONS} connections (closed model)`,
  unit: 'µs CPU/req',
  better: 'lower',
  rounds: 5,
  baseline: 'METRICS=off',
  async setup() {
    services.off = await startService('off')
    services.on = await startService('on')
    // Fills the caches (every hot product and order, their prices and quotes) and warms the JIT.
    for (const s of [services.off, services.on]) await load(s.url, 3_000)
  },
  async teardown() {
    for (const s of Object.values(services)) s?.child.kill('SIGTERM')
  },
  contenders: [
    {
      name: 'METRICS=off',
      config: 'no @hotpath/metrics: no subscriptions, request histogram, runtime instruments or /metrics',
      measure: () => cpuPerRequest('off'),
      check: () => check('off'),
    },
    {
      name: 'METRICS=on',
      config: 'the default: instrument() + observe(db, cache, http), the Fastify plugin, runtime instruments',
      measure: () => cpuPerRequest('on'),
      check: () => check('on'),
    },
  ],
  targets: [{ name: 'METRICS=on', vs: 'METRICS=off', atMost: 1.15 }],
})
