// The harness's own smoke suite: Map#get against lru-cache#get on 10k pre-generated keys.
import { LRUCache } from 'lru-cache'
import { opsPerSecond } from '../src/measure.ts'
import { expectSame } from '../src/check.ts'
import { defineSuite } from '../src/suite.ts'

const keys = Array.from({ length: 10_000 }, (_, i) => `key:${i}`)
const map = new Map<string, string>()
const lru = new LRUCache<string, string>({ max: 20_000 })
for (const key of keys) {
  map.set(key, `value for ${key}`)
  lru.set(key, `value for ${key}`)
}
const mask = 8191 // power of two below 10k: index without a modulo in the loop

export default defineSuite({
  name: 'map-vs-lru',
  title: 'Map#get vs lru-cache#get (10k keys, hit)',
  unit: 'ops/s',
  rounds: 5,
  baseline: 'Map#get',
  contenders: [
    {
      name: 'Map#get',
      measure: () => opsPerSecond((i) => map.get(keys[i & mask]!), 200),
      check: () => expectSame(map.get(keys[9]!), `value for ${keys[9]}`, 'Map#get'),
    },
    {
      name: 'lru-cache#get',
      measure: () => opsPerSecond((i) => lru.get(keys[i & mask]!), 200),
      check: () => expectSame(lru.get(keys[9]!), `value for ${keys[9]}`, 'lru-cache#get'),
    },
  ],
})
