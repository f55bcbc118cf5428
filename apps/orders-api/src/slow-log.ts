// Slow-request log: a request at least `threshold` ms slow is written (one JSON line) with its route, status,
// total and DB time, and kept in a ring of the last 100 for /debug/performance.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export interface SlowRequest {
  at: string
  method: string
  route: string
  status: number
  durationMs: number
  dbMs: number
}

export interface SlowLog {
  readonly threshold: number
  recent(): SlowRequest[]
}

const KEEP = 100

export function registerSlowLog(
  app: FastifyInstance,
  threshold: number,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): SlowLog {
  const ring: SlowRequest[] = []
  const record = (request: FastifyRequest, reply: FastifyReply, durationMs: number) => {
    const db = String(reply.getHeader('x-db-time') ?? '0')
    const entry: SlowRequest = {
      at: new Date().toISOString(),
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      durationMs: Math.round(durationMs * 1000) / 1000,
      dbMs: Number.parseFloat(db) || 0,
    }
    ring.push(entry)
    if (ring.length > KEEP) ring.shift()
    write(JSON.stringify({ msg: 'slow request', threshold, ...entry }))
  }
  // Callback style: an async hook would cost a promise per request for the few that are slow.
  app.addHook('onResponse', (request, reply, done) => {
    const durationMs = reply.elapsedTime
    if (durationMs >= threshold) record(request, reply, durationMs)
    done()
  })
  return { threshold, recent: () => [...ring] }
}
