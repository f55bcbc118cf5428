// Records the events of one diagnostics_channel tracingChannel (start, end, asyncStart, asyncEnd, error), each
// with the context object it was published with, in order.
import { tracingChannel } from 'node:diagnostics_channel'

export type TracingEventName = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error'

export interface TracingCapture<C> {
  /** Every event so far, in publishing order. */
  readonly events: { event: TracingEventName; ctx: C }[]
  /** Unsubscribes (idempotent). */
  stop(): void
}

/**
 * Subscribes to the tracing channel `name` (channels `tracing:<name>:<event>`). `onEvent` runs inside each
 * subscriber, before the event is recorded: a start subscriber may change the context (add a header, say).
 */
export function captureTracing<C extends object>(
  name: string,
  onEvent?: (event: TracingEventName, ctx: C) => void,
): TracingCapture<C> {
  const channel = tracingChannel<object, C>(name)
  const events: { event: TracingEventName; ctx: C }[] = []
  const on = (event: TracingEventName) => (ctx: C) => {
    onEvent?.(event, ctx)
    events.push({ event, ctx })
  }
  const handlers = {
    start: on('start'),
    end: on('end'),
    asyncStart: on('asyncStart'),
    asyncEnd: on('asyncEnd'),
    error: on('error'),
  }
  channel.subscribe(handlers)
  let subscribed = true
  return {
    events,
    stop() {
      if (subscribed) channel.unsubscribe(handlers)
      subscribed = false
    },
  }
}
