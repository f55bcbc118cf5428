// Environment of the sample service. Defaults are embedded: memory cache + SQLite, no servers needed.
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Mode } from './services.ts'

export interface EnvConfig {
  port: number
  metricsPort: number
  host: string
  workers: number
  mode: Mode
  sqliteFile: string
  postgresUrl: string | undefined
  redisUrl: string | undefined
  upstreamOrigin: string | undefined
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const mode = env.SERVICE_MODE ?? 'optimized'
  if (mode !== 'optimized' && mode !== 'baseline')
    throw new Error(`SERVICE_MODE must be optimized or baseline, got ${mode}`)
  const workers = Number(env.WORKERS ?? 1)
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`WORKERS must be a positive integer, got ${env.WORKERS}`)
  return {
    port: Number(env.PORT ?? 3000),
    metricsPort: Number(env.METRICS_PORT ?? Number(env.PORT ?? 3000) + 1),
    host: env.HOST ?? '127.0.0.1',
    workers,
    mode,
    sqliteFile: env.SQLITE_FILE ?? join(tmpdir(), 'hotpath-orders.db'),
    postgresUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    upstreamOrigin: env.UPSTREAM_URL || undefined,
  }
}
