// The resource pool: the one borrow loop (idle LIFO reuse with test-on-borrow, else a place in the fair
// FIFO queue), hand-over on release, demand-capped creates, lifetimes, idle eviction and close. The
// parts live beside it: waiters.ts (queue and deadline timer), idle-stack.ts, pool-creates.ts,
// pool-disposer.ts, pool-leaks.ts, pool-lifecycle.ts (ready/drain), pool-counters.ts, pool-lease.ts.
import { type Clock, isHotpathError } from '@hotpath/core'
import {
  acquireChannel,
  type DbPoolDestroyReason,
  destroyChannel,
  poolErrorChannel,
  releaseChannel,
  timeoutChannel,
} from './channels.ts'
import {
  AbortedError,
  AcquireTimeoutError,
  CreateFailedError,
  LeaseReleasedError,
  PoolClosedError,
  type PoolState,
  PoolQueueFullError,
} from './errors.ts'
import { type CallOptions, callOptions, validateWithin } from './borrow-options.ts'
import { IdleStack } from './idle-stack.ts'
import { PoolCounters } from './pool-counters.ts'
import { Creator } from './pool-creates.ts'
import { Disposer } from './pool-disposer.ts'
import { newSlot, PoolLease, type Slot } from './pool-lease.ts'
import { LeakDetector } from './pool-leaks.ts'
import { Drainers, ReadyWaiters, settleWithin } from './pool-lifecycle.ts'
import { type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './pool-options.ts'
import type { AcquireOptions, Lease, Pool, PoolStats } from './pool-types.ts'
import { type Waiter, WaiterQueue } from './waiters.ts'

export type { AcquireOptions, Lease, Pool, PoolStats, TimeStats } from './pool-types.ts'

class ResourcePool<T> implements Pool<T> {
  readonly name: string
  private readonly o: ResolvedPoolOptions<T>
  private readonly defaults: CallOptions
  private readonly idle: IdleStack<T>
  private readonly waiters: WaiterQueue<Lease<T>>
  /** The instance clock: every time read of the pool (idle, lifetime, leaks, deadlines) goes through it. */
  private readonly clock: Clock
  private readonly slots = new Map<T, Slot<T>>()
  private used = 0
  private readonly creator: Creator<T>
  private readonly disposer: Disposer<T>
  private readonly counters = new PoolCounters()
  private readonly leaks: LeakDetector<T> | null
  private readonly drainers = new Drainers()
  private readonly readyWaiters = new ReadyWaiters()
  private maintenanceTimer: NodeJS.Timeout | null = null
  private closePromise: Promise<void> | null = null
  closed = false

  constructor(options: PoolOptions<T>) {
    const o = resolvePoolOptions(options)
    this.o = o
    this.name = o.name
    this.clock = o.clock
    this.idle = new IdleStack((slot, reason) => this.destroySlot(slot, reason, undefined))
    this.waiters = new WaiterQueue((w, t) => this.expire(w, t), this.clock)
    this.defaults = { timeout: o.acquireTimeout, failFast: o.failFast, signal: undefined }
    this.disposer = new Disposer(o.name, o.destroy)
    this.creator = new Creator(
      {
        pool: o.name,
        create: o.create,
        createTimeout: o.createTimeout,
        retryInitialDelay: o.retryInitialDelay,
        retryMaxDelay: o.retryMaxDelay,
      },
      { created: (resource) => this.onCreated(resource), failed: (error) => this.onCreateFailed(error) },
      this.counters,
      this.disposer,
    )
    this.leaks = o.leakDetection > 0 ? new LeakDetector(o.name, o.leakDetection, this.clock) : null
    const period = Math.min(o.idleTimeout || Infinity, o.maxLifetime || Infinity)
    if (period !== Infinity) {
      this.maintenanceTimer = setInterval(() => this.maintain(), Math.max(25, Math.min(period / 2, 30_000)))
      this.maintenanceTimer.unref()
    }
    this.fill()
  }

  // ---- acquire -------------------------------------------------------------------------------

  /** Where acquire() was called, captured only when leak detection is on. */
  private origin(): Error | undefined {
    return this.leaks === null ? undefined : new Error('lease acquired here')
  }

  acquire(options?: AcquireOptions): Promise<Lease<T>> {
    return new Promise<Lease<T>>((resolve, reject) => this.borrow(resolve, reject, options))
  }

  acquireThen(
    onLease: (lease: Lease<T>) => void,
    onError: (error: unknown) => void,
    options?: AcquireOptions,
  ): void {
    this.borrow(onLease, onError, options)
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
      call = callOptions(options, this.defaults)
    } catch (error) {
      onError(error)
      return
    }
    if (call.signal?.aborted) {
      onError(new AbortedError(this.name, call.signal.reason))
      return
    }
    const t = this.clock.now()
    const slot = this.idle.top(t)
    if (slot !== undefined) {
      this.idle.pop()
      if (this.needsValidation(slot, t)) this.validateThenLend(slot, t, call).then(onLease, onError)
      else onLease(this.lend(slot, t, 0, this.origin()))
      return
    }
    if (this.waiters.pending >= this.o.maxWaiting) {
      onError(new PoolQueueFullError(this.name, this.o.maxWaiting))
      return
    }
    this.wait(t, call, onLease, onError)
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
    const w: Waiter<Lease<T>> = {
      resolve,
      reject,
      enqueuedAt: t,
      deadline: t + call.timeout,
      settled: false,
      origin: this.origin(),
      failFast: call.failFast,
    }
    if (call.signal !== undefined) {
      this.waiters.cancelOn(w, call.signal, (reason) => {
        reject(new AbortedError(this.name, reason))
        if (this.drainers.active) this.checkDrained()
      })
    }
    this.waiters.add(w, t)
    this.fill()
  }

  saturated(): boolean {
    return this.idle.length === 0 && this.used + this.creator.creating >= this.o.max
  }

  tryAcquire(): Lease<T> | undefined {
    if (this.closed) return undefined
    const t = this.clock.now()
    const slot = this.idle.top(t)
    if (slot === undefined || this.needsValidation(slot, t)) return undefined
    this.idle.pop()
    return this.lend(slot, t, 0, this.origin())
  }

  useSync<A, B, R>(fn: (resource: T, a: A, b: B) => R, a: A, b: B, busy: R): R {
    if (this.closed || this.leaks !== null) return this.useSyncLease(fn, a, b, busy)
    const t = this.clock.now()
    const slot = this.idle.top(t)
    if (slot === undefined || this.needsValidation(slot, t)) return busy
    this.idle.pop()
    // The lease-free path: same bookkeeping as lend() + giveBack(), without a lease object.
    slot.leased = true
    this.used++
    this.counters.lent(0)
    if (acquireChannel.hasSubscribers) acquireChannel.publish({ pool: this.name, waitMs: 0 })
    try {
      return fn(slot.resource, a, b)
    } finally {
      slot.leased = false
      this.used--
      const t2 = this.clock.now()
      const useMs = t2 - t
      this.counters.returned(useMs)
      if (releaseChannel.hasSubscribers) releaseChannel.publish({ pool: this.name, useMs })
      if (slot.broken || this.closed || t2 >= slot.expiresAt) {
        this.destroySlot(slot, slot.broken ? 'error' : this.closed ? 'close' : 'lifetime', undefined)
        this.fill()
      } else {
        slot.lastReleased = t2
        this.place(slot, t2)
      }
      if (this.drainers.active) this.checkDrained()
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
    this.counters.lent(waitMs)
    const lease = new PoolLease(this, slot, t)
    if (this.leaks !== null) {
      lease.origin = origin
      this.leaks.add(lease)
    }
    if (acquireChannel.hasSubscribers) acquireChannel.publish({ pool: this.name, waitMs })
    return lease
  }

  private async validateThenLend(slot: Slot<T>, t: number, call: CallOptions): Promise<Lease<T>> {
    slot.leased = true
    this.used++ // counted as used while validating so size stays exact
    const timeout = call.timeout
    const deadline = t + timeout
    const ok = await validateWithin(this.o.validate!, slot.resource, timeout)
    this.used--
    slot.leased = false
    if (ok && !this.closed && !slot.broken) return this.lend(slot, t, this.clock.now() - t, this.origin())
    this.destroySlot(slot, 'validation', undefined)
    this.fill()
    if (this.drainers.active) this.checkDrained()
    const remaining = deadline - this.clock.now()
    if (remaining <= 0) {
      this.counters.timeouts++
      throw new AcquireTimeoutError(this.name, this.clock.now() - t, this.creator.lastError, this.state())
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
    this.counters.returned(useMs)
    if (this.leaks !== null) this.leaks.delete(lease)
    if (releaseChannel.hasSubscribers) releaseChannel.publish({ pool: this.name, useMs })
    if (destroy || slot.broken || this.closed || t >= slot.expiresAt) {
      this.destroySlot(
        slot,
        destroy ? 'destroyed' : slot.broken ? 'error' : this.closed ? 'close' : 'lifetime',
        reason,
      )
      this.fill()
      if (this.drainers.active) this.checkDrained()
      return
    }
    slot.lastReleased = t
    this.place(slot, t)
    if (this.drainers.active) this.checkDrained()
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
    if (this.closed || this.creator.retrying) return
    const size = this.idle.length + this.used
    const desired = Math.min(this.o.max, Math.max(this.o.min, size + this.waiters.pending))
    let toStart = desired - size - this.creator.creating
    while (toStart-- > 0) this.creator.start()
  }

  private onCreated(resource: T): void {
    const t = this.clock.now()
    const slot = newSlot(resource, t, this.o.maxLifetime)
    this.slots.set(resource, slot)
    if (this.closed) {
      this.destroySlot(slot, 'close', undefined)
      return
    }
    this.place(slot, t)
    if (this.idle.length + this.used >= this.o.min) this.readyWaiters.resolveAll()
    this.fill()
  }

  private onCreateFailed(error: unknown): void {
    if (this.closed) return
    const size = this.idle.length + this.used
    if (isHotpathError(error) && error.code === 'HOTPATH_DB_DRIVER_MISSING') {
      // Not transient: nobody waits for a module that is not installed.
      this.waiters.rejectWhere(() => true, error)
      this.readyWaiters.rejectAll(error)
      if (this.drainers.active) this.checkDrained()
      return
    }
    if (size === 0 && this.creator.creating === 0 && this.waiters.pending > 0) {
      // Nothing to hand over and nothing else on the way: the server is down. Callers that fail fast
      // learn it now, with the create error as cause; creates go on being retried for the others.
      const failed = new CreateFailedError(this.name, error)
      this.waiters.rejectWhere((w) => w.failFast, failed)
      if (this.drainers.active) this.checkDrained()
    }
    if (this.waiters.pending === 0 && size >= this.o.min) return
    // Keeps the process alive only while a caller waits for the retry (unref'd for the idle `min` refill).
    this.creator.scheduleRetry(this.waiters.pending > 0 || this.readyWaiters.length > 0, () => this.fill())
  }

  // ---- destruction, errors, maintenance ------------------------------------------------------

  private destroySlot(slot: Slot<T>, reason: DbPoolDestroyReason, error: unknown): void {
    if (!this.slots.delete(slot.resource)) return
    this.counters.destroyed++
    if (destroyChannel.hasSubscribers) destroyChannel.publish({ pool: this.name, reason, error })
    this.disposer.dispose(slot.resource)
  }

  invalidate(resource: T, error?: unknown): boolean {
    const slot = this.slots.get(resource)
    if (slot === undefined) return false
    if (error !== undefined && poolErrorChannel.hasSubscribers)
      poolErrorChannel.publish({ pool: this.name, error })
    slot.broken = true
    if (!slot.leased) {
      this.idle.remove(slot)
      this.destroySlot(slot, 'error', error)
      this.fill()
    }
    return true
  }

  private maintain(): void {
    if (this.closed) return
    this.idle.evict(this.clock.now(), this.o.idleTimeout, this.o.min, this.used)
    this.fill()
  }

  /** A waiter's deadline passed (swept by the waiter queue's single timer). */
  private expire(w: Waiter<Lease<T>>, t: number): void {
    this.counters.timeouts++
    const waitMs = t - w.enqueuedAt
    if (timeoutChannel.hasSubscribers) {
      timeoutChannel.publish({ pool: this.name, waitMs, pending: this.waiters.pending })
    }
    w.reject(new AcquireTimeoutError(this.name, waitMs, this.creator.lastError, this.state()))
    if (this.drainers.active) this.checkDrained()
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new PoolClosedError(this.name))
    if (this.idle.length + this.used >= this.o.min) return Promise.resolve()
    const timeout = this.o.acquireTimeout
    return this.readyWaiters.wait(
      timeout,
      () => new AcquireTimeoutError(this.name, timeout, this.creator.lastError, this.state()),
    )
  }

  drain(): Promise<void> {
    if (this.used === 0 && this.waiters.pending === 0) return Promise.resolve()
    return this.drainers.wait()
  }

  private checkDrained(): void {
    if (this.used !== 0 || this.waiters.pending !== 0) return
    this.drainers.resolveAll()
  }

  close(): Promise<void> {
    if (this.closePromise === null) this.closePromise = this.doClose()
    return this.closePromise
  }

  private async doClose(): Promise<void> {
    this.closed = true
    this.creator.stop()
    if (this.maintenanceTimer !== null) clearInterval(this.maintenanceTimer)
    this.maintenanceTimer = null
    this.leaks?.stop()
    const closedError = new PoolClosedError(this.name)
    this.readyWaiters.rejectAll(closedError)
    this.waiters.rejectAll(closedError)
    for (const slot of this.idle.takeAll()) this.destroySlot(slot, 'close', undefined)
    if (this.used > 0) {
      await settleWithin(this.drain(), this.o.closeTimeout)
      for (const slot of [...this.slots.values()]) this.destroySlot(slot, 'close', undefined)
    }
    this.checkDrained()
    // Creates still in flight finish (and are destroyed) before close() resolves, within closeTimeout.
    const creates = this.creator.inFlightSettled()
    if (creates !== undefined) await settleWithin(creates, this.o.closeTimeout)
    await this.disposer.settled()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  stats(): PoolStats {
    const idle = this.idle.length
    const c = this.counters
    return {
      kind: 'pool',
      name: this.name,
      size: idle + this.used,
      idle,
      used: this.used,
      pending: this.waiters.pending,
      min: this.o.min,
      max: this.o.max,
      created: c.created,
      destroyed: c.destroyed,
      timeouts: c.timeouts,
      waitTime: { ...c.waitTime },
      useTime: { ...c.useTime },
    }
  }
}

/** Creates a driver-agnostic resource pool (see PoolOptions for the defaults). */
export function createPool<T>(options: PoolOptions<T>): Pool<T> {
  return new ResourcePool(options)
}
