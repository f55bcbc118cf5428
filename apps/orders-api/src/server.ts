// `pnpm --filter @hotpath/orders-api start`: the service on PORT. With WORKERS > 1, node:cluster workers
// share PORT and the primary serves one merged /metrics and /debug/performance on METRICS_PORT; without
// REDIS_URL it also relays the workers' cache invalidations (the cluster IPC bus of @hotpath/cache).
import cluster, { type Worker } from 'node:cluster'
import { createServer } from 'node:http'
import { clusterBusRelay } from '@hotpath/cache'
import { createMetrics } from '@hotpath/metrics'
import { buildApp } from './app.ts'
import { readEnvOrExit } from './config.ts'
import { FULL_SEED, SMALL_SEED, seed } from './seed.ts'
import { createServices } from './services.ts'
import { startUpstreamProcess } from './upstream-process.ts'

const env = readEnvOrExit()
/** How long a recycled worker answers with Connection: close before it closes its sockets (ms). */
const DRAIN_GRACE = 1000

if (env.workers > 1 && cluster.isPrimary) {
  // The kernel hands connections to the workers (they share the listening socket). With the default
  // round-robin the primary accepts and passes each socket to a worker: one passed to a worker that was just
  // SIGKILLed (its exit not yet seen) hangs forever with 0 bytes. Shared accept never picks a dead worker.
  cluster.schedulingPolicy = cluster.SCHED_NONE
  // Without Redis the workers' caches invalidate each other over IPC: a PATCH on one worker drops the order
  // from every worker's L1. Started before the first fork, so no worker's message finds no relay.
  const busRelay = env.redisUrl ? undefined : clusterBusRelay()
  // The primary merges the workers' metrics (over IPC) and serves them on its own port.
  const listening = new Set<number>()
  const bornAt = new Map<number, number>()
  let restarts = 0
  /** Workers replaced after MAX_REQUESTS. */
  let recycled = 0
  let backoff = 100
  let stopping = false
  const primaryMetrics = createMetrics({ serviceName: 'orders-api', cluster: true })
  const metricsServer = createServer((req, res) => {
    if (req.url === '/metrics') return primaryMetrics.handler(req, res)
    if (req.url === '/workers') {
      const workers = Object.values(cluster.workers ?? {}).map((w) => ({
        id: w?.id,
        pid: w?.process.pid,
        listening: w ? listening.has(w.id) : false,
      }))
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ workers, restarts, recycled }))
      return
    }
    if (req.url === '/debug/performance') {
      // Not public, like the workers' /debug routes: off without DEBUG_TOKEN, 401 without the bearer token.
      if (!env.debugToken) return res.writeHead(404).end()
      if (req.headers.authorization !== `Bearer ${env.debugToken}`)
        return res.writeHead(401, { 'www-authenticate': 'Bearer' }).end()
      primaryMetrics.report().then(
        (report) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(report)),
        (error: Error) => res.writeHead(500).end(error.message),
      )
      return
    }
    res.writeHead(404).end()
  })
  metricsServer.listen(env.metricsPort, env.host)
  const upstream = env.upstreamOrigin ? undefined : await startUpstreamProcess()
  const seeding = createServices({
    mode: 'baseline',
    sqliteFile: env.sqliteFile,
    upstreamOrigin: 'http://127.0.0.1:9',
    ...(env.postgresUrl ? { postgresUrl: env.postgresUrl } : {}),
  })
  await seed(seeding.db, env.seed === 'small' ? SMALL_SEED : FULL_SEED)
  await seeding.close()
  // Supervision: a worker that dies (crash, OOM, SIGKILL) is re-forked after a backoff that doubles on
  // quick successive deaths (100 ms .. 10 s) and resets once a worker has lived 30 s.
  const workerEnv = { UPSTREAM_URL: env.upstreamOrigin ?? upstream?.origin ?? '' }
  const fork = () => {
    const worker = cluster.fork(workerEnv)
    bornAt.set(worker.id, Date.now())
  }
  cluster.on('listening', (worker) => listening.add(worker.id))
  // MAX_REQUESTS: a worker that served its share asks to retire; its replacement is forked first and the old one
  // drained (SIGTERM: it stops accepting, finishes its in-flight requests, exits 0) once the new one listens.
  const retiring = new Set<number>()
  /** Replacements not listening yet, and the retiring worker each one replaces. */
  const replacing = new Map<number, Worker>()
  const replace = (old: Worker) => {
    const replacement = cluster.fork(workerEnv)
    bornAt.set(replacement.id, Date.now())
    replacing.set(replacement.id, old)
    replacement.once('listening', () => {
      replacing.delete(replacement.id)
      recycled++
      if (!old.isDead()) old.send({ type: 'orders-api:drain' })
    })
  }
  cluster.on('message', (worker, message: { type?: string } | undefined) => {
    if (message?.type !== 'orders-api:retire' || stopping || retiring.has(worker.id)) return
    retiring.add(worker.id)
    replace(worker)
  })
  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id)
    const lived = Date.now() - (bornAt.get(worker.id) ?? 0)
    bornAt.delete(worker.id)
    // A replacement that died before it listened: the retiring worker still serves and waits for one.
    const replaces = replacing.get(worker.id)
    replacing.delete(worker.id)
    if (retiring.delete(worker.id)) return // replaced already (or its replacement is on its way)
    if (stopping) return
    if (lived > 30_000) backoff = 100
    console.error(
      `orders-api: worker ${worker.process.pid} died (${signal ?? code}); re-forking in ${backoff} ms`,
    )
    setTimeout(() => {
      if (stopping) return
      restarts++
      // Forking a plain worker here would leave the retiring one serving for good (three workers, not two).
      if (replaces !== undefined && !replaces.isDead()) replace(replaces)
      else fork()
    }, backoff).unref()
    backoff = Math.min(backoff * 2, 10_000)
  })
  for (let i = 0; i < env.workers; i++) fork()
  console.log(`orders-api primary: ${env.workers} workers on http://${env.host}:${env.port}`)
  console.log(`merged /metrics and /debug/performance on http://${env.host}:${env.metricsPort}`)
  // Graceful stop: SIGTERM each worker (it stops accepting, finishes its in-flight requests, closes its pools and
  // caches, exits 0) and wait for all of them; worker.kill() would first cut the IPC channel and the worker's
  // in-flight connections with it. A worker still alive after 30 s is killed.
  const stop = async () => {
    stopping = true
    const alive = Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => w !== undefined && !w.isDead(),
    )
    await Promise.all(
      alive.map(
        (worker) =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => worker.process.kill('SIGKILL'), 30_000)
            worker.once('exit', () => {
              clearTimeout(force)
              resolve()
            })
            worker.process.kill('SIGTERM')
          }),
      ),
    )
    metricsServer.close()
    await busRelay?.close()
    await primaryMetrics.close()
    await upstream?.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
} else {
  const upstream = env.upstreamOrigin ? undefined : await startUpstreamProcess()
  const services = createServices({
    mode: env.mode,
    sqliteFile: env.sqliteFile,
    upstreamOrigin: env.upstreamOrigin ?? upstream?.origin ?? '',
    cluster: env.workers > 1,
    clusterBus: env.workers > 1,
    rateLimit: env.rateLimit,
    rateLimitWindow: env.rateLimitWindow,
    slowRequestThreshold: env.slowRequestThreshold,
    metrics: env.metrics,
    ...(env.debugToken ? { debugToken: env.debugToken } : {}),
    ...(env.postgresUrl ? { postgresUrl: env.postgresUrl } : {}),
    ...(env.redisUrl ? { redisUrl: env.redisUrl } : {}),
  })
  if (!cluster.isWorker) await seed(services.db, env.seed === 'small' ? SMALL_SEED : FULL_SEED)
  const app = buildApp(services)
  let draining = false
  if (cluster.isWorker && env.maxRequests > 0) {
    // gunicorn's max_requests: after this many responses (plus jitter) the worker asks the primary to replace it.
    const limit = env.maxRequests + Math.floor(Math.random() * (env.maxRequestsJitter + 1))
    let served = 0
    app.addHook('onResponse', async () => {
      if (++served === limit) process.send?.({ type: 'orders-api:retire' })
    })
    // While draining every response says Connection: close, so keep-alive clients move to the other workers
    // before this one closes its sockets (closing an idle keep-alive socket races with a client reusing it).
    app.addHook('onSend', async (_request, reply, payload) => {
      if (draining) reply.header('Connection', 'close')
      return payload
    })
  }
  await app.listen({ port: env.port, host: env.host })
  if (!cluster.isWorker) console.log(`orders-api (${env.mode}) on http://${env.host}:${env.port}`)
  const stop = async () => {
    await app.close()
    await services.close()
    await upstream?.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  // MAX_REQUESTS: the primary's replacement listens; drain for a moment, then stop as on SIGTERM.
  process.on('message', (message: { type?: string } | undefined) => {
    if (message?.type !== 'orders-api:drain' || draining) return
    draining = true
    setTimeout(stop, DRAIN_GRACE).unref()
  })
}
