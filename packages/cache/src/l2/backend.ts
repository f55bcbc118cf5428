// What the cache needs from an L2 store. Keys passed here are already `<namespace>:<key>`.

export interface L2Backend {
  readonly kind: 'redis' | 'keyv'
  get(key: string): Promise<unknown>
  getMany(keys: string[]): Promise<unknown[]>
  set(key: string, value: string, ttlMs: number): Promise<void>
  /** Sets every key to the same value (pipelined, chunked): invalidation stamps. */
  setMany(keys: string[], value: string, ttlMs: number): Promise<void>
  delete(key: string): Promise<boolean>
  /** Deletes every key in one round trip; how many existed. */
  deleteMany(keys: string[]): Promise<number>
  /** A promise while the store has not connected yet (first connect); undefined once it has. */
  pending?(): Promise<void> | undefined
  /** The first successful connect. */
  connected?(): Promise<void>
  /** Atomic set-if-absent with a TTL (Redis `SET NX PX`); only Redis backends have it. */
  setIfAbsent?(key: string, value: string, ttlMs: number): Promise<boolean>
  /** Deletes `key` only while it still holds `token` (lock release). */
  deleteIfEquals?(key: string, token: string): Promise<void>
  /** Sets the TTL of `key` only while it still holds `token` (lock renewal); false when it does not. */
  renewIfEquals?(key: string, token: string, ttlMs: number): Promise<boolean>
  /** Adds `by` to the integer at `key`, giving it `ttlMs` when it has no TTL yet; the new count. */
  incrementBy?(key: string, by: number, ttlMs: number): Promise<number>
  close(): Promise<void>
}
