// Options of createPool, their defaults and their validation.
import { type Clock, type OptionChecks, optionChecks } from '@hotpath/core'
import { INVALID_OPTION } from './errors.ts'

/** Option validators of @hotpath/db (they throw core's InvalidOptionError, code HOTPATH_DB_INVALID_OPTION). */
export const check: OptionChecks = optionChecks(INVALID_OPTION)

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
  /** Validate a borrowed resource only if it was idle at least this long (ms). Default 500 (when `validate` is set). */
  validateAfterIdle?: number
  /** Publish a leak warning for a lease held longer than this (ms). Default 0 (off). */
  leakDetection?: number
  /** Backoff between failing creates: first delay and cap, in ms. Default { initialDelay: 50, maxDelay: 2000 }. */
  createRetry?: { initialDelay?: number; maxDelay?: number }
  /** How long close() waits for outstanding leases before destroying them (ms). Default 10 000. */
  closeTimeout?: number
  /**
   * When a create fails while the pool holds no resource (the server is down, refused, DNS fails), reject the
   * waiting callers at once with HOTPATH_DB_CREATE_FAILED (cause: the create error) instead of letting them wait
   * for acquireTimeout. Creates keep being retried in the background. Default true.
   */
  failFast?: boolean
  /** A create that has not settled after this many ms counts as failed (and is retried). Default 10 000. */
  createTimeout?: number
  /** Time source of idle, lifetime, validateAfterIdle, leak, backoff and deadline decisions. Default systemClock. */
  clock?: Clock
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
  failFast: boolean
  createTimeout: number
  clock: Clock
}

/** Every option createPool knows (an unknown key is a misspelling and throws). */
export const POOL_OPTION_KEYS: readonly string[] = [
  'name',
  'create',
  'destroy',
  'validate',
  'min',
  'max',
  'acquireTimeout',
  'idleTimeout',
  'maxLifetime',
  'maxWaiting',
  'validateAfterIdle',
  'leakDetection',
  'createRetry',
  'closeTimeout',
  'failFast',
  'createTimeout',
  'clock',
]

export function resolvePoolOptions<T>(options: PoolOptions<T>): ResolvedPoolOptions<T> {
  if (options === undefined) check.fail('options', options, 'an object with at least { create }')
  const o = check.object('options', options, POOL_OPTION_KEYS) as unknown as PoolOptions<T>
  const create = check.func<() => T | Promise<T>>('create', o.create)
  if (create === undefined) check.fail('create', o.create, 'a function')
  const max = check.integer('max', o.max, 10, 1)
  const min = check.integer('min', o.min, 0, 0)
  if (min > max) check.fail('min', min, `an integer <= max (${max})`)
  const acquireTimeout = check.positive('acquireTimeout', o.acquireTimeout, 30_000)
  const retry = (check.object('createRetry', o.createRetry, ['initialDelay', 'maxDelay']) ?? {}) as {
    initialDelay?: number
    maxDelay?: number
  }
  const retryInitialDelay = check.positive('createRetry.initialDelay', retry.initialDelay, 50)
  const retryMaxDelay = check.positive(
    'createRetry.maxDelay',
    retry.maxDelay,
    Math.max(2000, retryInitialDelay),
  )
  if (retryMaxDelay < retryInitialDelay) {
    check.fail(
      'createRetry.maxDelay',
      retryMaxDelay,
      `a number >= createRetry.initialDelay (${retryInitialDelay})`,
    )
  }
  const maxWaiting =
    o.maxWaiting === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : (check.integer('maxWaiting', o.maxWaiting, Number.POSITIVE_INFINITY as number, 0) as number)
  const validate = check.func<(resource: T) => boolean | Promise<boolean>>('validate', o.validate)
  const validateAfterIdle = check.nonNegative('validateAfterIdle', o.validateAfterIdle, 500)
  return {
    name: check.string('name', o.name, 'pool'),
    create: create as () => T | Promise<T>,
    destroy: check.func<(resource: T) => void | Promise<void>>('destroy', o.destroy),
    validate,
    min,
    max,
    acquireTimeout,
    idleTimeout: check.nonNegative('idleTimeout', o.idleTimeout, 600_000),
    maxLifetime: check.nonNegative('maxLifetime', o.maxLifetime, 1_800_000),
    maxWaiting,
    validateAfterIdle: validate ? validateAfterIdle : Number.POSITIVE_INFINITY,
    leakDetection: check.nonNegative('leakDetection', o.leakDetection, 0),
    retryInitialDelay,
    retryMaxDelay,
    closeTimeout: check.nonNegative('closeTimeout', o.closeTimeout, 10_000),
    failFast: check.boolean('failFast', o.failFast, true),
    createTimeout: check.positive('createTimeout', o.createTimeout, 10_000),
    clock: check.clock('clock', o.clock),
  }
}
