// Opens the remote tier of a cache: its guard (deadline + breaker), the facade, and the wait for the first
// connect (calls made before it wait, bounded by connectTimeout, instead of failing).
import type { Counters } from './counters.ts'
import { deadline } from './deadline.ts'
import type { Invalidations } from './invalidations.ts'
import type { L2Backend } from './l2/backend.ts'
import { L2Guard } from './l2/guard.ts'
import { RedisBackend } from './l2/redis.ts'
import type { ResolvedOptions } from './options.ts'
import { RemoteTier } from './remote.ts'

export function openRemoteTier(
  backend: L2Backend,
  o: ResolvedOptions,
  inv: Invalidations,
  counters: Counters,
): RemoteTier {
  const guard = new L2Guard({
    namespace: o.namespace,
    timeout: o.l2Timeout,
    threshold: o.breakerThreshold,
    halfOpenAfter: o.breakerHalfOpenAfter,
    clock: o.clock,
  })
  const remote = new RemoteTier(backend, guard, {
    namespace: o.namespace,
    maxValueBytes: o.maxValueBytes,
    inv,
    clock: o.clock,
    counters,
  })
  if (backend instanceof RedisBackend) backend.onReady = () => guard.reconnected()
  const pending = backend.pending?.()
  if (pending !== undefined) {
    const done = (): void => {
      remote.connecting = undefined
    }
    remote.connecting = deadline(pending, o.connectTimeout).then(done, done)
    guard.gate = () => remote.connecting
  }
  return remote
}
