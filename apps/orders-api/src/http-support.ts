// Shared pieces of the routes: id parsing, the DB timer behind X-DB-Time, JSON error handlers, trace headers.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { RequestError, sendError } from './errors.ts'

/** Largest accepted request body (bytes): an order is a few dozen. */
export const BODY_LIMIT = 64 * 1024
/** PostgreSQL INTEGER (and our ids) stop at 2^31 - 1. */
export const MAX_INT = 2_147_483_647
/** Currencies the rates upstream knows. */
export const CURRENCIES = ['EUR', 'GBP', 'JPY', 'USD'] as const

/** Decimal digits only: no sign, hex, exponent, fraction or leading zeros; range checked by `toId`. */
export const idString = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const
export const limitString = { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } as const

export const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: idString },
} as const

/** A validated decimal id string to a number, or undefined when it is above 2^31 - 1. */
export function toId(text: string): number | undefined {
  const n = Number(text)
  return n <= MAX_INT ? n : undefined
}

/** Times database work of one request, for the X-DB-Time header. */
export class DbTimer {
  ms = 0
  async time<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      return await work()
    } finally {
      this.ms += performance.now() - started
    }
  }
  header(): string {
    return `${this.ms.toFixed(3)}ms`
  }
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof RequestError)
      return sendError(reply, error.status, error.ordersCode, error.message, error.details)
    if (error.validation) {
      const details = error.validation.map((v) => ({ path: v.instancePath || '/', message: v.message }))
      return sendError(reply, 400, 'ORDERS_VALIDATION', error.message, details)
    }
    const status = error.statusCode ?? 500
    if (status === 413)
      return sendError(reply, 413, 'ORDERS_PAYLOAD_TOO_LARGE', `request body over ${BODY_LIMIT} bytes`)
    if (status === 415) return sendError(reply, 415, 'ORDERS_UNSUPPORTED_MEDIA_TYPE', 'send application/json')
    // Fastify's own 4xx (invalid JSON, empty body, ...) carry safe messages of its own.
    if (status >= 400 && status < 500 && typeof error.code === 'string' && error.code.startsWith('FST_'))
      return sendError(reply, status, 'ORDERS_BAD_REQUEST', error.message)
    // Anything else is our fault: log it, answer without the SQL text, driver message or stack.
    request.log.error({ err: error }, 'unhandled error')
    if (!app.log.level || app.log.level === 'silent') process.emitWarning(`orders-api: ${error.message}`)
    return sendError(reply, 500, 'ORDERS_INTERNAL', `internal error (request ${request.id})`)
  })
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'ORDERS_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  )
}

/** W3C trace context of the incoming request, forwarded on the upstream calls made while serving it. */
const TRACE_HEADERS = ['traceparent', 'tracestate'] as const

export function traceHeaders(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of TRACE_HEADERS) {
    const value = request.headers[name]
    if (typeof value === 'string' && value !== '') out[name] = value
  }
  return out
}
