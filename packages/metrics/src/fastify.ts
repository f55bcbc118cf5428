// `@hotpath/metrics/fastify`: records http.server.request.duration by route template and sets
// X-Response-Time and X-Request-Count. Needs no import of fastify: it is a plain plugin function.
// Two hooks and no per-request state of its own: the time comes from Fastify's reply.elapsedTime (Fastify
// starts that clock anyway once an onResponse hook exists), the count is taken when the response is sent.
import { check } from './errors.ts'
import type { Metrics } from './metrics.ts'

export interface FastifyMetricsOptions {
  /** The metrics instance to record into. */
  metrics: Metrics
  /** Header with the time until the response is sent, e.g. `X-Response-Time: 1.234ms`. `false` to omit. Default `X-Response-Time`. */
  responseTimeHeader?: string | false
  /** Header with the number of requests this process has answered, this one included. `false` to omit. Default `X-Request-Count`. */
  requestCountHeader?: string | false
}

interface RequestLike {
  method: string
  routeOptions?: { url?: string }
}

interface ReplyLike {
  statusCode: number
  /** Milliseconds since Fastify received the request (until the response finished, in onResponse). */
  readonly elapsedTime: number
  header(name: string, value: string): unknown
}

type Done = (error?: Error) => void

/** The part of a Fastify instance the plugin uses. */
export interface FastifyLike {
  addHook(name: string, hook: (...args: never[]) => unknown): unknown
}

export type FastifyMetricsPlugin = (fastify: FastifyLike, options: FastifyMetricsOptions, done: Done) => void

function validate(options: FastifyMetricsOptions): void {
  const m = options?.metrics
  if (typeof m !== 'object' || m === null || typeof m.recordServerRequest !== 'function') {
    check.fail('metrics', m, 'a metrics instance from createMetrics()')
  }
  for (const key of ['responseTimeHeader', 'requestCountHeader'] as const) {
    const v = options[key]
    if (v !== undefined && v !== false && (typeof v !== 'string' || !/^[A-Za-z0-9-]+$/.test(v))) {
      check.fail(key, v, 'a header name or false')
    }
  }
}

function plugin(fastify: FastifyLike, options: FastifyMetricsOptions, done: Done): void {
  try {
    validate(options)
  } catch (error) {
    done(error as Error)
    return
  }
  const { metrics } = options
  const timeHeader = options.responseTimeHeader === undefined ? 'X-Response-Time' : options.responseTimeHeader
  const countHeader =
    options.requestCountHeader === undefined ? 'X-Request-Count' : options.requestCountHeader
  let answered = 0

  fastify.addHook(
    'onSend',
    (
      _request: RequestLike,
      reply: ReplyLike,
      payload: unknown,
      next: (e: Error | null, p?: unknown) => void,
    ) => {
      if (timeHeader !== false) reply.header(timeHeader, `${reply.elapsedTime.toFixed(3)}ms`)
      answered++
      if (countHeader !== false) reply.header(countHeader, String(answered))
      next(null, payload)
    },
  )
  fastify.addHook('onResponse', (request: RequestLike, reply: ReplyLike, next: Done) => {
    metrics.recordServerRequest({
      method: request.method,
      route: request.routeOptions?.url,
      statusCode: reply.statusCode,
      durationMs: reply.elapsedTime,
    })
    next()
  })
  done()
}

Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true })
Object.defineProperty(plugin, Symbol.for('fastify.display-name'), { value: '@hotpath/metrics' })
Object.defineProperty(plugin, Symbol.for('plugin-meta'), {
  value: { name: '@hotpath/metrics', fastify: '>=4.21' }, // reply.elapsedTime
})

/**
 * Fastify plugin: `app.register(fastifyMetrics, { metrics })`. Not encapsulated (skip-override), so it
 * sees every route of the app.
 */
export const fastifyMetrics: FastifyMetricsPlugin = plugin
export default fastifyMetrics
