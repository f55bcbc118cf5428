// Idempotency-Key on writes (POST/PATCH) through @hotpath/cache's createIdempotencyStore:
// - first request with a key runs; its 2xx response (status, selected headers, body) is stored for 24 h;
// - a retry (same key, same method/route/body) gets the stored response byte for byte (+ Idempotent-Replayed);
// - a duplicate while the first is still running gets 409 + Retry-After;
// - the same key with a different body (or route) gets 422.
// A non-2xx response is not stored (the in-flight mark is dropped), so a corrected retry may run.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { sendError } from './errors.ts'
import type { Services, StoredResponse } from './services.ts'

const KEY = /^[\x21-\x7e]{1,255}$/
const REPLAYED_HEADERS = ['content-type', 'location']

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { key: string; fingerprint: string }
  }
}

function fingerprintOf(request: FastifyRequest): string {
  return createHash('sha256')
    .update(
      `${request.method} ${request.routeOptions.url ?? request.url}\n${JSON.stringify(request.body ?? null)}`,
    )
    .digest('base64url')
}

type RouteHooks = Record<string, unknown>

/** Adds `hook` to a route's own `name` hooks, first or last (a route option holds one function or a list). */
function addRouteHook(route: RouteHooks, name: string, hook: unknown, first = false): void {
  const current = route[name]
  const list = current === undefined ? [] : Array.isArray(current) ? current : [current]
  route[name] = first ? [hook, ...list] : [...list, hook]
}

export function registerIdempotency(app: FastifyInstance, services: Services): void {
  const store = services.idempotency

  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = request.headers['idempotency-key']
    if (raw === undefined) return
    if (typeof raw !== 'string' || !KEY.test(raw))
      return sendError(
        reply,
        400,
        'ORDERS_IDEMPOTENCY_KEY_INVALID',
        'Idempotency-Key must be 1-255 visible ASCII characters',
      )
    const key = `orders-api:${raw}`
    const fingerprint = fingerprintOf(request)
    let begun: Awaited<ReturnType<typeof store.begin>>
    try {
      begun = await store.begin(key)
    } catch (error) {
      request.log.warn({ err: error }, 'idempotency store unavailable')
      reply.header('Retry-After', '1')
      return sendError(
        reply,
        503,
        'ORDERS_IDEMPOTENCY_UNAVAILABLE',
        'idempotency store unavailable; retry later',
      )
    }
    if (begun.status === 'in-flight') {
      reply.header('Retry-After', '1')
      return sendError(
        reply,
        409,
        'ORDERS_IDEMPOTENCY_IN_FLIGHT',
        'a request with this Idempotency-Key is in progress',
      )
    }
    if (begun.status === 'completed') {
      const stored = begun.response
      if (stored.fingerprint !== fingerprint)
        return sendError(
          reply,
          422,
          'ORDERS_IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was used with a different request body',
        )
      for (const [name, value] of Object.entries(stored.headers)) reply.header(name, value)
      reply.header('Idempotent-Replayed', 'true')
      return reply.code(stored.status).send(stored.body)
    }
    request.idempotency = { key, fingerprint }
  }

  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const idem = request.idempotency
    if (!idem) return payload
    request.idempotency = undefined
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      const headers: Record<string, string> = {}
      for (const name of REPLAYED_HEADERS) {
        const value = reply.getHeader(name)
        if (value !== undefined) headers[name] = String(value)
      }
      const stored: StoredResponse = {
        fingerprint: idem.fingerprint,
        status: reply.statusCode,
        headers,
        body: payload,
      }
      await store
        .complete(idem.key, stored)
        .catch((error: unknown) => request.log.warn({ err: error }, 'idempotency complete failed'))
    } else {
      await store.abort(idem.key).catch(() => {})
    }
    return payload
  }

  // A request that failed before onSend (connection reset) must not hold the key until inFlightTtl.
  const onResponse = async (request: FastifyRequest) => {
    const idem = request.idempotency
    if (idem) await store.abort(idem.key).catch(() => {})
  }

  // Route hooks of the POST and PATCH routes only (every one added after this): the reads, most of the traffic,
  // pay nothing for three async hooks that would return at once.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (!methods.some((m) => m === 'POST' || m === 'PATCH')) return
    const hooks = route as unknown as RouteHooks
    addRouteHook(hooks, 'preHandler', preHandler)
    // First: before @fastify/compress's onSend, so the stored body is the uncompressed one (replayed byte for byte).
    addRouteHook(hooks, 'onSend', onSend, true)
    addRouteHook(hooks, 'onResponse', onResponse)
  })
}
