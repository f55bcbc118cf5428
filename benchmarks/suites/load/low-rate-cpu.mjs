// Issue 15 defect 6 target (<= 100 µs CPU per request at 100 req/s): not a suite, a script. Starts the suite's
// trivial server, runs @hotpath/load at 100 req/s in a fresh process for each round (low-rate-child.mjs: steady
// state, after second 2), prints the generator's CPU per request, and for scale the CPU per wake of an idle process
// with one 10 ms timer (the floor of anything that wakes 100 times a second on this machine).
// Run: node benchmarks/suites/load/low-rate-cpu.mjs [seconds=10] [rounds=3]
import { execFileSync, spawn } from 'node:child_process'

const dir = new URL('./', import.meta.url).pathname
const seconds = Number(process.argv[2] ?? 10)
const rounds = Number(process.argv[3] ?? 3)
const server = spawn(process.execPath, [`${dir}server.mjs`], { stdio: ['ignore', 'pipe', 'inherit'] })
const port = await new Promise((resolve) => {
  server.stdout.on('data', (d) => {
    const m = /ready (\d+)/.exec(String(d))
    if (m) resolve(Number(m[1]))
  })
})
const url = `http://127.0.0.1:${port}/`
const idle = `const c0 = process.cpuUsage(); const t = setInterval(() => {}, 10); setTimeout(() => { clearInterval(t); const c = process.cpuUsage(c0); console.log(c.user + c.system) }, ${seconds * 1000})`
try {
  for (let i = 0; i < rounds; i++) {
    const out = execFileSync(process.execPath, [`${dir}low-rate-child.mjs`, url, '100', String(seconds)], {
      cwd: dir,
    })
    const r = JSON.parse(String(out))
    const idleUs = Number(execFileSync(process.execPath, ['-e', idle]))
    console.log(
      `round ${i + 1}: ${r.requests} requests, ${(r.cpuUs / r.requests).toFixed(0)} µs CPU/request ` +
        `(steady state; an idle process with a 10 ms timer: ${(idleUs / (seconds * 100)).toFixed(0)} µs per wake), ` +
        `send rate ${r.sendRate}/s, late ${r.late}, errors ${r.errors}`,
    )
  }
} finally {
  server.kill('SIGTERM')
}
