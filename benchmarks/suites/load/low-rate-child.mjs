// One @hotpath/load run at a low rate in a fresh process: prints the steady-state CPU per request (from the end
// of second 2 to the end of the run, so module loading, connecting and JIT warm-up are not counted) as JSON.
// argv: <url> <rate> <seconds>
import { runLoad } from '@hotpath/load'

const [url, rate, seconds] = process.argv.slice(2)
let mark = null
const r = await runLoad({
  url,
  rate: Number(rate),
  connections: 4,
  duration: Number(seconds) * 1000,
  onProgress: (p) => {
    if (mark === null && p.elapsedMs >= 2000) mark = { cpu: process.cpuUsage(), requests: p.requests }
  },
})
const cpu = process.cpuUsage(mark.cpu)
const requests = r.requests.completed - mark.requests
console.log(
  JSON.stringify({
    requests,
    cpuUs: cpu.user + cpu.system,
    late: r.requests.late,
    errors: r.requests.errors,
    sendRate: r.throughput.sendRate,
  }),
)
