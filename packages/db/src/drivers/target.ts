// What a driver's statements run against (db.namespace, server.address, server.port of the semantic
// conventions), resolved from the options without connecting.
import { basename } from 'node:path'
import type { DbTarget } from './types.ts'

/** SQLite: the file's basename (`file:` URIs without their query), `':memory:'` for an in-memory database. */
export function sqliteTarget(filename: string): DbTarget {
  if (filename === '' || filename === ':memory:') return { namespace: ':memory:' }
  let path = filename
  if (path.startsWith('file:')) {
    path = path.slice(5).replace(/[?#].*$/, '')
    if (path === '' || path === ':memory:') return { namespace: ':memory:' }
  }
  return { namespace: basename(path) || path }
}

const env = (key: string): string | undefined => {
  const v = process.env[key]
  return v === undefined || v === '' ? undefined : v
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** The parts of a postgres:// URL pg reads for host, port and database (a `?host=` names a socket directory). */
function parseUrl(url: string): { host?: string; port?: string; database?: string; user?: string } {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return {}
  }
  const decode = (s: string): string | undefined => {
    if (s === '') return undefined
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }
  const out: { host?: string; port?: string; database?: string; user?: string } = {}
  const host = u.searchParams.get('host') ?? decode(u.hostname.replace(/^\[|\]$/g, ''))
  if (host) out.host = host
  if (u.port !== '') out.port = u.port
  const database = decode(u.pathname.slice(1))
  if (database !== undefined) out.database = database
  const user = decode(u.username)
  if (user !== undefined) out.user = user
  return out
}

/**
 * PostgreSQL, resolved the way pg's ConnectionParameters does: the connection string over the `client`
 * fields, then PGHOST / PGPORT / PGDATABASE / PGUSER, then localhost:5432 and the user name as database.
 */
export function postgresTarget(
  connectionString: string | undefined,
  client: Record<string, unknown>,
): DbTarget {
  const url = connectionString === undefined ? {} : parseUrl(connectionString)
  const host = url.host ?? text(client.host) ?? env('PGHOST') ?? 'localhost'
  const rawPort = url.port ?? client.port ?? env('PGPORT') ?? 5432
  const port = Number.parseInt(String(rawPort), 10)
  const user = url.user ?? text(client.user) ?? env('PGUSER') ?? env('USER') ?? env('USERNAME')
  const database = url.database ?? text(client.database) ?? env('PGDATABASE') ?? user ?? 'postgres'
  return Number.isFinite(port)
    ? { namespace: database, serverAddress: host, serverPort: port }
    : { namespace: database, serverAddress: host }
}

/** What a constructed pg Client resolved (host, port, database), when it exposes them. */
export function clientTarget(client: unknown, fallback: DbTarget): DbTarget {
  const c = client as { host?: unknown; port?: unknown; database?: unknown }
  const namespace = text(c.database) ?? fallback.namespace
  const serverAddress = text(c.host) ?? fallback.serverAddress
  const serverPort =
    typeof c.port === 'number' && Number.isFinite(c.port) ? c.port : (fallback.serverPort ?? undefined)
  const out: { namespace: string; serverAddress?: string; serverPort?: number } = { namespace }
  if (serverAddress !== undefined) out.serverAddress = serverAddress
  if (serverPort !== undefined) out.serverPort = serverPort
  return out
}
