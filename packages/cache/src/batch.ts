// getMany / setMany / deleteMany: L1 first, then one L2 round trip (MGET, pipelined SETs, one DEL) and one
// bus message, with the same rules as the single-key calls of the cache.
import { checkKey, checkKeys, checkTags } from './call-options.ts'
import type { Bus } from './bus.ts'
import { deleteChannel } from './channels.ts'
import type { Counters } from './counters.ts'
import { InvalidValueError } from './errors.ts'
import type { ProducerHost } from './getorset.ts'
import type { LocalTier } from './local.ts'
import { NONE } from './local.ts'
import { checks, type ResolvedOptions } from './options.ts'
import type { RemoteTier } from './remote.ts'
import type { SetManyEntry } from './types.ts'

const noop = (): void => {}

/** What the batch calls need of the cache. */
export interface BatchHost {
  readonly namespace: string
  readonly o: ResolvedOptions
  readonly local: LocalTier | undefined
  readonly remote: RemoteTier | undefined
  readonly bus: Bus | undefined
  readonly counters: Counters
  readonly epoch: number
  assertOpen(): void
  /** A fresh L1 value, counted as an L1 hit, or NONE. */
  l1Hit(key: string): unknown
  /** Counts and publishes a miss; undefined. */
  miss(key: string): undefined
  /** The value of a raw L2 reply (a promise only when invalidation stamps had to be read). */
  onL2Value(key: string, raw: unknown, epoch: number): unknown
  /** Stops a factory run of `key` from writing its result (the key was deleted). */
  cancelFactory(key: string): void
  /** Writes L1 and starts the L2 write (never rejects). */
  readonly store: ProducerHost['store']
  /** Registers a pending L2 write: close() flushes it. */
  track(p: Promise<void>): Promise<void>
}

export async function getMany(c: BatchHost, keys: readonly string[]): Promise<unknown[]> {
  c.assertOpen()
  checkKeys(keys)
  const out: unknown[] = new Array(keys.length)
  const missing: number[] = []
  for (let i = 0; i < keys.length; i++) {
    const hit = c.l1Hit(keys[i]!)
    if (hit === NONE) missing.push(i)
    else out[i] = hit
  }
  const remote = c.remote
  if (remote === undefined) {
    for (const i of missing) out[i] = c.miss(keys[i]!)
    return out
  }
  if (missing.length === 0) return out
  const epoch = c.epoch
  const raws = await remote.readMany(missing.map((i) => keys[i]!)) // undefined: L2 failed, all misses
  for (let j = 0; j < missing.length; j++) {
    const key = keys[missing[j]!]!
    const value = raws === undefined ? c.miss(key) : c.onL2Value(key, raws[j], epoch)
    out[missing[j]!] = value instanceof Promise ? await value : value // a microtask only when stamps were read
  }
  return out
}

export async function setMany<T>(c: BatchHost, entries: ReadonlyArray<SetManyEntry<T>>): Promise<void> {
  c.assertOpen()
  if (!Array.isArray(entries))
    checks.fail('entries', entries, 'an array of { key, value, ttl?, grace?, tags? }')
  const writes = entries.map((e, i) => {
    checks.object(`entries[${i}]`, e, ['key', 'value', 'ttl', 'grace', 'tags'])
    checkKey(e.key)
    if (e.value === undefined) throw new InvalidValueError(e.key, e.value)
    return {
      key: e.key,
      value: e.value,
      ttl: checks.positive(`entries[${i}].ttl`, e.ttl, c.o.ttl),
      grace: checks.nonNegative(`entries[${i}].grace`, e.grace, c.o.grace),
      tags: checkTags(`entries[${i}].tags`, e.tags),
    }
  })
  const epoch = c.epoch
  // Issued in one tick: the Redis client writes the SETs together (one round trip).
  await Promise.all(writes.map((w) => c.store(w.key, w.value, w.ttl, w.grace, w.tags, epoch)))
}

export async function deleteMany(c: BatchHost, keys: readonly string[]): Promise<number> {
  c.assertOpen()
  checkKeys(keys)
  if (keys.length === 0) return 0
  let existed = 0
  for (const key of keys) {
    c.cancelFactory(key)
    if (c.local?.delete(key)) existed++
    c.counters.deletes++
    if (deleteChannel.hasSubscribers) deleteChannel.publish({ cache: c.namespace, key })
  }
  let failed = false
  const remote = c.remote
  if (remote !== undefined) {
    const full = keys.map((k) => remote.key(k))
    const p = remote.guard.call('delete', () => remote.backend.deleteMany(full), { size: full.length })
    c.track(p.then(noop, noop))
    // L2 holds every entry L1 does, unless its write failed: the larger count is the answer
    const inL2 = await p.catch(() => {
      failed = true // counted by the guard
      return 0
    })
    existed = Math.max(existed, inL2)
  }
  c.bus?.publish('key', { keys: [...keys] }, failed)
  return existed
}
