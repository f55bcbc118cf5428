// One autocannon run in a fresh process; prints { requests, cpuUs, errors } as JSON. argv: <url> <connections> <seconds>
import autocannon from 'autocannon'

const [url, connections, seconds] = process.argv.slice(2)
const cpu0 = process.cpuUsage()
const r = await autocannon({ url, connections: Number(connections), duration: Number(seconds) })
const cpu = process.cpuUsage(cpu0)
console.log(
  JSON.stringify({ requests: r.requests.total, errors: r.errors + r.non2xx, cpuUs: cpu.user + cpu.system }),
)
