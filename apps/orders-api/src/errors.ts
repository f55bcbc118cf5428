// Every error answer of the service is JSON: { code, error } with a stable code; never SQL text or a stack.
import { HotpathError } from '@hotpath/cache'
import type { FastifyReply } from 'fastify'

export type OrdersErrorCode =
  | 'ORDERS_BAD_REQUEST'
  | 'ORDERS_VALIDATION'
  | 'ORDERS_NOT_FOUND'
  | 'ORDERS_UNKNOWN_CUSTOMER'
  | 'ORDERS_UNKNOWN_PRODUCT'
  | 'ORDERS_OUT_OF_STOCK'
  | 'ORDERS_INVALID_TRANSITION'
  | 'ORDERS_PAYLOAD_TOO_LARGE'
  | 'ORDERS_UNSUPPORTED_MEDIA_TYPE'
  | 'ORDERS_IDEMPOTENCY_KEY_INVALID'
  | 'ORDERS_IDEMPOTENCY_IN_FLIGHT'
  | 'ORDERS_IDEMPOTENCY_KEY_REUSED'
  | 'ORDERS_IDEMPOTENCY_UNAVAILABLE'
  | 'ORDERS_UPSTREAM_UNAVAILABLE'
  | 'ORDERS_RATE_LIMITED'
  | 'ORDERS_UNAUTHORIZED'
  | 'ORDERS_INTERNAL'

export interface ErrorBody {
  code: OrdersErrorCode
  error: string
  details?: unknown
}

/** A request the service refuses on purpose: the error handler answers it with `status` and `code`. */
export class RequestError extends HotpathError {
  readonly status: number
  readonly ordersCode: OrdersErrorCode
  constructor(status: number, code: OrdersErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details ? { details } : {})
    this.status = status
    this.ordersCode = code
  }
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: OrdersErrorCode,
  message: string,
  details?: unknown,
): FastifyReply {
  const body: ErrorBody = { code, error: message, ...(details === undefined ? {} : { details }) }
  return reply.code(status).type('application/json; charset=utf-8').send(body)
}
