// The shape of HttpClient#stats() (see docs/diagnostics-channels.md) and the pool figures from undici.
import type { Agent } from 'undici'
import type { BreakerState, CacheOutcome } from './channels.ts'

export interface PoolStatsSnapshot {
  connected: number
  free: number
  pending: number
  running: number
  size: number
}

export interface HttpClientStats {
  kind: 'http'
  name: string
  requests: number
  errors: Record<string, number>
  retries: number
  cache: Record<CacheOutcome, number>
  coalesced: number
  rateLimitWaits: number
  breakers: Record<string, BreakerState>
  pool: PoolStatsSnapshot
}

/** Sums undici's per-origin pool stats. */
export function poolStats(agent: Agent): PoolStatsSnapshot {
  const pool: PoolStatsSnapshot = { connected: 0, free: 0, pending: 0, running: 0, size: 0 }
  const all = agent.stats as Record<string, Partial<PoolStatsSnapshot>>
  for (const origin in all) {
    const s = all[origin] as Partial<PoolStatsSnapshot>
    pool.connected += s.connected ?? 0
    pool.free += s.free ?? 0
    pool.pending += s.pending ?? 0
    pool.running += s.running ?? 0
    pool.size += s.size ?? 0
  }
  return pool
}
