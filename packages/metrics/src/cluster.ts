// Cluster mode over IPC: the primary asks every worker for its figures and merges them.
import cluster from 'node:cluster'
import type { WireMetric } from './otel-data.ts'
import type { ReportSource } from './report.ts'

export const IPC_TAG = '__hotpathMetrics'

export interface WorkerSnapshot {
  metrics: WireMetric[]
  source: ReportSource
}

interface CollectRequest {
  [IPC_TAG]: 'collect'
  id: number
}

interface CollectReply {
  [IPC_TAG]: 'snapshot'
  id: number
  snapshot?: WorkerSnapshot
  error?: string
}

/** A process the primary can ask: a node:cluster Worker or a child_process.fork child. */
export interface Peer {
  send(message: unknown): boolean
  on(event: 'message', listener: (message: unknown) => void): unknown
  off(event: 'message', listener: (message: unknown) => void): unknown
  isConnected?(): boolean
  connected?: boolean
}

export interface PeerResult {
  worker: string
  snapshot: WorkerSnapshot
}

export interface GatherResult {
  results: PeerResult[]
  /** Workers that did not answer before the deadline or failed. */
  missing: string[]
}

function connected(peer: Peer): boolean {
  if (typeof peer.isConnected === 'function') return peer.isConnected()
  return peer.connected !== false
}

let nextId = 1

/** Primary side: the peers are the current node:cluster workers plus children attached by hand. */
export async function gather(extra: Map<string, Peer>, timeoutMs: number): Promise<GatherResult> {
  const peers: Array<[string, Peer]> = []
  for (const w of Object.values(cluster.workers ?? {})) {
    if (w !== undefined) peers.push([String(w.id), w as unknown as Peer])
  }
  for (const entry of extra) peers.push(entry)
  const results: PeerResult[] = []
  const missing: string[] = []
  await Promise.all(
    peers.map(
      ([worker, peer]) =>
        new Promise<void>((resolve) => {
          if (!connected(peer)) {
            missing.push(worker)
            resolve()
            return
          }
          const id = nextId++
          const finish = (snapshot: WorkerSnapshot | undefined) => {
            clearTimeout(timer)
            peer.off('message', onMessage)
            if (snapshot === undefined) missing.push(worker)
            else results.push({ worker, snapshot })
            resolve()
          }
          const onMessage = (message: unknown) => {
            const m = message as Partial<CollectReply> | null
            if (m === null || typeof m !== 'object' || m[IPC_TAG] !== 'snapshot' || m.id !== id) return
            finish(m.snapshot)
          }
          const timer = setTimeout(() => finish(undefined), timeoutMs)
          timer.unref()
          peer.on('message', onMessage)
          try {
            const request: CollectRequest = { [IPC_TAG]: 'collect', id }
            peer.send(request)
          } catch {
            finish(undefined)
          }
        }),
    ),
  )
  results.sort((a, b) => a.worker.localeCompare(b.worker, 'en', { numeric: true }))
  return { results, missing }
}

/** Worker side: answers the primary's requests. Returns the function that stops answering. */
export function serveWorker(snapshot: () => Promise<WorkerSnapshot>): () => void {
  const send = process.send?.bind(process)
  if (send === undefined) return () => {}
  const onMessage = (message: unknown) => {
    const m = message as Partial<CollectRequest> | null
    if (m === null || typeof m !== 'object' || m[IPC_TAG] !== 'collect' || typeof m.id !== 'number') return
    const id = m.id
    snapshot().then(
      (s) => {
        const reply: CollectReply = { [IPC_TAG]: 'snapshot', id, snapshot: s }
        if (process.connected) send(reply)
      },
      (error: unknown) => {
        const reply: CollectReply = { [IPC_TAG]: 'snapshot', id, error: String(error) }
        if (process.connected) send(reply)
      },
    )
  }
  process.on('message', onMessage)
  return () => {
    process.off('message', onMessage)
  }
}

export function isClusterWorker(): boolean {
  return cluster.isWorker
}
