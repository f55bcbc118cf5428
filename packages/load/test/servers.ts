// Local test targets: a server process with seeded delay distributions and a freeze switch.
import { type ChildProcess, fork } from 'node:child_process'

export type TargetConfig =
  | { mode: 'none' }
  | { mode: 'constant'; ms: number }
  | { mode: 'bimodal'; seed: number; fastMs: number; slowMs: number; slowFraction: number }

export interface TargetStats {
  served: number
  held: number
  received: number
  /** The server's own record: service time of each response (request arrival to response written), ms. */
  serviceMs: number[]
  /** The server's worst event-loop delay so far, ms (time a request could wait before its arrival was seen). */
  loopDelayMaxMs: number
  /** Arrival time of each request (the server's performance.now(), ms). */
  arrivals: number[]
  /** Accept time of each connection (the server's performance.now(), ms). */
  connectedAt: number[]
}

export interface TargetProcess {
  readonly origin: string
  stats(): Promise<TargetStats>
  /** Holds every response until `ms` from now (the server "freezes"). */
  freeze(ms: number): Promise<void>
  close(): Promise<void>
}

const script = new URL('./fixtures/target-server.mjs', import.meta.url)

function reply<T>(child: ChildProcess, type: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', on)
      reject(new Error(`target server: no ${type} within ${timeoutMs} ms`))
    }, timeoutMs)
    const on = (msg: { type: string }) => {
      if (msg.type !== type) return
      clearTimeout(timer)
      child.off('message', on)
      resolve(msg as T)
    }
    child.on('message', on)
  })
}

export async function startTarget(config: TargetConfig = { mode: 'none' }): Promise<TargetProcess> {
  const child = fork(script, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const { port } = await reply<{ port: number }>(child, 'ready')
  return {
    origin: `http://127.0.0.1:${port}`,
    async stats() {
      const s = reply<TargetStats & { type: string }>(child, 'stats')
      child.send({ cmd: 'stats' })
      const { served, held, received, serviceMs, loopDelayMaxMs, arrivals, connectedAt } = await s
      return { served, held, received, serviceMs, loopDelayMaxMs, arrivals, connectedAt }
    },
    async freeze(ms: number) {
      const done = reply(child, 'frozen')
      child.send({ cmd: 'freeze', ms })
      await done
    },
    close() {
      if (child.exitCode !== null) return Promise.resolve()
      return new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
    },
  }
}

/**
 * The value at percentile `p` of `values`, ranked the way HdrHistogram's getValueAtPercentile ranks them
 * (`count = ceil(p / 100 * n)` less one ulp, at least 1), so that the k-th value here is compared with the k-th there.
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return 0
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9))
  return sorted[Math.min(sorted.length, rank) - 1]!
}
