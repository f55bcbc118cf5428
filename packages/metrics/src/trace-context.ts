// Spans around a package's tracingChannel: started at `start`, ended at `asyncEnd` (or at `end` after a
// synchronous throw), and - when the registered OpenTelemetry context manager keeps its context in an
// AsyncLocalStorage, as the Node SDK's AsyncLocalStorageContextManager does - active for the traced work:
// `start.bindStore` makes the span's context the store of that ALS while the traced function runs, so a
// query inside a cache factory is the factory span's child. With any other context manager (or none) the
// spans are still children of the caller's active context, but work inside them is not their child.
//
// Several metrics instances bind the same store (shared-store.ts: one binding, each instance's transform in
// turn). The active span can be only one of their spans, so each instance also keeps its innermost span
// under a key of its own: while the active span is another instance's span of the same operation, an
// instance's next span is the child of its own (each tree keeps its parents), and closing one instance
// leaves the others' binding alone.
import type { AsyncLocalStorage } from 'node:async_hooks'
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel'
import { type Context, context, createContextKey, type Span, trace } from '@opentelemetry/api'
import type { TracingContexts } from './contracts.ts'
import { bindShared } from './shared-store.ts'

type Handlers<C> = {
  start: (ctx: C) => void
  end: (ctx: C) => void
  asyncStart: (ctx: C) => void
  asyncEnd: (ctx: C) => void
  error: (ctx: C) => void
}

export interface SpanHooks<C> {
  /** Starts the span of `ctx` under `parent`, or returns undefined to make none. */
  begin(ctx: C, parent: Context): Span | undefined
  /** Sets what is known at the end (status, result attributes); the span is ended after it. */
  finish(ctx: C, span: Span): void
}

const PROBE = createContextKey('@hotpath/metrics probe')
/** The span the last instance bound into the context: the active span, unless other code started one since. */
const BOUND = createContextKey('@hotpath/metrics bound span')

/** A context key of one metrics instance (createContextKey returns the same symbol for the same description). */
export function ownerKey(): symbol {
  return Symbol('@hotpath/metrics innermost span')
}

/** `span` active in `parent`, and the innermost span of `owner`. */
function bindSpan(parent: Context, owner: symbol, span: Span): Context {
  return trace.setSpan(parent, span).setValue(owner, span).setValue(BOUND, span)
}

/** The parent of `owner`'s next span: its own innermost span while another instance's is the active one. */
function parentFor(active: Context, owner: symbol): Context {
  const own = active.getValue(owner) as Span | undefined
  if (own === undefined) return active
  const top = trace.getSpan(active)
  return top !== own && top === active.getValue(BOUND) ? trace.setSpan(active, own) : active
}

/**
 * The AsyncLocalStorage the registered context manager keeps the active context in, when it is one (checked
 * by running a probe context through the manager and reading it back from the ALS), else undefined.
 */
export function contextStorage(): AsyncLocalStorage<Context> | undefined {
  const manager = (context as unknown as { _getContextManager?: () => unknown })._getContextManager?.()
  const als = (manager as { _asyncLocalStorage?: unknown } | undefined)?._asyncLocalStorage
  if (typeof (als as AsyncLocalStorage<Context> | undefined)?.getStore !== 'function') return undefined
  const probe = context.active().setValue(PROBE, true)
  const seen = context.with(probe, () => (als as AsyncLocalStorage<Context>).getStore())
  return seen === probe ? (als as AsyncLocalStorage<Context>) : undefined
}

/** Makes spans of one tracing channel until `close()`. Never throws into the publisher. */
export class TracedChannel<N extends keyof TracingContexts> {
  readonly #channel: TracingChannel<object, TracingContexts[N] & object>
  readonly #hooks: SpanHooks<TracingContexts[N]>
  readonly #spans: WeakMap<object, Span> = new WeakMap()
  readonly #handlers: Handlers<TracingContexts[N]>
  readonly #owner: symbol
  readonly #unbind: (() => void) | undefined

  /** `owner`: the key of the instance's innermost span (one per metrics instance, see ownerKey). */
  constructor(
    name: N,
    hooks: SpanHooks<TracingContexts[N]>,
    storage: AsyncLocalStorage<Context> | undefined,
    owner: symbol,
  ) {
    this.#channel = tracingChannel(name) as TracingChannel<object, TracingContexts[N] & object>
    this.#hooks = hooks
    this.#owner = owner
    this.#handlers = {
      start: (ctx) => {
        this.#open(ctx)
      },
      // `error` before `end` is a synchronous throw: no asyncEnd follows
      end: (ctx) => {
        if ((ctx as { error?: unknown }).error !== undefined) this.#close(ctx)
      },
      asyncStart: () => {},
      asyncEnd: (ctx) => this.#close(ctx),
      error: () => {},
    }
    this.#channel.subscribe(this.#handlers as never)
    // the transform runs before `start` is published, in the caller's context: it makes the span
    if (storage !== undefined) this.#unbind = bindShared(this.#channel.start, storage, this.#activate)
  }

  /** `current`: the caller's context, or what the instances bound before this one made of it. */
  readonly #activate = (ctx: TracingContexts[N], current: Context | undefined): Context => {
    const active = current ?? context.active()
    const span = this.#open(ctx, active)
    return span === undefined ? active : bindSpan(active, this.#owner, span)
  }

  #open(ctx: TracingContexts[N], active: Context = context.active()): Span | undefined {
    const spans = this.#spans
    const key = ctx as object
    const known = spans.get(key)
    if (known !== undefined) return known
    try {
      const span = this.#hooks.begin(ctx, parentFor(active, this.#owner))
      if (span !== undefined) spans.set(key, span)
      return span
    } catch {
      return undefined
    }
  }

  #close(ctx: TracingContexts[N]): void {
    const key = ctx as object
    const span = this.#spans.get(key)
    if (span === undefined) return
    this.#spans.delete(key)
    try {
      this.#hooks.finish(ctx, span)
    } catch {
      // a span that cannot be finished is still ended
    }
    span.end()
  }

  close(): void {
    this.#channel.unsubscribe(this.#handlers as never)
    this.#unbind?.()
  }
}
