import { connect } from 'node:net'
import { isCI, postgresUrl, redisUrl } from './env.ts'

/** Opens a TCP connection to host:port within `timeoutMs`; resolves true when it connects. */
export function canConnect(url: string, defaultPort: number, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || defaultPort) })
    const done = (ok: boolean) => {
      socket.destroy()
      clearTimeout(timer)
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError'
}

/**
 * Checks a service a test needs. Under CI=true an unreachable service is a failure (thrown),
 * never a silent skip; locally it returns false so the caller can skip with a visible reason.
 */
async function requireService(name: string, url: string, port: number): Promise<boolean> {
  if (await canConnect(url, port)) return true
  const message = `${name} is not reachable at ${url}; start it (see CONTRIBUTING.md, "Services for the tests") or set the URL env var`
  if (isCI()) throw new ServiceUnavailableError(message)
  console.warn(`[test-helpers] SKIPPING: ${message}`)
  return false
}

export function requireRedis(): Promise<boolean> {
  return requireService('Redis', redisUrl(), 6379)
}

export function requirePostgres(): Promise<boolean> {
  return requireService('PostgreSQL', postgresUrl(), 5432)
}
