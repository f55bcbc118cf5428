// Debug routes, not public: they need `Authorization: Bearer <DEBUG_TOKEN>`; without a configured token they
// are not registered at all (404, like any unknown route).
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { dashboardHtml } from './dashboard.ts'
import { sendError } from './errors.ts'
import type { Services } from './services.ts'

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

const analyzeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sql'],
  properties: { sql: { type: 'string', minLength: 1, maxLength: 10_000 } },
} as const

/** One statement that only reads: EXPLAIN never runs it, but a second statement after `;` must not sneak in. */
function singleStatement(sql: string): boolean {
  const body = sql.trim().replace(/;\s*$/, '')
  return !body.replace(/'(?:[^']|'')*'/g, "''").includes(';')
}

export function registerDebugRoutes(app: FastifyInstance, services: Services): void {
  const token = services.config.debugToken
  if (!token) return
  const { db, cache, metrics } = services
  app.register(async (debug) => {
    debug.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization ?? ''
      const given = header.startsWith('Bearer ') ? header.slice(7) : ''
      if (!sameToken(given, token)) {
        reply.header('WWW-Authenticate', 'Bearer')
        return sendError(
          reply,
          401,
          'ORDERS_UNAUTHORIZED',
          'the debug routes need Authorization: Bearer <token>',
        )
      }
    })
    debug.get('/debug/performance', async () => ({
      ...(await metrics.report()),
      audit: services.audit.stats(),
      upstream: services.prices.stats(),
      slowRequests: services.slowLog?.recent() ?? [],
    }))
    debug.get('/debug/performance.html', async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('Cache-Control', 'no-store')
        .header(
          'Content-Security-Policy',
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        )
        .send(dashboardHtml(token)),
    )
    debug.get('/debug/slow-queries', async () => ({
      slowQueries: await db.slowQueries(),
      nPlusOne: db.nPlusOne(),
    }))
    debug.get('/debug/cache-stats', async () => ({
      cache: cache?.stats() ?? null,
      http: services.http?.stats() ?? null,
      database: { queryCache: db.stats().queryCache, pool: db.stats().pool },
    }))
    debug.post<{ Body: { sql: string } }>(
      '/debug/analyze',
      { schema: { body: analyzeBody } },
      async (request, reply) => {
        const { sql } = request.body
        if (!singleStatement(sql))
          return sendError(
            reply,
            400,
            'ORDERS_VALIDATION',
            'one SQL statement only (it is explained, never run)',
          )
        // analyze() only EXPLAINs the statement (its plan), it never executes it.
        const analysis = await db.analyze(sql).catch((error: unknown) => {
          reply.code(400)
          return { error: (error as Error).message }
        })
        return reply.code(reply.statusCode === 400 ? 400 : 200).send(
          'error' in analysis
            ? {
                code: 'ORDERS_VALIDATION',
                error: 'the statement could not be explained',
                details: analysis.error,
              }
            : analysis,
        )
      },
    )
  })
}
