// A pg "submittable" that pipelines many extended-protocol statements with a single Sync: one round
// trip, and PostgreSQL runs them in one implicit transaction (all or nothing).
import type { ExecResult, Params } from './types.ts'

interface PgField {
  name: string
  dataTypeID: number
  format: string
}

interface PgConnection {
  stream: { cork?: () => void; uncork?: () => void }
  parse(q: { text: string; name: string; types: number[] }): void
  bind(q: { portal: string; statement: string; values: unknown[] }): void
  describe(q: { type: string; name: string }): void
  execute(q: { portal: string; rows: number }): void
  sync(): void
  sendCopyFail(message: string): void
}

export interface PgTypes {
  getTypeParser(oid: number, format?: string): (value: string) => unknown
}

export class PipelineQuery {
  private readonly statements: { sql: string; values: unknown[] }[]
  private readonly types: PgTypes
  private readonly onDone: (error: unknown, results?: ExecResult[]) => void
  private readonly results: ExecResult[] = []
  private fields: PgField[] = []
  private parsers: ((value: string) => unknown)[] = []
  private rows: Record<string, unknown>[] = []
  private done = false

  constructor(
    statements: { sql: string; values: unknown[] }[],
    types: PgTypes,
    callback: (error: unknown, results?: ExecResult[]) => void,
  ) {
    this.statements = statements
    this.types = types
    this.onDone = callback
  }

  submit(connection: PgConnection): null {
    connection.stream.cork?.()
    try {
      for (const s of this.statements) {
        connection.parse({ text: s.sql, name: '', types: [] })
        connection.bind({ portal: '', statement: '', values: s.values })
        connection.describe({ type: 'P', name: '' })
        connection.execute({ portal: '', rows: 0 })
      }
      connection.sync()
    } finally {
      connection.stream.uncork?.()
    }
    return null
  }

  handleRowDescription(msg: { fields: PgField[] }): void {
    this.fields = msg.fields
    this.parsers = msg.fields.map((f) => this.types.getTypeParser(f.dataTypeID, f.format || 'text'))
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    const row: Record<string, unknown> = {}
    const values = msg.fields
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      row[this.fields[i]!.name] = v === null || v === undefined ? null : this.parsers[i]!(v)
    }
    this.rows.push(row)
  }

  handleCommandComplete(msg: { text: string }): void {
    const m = /(\d+)$/.exec(msg.text)
    this.results.push({ rows: this.rows, rowCount: m ? Number(m[1]) : this.rows.length })
    this.rows = []
    this.fields = []
    this.parsers = []
  }

  handleEmptyQuery(): void {
    this.results.push({ rows: [], rowCount: 0 })
  }

  handlePortalSuspended(): void {}

  /** Statements completed so far (the index of the failing one when an error arrives). */
  completed(): number {
    return this.results.length
  }

  handleError(error: unknown): void {
    this.finish(error)
  }

  handleReadyForQuery(): void {
    this.finish(undefined)
  }

  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFail('COPY is not supported in batch()')
  }

  handleCopyData(): void {}

  private finish(error: unknown): void {
    if (this.done) return
    this.done = true
    if (error !== undefined) this.onDone(error)
    else this.onDone(undefined, this.results)
  }
}

export type { Params }
