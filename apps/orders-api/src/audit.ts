// Audit log of every write. Optimized: a bounded in-memory queue flushed in batches (one multi-row INSERT through
// @hotpath/db per batch), so a request never waits for the audit table. Overload policy: when the queue is full
// an append waits up to `backpressure` ms for room (brief backpressure), then the event is dropped and counted
// (`stats().dropped`, the `orders_api.audit.events{result="dropped"}` counter): never silent. `close()` flushes
// everything queued. Baseline: one synchronous INSERT per write, awaited by the request.
import type { Database } from '@hotpath/db'
import type { CounterFamily } from '@hotpath/metrics'

export interface AuditEvent {
  action: 'order.created' | 'order.status'
  orderId: number
  requestId: string
  /** Short JSON of what changed. */
  detail: string
}

export interface AuditStats {
  mode: 'queued' | 'sync'
  /** Events waiting in the queue now. */
  queued: number
  written: number
  /** Events dropped after the backpressure wait (queue full). */
  dropped: number
  /** Appends that had to wait for room. */
  waited: number
  batches: number
  /** Failed batch inserts (their events stay queued and are retried). */
  failures: number
}

export interface AuditOptions {
  /** Events the queue holds. Default 10_000. */
  capacity?: number
  /** Events per INSERT. Default 500. */
  batchSize?: number
  /** Longest an event waits before its batch is flushed (ms). Default 50. */
  interval?: number
  /** Longest an append waits for room in a full queue before the event is dropped (ms). Default 100. */
  backpressure?: number
  /** Called with the number of events written / dropped (metrics). */
  counter?: CounterFamily
}

export interface AuditLog {
  /** Resolves once the event is queued (or written, in sync mode), or dropped and counted. Never rejects. */
  append(event: AuditEvent): Promise<void>
  stats(): AuditStats
  /** Flushes everything queued, then stops. */
  close(): Promise<void>
}

const COLUMNS = '(at, action, order_id, request_id, detail)'

function insertSql(db: Database, rows: number): string {
  // SQLite gets `?` marks: rewriting `$n` marks costs more than the insert on large batches.
  let n = 0
  const mark = () => (db.system === 'postgresql' ? `$${++n}` : '?')
  const tuples = Array.from({ length: rows }, () => `(${mark()}, ${mark()}, ${mark()}, ${mark()}, ${mark()})`)
  return `INSERT INTO audit ${COLUMNS} VALUES ${tuples.join(', ')}`
}

function paramsOf(events: ReadonlyArray<AuditEvent & { at: string }>): unknown[] {
  return events.flatMap((e) => [e.at, e.action, e.orderId, e.requestId, e.detail])
}

/** Baseline: the INSERT runs inside the request. */
export function createSyncAudit(db: Database, counter?: CounterFamily): AuditLog {
  const stats: AuditStats = {
    mode: 'sync',
    queued: 0,
    written: 0,
    dropped: 0,
    waited: 0,
    batches: 0,
    failures: 0,
  }
  const sql = insertSql(db, 1)
  return {
    async append(event) {
      try {
        await db.execute(sql, paramsOf([{ ...event, at: new Date().toISOString() }]) as never)
        stats.written++
        stats.batches++
        counter?.add(1, { result: 'written' })
      } catch {
        stats.failures++
        stats.dropped++
        counter?.add(1, { result: 'dropped' })
      }
    },
    stats: () => ({ ...stats }),
    close: async () => {},
  }
}

export function createAuditQueue(db: Database, options: AuditOptions = {}): AuditLog {
  const capacity = options.capacity ?? 10_000
  const batchSize = options.batchSize ?? 500
  const interval = options.interval ?? 50
  const backpressure = options.backpressure ?? 100
  const counter = options.counter
  const stats: AuditStats = {
    mode: 'queued',
    queued: 0,
    written: 0,
    dropped: 0,
    waited: 0,
    batches: 0,
    failures: 0,
  }
  const queue: Array<AuditEvent & { at: string }> = []
  /** Appends waiting for room, woken after each flush. */
  let roomWaiters: Array<() => void> = []
  let timer: NodeJS.Timeout | undefined
  let flushing: Promise<void> | undefined
  let retryDelay = interval

  const schedule = (delay: number) => {
    if (timer || flushing) return
    timer = setTimeout(() => {
      timer = undefined
      void flush()
    }, delay)
    timer.unref()
  }

  const flushOnce = async (): Promise<boolean> => {
    const batch = queue.slice(0, batchSize)
    if (batch.length === 0) return true
    try {
      await db.execute(insertSql(db, batch.length), paramsOf(batch) as never)
    } catch {
      stats.failures++
      return false // the events stay queued; retried after a backoff
    }
    queue.splice(0, batch.length)
    stats.written += batch.length
    stats.batches++
    counter?.add(batch.length, { result: 'written' })
    const waiters = roomWaiters
    roomWaiters = []
    for (const wake of waiters) wake()
    return true
  }

  function flush(): Promise<void> {
    flushing ??= (async () => {
      while (queue.length > 0) {
        if (!(await flushOnce())) {
          retryDelay = Math.min(retryDelay * 2, 2000)
          break
        }
        retryDelay = interval
      }
    })().finally(() => {
      flushing = undefined
      if (queue.length > 0) schedule(retryDelay)
    })
    return flushing
  }

  const enqueue = (event: AuditEvent) => {
    queue.push({ ...event, at: new Date().toISOString() })
    if (queue.length >= batchSize) void flush()
    else schedule(interval)
  }

  let closed: Promise<void> | undefined
  return {
    async append(event) {
      if (queue.length < capacity) return enqueue(event)
      stats.waited++
      const deadline = performance.now() + backpressure
      while (queue.length >= capacity && performance.now() < deadline) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.max(1, deadline - performance.now()))
          roomWaiters.push(() => {
            clearTimeout(t)
            resolve()
          })
        })
      }
      if (queue.length < capacity) return enqueue(event)
      stats.dropped++
      counter?.add(1, { result: 'dropped' })
    },
    stats: () => ({ ...stats, queued: queue.length }),
    close() {
      closed ??= (async () => {
        if (timer) clearTimeout(timer)
        timer = undefined
        // Drain: a failing insert is retried a few times before giving up (then counted as dropped).
        for (let attempt = 0; queue.length > 0 && attempt < 20; attempt++) {
          await flush()
          if (queue.length > 0) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)))
        }
        if (timer) clearTimeout(timer)
        if (queue.length > 0) {
          stats.dropped += queue.length
          counter?.add(queue.length, { result: 'dropped' })
          queue.length = 0
        }
      })()
      return closed
    },
  }
}
