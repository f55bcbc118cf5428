// Bounded attribute values: enums are folded to known sets, origins are parsed once and cached.

const METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
])

/** `http.request.method`: a known method, else `_OTHER` (semantic conventions). */
export function normalizeMethod(method: unknown): string {
  if (typeof method !== 'string') return '_OTHER'
  if (METHODS.has(method)) return method
  const upper = method.toUpperCase()
  return METHODS.has(upper) ? upper : '_OTHER'
}

export function oneOf(value: unknown, allowed: readonly string[], fallback = 'other'): string {
  return typeof value === 'string' && allowed.includes(value) ? value : fallback
}

/** A low-cardinality name (cache, client, pool): strings up to 128 chars, anything else `unknown`. */
export function nameOf(value: unknown): string {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 128) : 'unknown'
}

export interface Server {
  address: string
  port: number | undefined
}

const origins = new Map<string, Server>()

/** `server.address` / `server.port` of an origin (scheme://host:port); never the path. */
export function serverOf(origin: unknown): Server {
  const key = typeof origin === 'string' ? origin : ''
  const found = origins.get(key)
  if (found !== undefined) return found
  let server: Server = { address: 'unknown', port: undefined }
  try {
    const url = new URL(key)
    const port =
      url.port !== ''
        ? Number(url.port)
        : url.protocol === 'https:'
          ? 443
          : url.protocol === 'http:'
            ? 80
            : undefined
    server = { address: url.hostname.replace(/^\[|\]$/g, ''), port }
  } catch {
    // not a URL: keep `unknown`
  }
  if (origins.size < 1000) origins.set(key, server)
  return server
}

export function errorType(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined
  if (typeof error === 'object') {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.length > 0) return code.slice(0, 64)
    const name = (error as { name?: unknown }).name
    if (typeof name === 'string' && name.length > 0) return name.slice(0, 64)
  }
  return '_OTHER'
}

/** `db.response.status_code`: PostgreSQL's SQLSTATE of a failed statement (five characters), if it sent one. */
export function dbStatusCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const state = (error as { sqlState?: unknown }).sqlState
  return typeof state === 'string' && /^[0-9A-Z]{5}$/.test(state) ? state : undefined
}
