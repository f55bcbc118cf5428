// The stand-in upstream as its own process: `node src/upstream-main.ts`. Reads UPSTREAM_LATENCY (ms, default 50),
// UPSTREAM_ERROR_RATE (0..1, default 0), UPSTREAM_MAX_AGE (s, default 60), UPSTREAM_PORT (default 0: any free
// port) and prints `{"origin":"http://127.0.0.1:<port>"}` on stdout once it listens. Exits on SIGTERM.
import { listenUpstream, UPSTREAM_LATENCY } from './upstream.ts'

const number = (name: string, fallback: number, max: number): number => {
  const raw = process.env[name]
  const n = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isFinite(n) || n < 0 || n > max) {
    process.stderr.write(`upstream: ${name} must be a number 0..${max} (received "${raw}")\n`)
    process.exit(2)
  }
  return n
}

const settings = {
  latency: number('UPSTREAM_LATENCY', UPSTREAM_LATENCY, 60_000),
  errorRate: number('UPSTREAM_ERROR_RATE', 0, 1),
  maxAge: number('UPSTREAM_MAX_AGE', 60, 86_400),
}
const { server, origin } = await listenUpstream(settings, number('UPSTREAM_PORT', 0, 65_535))
process.stdout.write(`${JSON.stringify({ origin })}\n`)
const stop = () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
// The parent went away (its IPC channel closed): do not outlive it.
process.on('disconnect', stop)
