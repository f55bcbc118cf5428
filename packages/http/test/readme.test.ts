// The README's runnable examples (```ts blocks whose first line is `// example: <name>`) run against a real server
// on 127.0.0.1, with '@hotpath/http' pointing at the sources and the example's origin at the server.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { markdownCodeBlocks, startHttpServer, type TestServer } from '@hotpath/test-helpers'
import { afterAll, afterEach, describe, expect, it } from 'vitest'

const readme = new URL('../README.md', import.meta.url)
const scratch = new URL('./.readme-examples/', import.meta.url)
const index = new URL('../src/index.ts', import.meta.url).pathname

const examples = new Map<string, string>()
for (const block of markdownCodeBlocks(readme, 'ts')) {
  const m = /^\/\/ example: ([\w-]+)\n/.exec(block)
  if (m) examples.set(m[1] as string, block)
}

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

/** Writes the example with the server's origin and the sources' path, and imports (runs) it. */
async function runExample(name: string, origin: string): Promise<void> {
  const code = (examples.get(name) as string)
    .replaceAll("'@hotpath/http'", JSON.stringify(index))
    .replaceAll('http://127.0.0.1:3000', origin)
  await mkdir(scratch, { recursive: true })
  const file = new URL(`${name}-${process.pid}.ts`, scratch)
  await writeFile(file, code)
  await import(file.href)
}

describe('README examples', () => {
  it('lists the examples it runs', () => {
    expect([...examples.keys()].sort()).toEqual(['interceptors'])
  })

  it('interceptors: every request carries the header the interceptor adds', async () => {
    const ids: string[] = []
    server = await startHttpServer(async (req, res) => {
      ids.push(String(req.headers['x-request-id']))
      res.end('[]')
    })
    await runExample('interceptors', server.origin)
    expect(ids).toHaveLength(1)
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/)
  })
})
