// Starts the real service in-process on 127.0.0.1 (an ephemeral port) for end-to-end tests.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually } from '@hotpath/test-helpers'
import { buildApp } from '../src/app.ts'
import { type SeedSize, seed } from '../src/seed.ts'
import { createServices, type Mode, type ServiceConfig } from '../src/services.ts'
import { startUpstream, type Upstream } from '../src/upstream.ts'

export interface RunningService {
  origin: string
  upstream: Upstream
  services: ReturnType<typeof createServices>
  close(): Promise<void>
}

/** The tests' seed: 20 customers with 10 orders each (ids 1..200), 200 products. */
export const TEST_SEED: SeedSize = { products: 200, customers: 20, orders: 200 }

export async function startService(
  mode: Mode = 'optimized',
  extra: Partial<ServiceConfig> & { upstream?: Upstream } = {},
  size: SeedSize = TEST_SEED,
): Promise<RunningService> {
  const dir = await mkdtemp(join(tmpdir(), 'orders-e2e-'))
  const { upstream: given, ...config } = extra
  const upstream = given ?? (await startUpstream(1))
  const services = createServices({
    mode,
    sqliteFile: join(dir, 'orders.db'),
    upstreamOrigin: upstream.origin,
    ...config,
  })
  await seed(services.db, size)
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
      if (!given) await upstream.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A valid POST /orders body: one line of `quantity` x `product`. */
export function orderBody(customer: number, product = 1, quantity = 1, currency = 'EUR') {
  return { customer, currency, lines: [{ product, quantity }] }
}

export function send(
  origin: string,
  method: 'POST' | 'PATCH',
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${origin}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

export function postOrder(
  origin: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return send(origin, 'POST', '/orders', body, headers)
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
