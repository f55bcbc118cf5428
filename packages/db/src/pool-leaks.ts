// Leak detection: the leases out, swept by one timer; a lease held past `leakDetection` ms is reported
// once (hotpath:db:pool:leak and a process warning, with the stack of its acquire()).
import { leakChannel } from './channels.ts'
import type { PoolLease } from './pool-lease.ts'
import type { Clock } from '@hotpath/core'

export class LeakDetector<T> {
  private readonly pool: string
  private readonly threshold: number
  private readonly clock: Clock
  private readonly leases = new Set<PoolLease<T>>()
  private timer: NodeJS.Timeout | null

  constructor(pool: string, threshold: number, clock: Clock) {
    this.pool = pool
    this.threshold = threshold
    this.clock = clock
    this.timer = setInterval(() => this.check(), Math.max(10, Math.min(threshold / 2, 5_000)))
    this.timer.unref()
  }

  add(lease: PoolLease<T>): void {
    this.leases.add(lease)
  }

  delete(lease: PoolLease<T>): void {
    this.leases.delete(lease)
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  private check(): void {
    const t = this.clock.now()
    for (const lease of this.leases) {
      const heldMs = t - lease.acquiredAt
      if (!lease.leakReported && heldMs >= this.threshold) {
        lease.leakReported = true
        const stack = lease.origin?.stack
        if (leakChannel.hasSubscribers) leakChannel.publish({ pool: this.pool, heldMs, stack })
        process.emitWarning(`Pool "${this.pool}": a lease has been held for ${Math.round(heldMs)} ms`, {
          code: 'HOTPATH_DB_LEAK',
          detail: stack,
        })
      }
    }
  }
}
