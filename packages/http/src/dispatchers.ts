// Builds the undici side of a client: one Agent, and the interceptor chains composed on it.
import { createCache } from '@hotpath/cache'
import { Agent, type Dispatcher, interceptors } from 'undici'
import { observerInterceptor } from './observer.ts'
import type { HttpClientOptions, ResolvedOptions } from './options.ts'
import { HotpathCacheStore, type ResponseCacheBackend } from './store.ts'

export interface Dispatchers {
  agent: Agent
  /** Agent alone (IP-literal origins, cache off). */
  plain: Dispatcher
  /** Agent + dns (hostnames, cache off). */
  plainDns: Dispatcher
  /** Agent + observer + cache (IP-literal origins); `plain` when the cache is off. */
  cached: Dispatcher
  /** Agent + observer + dns + cache (hostnames); `plainDns` when the cache is off. */
  cachedDns: Dispatcher
  store: HotpathCacheStore | undefined
  /** The client created the @hotpath/cache instance and closes it. */
  ownsCache: boolean
}

export function buildDispatchers(o: ResolvedOptions, options: HttpClientOptions | undefined): Dispatchers {
  const agent = new Agent({
    connections: o.connections,
    pipelining: o.pipelining,
    keepAliveTimeout: o.keepAliveTimeout,
    headersTimeout: o.headersTimeout,
    bodyTimeout: o.bodyTimeout,
    maxResponseSize: o.maxResponseSize,
    connect: { timeout: o.connectTimeout },
  })
  // Interceptors run outermost-last: compose(a, b) = b(a(dispatch)). No interceptor that would do nothing
  // is composed, so the cache-off path of an IP-literal origin is the bare Agent.
  const dns = o.dns === false ? undefined : interceptors.dns({ maxTTL: o.dns.maxTTL })
  const plainDns = dns === undefined ? agent : agent.compose(dns)
  const cacheOption = options?.cache
  if (cacheOption === false) {
    return {
      agent,
      plain: agent,
      plainDns,
      cached: agent,
      cachedDns: plainDns,
      store: undefined,
      ownsCache: false,
    }
  }
  const backend: ResponseCacheBackend =
    cacheOption ??
    (createCache({ namespace: `hotpath-http-${o.name}`, clock: o.clock }) as ResponseCacheBackend)
  const store = new HotpathCacheStore(backend, {
    maxEntrySize: o.maxEntrySize,
    credentialKey: options?.credentialKey,
    ...(options?.credentialHeaders === undefined ? {} : { credentialHeaders: options.credentialHeaders }),
    cacheTags: options?.cacheTags,
    clock: o.clock,
  })
  const cache = interceptors.cache({
    store,
    methods: ['GET', 'HEAD'],
    type: o.shared ? 'shared' : 'private',
    cacheByDefault: o.defaultTtl > 0 ? o.defaultTtl : undefined,
  })
  const observer = observerInterceptor(store)
  const cached = agent.compose(observer, cache)
  const cachedDns = dns === undefined ? cached : agent.compose(observer, dns, cache)
  return { agent, plain: agent, plainDns, cached, cachedDns, store, ownsCache: cacheOption === undefined }
}
