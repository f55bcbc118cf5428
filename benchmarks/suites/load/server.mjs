// The trivial keep-alive target of the load suite, in its own process. Prints "ready <port>".
import { createServer } from 'node:http'

const body = Buffer.from('ok')
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' })
  res.end(body)
})
server.keepAliveTimeout = 120_000
server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`))
process.on('SIGTERM', () => process.exit(0))
