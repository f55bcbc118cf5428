// What carries the invalidation bus's messages: Redis pub/sub (redis-bus.ts) or node:cluster IPC
// (cluster-bus.ts). A transport only moves strings on a channel and reports its connection; the Bus
// (bus.ts) keeps everything else the same for all of them: sender ids, validation, stats, the bounded
// queue, the L1 flush after a reconnect, the diagnostics events and the drain on close.

/** What a transport tells the bus. */
export interface BusTransportHooks {
  /** A raw message of the channel (the bus parses and validates it). */
  receive(raw: string): void
  /** Receiving works (again): the first call is the connect, later ones are reconnects. */
  up(): void
  /** Receiving stopped (messages may be lost until the next up()). */
  down(): void
  /** A transport error (counted in stats().bus.errors, never thrown). */
  error(): void
  /** Sending works (again): the bus sends what it queued meanwhile. */
  writable(): void
}

/** One cache's connection to a transport. */
export interface BusConnection {
  /** Connects; resolves once messages are received (the bus's part of ready()). */
  start(): Promise<void>
  /** Whether send() can go out now (else the bus queues). */
  readonly writable: boolean
  /** Sends one raw message; rejects (counted) when it did not go out. */
  send(raw: string): Promise<unknown>
  /** Stops receiving and releases what start() opened; idempotent, at any moment. */
  close(): Promise<unknown>
}

/** A transport of the invalidation bus: `bus: { transport }` (clusterBus() is the one this package ships). */
export interface BusTransport {
  /** Short name for errors and docs ('cluster'). */
  readonly kind: string
  /** Opens one cache's connection on `channel` (called once per cache, at createCache). */
  open(channel: string, hooks: BusTransportHooks): BusConnection
}
