// The statements instrumentation-pg does not time. It hooks pg's `Client#query` and ends its span (and
// records db.client.operation.duration) from the callback or promise of that call. @hotpath/db sends an
// auto-pipelined read, and every db.batch(), inside a pg "submittable" that has neither: the hook starts a
// span for the whole pipeline that it never ends, and times nothing. Only the statement's tracing context
// tells such a statement apart (`pipelined`, `batchSize`): while anyone watches, that context is the store
// of an AsyncLocalStorage bound to the statement's tracing channel, and @hotpath/db publishes the statement's
// `hotpath:db:query` event inside that run. The context is read when the event comes, not at `start`.
import { AsyncLocalStorage } from 'node:async_hooks'
import { tracingChannel } from 'node:diagnostics_channel'
import type { TracingContexts } from './contracts.ts'
import { bindShared } from './shared-store.ts'
import { pgState } from './standard.ts'

type Statement = TracingContexts['hotpath:db:query']

/** Whether instrumentation-pg cannot time this PostgreSQL statement: sent in a pipeline or a batch. */
export function outsidePgQueryCall(s: Statement): boolean {
  return s.pipelined === true || s.batchSize !== undefined
}

const running = new AsyncLocalStorage<Statement>()
const start = tracingChannel<object, Statement & object>('hotpath:db:query').start
const itself = (s: Statement): Statement => s

const RECHECK_MS = 1_000

/**
 * Keeps each statement's tracing context at hand for its event, but only while that can matter: tracing
 * every statement costs the db package CPU per statement (about as much again as an untraced pipelined read),
 * so the binding stays only while the loaded `pg` is patched, or until it is known not to be. The state is
 * looked at again at most once a second on the statements' events, and at once when a connection is made.
 */
export class PgUntimedWatch {
  #stop: (() => void) | undefined
  #checkAt = 0

  /** Whether statements are watched now (while not, the durations apart are not needed either). */
  get watching(): boolean {
    return this.#stop !== undefined
  }

  /** Watches from now on (pg may load and be patched before the first statement ends). */
  start(): void {
    this.#stop ??= watchStatements()
  }

  /** On a statement's event (`system`: its db.system.name), or with none when a connection was made. */
  reconsider(system?: unknown): void {
    if (system !== undefined) {
      const now = performance.now()
      if (now < this.#checkAt) return
      this.#checkAt = now + RECHECK_MS
    }
    const state = pgState()
    if (state === 'patched') this.start()
    // pg not loaded while a SQLite statement runs: nothing here uses PostgreSQL yet (its first connection
    // loads pg, and calls this again)
    else if (state === 'plain' || system === 'sqlite') this.stop()
  }

  stop(): void {
    this.#stop?.()
    this.#stop = undefined
  }
}

function watchStatements(): () => void {
  return bindShared(start, running, itself)
}

/** Whether the statement whose event is published now is one instrumentation-pg cannot time (while watched). */
export function inPgUntimedStatement(): boolean {
  const s = running.getStore()
  return s !== undefined && outsidePgQueryCall(s)
}
