import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { canConnect } from './services.ts'
import { freePort } from './ports.ts'

export interface PrivateRedis {
  readonly port: number
  readonly url: string
  /** SIGKILL: the server vanishes without closing sockets cleanly (crash). */
  kill(): Promise<void>
  /** SIGSTOP / SIGCONT: a frozen server (half-open sockets, every call hangs). */
  freeze(): void
  thaw(): void
  /** Starts it again on the same port after kill(). */
  start(): Promise<void>
  stop(): Promise<void>
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** Spawns a private, throwaway `redis-server` on a free port, for tests that kill and restart Redis. */
export async function startPrivateRedis(binary = 'redis-server'): Promise<PrivateRedis> {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'hp-redis-'))
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | undefined

  const start = async () => {
    const proc = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    )
    child = proc
    await new Promise<void>((resolve, reject) => {
      proc.once('error', reject)
      proc.once('spawn', () => resolve())
    })
    await waitFor(() => canConnect(url, port, 200), 5000, `private redis-server on port ${port}`)
  }

  const kill = async () => {
    const proc = child
    child = undefined
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise((r) => proc.once('exit', r))
    proc.kill('SIGCONT')
    proc.kill('SIGKILL')
    await exited
  }

  await start()
  return {
    port,
    url,
    kill,
    start,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    async stop() {
      await kill()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
