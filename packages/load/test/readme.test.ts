// The README's runnable examples (```ts blocks whose first line is `// example: <name>`) run against a real
// orders API on 127.0.0.1, with '@hotpath/load' pointing at the sources and the example's origin at the server.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { markdownCodeBlocks } from '@hotpath/test-helpers'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type OrdersServer, startOrdersServer } from './orders-server.ts'

const readme = new URL('../README.md', import.meta.url)
const scratch = new URL('./.readme-examples/', import.meta.url)
const index = new URL('../src/index.ts', import.meta.url).pathname

const examples = new Map<string, string>()
for (const block of markdownCodeBlocks(readme, 'ts')) {
  const m = /^\/\/ example: ([\w-]+)\n/.exec(block)
  if (m) examples.set(m[1]!, block)
}

let server: OrdersServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

/** Writes the example with the server's origin and the sources' path, and imports (runs) it. */
async function runExample(name: string, origin: string, replace: Record<string, string> = {}): Promise<void> {
  let code = examples
    .get(name)!
    .replaceAll("'@hotpath/load'", JSON.stringify(index))
    .replaceAll('http://127.0.0.1:3000', origin)
  for (const [from, to] of Object.entries(replace)) code = code.replaceAll(from, to)
  await mkdir(scratch, { recursive: true })
  const file = new URL(`${name}-${process.pid}.ts`, scratch)
  await writeFile(file, code)
  await import(file.href)
}

describe('README examples', () => {
  it('lists the examples it runs', () => {
    expect([...examples.keys()].sort()).toEqual(['captures', 'library'])
  })

  it('the programmable scenario in the README is examples/orders.mjs, verbatim (programmable.test.ts runs it)', async () => {
    const file = await readFile(new URL('../examples/orders.mjs', import.meta.url), 'utf8')
    expect(markdownCodeBlocks(readme, 'js')).toContain(file)
  })

  it('library: an open-model run with thresholds and progress, written as an HTML report', async () => {
    server = await startOrdersServer()
    await mkdir(scratch, { recursive: true })
    const report = new URL(`report-${process.pid}.html`, scratch).pathname
    await runExample('library', server.origin, { "'report.html'": JSON.stringify(report) })
    expect(server.seen.filter((s) => s.url === '/orders').length).toBe(400)
    expect((await readFile(report, 'utf8')).startsWith('<!doctype html>')).toBe(true)
  })

  it('captures: create an order with a captured id, then read it', async () => {
    server = await startOrdersServer()
    await runExample('captures', server.origin)
    expect(server.created.size).toBeGreaterThanOrEqual(15)
    expect(server.reads.length).toBe(server.created.size)
    for (const id of server.reads) expect(server.created.has(id)).toBe(true)
  })
})
