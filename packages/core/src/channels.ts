// Typed diagnostics channels: the payload type of a channel is part of its package's public
// contract, and @hotpath/metrics imports those types only (no runtime arrow between packages).
import diagnostics_channel from 'node:diagnostics_channel'

/** A `diagnostics_channel.Channel` whose messages are `T`. It is the very same object at runtime. */
export interface TypedChannel<T extends object> {
  readonly name: string
  readonly hasSubscribers: boolean
  publish(message: T): void
  subscribe(listener: (message: T, name: string | symbol) => void): void
  unsubscribe(listener: (message: T, name: string | symbol) => void): boolean
}

/** The payload type of a TypedChannel. */
export type PayloadOf<C> = C extends TypedChannel<infer T> ? T : never

/** Creates (or finds) the named channel, typed by its payload. Zero cost over `diagnostics_channel.channel`. */
export function typedChannel<T extends object>(name: `hotpath:${string}`): TypedChannel<T> {
  return diagnostics_channel.channel(name) as unknown as TypedChannel<T>
}
