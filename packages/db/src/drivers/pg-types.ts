// The slice of `pg` the driver uses (typed locally: pg is an optional peer, imported at runtime only).
import { DriverMissingError } from '../errors.ts'
import type { PgTypes } from './pg-pipeline.ts'

export type PgResult = { rows: Record<string, unknown>[]; rowCount: number | null }
export type PgCallback = (error: unknown, result: PgResult | PgResult[] | undefined) => void

export interface PgClient {
  query(config: unknown): Promise<PgResult & PgResult[]>
  query(config: unknown, callback: PgCallback): void
  connect(): Promise<unknown>
  end(): Promise<void>
  on(event: 'error', fn: (error: Error) => void): unknown
  connection?: { stream?: { destroy(error?: Error): void } }
}

/** A pooled connection: the pg Client plus what it is busy with (for the stuck-query sweep). */
export interface Conn {
  readonly client: PgClient
  busySince: number
  busyWith: string | null
}

export interface PgModule {
  Client: new (config: Record<string, unknown>) => PgClient
  types: PgTypes
  utils: { prepareValue(value: unknown): unknown }
}

let pgModule: Promise<PgModule> | undefined

/** Imports `pg` once, on first use; a missing peer dependency is a coded error. */
export function loadPg(): Promise<PgModule> {
  pgModule ??= import('pg').then(
    (m) => ((m as { default?: unknown }).default ?? m) as PgModule,
    (error: unknown) => {
      pgModule = undefined
      throw new DriverMissingError('pg', error)
    },
  )
  return pgModule
}

export interface PgPlanNode {
  'Node Type'?: string
  'Relation Name'?: string
  Filter?: string
  Plans?: PgPlanNode[]
}
