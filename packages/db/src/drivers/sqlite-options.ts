// The SQLite driver's options: what a user may pass, the defaults, and the checked, resolved form.
import { check } from '../pool-options.ts'

export type PragmaValue = string | number | false

export interface SqliteOptions {
  /** Database file; ':memory:' keeps everything on the writer connection. Default ':memory:'. */
  filename?: string
  /** Per-connection pragmas; each default can be overridden or disabled with `false`. */
  pragmas?: Record<string, PragmaValue>
  /** Reader connections: `connections` on the main thread (default 1) or `threads` worker threads. */
  readers?: { connections?: number; threads?: number }
  /** Cached prepared statements per connection. Default 256. */
  statementCacheSize?: number
  /**
   * Who checkpoints the WAL of a file database. 'background' (default): a worker thread, at most
   * `checkpointInterval` ms after writes, so no commit copies pages or fsyncs on the event loop (the writer's
   * inline autocheckpoint stays as a backstop at 10,000 pages). 'inline': SQLite's own, inside the commit that
   * takes the WAL past `wal_autocheckpoint` (1000 pages). An explicit `pragmas.wal_autocheckpoint` means 'inline'.
   */
  checkpoint?: 'background' | 'inline'
  /** How soon after a write the background checkpoint runs (ms). Default 200. */
  checkpointInterval?: number
}

export const DEFAULT_PRAGMAS: Readonly<Record<string, PragmaValue>> = {
  journal_mode: 'WAL',
  synchronous: 'NORMAL',
  busy_timeout: 5000,
  foreign_keys: 'ON',
  cache_size: -32_000,
  temp_store: 'MEMORY',
  mmap_size: 268_435_456,
}

const SQLITE_OPTION_KEYS: readonly string[] = [
  'filename',
  'pragmas',
  'readers',
  'statementCacheSize',
  'checkpoint',
  'checkpointInterval',
]
/** SQLite's default wal_autocheckpoint (pages): the writer's bound again when the checkpoint worker fails. */
export const SQLITE_AUTOCHECKPOINT = 1000

export interface ResolvedSqliteOptions {
  filename: string
  pragmas: Record<string, PragmaValue>
  statementCacheSize: number
  connections: number
  threads: number
  checkpoint: 'background' | 'inline'
  checkpointInterval: number
}

/** Checks every option (an InvalidOptionError names the first bad one) and fills in the defaults. */
export function resolveSqliteOptions(options: SqliteOptions): ResolvedSqliteOptions {
  const o = (check.object('options', options, SQLITE_OPTION_KEYS) ?? {}) as SqliteOptions
  const filename = o.filename ?? ':memory:'
  if (typeof filename !== 'string') check.fail('filename', filename, 'a file path or ":memory:"')
  const readers = (check.object('readers', o.readers, ['connections', 'threads']) ?? {}) as {
    connections?: number
    threads?: number
  }
  const connections = check.integer('readers.connections', readers.connections, 1, 1)
  const threads = check.integer('readers.threads', readers.threads, 0, 0)
  if (threads > 0 && (filename === ':memory:' || filename === '')) {
    check.fail('readers.threads', threads, '0 for an in-memory database (worker threads need a file)')
  }
  const userPragmas = (check.object('pragmas', o.pragmas) ?? {}) as Record<string, PragmaValue>
  for (const [name, value] of Object.entries(userPragmas)) {
    if (!/^[a-z_]+$/i.test(name)) check.fail(`pragmas.${name}`, name, 'a pragma name')
    if (
      value !== false &&
      typeof value !== 'number' &&
      !(typeof value === 'string' && /^[\w-]+$/.test(value))
    ) {
      check.fail(`pragmas.${name}`, value, 'a number, a bare word or false')
    }
  }
  const pragmas = { ...DEFAULT_PRAGMAS, ...userPragmas }
  const statementCacheSize = check.integer('statementCacheSize', o.statementCacheSize, 256, 1)
  const checkpoint = o.checkpoint ?? 'background'
  if (checkpoint !== 'background' && checkpoint !== 'inline') {
    check.fail('checkpoint', checkpoint, "'background' or 'inline'")
  }
  const checkpointInterval = check.integer('checkpointInterval', o.checkpointInterval, 200, 1)
  return { filename, pragmas, statementCacheSize, connections, threads, checkpoint, checkpointInterval }
}

/**
 * `mainThread`: busy_timeout is 0 there (SQLite's busy handler would sleep on the event loop); the
 * configured busy_timeout becomes the deadline of the driver's asynchronous retries instead.
 */
export function pragmaStatements(
  pragmas: Record<string, PragmaValue>,
  reader: boolean,
  mainThread = false,
): string[] {
  const out: string[] = []
  for (const [name, value] of Object.entries(pragmas)) {
    if (value === false) continue
    if (reader && name === 'journal_mode') continue
    if (mainThread && name === 'busy_timeout') continue
    out.push(`PRAGMA ${name} = ${value}`)
  }
  if (mainThread) out.push('PRAGMA busy_timeout = 0')
  return out
}
