// DNS caching: undici's dns interceptor for hostname origins; an IP-literal origin skips it (no lookup, no URL
// parse per request).
import { isIP } from 'node:net'
import { optionChecks } from '@hotpath/core'
import { interceptors } from 'undici'
import { type Dispatch, originOf } from './forward.ts'

const check = optionChecks('HOTPATH_HTTP_INVALID_OPTION')

/** The dns policy, or undefined with `dns: false`. Validates the option once, here. */
export function dnsInterceptor(
  value: boolean | { maxTTL?: number } | undefined,
): ((d: Dispatch) => Dispatch) | undefined {
  if (value === false) return undefined
  let maxTTL = 10_000
  if (value !== undefined && value !== true) {
    const d = check.object('dns', value) ?? check.fail('dns', value, 'an object')
    for (const key of Object.keys(d))
      if (key !== 'maxTTL') check.fail(`dns.${key}`, d[key], 'no such option (known: maxTTL)')
    maxTTL = check.integer('dns.maxTTL', d.maxTTL, 10_000, 0)
  }
  const dns = interceptors.dns({ maxTTL })
  return (dispatch) => {
    const viaDns = dns(dispatch)
    /** origin -> is an IP literal */
    const literal = new Map<string, boolean>()
    return function dnsCache(opts, handler) {
      const origin = originOf(opts)
      let ip = literal.get(origin)
      if (ip === undefined) {
        ip = isIpOrigin(origin)
        if (literal.size < 10_000) literal.set(origin, ip)
      }
      return ip ? dispatch(opts, handler) : viaDns(opts, handler)
    }
  }
}

function isIpOrigin(origin: string): boolean {
  try {
    return isIP(new URL(origin).hostname.replace(/^\[|\]$/g, '')) !== 0
  } catch {
    return false
  }
}
