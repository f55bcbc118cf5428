// The statements instrumentation-pg does not time. It hooks pg's `Client#query` and ends its span (and
// records db.client.operation.duration) from the callback or promise of that call. @hotpath/db sends an
// auto-pipelined read, and every db.batch(), inside a pg "submittable" that has neither: the hook starts a
// span for the whole pipeline that it never ends, and times nothing. @hotpath/db says on each statement's
// `hotpath:db:query` event how it was really sent (`pipelined`, `batchSize`), so nothing here needs the
// statement's tracing context (tracing every statement would cost the db package CPU per statement).
import type { Payload } from './contracts.ts'

type Sent = Pick<Payload<'hotpath:db:query'>, 'pipelined' | 'batchSize'>

/** Whether instrumentation-pg cannot time this PostgreSQL statement: sent in a pipeline or a batch. */
export function outsidePgQueryCall(s: Sent): boolean {
  return s.pipelined === true || s.batchSize !== undefined
}

/** Whether a finished statement is one instrumentation-pg does not time (SQLite's are never pg's). */
export function pgUntimed(m: Sent & Pick<Payload<'hotpath:db:query'>, 'system'>): boolean {
  return m.system !== 'postgresql' || outsidePgQueryCall(m)
}
