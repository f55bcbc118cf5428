// WAL checkpoints off the event loop. SQLite's autocheckpoint runs inside the commit that takes the WAL past its
// bound: that commit copies the pages into the database file and fsyncs it on the main thread, and every request
// in flight waits (10-14 ms per checkpoint measured under the sample service's load). Here a worker thread with its
// own connection runs a PASSIVE checkpoint (it never waits for, nor blocks, the writer or the readers) a short
// while after writes; the writer keeps a high inline bound as the backstop should the worker fall behind or die.
import { Worker } from 'node:worker_threads'
import type { Clock } from '@hotpath/core'

/** The writer's inline wal_autocheckpoint while the background checkpointer runs (pages; SQLite's own is 1000). */
export const BACKSTOP_PAGES = 10_000
/** How long close() waits for a checkpoint in flight (ms). */
const CLOSE_WAIT = 5_000

const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { DatabaseSync } = require('node:sqlite')
let db
try {
  db = new DatabaseSync(workerData.filename)
  // This connection only checkpoints: it never takes the write lock, so it never needs to wait for one.
  db.exec('PRAGMA wal_autocheckpoint = 0')
  db.exec('PRAGMA busy_timeout = 0')
  parentPort.postMessage({ ready: true })
} catch (e) {
  parentPort.postMessage({ ready: false, message: e.message })
}
const statement = db && db.prepare('PRAGMA wal_checkpoint(PASSIVE)')
parentPort.on('message', (m) => {
  if (m === 'close') {
    db?.close()
    parentPort.close()
    return
  }
  const t0 = performance.now()
  try {
    const r = statement.get()
    parentPort.postMessage({ busy: r.busy, log: r.log, checkpointed: r.checkpointed, ms: performance.now() - t0 })
  } catch (e) {
    parentPort.postMessage({ error: e.message, ms: performance.now() - t0 })
  }
})
`

export interface CheckpointStats {
  mode: 'background'
  /** Checkpoints asked of the worker, and those that came back (with or without an error). */
  requested: number
  runs: number
  /** Runs that could not copy every frame (readers still used older ones: the next run goes on). */
  incomplete: number
  errors: number
  /** Frames in the WAL and frames in the database file after the last run. */
  lastLog: number
  lastCheckpointed: number
  /** Duration of the last run on the worker (ms). */
  lastMs: number
  inFlight: boolean
  /** The worker failed: SQLite's inline autocheckpoint (the backstop bound) is all that is left. */
  failed: boolean
}

interface Reply {
  ready?: boolean
  message?: string
  busy?: number
  log?: number
  checkpointed?: number
  error?: string
  ms?: number
}

export class WalCheckpointer {
  readonly #interval: number
  readonly #clock: Clock
  readonly #worker: Worker
  readonly #onFailure: (error: Error) => void
  #ready = false
  #timer: NodeJS.Timeout | null = null
  /** Writes landed since the last checkpoint was asked for. */
  #dirty = false
  #closed = false
  #exited = false
  #settled: (() => void) | null = null
  readonly #stats: CheckpointStats = {
    mode: 'background',
    requested: 0,
    runs: 0,
    incomplete: 0,
    errors: 0,
    lastLog: 0,
    lastCheckpointed: 0,
    lastMs: 0,
    inFlight: false,
    failed: false,
  }

  /** `onFailure`: the worker is gone; the caller lowers the writer's inline bound back to SQLite's own. */
  constructor(filename: string, interval: number, clock: Clock, onFailure: (error: Error) => void) {
    this.#interval = interval
    this.#clock = clock
    this.#onFailure = onFailure
    this.#worker = new Worker(CHECKPOINTER_SOURCE, { eval: true, workerData: { filename } })
    this.#worker.unref()
    this.#worker.on('message', (m: Reply) => this.#onMessage(m))
    this.#worker.on('error', (e) => this.#fail(e))
    this.#worker.on('exit', (code) => {
      this.#exited = true
      if (!this.#closed) this.#fail(new Error(`the checkpoint worker exited (code ${code})`))
    })
  }

  /** A write landed on the writer: a checkpoint follows within the interval. Cheap: at most one timer armed. */
  wrote(): void {
    this.#dirty = true
    if (this.#timer === null && !this.#stats.inFlight && this.#ready && !this.#closed) this.#arm()
  }

  stats(): CheckpointStats {
    return { ...this.#stats }
  }

  #arm(): void {
    this.#timer = setTimeout(this.#request, this.#interval)
    this.#timer.unref()
  }

  #request = (): void => {
    this.#timer = null
    if (this.#closed || this.#stats.failed) return
    this.#dirty = false
    this.#stats.requested++
    this.#stats.inFlight = true
    // A checkpoint in flight keeps the process alive until it lands (the worker holds the database file).
    this.#worker.ref()
    this.#worker.postMessage('run')
  }

  #onMessage(m: Reply): void {
    if (m.ready !== undefined) {
      if (!m.ready) {
        this.#fail(new Error(m.message ?? 'the checkpoint worker could not open the database'))
        return
      }
      this.#ready = true
      if (this.#dirty) this.#arm()
      return
    }
    this.#stats.inFlight = false
    this.#worker.unref()
    this.#stats.runs++
    this.#stats.lastMs = m.ms ?? 0
    if (m.error !== undefined) this.#stats.errors++
    else {
      this.#stats.lastLog = m.log ?? 0
      this.#stats.lastCheckpointed = m.checkpointed ?? 0
      if (m.busy === 1 || (m.checkpointed ?? 0) < (m.log ?? 0)) this.#stats.incomplete++
    }
    this.#settled?.()
    if (this.#dirty && !this.#closed) this.#arm()
  }

  #fail(error: Error): void {
    if (this.#stats.failed || this.#closed) return
    this.#stats.failed = true
    this.#stats.errors++
    this.#stats.inFlight = false
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#settled?.()
    void this.#worker.terminate()
    this.#onFailure(error)
  }

  /** Waits (bounded) for a checkpoint in flight, then closes the worker's connection and the worker. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    if (this.#stats.inFlight) {
      const deadline = this.#clock.now() + CLOSE_WAIT
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - this.#clock.now()))
        this.#settled = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#stats.inFlight = false
    }
    if (this.#exited) return
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()))
    this.#worker.postMessage('close')
    const timer = setTimeout(() => void this.#worker.terminate(), CLOSE_WAIT)
    await exited
    clearTimeout(timer)
  }
}
