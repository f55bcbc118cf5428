// The orders-api service (optimized profile) in its own process for the orders-metrics suite. METRICS=on|off
// (read through the service's own validated config) selects whether @hotpath/metrics records. Talks to the suite
// over IPC: { type: 'gc' } runs a full GC, { type: 'start' } opens a measuring window, { type: 'stop' } closes it
// and answers the process's CPU time (process.cpuUsage: every thread, GC included; threadCpuUs: the main thread alone)
// and the API requests served.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../../../apps/orders-api/src/app.ts'
import { readEnv } from '../../../apps/orders-api/src/config.ts'
import { SMALL_SEED, seed } from '../../../apps/orders-api/src/seed.ts'
import { createServices } from '../../../apps/orders-api/src/services.ts'
import { startUpstreamProcess } from '../../../apps/orders-api/src/upstream-process.ts'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc || !process.send) throw new Error('run with node --expose-gc and an IPC channel')
const send = process.send.bind(process)

const env = readEnv(process.env)
const dir = await mkdtemp(join(tmpdir(), 'hp-orders-metrics-'))
// Long-lived upstream answers: the HTTP cache serves every price of the measured windows.
const upstream = await startUpstreamProcess({ latency: 15, maxAge: 3600 })
const services = createServices({
  mode: 'optimized',
  sqliteFile: join(dir, 'orders.db'),
  upstreamOrigin: upstream.origin,
  metrics: env.metrics,
})
await seed(services.db, SMALL_SEED)
const app = buildApp(services)
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()

let window = { cpu: process.cpuUsage(), thread: process.threadCpuUsage(), requests: 0 }
process.on('message', (message: { type?: string }) => {
  if (message.type === 'gc') {
    gc()
    send({ type: 'gc' })
  } else if (message.type === 'start') {
    window = {
      cpu: process.cpuUsage(),
      thread: process.threadCpuUsage(),
      requests: services.counters.requests,
    }
    send({ type: 'start' })
  } else if (message.type === 'stop') {
    const cpu = process.cpuUsage(window.cpu)
    const thread = process.threadCpuUsage(window.thread)
    send({
      threadCpuUs: thread.user + thread.system,
      type: 'stop',
      cpuUs: cpu.user + cpu.system,
      requests: services.counters.requests - window.requests,
    })
  }
})
const stop = async () => {
  await app.close()
  await services.close()
  await upstream.close()
  await rm(dir, { recursive: true, force: true })
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('disconnect', stop)
send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 })
