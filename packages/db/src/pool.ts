// The resource pool: fair FIFO waiters in a ring buffer with one lazily re-armed deadline timer,
// LIFO idle reuse, demand-capped creates with backoff, leak detection, lifetimes and idle eviction.
import type { Clock } from '@hotpath/core'
import {
  acquireChannel,
  type DbPoolDestroyReason,
  createChannel,
  destroyChannel,
  leakChannel,
  poolErrorChannel,
  releaseChannel,
  timeoutChannel,
} from './channels.ts'
import { isHotpathError } from '@hotpath/core'
import {
  AbortedError,
  AcquireTimeoutError,
  CreateFailedError,
  DbError,
  LeaseReleasedError,
  PoolClosedError,
  type PoolState,
  PoolQueueFullError,
} from './errors.ts'
import { check, type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './pool-options.ts'
import type { AcquireOptions, Lease, Pool, PoolStats, TimeStats } from './pool-types.ts'
import { type Waiter, WaiterQueue } from './waiters.ts'

export type { AcquireOptions, Lease, Pool, PoolStats, TimeStats } from './pool-types.ts'

interface Slot<T> {
  resource: T
  expiresAt: number
  lastReleased: number
  broken: boolean
  leased: boolean
}

class PoolLease<T> implements Lease<T> {
  readonly resource: T
  done = false
  leakReported = false
  /** Where acquire() was called; `.stack` is formatted only when a leak is reported. */
  origin: Error | undefined = undefined
  readonly slot: Slot<T>
  readonly pool: ResourcePool<T>
  readonly acquiredAt: number

  constructor(pool: ResourcePool<T>, slot: Slot<T>, acquiredAt: number) {
    this.pool = pool
    this.slot = slot
    this.resource = slot.resource
    this.acquiredAt = acquiredAt
  }

  release(): void {
    this.pool.giveBack(this, false, undefined)
  }

  destroy(reason?: unknown): void {
    this.pool.giveBack(this, true, reason)
  }
}

interface CallOptions {
  timeout: number
  failFast: boolean
  signal: AbortSignal | undefined
}

class ResourcePool<T> implements Pool<T> {
  readonly name: string
  private readonly o: ResolvedPoolOptions<T>
  private readonly defaults: CallOptions
  private readonly idle: Slot<T>[] = []
  private readonly waiters: WaiterQueue<Lease<T>>
  /** The instance clock: every time read of the pool (idle, lifetime, leaks, deadlines) goes through it. */
  private readonly clock: Clock
  private readonly slots = new Map<T, Slot<T>>()
  private used = 0
  private creating = 0
  private createFailures = 0
  private lastCreateError: unknown = undefined
  private retryTimer: NodeJS.Timeout | null = null
  private maintenanceTimer: NodeJS.Timeout | null = null
  private leakTimer: NodeJS.Timeout | null = null
  private readonly leases: Set<PoolLease<T>> | null
  private drainers: (() => void)[] | null = null
  private readyWaiters: { resolve: () => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }[] = []
  private readonly destroying = new Set<Promise<void>>()
  private readonly inFlight = new Set<Promise<void>>()
  private closePromise: Promise<void> | null = null
  closed = false
  private created = 0
  private destroyed = 0
  private timeouts = 0
  private readonly waitTime: TimeStats = { count: 0, totalMs: 0, maxMs: 0 }
  private readonly useTime: TimeStats = { count: 0, totalMs: 0, maxMs: 0 }

  constructor(options: PoolOptions<T>) {
    this.o = resolvePoolOptions(options)
    this.name = this.o.name
    this.clock = this.o.clock
    this.waiters = new WaiterQueue((w, t) => this.expire(w, t), this.clock)
    this.defaults = { timeout: this.o.acquireTimeout, failFast: this.o.failFast, signal: undefined }
    this.leases = this.o.leakDetection > 0 ? new Set() : null
    const { idleTimeout, maxLifetime, leakDetection } = this.o
    const period = Math.min(idleTimeout || Infinity, maxLifetime || Infinity)
    if (period !== Infinity) {
      this.maintenanceTimer = setInterval(() => this.maintain(), Math.max(25, Math.min(period / 2, 30_000)))
      this.maintenanceTimer.unref()
    }
    if (leakDetection > 0) {
      this.leakTimer = setInterval(() => this.checkLeaks(), Math.max(10, Math.min(leakDetection / 2, 5_000)))
      this.leakTimer.unref()
    }
    this.fill()
  }

  // ---- acquire -------------------------------------------------------------------------------

  /** Validates the per-call options (a NaN / Infinity / non-number timeout would wait forever). */
  private callOptions(options: AcquireOptions | undefined): CallOptions {
    if (options === undefined) return this.defaults
    const o = check.object('options', options, ['timeout', 'failFast', 'signal']) as AcquireOptions
    const signal = o.signal
    if (signal !== undefined && !(signal instanceof AbortSignal))
      check.fail('signal', signal, 'an AbortSignal')
    return {
      timeout: check.positive('timeout', o.timeout, this.o.acquireTimeout),
      failFast: check.boolean('failFast', o.failFast, this.o.failFast),
      signal,
    }
  }

  acquire(options?: AcquireOptions): Promise<Lease<T>> {
    return new Promise<Lease<T>>((resolve, reject) => this.borrow(resolve, reject, options))
  }

  /**
   * The one borrow loop of every waiting acquire path (acquire, acquireThen, use): an idle resource at
   * once (validated first when it sat idle long enough), else a place in the FIFO queue.
   */
  private borrow(
    onLease: (lease: Lease<T>) => void,
    onError: (error: unknown) => void,
    options: AcquireOptions | undefined,
  ): void {
    if (this.closed) {
      onError(new PoolClosedError(this.name))
      return
    }
    let call: CallOptions
    try {
      call = this.callOptions(options)
    } catch (error) {
      onError(error)
      return
    }
    if (call.signal?.aborted) {
      onError(new AbortedError(this.name, call.signal.reason))
      return
    }
    const t = this.clock.now()
    const slot = this.topIdle(t)
    if (slot !== undefined) {
      this.idle.pop()
      if (this.needsValidation(slot, t)) this.validateThenLend(slot, t, call).then(onLease, onError)
      else onLease(this.lend(slot, t, 0, this.leases === null ? undefined : new Error('lease acquired here')))
      return
    }
    if (this.waiters.pending >= this.o.maxWaiting) {
      onError(new PoolQueueFullError(this.name, this.o.maxWaiting))
      return
    }
    this.wait(t, call, onLease, onError)
  }

  /** The idle resource on top of the LIFO stack (not popped), after retiring expired ones; undefined when none. */
  private topIdle(t: number): Slot<T> | undefined {
    const idle = this.idle
    while (idle.length > 0) {
      const top = idle[idle.length - 1]!
      if (t < top.expiresAt) return top
      idle.pop()
      this.destroySlot(top, 'lifetime', undefined)
    }
    return undefined
  }

  private needsValidation(slot: Slot<T>, t: number): boolean {
    return t - slot.lastReleased >= this.o.validateAfterIdle
  }

  /** Queues a caller (FIFO); an AbortSignal takes it out of the queue again. */
  private wait(
    t: number,
    call: CallOptions,
    resolve: (lease: Lease<T>) => void,
    reject: (error: unknown) => void,
  ): void {
    const origin = this.leases === null ? undefined : new Error('lease acquired here')
    const w: Waiter<Lease<T>> = {
      resolve,
      reject,
      enqueuedAt: t,
      deadline: t + call.timeout,
      settled: false,
      origin,
      failFast: call.failFast,
    }
    const signal = call.signal
    if (signal !== undefined) {
      const onAbort = () => {
        if (this.waiters.cancel(w)) {
          reject(new AbortedError(this.name, signal.reason))
          if (this.drainers !== null) this.checkDrained()
        }
      }
      signal.addEventListener('abort', onAbort, { once: true })
      w.resolve = (lease) => {
        signal.removeEventListener('abort', onAbort)
        resolve(lease)
      }
      w.reject = (error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      }
    }
    this.waiters.add(w, t)
    this.fill()
  }

  acquireThen(
    onLease: (lease: Lease<T>) => void,
    onError: (error: unknown) => void,
    options?: AcquireOptions,
  ): void {
    this.borrow(onLease, onError, options)
  }

  saturated(): boolean {
    return this.idle.length === 0 && this.used + this.creating >= this.o.max
  }

  tryAcquire(): Lease<T> | undefined {
    if (this.closed) return undefined
    const t = this.clock.now()
    const slot = this.topIdle(t)
    if (slot === undefined || this.needsValidation(slot, t)) return undefined
    this.idle.pop()
    return this.lend(slot, t, 0, this.leases === null ? undefined : new Error('lease acquired here'))
  }

  useSync<A, B, R>(fn: (resource: T, a: A, b: B) => R, a: A, b: B, busy: R): R {
    if (this.closed || this.leases !== null) return this.useSyncLease(fn, a, b, busy)
    const t = this.clock.now()
    const slot = this.topIdle(t)
    if (slot === undefined || this.needsValidation(slot, t)) return busy
    this.idle.pop()
    // The lease-free path: same bookkeeping as lend() + giveBack(), without a lease object.
    slot.leased = true
    this.used++
    this.waitTime.count++
    if (acquireChannel.hasSubscribers) acquireChannel.publish({ pool: this.name, waitMs: 0 })
    try {
      return fn(slot.resource, a, b)
    } finally {
      slot.leased = false
      this.used--
      const t2 = this.clock.now()
      const useMs = t2 - t
      const u = this.useTime
      u.count++
      u.totalMs += useMs
      if (useMs > u.maxMs) u.maxMs = useMs
      if (releaseChannel.hasSubscribers) releaseChannel.publish({ pool: this.name, useMs })
      if (slot.broken || this.closed || t2 >= slot.expiresAt) {
        this.destroySlot(slot, slot.broken ? 'error' : this.closed ? 'close' : 'lifetime', undefined)
        this.fill()
      } else {
        slot.lastReleased = t2
        this.place(slot, t2)
      }
      if (this.drainers !== null) this.checkDrained()
    }
  }

  private useSyncLease<A, B, R>(fn: (resource: T, a: A, b: B) => R, a: A, b: B, busy: R): R {
    const lease = this.tryAcquire()
    if (lease === undefined) return busy
    try {
      return fn(lease.resource, a, b)
    } finally {
      lease.release()
    }
  }

  async use<R>(fn: (resource: T) => R | Promise<R>, options?: AcquireOptions): Promise<R> {
    const lease = await this.acquire(options)
    try {
      return await fn(lease.resource)
    } finally {
      if (!(lease as PoolLease<T>).done) lease.release()
    }
  }

  private lend(slot: Slot<T>, t: number, waitMs: number, origin: Error | undefined): PoolLease<T> {
    slot.leased = true
    this.used++
    const w = this.waitTime
    w.count++
    if (waitMs > 0) {
      w.totalMs += waitMs
      if (waitMs > w.maxMs) w.maxMs = waitMs
    }
    const lease = new PoolLease(this, slot, t)
    if (this.leases !== null) {
      lease.origin = origin
      this.leases.add(lease)
    }
    if (acquireChannel.hasSubscribers) acquireChannel.publish({ pool: this.name, waitMs })
    return lease
  }

  private async validateThenLend(slot: Slot<T>, t: number, call: CallOptions): Promise<Lease<T>> {
    slot.leased = true
    this.used++ // counted as used while validating so size stays exact
    const timeout = call.timeout
    const deadline = t + timeout
    let ok = false
    let timer: NodeJS.Timeout | undefined
    try {
      // A hung validate() counts as failed after half the caller's deadline (at most 5 s), which leaves
      // the other half to get a fresh resource.
      const timedOut = new Promise<boolean>((resolve) => {
        // Referenced: a caller waits on this validation.
        timer = setTimeout(() => resolve(false), Math.max(1, Math.min(5_000, timeout / 2)))
      })
      ok = (await Promise.race([Promise.resolve(this.o.validate!(slot.resource)), timedOut])) === true
    } catch {
      ok = false
    } finally {
      clearTimeout(timer)
    }
    this.used--
    slot.leased = false
    if (ok && !this.closed && !slot.broken) {
      return this.lend(
        slot,
        t,
        this.clock.now() - t,
        this.leases === null ? undefined : new Error('lease acquired here'),
      )
    }
    this.destroySlot(slot, 'validation', undefined)
    this.fill()
    if (this.drainers !== null) this.checkDrained()
    const remaining = deadline - this.clock.now()
    if (remaining <= 0) {
      this.timeouts++
      throw new AcquireTimeoutError(this.name, this.clock.now() - t, this.lastCreateError, this.state())
    }
    return this.acquire({ timeout: remaining, failFast: call.failFast, signal: call.signal })
  }

  /** The pool's state for error messages (HikariCP style). */
  private state(): PoolState {
    const idle = this.idle.length
    return { size: idle + this.used, idle, used: this.used, waiting: this.waiters.pending }
  }

  // ---- release -------------------------------------------------------------------------------

  giveBack(lease: PoolLease<T>, destroy: boolean, reason: unknown): void {
    if (lease.done) throw new LeaseReleasedError(this.name)
    lease.done = true
    const slot = lease.slot
    slot.leased = false
    this.used--
    const t = this.clock.now()
    const useMs = t - lease.acquiredAt
    const u = this.useTime
    u.count++
    u.totalMs += useMs
    if (useMs > u.maxMs) u.maxMs = useMs
    if (this.leases !== null) this.leases.delete(lease)
    if (releaseChannel.hasSubscribers) releaseChannel.publish({ pool: this.name, useMs })
    if (destroy || slot.broken || this.closed || t >= slot.expiresAt) {
      this.destroySlot(
        slot,
        destroy ? 'destroyed' : slot.broken ? 'error' : this.closed ? 'close' : 'lifetime',
        reason,
      )
      this.fill()
      if (this.drainers !== null) this.checkDrained()
      return
    }
    slot.lastReleased = t
    this.place(slot, t)
    if (this.drainers !== null) this.checkDrained()
  }

  /** Gives a free slot to the oldest live waiter, or parks it on the idle stack. */
  private place(slot: Slot<T>, t: number): void {
    const w = this.waiters.takeOldest()
    if (w === undefined) this.idle.push(slot)
    else w.resolve(this.lend(slot, t, t - w.enqueuedAt, w.origin))
  }

  // ---- creation ------------------------------------------------------------------------------

  /** Starts creates for the demand: waiters plus the `min` floor, capped by `max`. */
  private fill(): void {
    if (this.closed || this.retryTimer !== null) return
    const size = this.idle.length + this.used
    const desired = Math.min(this.o.max, Math.max(this.o.min, size + this.waiters.pending))
    let toStart = desired - size - this.creating
    while (toStart-- > 0) this.startCreate()
  }

  private startCreate(): void {
    this.creating++
    let p: Promise<T>
    try {
      p = Promise.resolve(this.o.create())
    } catch (error) {
      p = Promise.reject(error)
    }
    // A create that never settles (a hung connect) counts as failed after createTimeout; if it settles
    // later its resource is destroyed (it was never counted).
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      this.inFlight.delete(tracked)
      this.onCreateFailed(
        new DbError(
          'HOTPATH_DB_CREATE_TIMEOUT',
          `pool "${this.name}": create did not settle within ${this.o.createTimeout} ms`,
          {
            details: { pool: this.name, createTimeout: this.o.createTimeout },
          },
        ),
      )
    }, this.o.createTimeout)
    timer.unref()
    const tracked: Promise<void> = p.then(
      (resource) => {
        clearTimeout(timer)
        if (timedOut) {
          this.discardLate(resource)
          return
        }
        this.inFlight.delete(tracked)
        this.onCreated(resource)
      },
      (error: unknown) => {
        clearTimeout(timer)
        if (timedOut) return
        this.inFlight.delete(tracked)
        this.onCreateFailed(error)
      },
    )
    this.inFlight.add(tracked)
  }

  /** A resource whose create had already timed out: destroyed, never lent. */
  private discardLate(resource: T): void {
    const destroy = this.o.destroy
    if (destroy === undefined) return
    try {
      Promise.resolve(destroy(resource)).catch((e: unknown) => {
        if (poolErrorChannel.hasSubscribers) poolErrorChannel.publish({ pool: this.name, error: e })
      })
    } catch (e) {
      if (poolErrorChannel.hasSubscribers) poolErrorChannel.publish({ pool: this.name, error: e })
    }
  }

  private onCreated(resource: T): void {
    this.creating--
    this.createFailures = 0
    this.lastCreateError = undefined
    this.created++
    if (createChannel.hasSubscribers) createChannel.publish({ pool: this.name })
    const t = this.clock.now()
    const { maxLifetime } = this.o
    const jitter = maxLifetime > 0 ? Math.random() * Math.min(maxLifetime * 0.025, 30_000) : 0
    const slot: Slot<T> = {
      resource,
      expiresAt: maxLifetime > 0 ? t + maxLifetime - jitter : Number.POSITIVE_INFINITY,
      lastReleased: t,
      broken: false,
      leased: false,
    }
    this.slots.set(resource, slot)
    if (this.closed) {
      this.destroySlot(slot, 'close', undefined)
      return
    }
    this.place(slot, t)
    this.settleReady()
    this.fill()
  }

  private onCreateFailed(error: unknown): void {
    this.creating--
    this.createFailures++
    this.lastCreateError = error
    if (createChannel.hasSubscribers) createChannel.publish({ pool: this.name, error })
    if (this.closed) return
    const size = this.idle.length + this.used
    if (isHotpathError(error) && error.code === 'HOTPATH_DB_DRIVER_MISSING') {
      // Not transient: nobody waits for a module that is not installed.
      this.waiters.rejectWhere(() => true, error)
      for (const r of this.readyWaiters.splice(0)) {
        clearTimeout(r.timer)
        r.reject(error)
      }
      if (this.drainers !== null) this.checkDrained()
      return
    }
    if (size === 0 && this.creating === 0 && this.waiters.pending > 0) {
      // Nothing to hand over and nothing else on the way: the server is down. Callers that fail fast
      // learn it now, with the create error as cause; creates go on being retried for the others.
      const failed = new CreateFailedError(this.name, error)
      this.waiters.rejectWhere((w) => w.failFast, failed)
      if (this.drainers !== null) this.checkDrained()
    }
    if (this.retryTimer !== null) return
    if (this.waiters.pending === 0 && size >= this.o.min) return
    const base = Math.min(
      this.o.retryMaxDelay,
      this.o.retryInitialDelay * 2 ** Math.min(this.createFailures - 1, 20),
    )
    const delay = base / 2 + (Math.random() * base) / 2
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.fill()
    }, delay)
    // Keeps the process alive only while a caller waits for the retry (unref'd for the idle `min` refill).
    if (this.waiters.pending === 0 && this.readyWaiters.length === 0) this.retryTimer.unref()
  }

  // ---- destruction, errors, maintenance ------------------------------------------------------

  private destroySlot(slot: Slot<T>, reason: DbPoolDestroyReason, error: unknown): void {
    if (!this.slots.delete(slot.resource)) return
    this.destroyed++
    if (destroyChannel.hasSubscribers) destroyChannel.publish({ pool: this.name, reason, error })
    const destroy = this.o.destroy
    if (destroy === undefined) return
    let p: Promise<void>
    try {
      p = Promise.resolve(destroy(slot.resource))
    } catch (e) {
      p = Promise.reject(e)
    }
    const tracked: Promise<void> = p.then(
      () => {
        this.destroying.delete(tracked)
      },
      (e: unknown) => {
        this.destroying.delete(tracked)
        if (poolErrorChannel.hasSubscribers) poolErrorChannel.publish({ pool: this.name, error: e })
      },
    )
    this.destroying.add(tracked)
  }

  invalidate(resource: T, error?: unknown): boolean {
    const slot = this.slots.get(resource)
    if (slot === undefined) return false
    if (error !== undefined && poolErrorChannel.hasSubscribers)
      poolErrorChannel.publish({ pool: this.name, error })
    slot.broken = true
    if (!slot.leased) {
      const i = this.idle.indexOf(slot)
      if (i !== -1) this.idle.splice(i, 1)
      this.destroySlot(slot, 'error', error)
      this.fill()
    }
    return true
  }

  private maintain(): void {
    if (this.closed) return
    const t = this.clock.now()
    const { idleTimeout, min } = this.o
    const idle = this.idle
    // Oldest idle first (bottom of the LIFO stack).
    for (let i = 0; i < idle.length; ) {
      const slot = idle[i]!
      const size = idle.length + this.used
      if (t >= slot.expiresAt || (idleTimeout > 0 && t - slot.lastReleased >= idleTimeout && size > min)) {
        idle.splice(i, 1)
        this.destroySlot(slot, t >= slot.expiresAt ? 'lifetime' : 'idle', undefined)
      } else i++
    }
    this.fill()
  }

  private checkLeaks(): void {
    if (this.leases === null) return
    const t = this.clock.now()
    for (const lease of this.leases) {
      const heldMs = t - lease.acquiredAt
      if (!lease.leakReported && heldMs >= this.o.leakDetection) {
        lease.leakReported = true
        const stack = lease.origin?.stack
        if (leakChannel.hasSubscribers) leakChannel.publish({ pool: this.name, heldMs, stack })
        process.emitWarning(`Pool "${this.name}": a lease has been held for ${Math.round(heldMs)} ms`, {
          code: 'HOTPATH_DB_LEAK',
          detail: stack,
        })
      }
    }
  }

  // ---- deadlines -----------------------------------------------------------------------------

  /** A waiter's deadline passed (swept by the waiter queue's single timer). */
  private expire(w: Waiter<Lease<T>>, t: number): void {
    this.timeouts++
    const waitMs = t - w.enqueuedAt
    if (timeoutChannel.hasSubscribers) {
      timeoutChannel.publish({ pool: this.name, waitMs, pending: this.waiters.pending })
    }
    w.reject(new AcquireTimeoutError(this.name, waitMs, this.lastCreateError, this.state()))
    if (this.drainers !== null) this.checkDrained()
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new PoolClosedError(this.name))
    if (this.idle.length + this.used >= this.o.min) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const entry = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.readyWaiters = this.readyWaiters.filter((r) => r !== entry)
          reject(
            new AcquireTimeoutError(this.name, this.o.acquireTimeout, this.lastCreateError, this.state()),
          )
        }, this.o.acquireTimeout),
      }
      this.readyWaiters.push(entry)
    })
  }

  private settleReady(): void {
    if (this.readyWaiters.length === 0 || this.idle.length + this.used < this.o.min) return
    for (const r of this.readyWaiters) {
      clearTimeout(r.timer)
      r.resolve()
    }
    this.readyWaiters = []
  }

  drain(): Promise<void> {
    if (this.used === 0 && this.waiters.pending === 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      if (this.drainers === null) this.drainers = []
      this.drainers.push(resolve)
    })
  }

  private checkDrained(): void {
    if (this.used !== 0 || this.waiters.pending !== 0 || this.drainers === null) return
    const drainers = this.drainers
    this.drainers = null
    for (const d of drainers) d()
  }

  close(): Promise<void> {
    if (this.closePromise === null) this.closePromise = this.doClose()
    return this.closePromise
  }

  private async doClose(): Promise<void> {
    this.closed = true
    for (const timer of [this.retryTimer, this.maintenanceTimer, this.leakTimer]) {
      if (timer !== null) clearTimeout(timer)
    }
    this.retryTimer = this.maintenanceTimer = this.leakTimer = null
    const closedError = new PoolClosedError(this.name)
    for (const r of this.readyWaiters) {
      clearTimeout(r.timer)
      r.reject(closedError)
    }
    this.readyWaiters = []
    this.waiters.rejectAll(closedError)
    for (const slot of this.idle.splice(0)) this.destroySlot(slot, 'close', undefined)
    if (this.used > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        this.drain(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.o.closeTimeout)
        }),
      ])
      clearTimeout(timer)
      for (const slot of [...this.slots.values()]) this.destroySlot(slot, 'close', undefined)
    }
    this.checkDrained()
    // Creates still in flight finish (and are destroyed) before close() resolves, within closeTimeout.
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.all([...this.inFlight]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.o.closeTimeout)
        }),
      ])
      clearTimeout(timer)
    }
    await Promise.all([...this.destroying])
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  stats(): PoolStats {
    const idle = this.idle.length
    return {
      kind: 'pool',
      name: this.name,
      size: idle + this.used,
      idle,
      used: this.used,
      pending: this.waiters.pending,
      min: this.o.min,
      max: this.o.max,
      created: this.created,
      destroyed: this.destroyed,
      timeouts: this.timeouts,
      waitTime: { ...this.waitTime },
      useTime: { ...this.useTime },
    }
  }
}

/** Creates a driver-agnostic resource pool (see PoolOptions for the defaults). */
export function createPool<T>(options: PoolOptions<T>): Pool<T> {
  return new ResourcePool(options)
}
