// What a cache does with its bus: the messages of other instances (a key written or deleted, tags
// invalidated, a clear) applied to this instance's L1 and invalidation state, and the bus opened on its
// transport (Redis: on the L2 connection when both go to the same Redis, one connection less).
import type { Clock } from '@hotpath/core'
import { Bus, type BusMessage, type OpenConnection } from './bus.ts'
import type { Stamps } from './clock.ts'
import type { Invalidations } from './invalidations.ts'
import type { L2Backend } from './l2/backend.ts'
import { redisTarget } from './l2/open.ts'
import { RedisBackend, sameTarget } from './l2/redis.ts'
import type { LocalTier } from './local.ts'
import type { ResolvedOptions } from './options.ts'
import { RedisBusConnection } from './redis-bus.ts'
import { MAX_STAMP_SKEW } from './remote.ts'

/** What the bus changes in the cache. */
export interface BusHost {
  readonly local: LocalTier | undefined
  readonly inv: Invalidations
  readonly stamps: Stamps
  readonly clock: Clock
  /** Bumped by a clear: work started before it does not write into L1. */
  epoch: number
}

export function openBus(c: BusHost, o: ResolvedOptions, l2: L2Backend | undefined): Bus | undefined {
  const bus = o.bus
  if (bus === undefined) return undefined
  let open: OpenConnection
  if (bus.transport !== undefined) {
    const transport = bus.transport
    open = (hooks) => transport.open(bus.channel, hooks)
  } else {
    const target = bus.target
    const l2Target = redisTarget(o.l2)
    const shared =
      l2 instanceof RedisBackend && l2Target !== undefined && sameTarget(l2Target, target)
        ? l2.created
        : undefined
    open = (hooks) => new RedisBusConnection(target, bus.channel, hooks, shared)
  }
  return new Bus(
    o.namespace,
    {
      onMessage: (m) => applyBusMessage(c, m),
      onReconnect: () => {
        // messages may have been lost while disconnected
        c.local?.clear()
        c.inv.resetSynced()
      },
      onConnectedChange: (connected) => {
        c.inv.pushed = connected
      },
    },
    open,
  )
}

/** A bus stamp, or 0 when it is beyond now + the allowed skew (it would hide every entry for good). */
function busStamp(at: number | undefined, clock: Clock): number {
  return at !== undefined && at <= clock.epoch() + MAX_STAMP_SKEW ? at : 0
}

export function applyBusMessage(c: BusHost, m: BusMessage): void {
  const local = c.local
  switch (m.t) {
    case 'key':
      if (local !== undefined && m.keys !== undefined) for (const k of m.keys) local.delete(k)
      break
    case 'tags':
      if (m.tags !== undefined) {
        const at = Math.max(busStamp(m.at, c.clock), c.stamps.next())
        for (const tag of m.tags) c.inv.invalidateTag(tag, at)
      }
      break
    case 'clear':
      c.epoch++
      local?.clear()
      c.inv.invalidateAll(Math.max(busStamp(m.at, c.clock), c.stamps.next()))
      break
  }
}
