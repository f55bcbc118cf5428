// Starts the real service in-process on 127.0.0.1 (an ephemeral port) for end-to-end tests.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.ts'
import { eventually } from '@hotpath/test-helpers'
import { seed } from '../src/schema.ts'
import { createServices, type Mode, type ServiceConfig } from '../src/services.ts'
import { startUpstream, type Upstream } from '../src/upstream.ts'

export interface RunningService {
  origin: string
  upstream: Upstream
  services: ReturnType<typeof createServices>
  close(): Promise<void>
}

export async function startService(
  mode: Mode = 'optimized',
  extra: Partial<ServiceConfig> = {},
  customers = 20,
): Promise<RunningService> {
  const dir = await mkdtemp(join(tmpdir(), 'orders-e2e-'))
  const upstream = await startUpstream(1)
  const services = createServices({
    mode,
    sqliteFile: join(dir, 'orders.db'),
    upstreamOrigin: upstream.origin,
    ...extra,
  })
  await seed(services.db, customers)
  const app = buildApp(services)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return {
    origin,
    upstream,
    services,
    async close() {
      await app.close()
      await services.close()
      await upstream.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export function postOrder(
  origin: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${origin}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** Polls `url` until it answers 2xx (connection refused counts as not yet) and returns its JSON body. */
export async function waitForJson<T = unknown>(url: string, timeoutMs = 30_000): Promise<T> {
  let body: T | undefined
  await eventually(
    async () => {
      try {
        const res = await fetch(url)
        if (!res.ok) return false
        body = (await res.json()) as T
        return true
      } catch {
        return false
      }
    },
    { timeoutMs, intervalMs: 50, what: url },
  )
  return body as T
}
