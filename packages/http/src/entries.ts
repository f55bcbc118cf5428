// Stored responses: storage keys, tags, Vary matching and conversion to undici's GetResult.
import { pathOnly } from './channels.ts'
import type { CacheControlDirectives, CacheValue, GetResult } from './undici-types.ts'

type Headers = Record<string, string | string[]>
type VaryValues = Record<string, string | string[] | null>

/** One stored response (a variant of a URL + method). */
export interface StoredResponse {
  statusCode: number
  statusMessage: string
  headers: Headers
  vary: VaryValues | undefined
  etag: string | undefined
  cacheControlDirectives: CacheControlDirectives
  cachedAt: number
  staleAt: number
  deleteAt: number
  body: Buffer
}

const PREFIX = 'http|'

export function storageKey(origin: string, method: string, path: string, part: string): string {
  return part === '' ? `${PREFIX}${origin}|${method}|${path}` : `${PREFIX}${origin}|${method}|${path}|${part}`
}

/** Tag of every entry of one URL (origin + path with query), whatever the method or variant. */
export function urlTag(origin: string, path: string): string {
  return `u|${origin}${path}`
}

/** Tag of every entry whose path starts with the segments of `pathname` (no query; '' = the whole origin). */
export function collectionTag(origin: string, pathname: string): string {
  let p = pathOnly(pathname)
  while (p.endsWith('/')) p = p.slice(0, -1)
  return `c|${origin}${p}`
}

export function entryTags(origin: string, path: string): string[] {
  const tags = [urlTag(origin, path), `c|${origin}`]
  const pathname = pathOnly(path)
  let i = pathname.indexOf('/', 1)
  while (i !== -1) {
    tags.push(`c|${origin}${pathname.slice(0, i)}`)
    i = pathname.indexOf('/', i + 1)
  }
  if (pathname.length > 1) tags.push(collectionTag(origin, pathname))
  return tags
}

/** Request headers that carry a credential unless `credentialHeaders` says otherwise (Authorization and Cookie always do). */
export const DEFAULT_CREDENTIAL_HEADERS: readonly string[] = [
  'authorization',
  'cookie',
  'proxy-authorization',
  'x-api-key',
]

/** A request carrying any of the credential headers (lowercase names). */
export function hasCredentials(
  headers: Record<string, unknown> | undefined,
  names: readonly string[] = DEFAULT_CREDENTIAL_HEADERS,
): boolean {
  if (headers === undefined) return false
  for (let i = 0; i < names.length; i++) if (headers[names[i] as string] !== undefined) return true
  return false
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/

/** The credential header list of an option value (lowercased; Authorization and Cookie always in), or undefined if invalid. */
export function credentialHeaderList(value: unknown): string[] | undefined {
  if (value === undefined) return [...DEFAULT_CREDENTIAL_HEADERS]
  if (!Array.isArray(value)) return undefined
  const out = ['authorization', 'cookie']
  for (const v of value) {
    if (typeof v !== 'string' || !TOKEN.test(v.toLowerCase())) return undefined
    const name = v.toLowerCase()
    if (!out.includes(name)) out.push(name)
  }
  return out
}

export function headerEquals(
  a: string | string[] | null | undefined,
  b: string | string[] | null | undefined,
): boolean {
  if (a == null || b == null) return a == null && b == null
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
  return a === b
}

export function varyMatches(
  vary: VaryValues | undefined,
  headers: Record<string, string | string[] | undefined> | undefined,
): boolean {
  if (vary === undefined || vary === null) return true
  for (const name in vary) {
    if (!headerEquals(headers?.[name], vary[name])) return false
  }
  return true
}

export function sameVary(a: VaryValues | undefined, b: VaryValues | undefined): boolean {
  if (a == null || b == null) return a == null && b == null
  const ak = Object.keys(a)
  if (ak.length !== Object.keys(b).length) return false
  for (const k of ak) if (!headerEquals(a[k], b[k])) return false
  return true
}

export function hasExplicitFreshness(value: CacheValue): boolean {
  const d = value.cacheControlDirectives
  return d?.['max-age'] !== undefined || d?.['s-maxage'] !== undefined || value.headers.expires !== undefined
}

/**
 * A response to a request with credentials that a shared cache may reuse for others: `public`; with
 * `shareAuthenticated` also `s-maxage` or `must-revalidate` (RFC 9111 3.5).
 */
export function shareable(d: CacheControlDirectives | undefined, shareAuthenticated: boolean): boolean {
  if (d === undefined) return false
  if (d.public === true) return true
  return shareAuthenticated && (d['s-maxage'] !== undefined || d['must-revalidate'] === true)
}

export function pick(
  list: StoredResponse[],
  headers: Record<string, string | string[] | undefined> | undefined,
  publicOnly: boolean,
  shareAuthenticated: boolean,
  now: number,
): StoredResponse | undefined {
  for (let i = 0; i < list.length; i++) {
    const v = list[i] as StoredResponse
    if (v.deleteAt > now && varyMatches(v.vary, headers)) {
      if (publicOnly && !shareable(v.cacheControlDirectives, shareAuthenticated)) return undefined
      return v
    }
  }
  return undefined
}

export function toResult(v: StoredResponse | undefined): GetResult | undefined {
  if (v === undefined) return undefined
  // undici copies the headers before it sends them (adding Age): the stored object is handed out as is
  return {
    statusCode: v.statusCode,
    statusMessage: v.statusMessage,
    headers: v.headers,
    vary: v.vary,
    etag: v.etag,
    body: [v.body],
    cacheControlDirectives: v.cacheControlDirectives,
    cachedAt: v.cachedAt,
    staleAt: v.staleAt,
    deleteAt: v.deleteAt,
  }
}

/**
 * A stored variant after a 304 Not Modified: new freshness (from the 304's Cache-Control or the entry's previous
 * lifetime) and the validators/headers the 304 carried.
 */
export function refreshedBy304(
  old: StoredResponse,
  headers304: Record<string, string | string[] | undefined>,
  directives: CacheControlDirectives | undefined,
  now: number,
): StoredResponse {
  let lifetime = old.staleAt - old.cachedAt
  const d = directives ?? old.cacheControlDirectives
  const explicit = d['s-maxage'] ?? d['max-age']
  if (explicit !== undefined) lifetime = explicit * 1000
  if (lifetime < 0) lifetime = 0
  const keep = Math.max(old.deleteAt - old.staleAt, lifetime, 1000)
  const headers: Headers = { ...old.headers }
  for (const name of ['etag', 'last-modified', 'cache-control', 'expires', 'date', 'vary'] as const) {
    const v = headers304[name]
    if (v !== undefined) headers[name] = v
  }
  return {
    ...old,
    headers,
    etag: typeof headers304.etag === 'string' ? headers304.etag : old.etag,
    cacheControlDirectives: directives ?? old.cacheControlDirectives,
    cachedAt: now,
    staleAt: now + lifetime,
    deleteAt: now + lifetime + keep,
  }
}
