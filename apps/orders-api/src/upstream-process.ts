// Starts the stand-in upstream in its own process and hands back its origin.
import { type ChildProcess, spawn } from 'node:child_process'
import type { Upstream, UpstreamSettings } from './upstream.ts'

const main = new URL('./upstream-main.ts', import.meta.url).pathname

export async function startUpstreamProcess(settings: Partial<UpstreamSettings> = {}): Promise<Upstream> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) }
  if (settings.latency !== undefined) env.UPSTREAM_LATENCY = String(settings.latency)
  if (settings.errorRate !== undefined) env.UPSTREAM_ERROR_RATE = String(settings.errorRate)
  if (settings.maxAge !== undefined) env.UPSTREAM_MAX_AGE = String(settings.maxAge)
  const child: ChildProcess = spawn(process.execPath, [main], {
    env,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  })
  const origin = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk) => {
      out += chunk
      const line = out.split('\n')[0]
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { origin: string }).origin)
    })
    child.once('exit', (code) => reject(new Error(`upstream exited with ${code} before listening`)))
  })
  let requests = 0
  const control = (path: string, body?: unknown) =>
    fetch(`${origin}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }).then(
      (r) => r.json() as Promise<{ requests: number }>,
    )
  const upstream: Upstream = {
    origin,
    /** The count last read by `count()`. */
    get requests() {
      return requests
    },
    async count() {
      requests = (await control('/__stats')).requests
      return requests
    },
    async set(next) {
      await control('/__control', next)
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
  return upstream
}
