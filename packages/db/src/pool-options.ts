// Options of createPool, their defaults and their validation.
import { InvalidOptionError } from './errors.ts'
import { optFunction, optNumber, optObject, optString } from './validate.ts'

export interface PoolOptions<T> {
  /** Name used in stats and diagnostics payloads. Default `'pool'`. */
  name?: string
  /** Creates one resource (a connection). Rejections are retried with backoff. */
  create: () => T | Promise<T>
  /** Disposes of a resource. Errors are published, never thrown. */
  destroy?: (resource: T) => void | Promise<void>
  /** Test-on-borrow, run only when the resource sat idle for `validateAfterIdle` ms. */
  validate?: (resource: T) => boolean | Promise<boolean>
  /** Resources created at start and kept. Default 0. */
  min?: number
  /** Upper bound on resources (idle + used). Default 10. */
  max?: number
  /** Deadline of acquire() in ms. Default 30 000; never infinite. */
  acquireTimeout?: number
  /** Idle resources above `min` are destroyed after this many ms. Default 600 000; 0 disables. */
  idleTimeout?: number
  /** Resources are retired after this many ms (minus up to 2.5 % jitter). Default 1 800 000; 0 disables. */
  maxLifetime?: number
  /** Fast-fail when this many callers already wait. Default Infinity. */
  maxWaiting?: number
  /** Validate a borrowed resource only if it was idle at least this long. Default 500 (when `validate` is set). */
  validateAfterIdle?: number
  /** Publish a leak warning for a lease held longer than this (ms). Default 0 (off). */
  leakDetection?: number
  /** Backoff between failing creates: first delay and cap, in ms. Default { initialDelay: 50, maxDelay: 2000 }. */
  createRetry?: { initialDelay?: number; maxDelay?: number }
  /** How long close() waits for outstanding leases before destroying them. Default 10 000. */
  closeTimeout?: number
}

export interface ResolvedPoolOptions<T> {
  name: string
  create: () => T | Promise<T>
  destroy: ((resource: T) => void | Promise<void>) | undefined
  validate: ((resource: T) => boolean | Promise<boolean>) | undefined
  min: number
  max: number
  acquireTimeout: number
  idleTimeout: number
  maxLifetime: number
  maxWaiting: number
  validateAfterIdle: number
  leakDetection: number
  retryInitialDelay: number
  retryMaxDelay: number
  closeTimeout: number
}

export function resolvePoolOptions<T>(options: PoolOptions<T>): ResolvedPoolOptions<T> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', options, 'an object with at least { create }')
  }
  const max = optNumber('max', options.max, 10, { min: 1, integer: true })
  const min = optNumber('min', options.min, 0, { integer: true })
  if (min > max) throw new InvalidOptionError('min', min, `an integer <= max (${max})`)
  const acquireTimeout = optNumber('acquireTimeout', options.acquireTimeout, 30_000, { min: 1 })
  const retry =
    optObject<{ initialDelay?: number; maxDelay?: number }>('createRetry', options.createRetry) ?? {}
  const retryInitialDelay = optNumber('createRetry.initialDelay', retry.initialDelay, 50, { min: 1 })
  const retryMaxDelay = optNumber('createRetry.maxDelay', retry.maxDelay, 2000, { min: retryInitialDelay })
  const validate = optFunction<(resource: T) => boolean | Promise<boolean>>(
    'validate',
    options.validate,
    false,
  )
  return {
    name: optString('name', options.name, 'pool'),
    create: optFunction<() => T | Promise<T>>('create', options.create, true)!,
    destroy: optFunction<(resource: T) => void | Promise<void>>('destroy', options.destroy, false),
    validate,
    min,
    max,
    acquireTimeout,
    idleTimeout: optNumber('idleTimeout', options.idleTimeout, 600_000),
    maxLifetime: optNumber('maxLifetime', options.maxLifetime, 1_800_000),
    maxWaiting: optNumber('maxWaiting', options.maxWaiting, Number.POSITIVE_INFINITY, {
      integer: true,
      allowInfinity: true,
    }),
    validateAfterIdle: validate ? optNumber('validateAfterIdle', options.validateAfterIdle, 500) : Infinity,
    leakDetection: optNumber('leakDetection', options.leakDetection, 0),
    retryInitialDelay,
    retryMaxDelay,
    closeTimeout: optNumber('closeTimeout', options.closeTimeout, 10_000),
  }
}
