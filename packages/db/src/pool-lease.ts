// A pooled resource's slot and the lease handed to a borrower.
import type { Lease } from './pool-types.ts'

/** One resource the pool owns, and what the pool knows about it. */
export interface Slot<T> {
  resource: T
  expiresAt: number
  lastReleased: number
  broken: boolean
  leased: boolean
}

/** A fresh slot; with `maxLifetime` (0: none) it expires up to 2.5 % (at most 30 s) early, so slots created together do not retire together. */
export function newSlot<T>(resource: T, t: number, maxLifetime: number): Slot<T> {
  const jitter = maxLifetime > 0 ? Math.random() * Math.min(maxLifetime * 0.025, 30_000) : 0
  return {
    resource,
    expiresAt: maxLifetime > 0 ? t + maxLifetime - jitter : Number.POSITIVE_INFINITY,
    lastReleased: t,
    broken: false,
    leased: false,
  }
}

/** What a lease hands itself back to (the pool). */
export interface LeaseOwner<T> {
  giveBack(lease: PoolLease<T>, destroy: boolean, reason: unknown): void
}

export class PoolLease<T> implements Lease<T> {
  readonly resource: T
  done = false
  leakReported = false
  /** Where acquire() was called; `.stack` is formatted only when a leak is reported. */
  origin: Error | undefined = undefined
  readonly slot: Slot<T>
  readonly owner: LeaseOwner<T>
  readonly acquiredAt: number

  constructor(owner: LeaseOwner<T>, slot: Slot<T>, acquiredAt: number) {
    this.owner = owner
    this.slot = slot
    this.resource = slot.resource
    this.acquiredAt = acquiredAt
  }

  release(): void {
    this.owner.giveBack(this, false, undefined)
  }

  destroy(reason?: unknown): void {
    this.owner.giveBack(this, true, reason)
  }
}
