// One postgres.js window in a fresh process (it degrades over rounds inside one long-lived process):
// `select 1` with 50 concurrent callers on max 10 connections, or a batch of 20 statements pipelined
// on one connection. Prints { ops, wallMs, cpuUs } as one JSON line.
import postgres from 'postgres'

const [url, mode = 'select1', msArg = '700'] = process.argv.slice(2)
if (!url) throw new Error('usage: postgres-js-child.ts <url> select1|batch20 [ms]')
const ms = Number(msArg)
const sql = postgres(url, { max: mode === 'batch20' ? 1 : 10, onnotice: () => {} })

const select1 = async () => {
  const rows = await sql`select 1 as n`
  if (rows[0]?.n !== 1) throw new Error('select 1 returned a wrong row')
}
const batch20 = async () => {
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => sql`select ${i}::int as n`))
  if (results[19]?.[0]?.n !== 19) throw new Error('batch returned a wrong row')
}
const op = mode === 'batch20' ? batch20 : select1
const inFlight = mode === 'batch20' ? 1 : 50

// warm-up: connections open, statements prepared
const warmEnd = performance.now() + Math.max(50, ms / 4)
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (performance.now() < warmEnd) await op()
  }),
)
let ops = 0
const cpu0 = process.cpuUsage()
const start = performance.now()
const end = start + ms
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      await op()
      ops++
    }
  }),
)
const wallMs = performance.now() - start
const cpu = process.cpuUsage(cpu0)
process.stdout.write(`${JSON.stringify({ ops, wallMs, cpuUs: cpu.user + cpu.system })}\n`)
await sql.end({ timeout: 1 })
