// The README's runnable examples (```ts blocks whose first line is `// example: <name>`) run against the real
// Redis, with '@hotpath/cache' pointing at the sources and the example's namespace made unique for the run.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createClient } from '@redis/client'
import {
  markdownCodeBlocks,
  type RedisNamespace,
  redisNamespace,
  redisUrl,
  requireRedis,
} from '@hotpath/test-helpers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const readme = new URL('../README.md', import.meta.url)
const scratch = new URL('./.readme-examples/', import.meta.url)
const index = new URL('../src/index.ts', import.meta.url).pathname

const examples = new Map<string, string>()
for (const block of markdownCodeBlocks(readme, 'ts')) {
  const m = /^\/\/ example: ([\w-]+)\n/.exec(block)
  if (m) examples.set(m[1] as string, block)
}

let available = false
let ns: RedisNamespace | undefined
beforeAll(async () => {
  available = await requireRedis()
  ns = redisNamespace()
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
  if (available) await ns?.cleanup()
})

/** Writes the example with the sources' path, this run's namespace and Redis, and imports (runs) it. */
async function runExample(name: string, namespace: string): Promise<void> {
  const code = (examples.get(name) as string)
    .replaceAll("'@hotpath/cache'", JSON.stringify(index))
    .replaceAll("namespace: 'orders'", `namespace: ${JSON.stringify(namespace)}`)
    .replaceAll('redis://127.0.0.1:6379', redisUrl())
  await mkdir(scratch, { recursive: true })
  const file = new URL(`${name}-${process.pid}.ts`, scratch)
  await writeFile(file, code)
  await import(file.href)
}

describe('README examples', () => {
  it('lists the examples it runs', () => {
    expect([...examples.keys()].sort()).toEqual(['quick-start'])
  })

  it('quick-start: the order, the memoized call and the idempotent response land in Redis', async (ctx) => {
    if (!available) ctx.skip()
    const namespace = ns!.prefix
    await runExample('quick-start', namespace)
    const raw = createClient({ url: redisUrl() })
    await raw.connect()
    try {
      const keys: string[] = []
      for await (const batch of raw.scanIterator({ MATCH: `${namespace}:*`, COUNT: 500 })) keys.push(...batch)
      expect(keys).toContain(`${namespace}:order:42`)
      expect(keys).toContain(`${namespace}:idempotency:request-1`)
      expect(keys).toContain(`${namespace}:__hp:tag:customer:7`) // the invalidation stamp
      expect(keys.some((k) => k.startsWith(`${namespace}:wrap:getUser:`))).toBe(true)
      expect(await raw.get(`${namespace}:idempotency:request-1`)).toContain('"status":201')
    } finally {
      raw.destroy()
    }
  })
})
