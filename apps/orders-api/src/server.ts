// `pnpm --filter @hotpath/orders-api start`: the service on PORT. With WORKERS > 1, node:cluster workers
// share PORT and the primary serves one merged /metrics and /debug/performance on METRICS_PORT.
import cluster from 'node:cluster'
import { createServer } from 'node:http'
import { createMetrics } from '@hotpath/metrics'
import { buildApp } from './app.ts'
import { readEnvOrExit } from './config.ts'
import { seed } from './schema.ts'
import { createServices } from './services.ts'
import { startUpstream } from './upstream.ts'

const env = readEnvOrExit()

if (env.workers > 1 && cluster.isPrimary) {
  // The primary merges the workers' metrics (over IPC) and serves them on its own port.
  const primaryMetrics = createMetrics({ serviceName: 'orders-api', cluster: true })
  const metricsServer = createServer((req, res) => {
    if (req.url === '/metrics') return primaryMetrics.handler(req, res)
    if (req.url === '/debug/performance') {
      primaryMetrics.report().then(
        (report) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(report)),
        (error: Error) => res.writeHead(500).end(error.message),
      )
      return
    }
    res.writeHead(404).end()
  })
  metricsServer.listen(env.metricsPort, env.host)
  const upstream = env.upstreamOrigin ? undefined : await startUpstream()
  const seeding = createServices({
    mode: 'baseline',
    sqliteFile: env.sqliteFile,
    upstreamOrigin: 'http://127.0.0.1:9',
    ...(env.postgresUrl ? { postgresUrl: env.postgresUrl } : {}),
  })
  await seed(seeding.db)
  await seeding.close()
  for (let i = 0; i < env.workers; i++) {
    cluster.fork({ UPSTREAM_URL: env.upstreamOrigin ?? upstream?.origin ?? '' })
  }
  console.log(`orders-api primary: ${env.workers} workers on http://${env.host}:${env.port}`)
  console.log(`merged /metrics and /debug/performance on http://${env.host}:${env.metricsPort}`)
  const stop = async () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill()
    metricsServer.close()
    await primaryMetrics.close()
    await upstream?.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
} else {
  const upstream = env.upstreamOrigin ? undefined : await startUpstream()
  const services = createServices({
    mode: env.mode,
    sqliteFile: env.sqliteFile,
    upstreamOrigin: env.upstreamOrigin ?? upstream?.origin ?? '',
    cluster: env.workers > 1,
    ...(env.postgresUrl ? { postgresUrl: env.postgresUrl } : {}),
    ...(env.redisUrl ? { redisUrl: env.redisUrl } : {}),
  })
  if (!cluster.isWorker) await seed(services.db)
  const app = buildApp(services)
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
}
