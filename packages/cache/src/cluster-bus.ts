// The node:cluster IPC transport of the invalidation bus (worker side): messages go to the primary with
// process.send, tagged `{ hotpathBus: 1, channel, data }` so they never collide with the app's own IPC
// messages, and the primary's clusterBusRelay() forwards them to every other worker. One process
// listener serves every cache of the worker; caches of this process on the same channel also get each
// other's messages directly (the relay never sends a message back to its sender).
// IPC is reliable and ordered while the worker lives; there is no reconnect: once the channel
// disconnects the bus reports connected: false for good (the worker is on its way out).
import cluster from 'node:cluster'
import type { BusConnection, BusTransport, BusTransportHooks } from './bus-transport.ts'
import { ClusterRoleError } from './errors.ts'

/** The envelope of a bus message on the IPC channel. */
export interface ClusterBusEnvelope {
  hotpathBus: 1
  channel: string
  data: string
}

/** Whether an IPC message is one of the bus's (tagged); its fields may still be malformed. */
export function isTagged(message: unknown): message is Partial<ClusterBusEnvelope> {
  return typeof message === 'object' && message !== null && (message as ClusterBusEnvelope).hotpathBus === 1
}

/** The connections of this process by channel, fed by one 'message' listener while any is open. */
const byChannel = new Map<string, Set<ClusterConnection>>()

function onProcessMessage(message: unknown): void {
  if (!isTagged(message)) return // the app's own message
  const { channel, data } = message
  if (typeof channel !== 'string') {
    // malformed: no cache can claim it, so every cache of this process counts it
    for (const set of byChannel.values()) for (const c of set) c.hooks.error()
    return
  }
  const set = byChannel.get(channel)
  if (set === undefined) return // another namespace's bus, not used in this worker
  for (const c of set) {
    if (typeof data === 'string') c.hooks.receive(data)
    else c.hooks.error()
  }
}

function onProcessDisconnect(): void {
  for (const set of byChannel.values()) for (const c of set) c.hooks.down()
}

function listen(c: ClusterConnection): void {
  if (byChannel.size === 0) {
    // a 'message' listener keeps the IPC channel (and the worker) alive until the last cache closes
    process.on('message', onProcessMessage)
    process.on('disconnect', onProcessDisconnect)
  }
  let set = byChannel.get(c.channel)
  if (set === undefined) byChannel.set(c.channel, (set = new Set()))
  set.add(c)
}

function unlisten(c: ClusterConnection): void {
  const set = byChannel.get(c.channel)
  if (set === undefined || !set.delete(c)) return
  if (set.size === 0) byChannel.delete(c.channel)
  if (byChannel.size === 0) {
    process.off('message', onProcessMessage)
    process.off('disconnect', onProcessDisconnect)
  }
}

class ClusterConnection implements BusConnection {
  readonly channel: string
  readonly hooks: BusTransportHooks
  #open = false
  #closed = false

  constructor(channel: string, hooks: BusTransportHooks) {
    this.channel = channel
    this.hooks = hooks
  }

  get writable(): boolean {
    return this.#open && process.connected
  }

  start(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#open = true
    listen(this)
    if (process.connected) {
      this.hooks.up()
      this.hooks.writable()
    }
    return Promise.resolve()
  }

  send(raw: string): Promise<unknown> {
    // the other caches of this process on the channel (the relay skips the sender's worker)
    const local = byChannel.get(this.channel)
    if (local !== undefined && local.size > 1) {
      for (const c of local) if (c !== this) queueMicrotask(() => c.hooks.receive(raw))
    }
    const envelope: ClusterBusEnvelope = { hotpathBus: 1, channel: this.channel, data: raw }
    return new Promise((resolve, reject) => {
      if (process.send === undefined) return reject(new ClusterRoleError('worker'))
      process.send(envelope, undefined, undefined, (error: Error | null) =>
        error ? reject(error) : resolve(undefined),
      )
    })
  }

  close(): Promise<unknown> {
    this.#closed = true
    this.#open = false
    unlisten(this)
    return Promise.resolve()
  }
}

/**
 * The invalidation bus over node:cluster IPC, for `createCache({ bus: { transport: clusterBus() } })` in
 * a cluster worker; the primary runs clusterBusRelay(). Throws ClusterRoleError
 * (HOTPATH_CACHE_CLUSTER_ROLE) in a process that is not a node:cluster worker (no IPC channel to the primary).
 */
export function clusterBus(): BusTransport {
  if (!cluster.isWorker || typeof process.send !== 'function') throw new ClusterRoleError('worker')
  return {
    kind: 'cluster',
    open: (channel, hooks) => new ClusterConnection(channel, hooks),
  }
}
