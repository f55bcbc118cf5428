// Readiness (`GET /ready`): can this instance serve? The database answers, Redis answers (when configured)
// and the upstream breaker is not open. 200 when ready, 503 otherwise; /health stays pure liveness.
import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Services } from './services.ts'

/** Each dependency check gives up after this long (ms): a frozen dependency must not freeze /ready. */
const CHECK_TIMEOUT = 1000

export interface ReadyBody {
  status: 'ready' | 'not ready'
  checks: {
    db: 'up' | 'down'
    redis: 'up' | 'down' | 'not configured'
    /** Breaker state of the upstream origin ('none' in baseline mode: plain fetch, no breaker). */
    upstream: 'closed' | 'half-open' | 'open' | 'none'
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/** Redis PING over a fresh connection: '+PONG' within the timeout means up. */
export function pingRedis(redisUrl: string, timeout = CHECK_TIMEOUT): Promise<boolean> {
  return new Promise((resolve) => {
    const url = new URL(redisUrl)
    const socket = connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeout, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => {
      const auth = url.password
        ? `AUTH ${url.username ? `${decodeURIComponent(url.username)} ` : ''}${decodeURIComponent(url.password)}\r\n`
        : ''
      socket.write(`${auth}PING\r\n`)
    })
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1')
      if (reply.includes('+PONG')) done(true)
      else if (reply.startsWith('-')) done(false)
    })
  })
}

export function registerReady(app: FastifyInstance, services: Services): void {
  app.get('/ready', async (_request, reply) => {
    const [db, redis] = await Promise.all([
      withTimeout(services.db.query('SELECT 1 AS ok'), CHECK_TIMEOUT).then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      services.redisUrl === undefined
        ? Promise.resolve('not configured' as const)
        : pingRedis(services.redisUrl).then((ok) => (ok ? ('up' as const) : ('down' as const))),
    ])
    const breakers = services.http ? Object.values(services.http.stats().breakers) : []
    const upstream: ReadyBody['checks']['upstream'] = services.http
      ? ((breakers.find((s) => s === 'open') ??
          breakers.find((s) => s === 'half-open') ??
          'closed') as ReadyBody['checks']['upstream'])
      : 'none'
    const ready = db === 'up' && redis !== 'down' && upstream !== 'open'
    const body: ReadyBody = { status: ready ? 'ready' : 'not ready', checks: { db, redis, upstream } }
    return reply.code(ready ? 200 : 503).send(body)
  })
}
