// The primary's side of the cluster bus: every bus message a worker sends is forwarded to every other
// live worker (never back to its sender). A worker that is gone or whose channel is closed is skipped and
// counted; a failed send is counted; nothing throws. Workers forked later get the messages sent from then on
// (a new worker starts with an empty L1, so the ones it missed do not matter).
import nodeCluster, { type Cluster, type Worker } from 'node:cluster'
import { isTagged } from './cluster-bus.ts'
import { ClusterRoleError } from './errors.ts'

export interface ClusterBusRelayOptions {
  /** The cluster whose workers are relayed. Default: node:cluster. */
  cluster?: Cluster
}

export interface ClusterBusRelayStats {
  /** Bus messages received from workers. */
  received: number
  /** Copies sent to other workers. */
  forwarded: number
  /** Copies not sent: the worker was dead or its IPC channel disconnected. */
  skipped: number
  /** Copies whose send failed. */
  errors: number
  /** Tagged messages without a string channel and data (not forwarded). */
  invalid: number
}

export interface ClusterBusRelay {
  stats(): ClusterBusRelayStats
  /** Stops relaying (idempotent). */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Relays the cluster bus between the workers; call it in the primary before forking them. Throws
 * ClusterRoleError (HOTPATH_CACHE_CLUSTER_ROLE) outside the primary.
 */
export function clusterBusRelay(options: ClusterBusRelayOptions = {}): ClusterBusRelay {
  const cluster = options.cluster ?? nodeCluster
  if (!cluster.isPrimary) throw new ClusterRoleError('primary')
  const stats: ClusterBusRelayStats = { received: 0, forwarded: 0, skipped: 0, errors: 0, invalid: 0 }
  const failed = (error: Error | null): void => {
    if (error) stats.errors++
  }
  const onMessage = (sender: Worker, message: unknown): void => {
    if (!isTagged(message)) return // the app's own message
    if (typeof message.channel !== 'string' || typeof message.data !== 'string') {
      stats.invalid++
      return
    }
    stats.received++
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker === undefined || worker === sender) continue
      if (worker.isDead() || !worker.isConnected()) {
        stats.skipped++
        continue
      }
      stats.forwarded++
      try {
        worker.send(message, undefined, failed)
      } catch {
        stats.errors++
      }
    }
  }
  cluster.on('message', onMessage)
  let closed = false
  const close = (): Promise<void> => {
    if (!closed) {
      closed = true
      cluster.off('message', onMessage)
    }
    return Promise.resolve()
  }
  return {
    stats: () => ({ ...stats }),
    close,
    [Symbol.asyncDispose]: close,
  }
}
