// The hotpath:cache:factory tracing channel: one start..asyncEnd per factory run, with the factory running
// inside start's bound stores (what lets a query it runs be the child of a span made at start).
import { AsyncLocalStorage } from 'node:async_hooks'
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel'
import { captureTracing } from '@hotpath/test-helpers'
import { afterEach, describe, expect, it } from 'vitest'
import { type CacheFactoryTraceContext, factoryTracing } from '../src/channels.ts'
import { createCache } from '../src/index.ts'

const channel = tracingChannel<object, CacheFactoryTraceContext>('hotpath:cache:factory')
type Seen = { event: string; ctx: CacheFactoryTraceContext }
let cleanup: Array<() => void> = []
afterEach(() => {
  for (const c of cleanup) c()
  cleanup = []
})

function record(): Seen[] {
  const capture = captureTracing<CacheFactoryTraceContext>('hotpath:cache:factory')
  cleanup.push(capture.stop)
  return capture.events
}

describe('hotpath:cache:factory tracing channel', () => {
  it('is the channel the package publishes on', () => {
    expect(factoryTracing.start).toBe(channel.start as TracingChannel['start'])
  })

  it('traces a miss once, not the hit after it; the factory runs in the store bound at start', async () => {
    await using cache = createCache({ namespace: 'orders' })
    const seen = record()
    const als = new AsyncLocalStorage<{ span: string }>()
    channel.start.bindStore(als, (ctx) => ({ span: ctx.key }))
    cleanup.push(() => channel.start.unbindStore(als))
    const inside: Array<string | undefined> = []
    const factory = async () => {
      inside.push(als.getStore()?.span)
      await new Promise((r) => setTimeout(r, 1))
      inside.push(als.getStore()?.span)
      return 42
    }
    expect(await cache.getOrSet('order:1', factory)).toBe(42)
    expect(await cache.getOrSet('order:1', factory)).toBe(42)
    expect(inside).toEqual(['order:1', 'order:1'])
    expect(als.getStore()).toBeUndefined()
    expect(seen.map((s) => s.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    expect(seen[0]?.ctx).toMatchObject({ cache: 'orders', key: 'order:1', refresh: false, result: 42 })
  })

  it('a throwing factory ends with error (synchronous and asynchronous throws)', async () => {
    await using cache = createCache({ namespace: 'failing' })
    const seen = record()
    await expect(
      cache.getOrSet('a', () => {
        throw new Error('sync boom')
      }),
    ).rejects.toThrow('sync boom')
    await expect(
      cache.getOrSet('b', async () => {
        throw new Error('async boom')
      }),
    ).rejects.toThrow('async boom')
    expect(seen.map((s) => s.event)).toEqual([
      'start',
      'error',
      'end',
      'start',
      'end',
      'error',
      'asyncStart',
      'asyncEnd',
    ])
    expect((seen[1]!.ctx.error as Error).message).toBe('sync boom')
    expect((seen[5]!.ctx.error as Error).message).toBe('async boom')
  })
})
