// Trivial keep-alive HTTP server for the `http` suite; runs in its own process and prints its port.
// /items is uncacheable by headers (no Cache-Control), /cached is fresh for 5 minutes, and /count
// answers how many requests each path received (so the suite can prove a cache hit never left the client).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const body = Buffer.from(JSON.stringify({ ok: true, items: [1, 2, 3], name: 'hotpath' }))
const counts: Record<string, number> = {}
const server = createServer((req, res) => {
  const path = req.url ?? '/'
  if (path === '/count') {
    const text = JSON.stringify(counts)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
    return
  }
  counts[path] = (counts[path] ?? 0) + 1
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': body.length,
  }
  if (path === '/cached') headers['cache-control'] = 'max-age=300'
  res.writeHead(200, headers)
  res.end(body)
})
server.keepAliveTimeout = 60_000
server.headersTimeout = 65_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
process.on('disconnect', () => process.exit(0))
