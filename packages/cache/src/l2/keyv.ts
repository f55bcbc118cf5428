// L2 backend over any Keyv store adapter (or a Map). The cache owns prefixing and serialization, so the
// store's own namespace/serializer are bypassed: values are envelope strings under `<namespace>:<key>`.
import type { L2Backend } from './backend.ts'

interface StoreLike {
  get(key: string): unknown
  set(key: string, value: unknown, ttl?: number): unknown
  delete(key: string): unknown
  getMany?(keys: string[]): unknown
  disconnect?(): unknown
}

export class KeyvBackend implements L2Backend {
  readonly kind = 'keyv' as const
  readonly #store: StoreLike

  constructor(store: StoreLike) {
    this.#store = store
  }

  async get(key: string): Promise<unknown> {
    const v = await this.#store.get(key)
    return unwrap(v)
  }

  async getMany(keys: string[]): Promise<unknown[]> {
    if (typeof this.#store.getMany === 'function') {
      const values = (await this.#store.getMany(keys)) as unknown[]
      return values.map(unwrap)
    }
    return Promise.all(keys.map((k) => this.get(k)))
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#store.set(key, value, ttlMs)
  }

  async setMany(keys: string[], value: string, ttlMs: number): Promise<void> {
    await Promise.all(keys.map((k) => this.#store.set(k, value, ttlMs)))
  }

  async delete(key: string): Promise<boolean> {
    return Boolean(await this.#store.delete(key))
  }

  async deleteMany(keys: string[]): Promise<number> {
    const existed = await Promise.all(keys.map((k) => this.delete(k)))
    return existed.filter(Boolean).length
  }

  async close(): Promise<void> {}
}

/** Some adapters return `{ value, expires }` records (Keyv's StoredData); plain strings pass through. */
function unwrap(v: unknown): unknown {
  if (typeof v === 'object' && v !== null && 'value' in v && !('createdAt' in v))
    return (v as { value: unknown }).value
  return v
}
