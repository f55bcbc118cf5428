// The floor of any Node.js generator at a low rate, for scale next to @hotpath/load -R 100: one timer wake per
// send and one raw socket read per response, nothing else (no parsing, no histograms). Steady-state CPU per
// request (after second 2) as JSON, like low-rate-child.mjs. argv: <url> <rate> <seconds>
import { connect } from 'node:net'

const [url, rate, seconds] = process.argv.slice(2)
const { hostname, port, host } = new URL(url)
const request = Buffer.from(`GET / HTTP/1.1\r\nhost: ${host}\r\n\r\n`)
let responses = 0
const socket = connect({
  host: hostname,
  port: Number(port),
  noDelay: true,
  onread: { buffer: Buffer.alloc(64 * 1024), callback: () => void responses++ },
})
await new Promise((resolve) => socket.once('connect', resolve))
const gapMs = 1000 / Number(rate)
const total = Math.round(Number(rate) * Number(seconds))
const warm = Math.round(Number(rate) * 2)
const start = performance.now()
let sent = 0
let mark = null
await new Promise((resolve) => {
  const send = () => {
    socket.write(request)
    sent++
    if (sent === warm) mark = { cpu: process.cpuUsage(), responses }
    if (sent < total) setTimeout(send, Math.max(0, start + sent * gapMs - performance.now()))
    else setTimeout(resolve, 50)
  }
  send()
})
const cpu = process.cpuUsage(mark.cpu)
socket.destroy()
console.log(JSON.stringify({ requests: responses - mark.responses, cpuUs: cpu.user + cpu.system }))
