// Reader connections on worker threads: each worker owns one read-only DatabaseSync and runs one
// statement at a time, so a slow read never blocks the main thread's event loop.
import { Worker } from 'node:worker_threads'
import { DbError } from '../errors.ts'
import { rewriteDollarParams } from './sqlite-sql.ts'
import type { ExecResult, Params } from './types.ts'

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { DatabaseSync } = require('node:sqlite')
let db
try {
  db = new DatabaseSync(workerData.filename, { readOnly: true })
  for (const p of workerData.pragmas) db.exec(p)
  parentPort.postMessage({ ready: true })
} catch (e) {
  parentPort.postMessage({ ready: false, error: { message: e.message, code: e.code, errcode: e.errcode, errstr: e.errstr } })
}
const cache = new Map()
parentPort.on('message', (m) => {
  if (m.stats) {
    parentPort.postMessage({ id: m.id, rows: [{ cached: cache.size }] })
    return
  }
  try {
    let st = cache.get(m.sql)
    if (st === undefined) {
      st = db.prepare(m.sql)
      if (cache.size >= workerData.cacheSize) cache.delete(cache.keys().next().value)
      cache.set(m.sql, st)
    }
    const rows = m.named ? st.all(m.params) : st.all(...m.params)
    parentPort.postMessage({ id: m.id, rows })
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: e.message, code: e.code, errcode: e.errcode, errstr: e.errstr } })
  }
})
`

interface WireError {
  message: string
  code?: string
  errcode?: number
  errstr?: string
}

/** Rebuilds an error sent across the thread boundary with the fields sqlite errors carry. */
function revive(wire: WireError): Error {
  const error = new Error(wire.message) as Error & { code?: string; errcode?: number; errstr?: string }
  error.code = wire.code
  error.errcode = wire.errcode
  error.errstr = wire.errstr
  return error
}

export class ReaderWorker {
  private readonly worker: Worker
  private seq = 0
  private pending: { id: number; resolve: (r: ExecResult) => void; reject: (e: unknown) => void } | null =
    null
  private dead: Error | null = null
  private onDeath: ((error: Error) => void) | null = null

  private constructor(worker: Worker) {
    this.worker = worker
  }

  static open(
    filename: string,
    pragmas: string[],
    onDeath: (w: ReaderWorker, error: Error) => void,
    cacheSize: number,
  ): Promise<ReaderWorker> {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { filename, pragmas, cacheSize } })
    const reader = new ReaderWorker(worker)
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        reader.dead = error
        const p = reader.pending
        reader.pending = null
        p?.reject(error)
        reader.onDeath?.(error)
      }
      worker.on('error', (e) =>
        fail(new DbError('HOTPATH_DB_WORKER', `SQLite reader worker failed: ${e.message}`, { cause: e })),
      )
      worker.on('exit', (code) =>
        fail(
          new DbError('HOTPATH_DB_WORKER', `SQLite reader worker exited (code ${code})`, {
            details: { exitCode: code },
          }),
        ),
      )
      worker.once('message', (m: { ready: boolean; error?: WireError }) => {
        if (!m.ready) {
          const cause = revive(m.error!)
          reject(
            new DbError(
              'HOTPATH_DB_CONNECTION',
              `cannot open SQLite database "${filename}" on a reader worker: ${cause.message}`,
              { cause, details: { filename } },
            ),
          )
          void worker.terminate()
          return
        }
        reader.onDeath = (error) => onDeath(reader, error)
        worker.on('message', (msg: { id: number; rows?: ExecResult['rows']; error?: WireError }) =>
          reader.onMessage(msg),
        )
        worker.unref()
        resolve(reader)
      })
      worker.once('exit', (code) =>
        reject(
          reader.dead ??
            new DbError(
              'HOTPATH_DB_WORKER',
              `SQLite reader worker exited (code ${code}) before it was ready`,
              {
                details: { exitCode: code },
              },
            ),
        ),
      )
    })
  }

  private onMessage(msg: { id: number; rows?: ExecResult['rows']; error?: WireError }): void {
    const p = this.pending
    if (p === null || p.id !== msg.id) return
    this.pending = null
    this.worker.unref()
    if (msg.error !== undefined) p.reject(revive(msg.error))
    else p.resolve({ rows: msg.rows!, rowCount: msg.rows!.length })
  }

  run(sql: string, params: Params): Promise<ExecResult> {
    if (this.dead !== null) return Promise.reject(this.dead)
    return new Promise((resolve, reject) => {
      const id = ++this.seq
      this.pending = { id, resolve, reject }
      this.worker.ref()
      const named = !Array.isArray(params)
      this.worker.postMessage({ id, sql: rewriteDollarParams(sql), params, named })
    })
  }

  /** Prepared statements the worker holds (tests). */
  cachedStatements(): Promise<number> {
    if (this.dead !== null) return Promise.reject(this.dead)
    return new Promise((resolve, reject) => {
      const id = ++this.seq
      this.pending = { id, resolve: (r) => resolve(Number(r.rows[0]?.cached)), reject }
      this.worker.ref()
      this.worker.postMessage({ id, stats: true })
    })
  }

  async close(): Promise<void> {
    this.onDeath = null
    await this.worker.terminate()
  }
}
