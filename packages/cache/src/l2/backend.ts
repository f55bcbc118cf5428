// What the cache needs from an L2 store. Keys passed here are already `<namespace>:<key>`.

export interface L2Backend {
  readonly kind: 'redis' | 'keyv'
  get(key: string): Promise<unknown>
  getMany(keys: string[]): Promise<unknown[]>
  set(key: string, value: string, ttlMs: number): Promise<void>
  delete(key: string): Promise<boolean>
  /** Atomic set-if-absent with a TTL (Redis `SET NX PX`); only Redis backends have it. */
  setIfAbsent?(key: string, value: string, ttlMs: number): Promise<boolean>
  /** Deletes `key` only while it still holds `token` (lock release). */
  deleteIfEquals?(key: string, token: string): Promise<void>
  close(): Promise<void>
}
