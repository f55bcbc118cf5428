// Public types of the pool: leases, options per acquire, statistics.

export interface TimeStats {
  count: number
  totalMs: number
  maxMs: number
}

export interface PoolStats {
  kind: 'pool'
  name: string
  size: number
  idle: number
  used: number
  pending: number
  min: number
  max: number
  created: number
  destroyed: number
  timeouts: number
  waitTime: TimeStats
  useTime: TimeStats
}

export interface Lease<T> {
  readonly resource: T
  /** Returns the resource to the pool (to the oldest waiter first). Throws if already released. */
  release(): void
  /** Removes the resource from the pool and destroys it (a broken connection). */
  destroy(reason?: unknown): void
}

export interface AcquireOptions {
  /** Overrides the pool's acquireTimeout for this call (ms, a finite number > 0). */
  timeout?: number
  /** Overrides the pool's failFast for this call (ready() waits through failing creates: false). */
  failFast?: boolean
  /** Aborting it takes the caller out of the queue and rejects with HOTPATH_DB_ABORTED. */
  signal?: AbortSignal
}

export interface Pool<T> {
  readonly name: string
  acquire(options?: AcquireOptions): Promise<Lease<T>>
  /**
   * acquire() without a promise: `onLease` runs synchronously when an idle resource is ready, else when
   * one is handed over (inside the releasing call); `onError` gets the coded timeout / closed / queue-full
   * error. Exactly one of the two is called, once. For drivers that want no promise per acquire.
   */
  acquireThen(
    onLease: (lease: Lease<T>) => void,
    onError: (error: unknown) => void,
    options?: AcquireOptions,
  ): void
  /** Synchronous fast path: a lease on an idle resource, or undefined (never waits, never validates). */
  tryAcquire(): Lease<T> | undefined
  /** True when no resource is idle and no more can be created (size + creating >= max): a new acquire waits. */
  saturated(): boolean
  /**
   * Runs a synchronous `fn(resource, a, b)` on an idle resource and returns its result, or returns `busy`
   * when no idle resource is ready (never waits, never allocates a lease). The resource goes back (to the
   * oldest waiter first) even when `fn` throws.
   */
  useSync<A, B, R>(fn: (resource: T, a: A, b: B) => R, a: A, b: B, busy: R): R
  use<R>(fn: (resource: T) => R | Promise<R>, options?: AcquireOptions): Promise<R>
  /** Resolves when `min` resources exist; rejects after acquireTimeout with the create error as cause. */
  ready(): Promise<void>
  /** Removes a resource that failed (an idle connection that errored); a leased one is destroyed on release. */
  invalidate(resource: T, error?: unknown): boolean
  /** Resolves when no lease is held and nobody waits. */
  drain(): Promise<void>
  close(): Promise<void>
  readonly closed: boolean
  stats(): PoolStats
  [Symbol.asyncDispose](): Promise<void>
}
