// The service in cluster mode as its own process tree (src/server.ts, WORKERS=2, SQLite in a temp dir): what the
// cluster tests start, watch through the primary's /workers and kill as a whole afterwards.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, freePort } from '@hotpath/test-helpers'

const server = new URL('../src/server.ts', import.meta.url).pathname

export interface WorkersAnswer {
  workers: Array<{ pid: number; listening: boolean }>
  restarts: number
  recycled: number
}

export interface ClusterProcess {
  port: number
  metricsPort: number
  /** What the primary and its workers wrote on stderr so far. */
  stderr(): string
  /** The primary's /workers (empty while it does not answer). */
  workers(): Promise<WorkersAnswer>
  /** Kills the whole tree (primary and workers), whatever state it is in, and removes the temp dir. */
  stop(): Promise<void>
}

/** JSON of a GET, or undefined when it fails or is not 2xx (a process still starting). */
export async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) })
    return res.ok ? ((await res.json()) as T) : undefined
  } catch {
    return undefined
  }
}

/** Starts the cluster with `env` on top of the defaults and resolves once two workers listen. */
export async function startCluster(name: string, env: Record<string, string> = {}): Promise<ClusterProcess> {
  const dir = await mkdtemp(join(tmpdir(), `orders-${name}-`))
  const [port, metricsPort] = [await freePort(), await freePort()]
  const child: ChildProcess = spawn(process.execPath, [server], {
    env: {
      ...process.env,
      MODE: 'optimized', // Vitest sets MODE=test in its own environment
      SEED: 'small',
      WORKERS: '2',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      SQLITE_FILE: join(dir, 'o.db'),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // own process group, so stop() can kill the tree
  })
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  const workers = async (): Promise<WorkersAnswer> =>
    (await getJson<WorkersAnswer>(`http://127.0.0.1:${metricsPort}/workers`)) ?? {
      workers: [],
      restarts: 0,
      recycled: 0,
    }
  const cluster: ClusterProcess = {
    port,
    metricsPort,
    stderr: () => stderr,
    workers,
    async stop() {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {}
        await exited
      }
      child.stderr?.destroy()
      await rm(dir, { recursive: true, force: true })
    },
  }
  try {
    await eventually(async () => (await workers()).workers.filter((w) => w.listening).length === 2, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: '2 listening workers',
      onTimeout: async () => `server stderr: ${stderr}`,
    })
  } catch (error) {
    await cluster.stop()
    throw error
  }
  return cluster
}
