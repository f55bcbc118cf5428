// The options of one acquire call, validated against the pool's defaults (a NaN / Infinity /
// non-number timeout would wait forever), and test-on-borrow with its own deadline.
import type { AcquireOptions } from './pool-types.ts'
import { check } from './pool-options.ts'

export interface CallOptions {
  timeout: number
  failFast: boolean
  signal: AbortSignal | undefined
}

/** `options` of acquire() over the pool's `defaults` (returned as is when there are none). */
export function callOptions(options: AcquireOptions | undefined, defaults: CallOptions): CallOptions {
  if (options === undefined) return defaults
  const o = check.object('options', options, ['timeout', 'failFast', 'signal']) as AcquireOptions
  const signal = o.signal
  if (signal !== undefined && !(signal instanceof AbortSignal)) check.fail('signal', signal, 'an AbortSignal')
  return {
    timeout: check.positive('timeout', o.timeout, defaults.timeout),
    failFast: check.boolean('failFast', o.failFast, defaults.failFast),
    signal,
  }
}

/**
 * Runs `validate(resource)`; true only for `true`. A hung validate() counts as failed after half the
 * caller's deadline (at most 5 s), which leaves the other half to get a fresh resource.
 */
export async function validateWithin<T>(
  validate: (resource: T) => boolean | Promise<boolean>,
  resource: T,
  timeout: number,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  try {
    const timedOut = new Promise<boolean>((resolve) => {
      // Referenced: a caller waits on this validation.
      timer = setTimeout(() => resolve(false), Math.max(1, Math.min(5_000, timeout / 2)))
    })
    return (await Promise.race([Promise.resolve(validate(resource)), timedOut])) === true
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}
