// A pg "submittable" that pipelines many extended-protocol statements with a single Sync: one round
// trip, and PostgreSQL runs them in one implicit transaction (all or nothing).
import { encodePipeline, type WireStatement } from './pg-wire.ts'
import type { ExecResult, Params } from './types.ts'

interface PgField {
  name: string
  dataTypeID: number
  format: string
}

interface PgConnection {
  stream: { writable: boolean; write(chunk: Buffer): boolean }
  /** pg's per-connection record of named statements parsed (answered) and sent (not yet answered). */
  parsedStatements: Record<string, string>
  submittedNamedStatements: Record<string, string>
  sendCopyFail(message: string): void
}

export interface PgTypes {
  getTypeParser(oid: number, format?: string): (value: string) => unknown
}

/** Result columns of a named statement as described once on a connection, with their parsers. */
interface RowShape {
  fields: PgField[]
  parsers: ((value: string) => unknown)[]
}

/**
 * Per pg connection: the row shape of each named statement described there. A named statement's result
 * columns cannot change under it (the server fails it with 0A000 and it is prepared again under a new
 * name), so after its first run it is sent without Describe and its rows decode with the cached shape.
 */
const shapes = new WeakMap<PgConnection, Map<string, RowShape>>()

function shapesOf(connection: PgConnection): Map<string, RowShape> {
  let m = shapes.get(connection)
  if (m === undefined) {
    m = new Map()
    shapes.set(connection, m)
  }
  return m
}

/**
 * Writes Parse/Bind/Describe/Execute for each statement in one socket write: with one Sync at the end
 * (a batch: an error aborts the rest) or a Sync after each (auto-pipelining: an error fails only its own).
 * With `known`, a named statement already parsed and described on this connection goes without Parse and
 * Describe; `known[i]` is then its cached row shape.
 */
function writeStatements(
  connection: PgConnection,
  statements: readonly { sql: string; values: unknown[]; name?: string | undefined }[],
  syncEach: boolean,
  known?: (RowShape | undefined)[],
): void {
  const described = known === undefined ? undefined : shapesOf(connection)
  const wire: WireStatement[] = []
  for (const s of statements) {
    // A named statement is parsed once per connection (pg's own bookkeeping says which are).
    const name = s.name ?? ''
    let shape: RowShape | undefined
    const parse =
      name === '' ||
      (connection.parsedStatements[name] !== s.sql && connection.submittedNamedStatements[name] !== s.sql)
    if (parse) {
      if (name !== '') connection.submittedNamedStatements[name] = s.sql
    } else if (described !== undefined && connection.parsedStatements[name] === s.sql) {
      shape = described.get(name)
    }
    wire.push({ sql: s.sql, name, values: s.values, parse, describe: shape === undefined })
    known?.push(shape)
  }
  // As pg's own Connection#_send: nothing is written to a socket that is no longer writable (its error
  // or close event fails the query).
  if (connection.stream.writable) connection.stream.write(encodePipeline(wire, syncEach))
}

function parsersFor(fields: PgField[], types: PgTypes): ((value: string) => unknown)[] {
  return fields.map((f) => types.getTypeParser(f.dataTypeID, f.format || 'text'))
}

function decodeRow(
  fields: PgField[],
  parsers: ((value: string) => unknown)[],
  values: (string | null)[],
): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    row[fields[i]!.name] = v === null || v === undefined ? null : parsers[i]!(v)
  }
  return row
}

/** A statement of a batch: sent as a named prepared statement when `name` is set. */
export interface BatchStatement {
  sql: string
  values: unknown[]
  name: string | undefined
}

export class PipelineQuery {
  private readonly statements: BatchStatement[]
  private readonly types: PgTypes
  private readonly onDone: (error: unknown, results?: ExecResult[]) => void
  private readonly results: ExecResult[] = []
  private fields: PgField[] = []
  private parsers: ((value: string) => unknown)[] = []
  private rows: Record<string, unknown>[] = []
  private done = false
  private connection: PgConnection | undefined

  constructor(
    statements: BatchStatement[],
    types: PgTypes,
    callback: (error: unknown, results?: ExecResult[]) => void,
  ) {
    this.statements = statements
    this.types = types
    this.onDone = callback
  }

  submit(connection: PgConnection): null {
    this.connection = connection
    writeStatements(connection, this.statements, false)
    return null
  }

  /** The statement answering now (ParseComplete of statement i follows statement i - 1's completion). */
  get name(): string | undefined {
    return this.statements[this.results.length]?.name
  }

  get text(): string | undefined {
    return this.statements[this.results.length]?.sql
  }

  handleRowDescription(msg: { fields: PgField[] }): void {
    this.fields = msg.fields
    this.parsers = parsersFor(msg.fields, this.types)
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    this.rows.push(decodeRow(this.fields, this.parsers, msg.fields))
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
    // The server skips every message up to the Sync: the Parses sent after the failing statement never
    // ran, so pg must not believe them submitted (the next use would Bind a statement that does not exist).
    const c = this.connection
    if (c !== undefined) {
      for (let i = this.results.length; i < this.statements.length; i++) {
        const { name, sql } = this.statements[i]!
        if (name !== undefined && c.submittedNamedStatements[name] === sql)
          delete c.submittedNamedStatements[name]
      }
    }
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

/** One statement of an auto-pipeline: its own Sync (own implicit transaction). */
export interface PipelinedStatement {
  sql: string
  values: unknown[]
  /** Named prepared statement (parsed once per connection); undefined: the unnamed statement. */
  name: string | undefined
}

/** Who learns of the answers of an auto-pipeline. */
export interface PipelineEvents {
  /** Statement `i` answered (called at once, for timing). */
  answered(i: number): void
  /** Statement `i`'s outcome, in order (results may be held until the pipeline ends, see HOLD_MS). */
  done(i: number, error: unknown, result: ExecResult | undefined): void
  /** Every statement was handed over (or failed with the connection); the connection is free. */
  end(): void
}

interface PgClientInternals {
  _activeQuery: unknown
  readyForQuery: boolean
}

/**
 * The longest an answered statement's result is held back while the rest of its pipeline runs. The
 * server flushes after each Sync, so answers trickle in over several socket reads; handing them over
 * together makes the callers' next reads leave in one write (deep pipelines, few syscalls) instead of a
 * write per read. A pipeline that includes a slow statement stops holding after this long.
 */
const HOLD_MS = 2

/** The hold timer's callback (no closure per pipeline). */
const releaseHeld = (query: AutoPipelineQuery): void => query.release()

/**
 * Auto-pipelining: N autocommit statements written in one socket write, each followed by its own Sync,
 * so an error aborts only its own statement (the server skips to the next Sync) and each statement is
 * its own implicit transaction. pg's Client ends its active query at each ReadyForQuery; this
 * submittable stays the active one until the last statement's ReadyForQuery arrives.
 */
export class AutoPipelineQuery {
  private readonly statements: PipelinedStatement[]
  private readonly types: PgTypes
  private readonly client: PgClientInternals
  private readonly events: PipelineEvents
  private fields: PgField[] = []
  private parsers: ((value: string) => unknown)[] = []
  private rows: Record<string, unknown>[] = []
  /** Index of the statement whose answers arrive now. */
  private current = 0
  /** Statements handed over so far (the rest of those answered are held). */
  private delivered = 0
  private readonly errors: unknown[] = []
  private readonly results: (ExecResult | undefined)[] = []
  private result: ExecResult | undefined
  private error: unknown
  private ended = false
  private holding = true
  private holdTimer: NodeJS.Timeout | undefined
  private connection: PgConnection | undefined
  /** Per statement: its cached row shape when it went without Describe. */
  private readonly known: (RowShape | undefined)[] = []

  constructor(statements: PipelinedStatement[], types: PgTypes, client: unknown, events: PipelineEvents) {
    this.statements = statements
    this.types = types
    this.client = client as PgClientInternals
    this.events = events
  }

  submit(connection: PgConnection): null {
    this.connection = connection
    writeStatements(connection, this.statements, true, this.known)
    this.useShape()
    return null
  }

  /** The current statement, sent without Describe, decodes with its cached shape. */
  private useShape(): void {
    const shape = this.known[this.current]
    if (shape !== undefined) {
      this.fields = shape.fields
      this.parsers = shape.parsers
    }
  }

  /** The current statement's name and text: pg records a named statement as parsed on ParseComplete. */
  get name(): string | undefined {
    return this.statements[this.current]?.name
  }

  get text(): string | undefined {
    return this.statements[this.current]?.sql
  }

  handleRowDescription(msg: { fields: PgField[] }): void {
    this.fields = msg.fields
    this.parsers = parsersFor(msg.fields, this.types)
    const name = this.statements[this.current]?.name
    const c = this.connection
    // Described after its Parse succeeded: later runs on this connection skip Describe.
    if (
      name !== undefined &&
      c !== undefined &&
      c.parsedStatements[name] === this.statements[this.current]!.sql
    ) {
      const described = shapesOf(c)
      // Bounded: names retired after a schema change stay behind (clearing only costs a Describe each).
      if (described.size >= 4_000) described.clear()
      described.set(name, { fields: this.fields, parsers: this.parsers })
    }
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    this.rows.push(decodeRow(this.fields, this.parsers, msg.fields))
  }

  handleCommandComplete(msg: { text: string }): void {
    const m = /(\d+)$/.exec(msg.text)
    this.result = { rows: this.rows, rowCount: m ? Number(m[1]) : this.rows.length }
  }

  handleEmptyQuery(): void {
    this.result = { rows: [], rowCount: 0 }
  }

  handlePortalSuspended(): void {}

  /** A server error (ErrorResponse) of the current statement, or a dead connection (all the rest fail). */
  handleError(error: unknown): void {
    if (this.ended) return
    if (this.isServerError(error)) {
      this.error = error
      // pg dropped us as its active query: stay active until this statement's Sync answers.
      this.client._activeQuery = this
      return
    }
    this.ended = true
    this.stopHolding()
    this.deliver()
    for (let i = this.current; i < this.statements.length; i++) this.events.done(i, error, undefined)
    this.events.end()
  }

  private isServerError(error: unknown): boolean {
    const e = error as { name?: unknown; code?: unknown } | null
    return e?.name === 'error' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)
  }

  handleReadyForQuery(): void {
    if (this.ended) return
    const i = this.current++
    this.errors.push(this.error)
    this.results.push(this.error === undefined ? (this.result ?? { rows: [], rowCount: 0 }) : undefined)
    this.error = undefined
    this.result = undefined
    this.rows = []
    this.fields = []
    this.parsers = []
    this.useShape()
    const last = this.current >= this.statements.length
    if (!last) {
      // More statements answer after this Sync: keep pg from sending its next queued query.
      this.client._activeQuery = this
      this.client.readyForQuery = false
    } else this.ended = true
    this.events.answered(i)
    if (last) {
      this.stopHolding()
      this.deliver()
      this.events.end()
    } else if (!this.holding) this.deliver()
    else if (this.holdTimer === undefined) {
      this.holdTimer = setTimeout(releaseHeld, HOLD_MS, this)
      this.holdTimer.unref()
    }
  }

  /** The hold ran out (a slow statement in the pipeline): hand over what is answered, then each at once. */
  release(): void {
    this.holdTimer = undefined
    this.holding = false
    this.deliver()
  }

  private stopHolding(): void {
    this.holding = false
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer)
    this.holdTimer = undefined
  }

  /** Hands over every answered statement not handed over yet, in order. */
  private deliver(): void {
    while (this.delivered < this.current) {
      const i = this.delivered++
      this.events.done(i, this.errors[i], this.results[i])
    }
  }

  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFail('COPY is not supported in a pipelined statement')
  }

  handleCopyData(): void {}
}
