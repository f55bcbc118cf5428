// Observable instruments that read `stats()` of registered caches, HTTP clients, pools and databases.
import type { Meter, ObservableCallback, ObservableResult, ObservableUpDownCounter } from '@opentelemetry/api'
import { MetricsObserveError } from './errors.ts'
import { NAMES } from './names.ts'

export type ObservedKind = 'cache' | 'http' | 'pool' | 'database'

/** Anything with a `stats()` returning a plain object with a `kind` (see docs/diagnostics-channels.md). */
export interface Observable {
  stats(): { kind: string }
}

interface PoolStatsLike {
  name?: unknown
  size?: unknown
  idle?: unknown
  used?: unknown
  pending?: unknown
  max?: unknown
}

const KINDS: readonly string[] = ['cache', 'http', 'pool', 'database']

export function assertObservable(target: unknown): asserts target is Observable {
  if (typeof target !== 'object' || target === null || typeof (target as Observable).stats !== 'function') {
    throw new MetricsObserveError(target)
  }
  let stats: unknown
  try {
    stats = (target as Observable).stats()
  } catch (error) {
    throw new MetricsObserveError(error, error)
  }
  const kind = (stats as { kind?: unknown } | undefined)?.kind
  if (typeof kind !== 'string' || !KINDS.includes(kind)) throw new MetricsObserveError(stats)
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

function safeStats(target: Observable): Record<string, unknown> | undefined {
  try {
    return target.stats() as unknown as Record<string, unknown>
  } catch {
    return undefined
  }
}

/** Creates the observable instruments once; they read every registered target at collection time. */
export class ObservedSet {
  readonly targets: Set<Observable> = new Set()
  #snapshot: Array<Record<string, unknown>> | undefined
  /** Instrument and callback pairs, removed by detach() (a user's provider outlives this instance). */
  readonly #callbacks: Array<[ObservableUpDownCounter, ObservableCallback]> = []

  /** Creates the instruments on a Meter (once). */
  attach(meter: Meter): void {
    const entries = meter.createObservableUpDownCounter(NAMES.cacheEntries, {
      description: 'Entries held by the in-process cache tier',
      unit: '{entry}',
    })
    this.#add(entries, (result) =>
      this.each('cache', (s) => {
        const n = num(s.entries)
        if (n !== undefined) result.observe(n, { 'hotpath.cache.name': String(s.name ?? 'unknown') })
      }),
    )
    const count = meter.createObservableUpDownCounter(NAMES.dbConnectionCount, {
      description: 'Connections in the pool by state (idle, used)',
      unit: '{connection}',
    })
    this.#add(count, (result) =>
      this.eachPool((pool) => {
        const name = String(pool.name ?? 'unknown')
        const idle = num(pool.idle)
        const used = num(pool.used)
        if (idle !== undefined)
          result.observe(idle, {
            'db.client.connection.pool.name': name,
            'db.client.connection.state': 'idle',
          })
        if (used !== undefined)
          result.observe(used, {
            'db.client.connection.pool.name': name,
            'db.client.connection.state': 'used',
          })
      }),
    )
    const pending = meter.createObservableUpDownCounter(NAMES.dbPendingRequests, {
      description: 'Requests waiting for a pool connection',
      unit: '{request}',
    })
    this.#add(pending, (result) => this.eachPool((pool) => this.observePool(result, pool, pool.pending)))
    const max = meter.createObservableUpDownCounter(NAMES.dbConnectionMax, {
      description: 'Maximum number of open connections allowed',
      unit: '{connection}',
    })
    this.#add(max, (result) => this.eachPool((pool) => this.observePool(result, pool, pool.max)))
    const open = meter.createObservableUpDownCounter(NAMES.httpClientOpenConnections, {
      description: 'Open HTTP client connections by state (active, idle)',
      unit: '{connection}',
    })
    this.#add(open, (result) =>
      this.each('http', (s) => {
        const pool = s.pool as { connected?: unknown; free?: unknown } | undefined
        const connected = num(pool?.connected)
        const free = num(pool?.free)
        if (connected === undefined || free === undefined) return
        const client = String(s.name ?? 'unknown')
        result.observe(Math.max(0, connected - free), {
          'hotpath.http.client': client,
          'http.connection.state': 'active',
        })
        result.observe(free, { 'hotpath.http.client': client, 'http.connection.state': 'idle' })
      }),
    )
  }

  #add(instrument: ObservableUpDownCounter, callback: ObservableCallback): void {
    instrument.addCallback(callback)
    this.#callbacks.push([instrument, callback])
  }

  /** Removes every callback from its instrument. */
  detach(): void {
    for (const [instrument, callback] of this.#callbacks) instrument.removeCallback(callback)
    this.#callbacks.length = 0
  }

  /** `stats()` of every target, for the report (targets that throw are skipped). */
  statsList(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = []
    for (const t of this.targets) {
      const s = safeStats(t)
      if (s !== undefined) out.push(s)
    }
    return out
  }

  private observePool(result: ObservableResult, pool: PoolStatsLike, value: unknown): void {
    const n = num(value)
    if (n !== undefined)
      result.observe(n, { 'db.client.connection.pool.name': String(pool.name ?? 'unknown') })
  }

  /** `stats()` of every target, read once per collection: all five instruments read it in one tick. */
  private snapshot(): Array<Record<string, unknown>> {
    let list = this.#snapshot
    if (list === undefined) {
      list = this.#snapshot = this.statsList()
      queueMicrotask(() => {
        this.#snapshot = undefined
      })
    }
    return list
  }

  private each(kind: ObservedKind, fn: (stats: Record<string, unknown>) => void): void {
    for (const s of this.snapshot()) if (s.kind === kind) fn(s)
  }

  private eachPool(fn: (pool: PoolStatsLike) => void): void {
    const seen = new Set<string>()
    for (const s of this.snapshot()) {
      const pool = (s.kind === 'pool' ? s : s.kind === 'database' ? s.pool : undefined) as
        | PoolStatsLike
        | undefined
      if (pool === undefined || pool === null) continue
      const name = String(pool.name ?? 'unknown')
      if (seen.has(name)) continue // a pool observed directly and through its database counts once
      seen.add(name)
      fn(pool)
    }
  }
}
