// One @hotpath/load run in a fresh process; prints { requests, sent, cpuUs, sendRate, errors } as JSON.
// argv: <url> <json options>
import { runLoad } from '@hotpath/load'

const [url, json] = process.argv.slice(2)
const options = JSON.parse(json)
const cpu0 = process.cpuUsage()
const r = await runLoad({ url, ...options })
const cpu = process.cpuUsage(cpu0)
console.log(
  JSON.stringify({
    requests: r.requests.completed,
    sent: r.requests.sent,
    errors: r.requests.errors,
    late: r.requests.late,
    dropped: r.requests.dropped,
    cpuUs: cpu.user + cpu.system,
    sendRate: r.throughput.sendRate,
    rps: r.throughput.rps,
  }),
)
