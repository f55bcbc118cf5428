// One autocannon run in a fresh process; prints { requests, cpuUs, errors, sendRate } as JSON.
// argv: <url> <connections> <seconds> [overallRate]  (with a rate: autocannon -R, its open-ish model)
import autocannon from 'autocannon'

const [url, connections, seconds, rate] = process.argv.slice(2)
const cpu0 = process.cpuUsage()
const r = await autocannon({
  url,
  connections: Number(connections),
  duration: Number(seconds),
  ...(rate ? { overallRate: Number(rate) } : {}),
})
const cpu = process.cpuUsage(cpu0)
console.log(
  JSON.stringify({
    requests: r.requests.total,
    errors: r.errors + r.non2xx,
    cpuUs: cpu.user + cpu.system,
    sendRate: r.requests.total / Number(seconds),
  }),
)
