// Coded errors of @hotpath/cache. Every error carries a stable `code` and the cross-package marker.

export interface HotpathErrorOptions {
  cause?: unknown
  details?: Record<string, unknown>
}

/** Base class of every error this package throws; `code` is stable, messages are not. */
export class HotpathError extends Error {
  readonly code: string
  readonly details: Record<string, unknown> | undefined

  constructor(code: string, message: string, options: HotpathErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.details = options.details
    // The cross-package marker `[Symbol.for('hotpath.error')] === true`.
    Object.defineProperty(this, Symbol.for('hotpath.error'), { value: true, enumerable: false })
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'symbol') return value.toString()
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return `array(${value.length})`
  return (value as object).constructor?.name ?? 'object'
}

/** A bad option: names the option, the value received and what is allowed. */
export class InvalidOptionError extends HotpathError {
  constructor(option: string, value: unknown, allowed: string) {
    super(
      'HOTPATH_CACHE_INVALID_OPTION',
      `invalid option ${option}: received ${describe(value)}, expected ${allowed}`,
      {
        details: { option, allowed },
      },
    )
  }
}

/** A key that is not a non-empty string, or uses the reserved `__hp:` prefix. */
export class InvalidKeyError extends HotpathError {
  constructor(key: unknown, reason = 'expected a non-empty string') {
    super('HOTPATH_CACHE_INVALID_KEY', `invalid cache key: received ${describe(key)}, ${reason}`)
  }
}

/** A value the cache cannot store (undefined). */
export class InvalidValueError extends HotpathError {
  constructor(key: string, value: unknown) {
    super(
      'HOTPATH_CACHE_INVALID_VALUE',
      `invalid value for key ${JSON.stringify(key)}: received ${describe(value)}, expected anything but undefined`,
    )
  }
}

/** A value that cannot be serialized for L2 (functions, symbols, circular structures, ...). */
export class UnserializableError extends HotpathError {
  constructor(key: string, reason: string, cause?: unknown) {
    super(
      'HOTPATH_CACHE_UNSERIALIZABLE',
      `value for key ${JSON.stringify(key)} cannot be serialized for L2: ${reason}`,
      {
        cause,
      },
    )
  }
}

/** Work submitted after close(). */
export class CacheClosedError extends HotpathError {
  constructor(namespace: string) {
    super('HOTPATH_CACHE_CLOSED', `cache ${JSON.stringify(namespace)} is closed`)
  }
}

/** The factory of getOrSet did not settle within hardTimeout and there was no stale value to serve. */
export class FactoryTimeoutError extends HotpathError {
  constructor(key: string, timeoutMs: number) {
    super(
      'HOTPATH_CACHE_FACTORY_TIMEOUT',
      `factory for key ${JSON.stringify(key)} timed out after ${timeoutMs} ms`,
      {
        details: { key, timeoutMs },
      },
    )
  }
}

/** An L2 call passed its deadline (internal: L2 failures never reach callers of get/set). */
export class L2TimeoutError extends HotpathError {
  constructor(operation: string, timeoutMs: number) {
    super('HOTPATH_CACHE_L2_TIMEOUT', `L2 ${operation} timed out after ${timeoutMs} ms`)
  }
}

/** The L2 circuit breaker is open (internal). */
export class L2UnavailableError extends HotpathError {
  constructor(operation: string) {
    super('HOTPATH_CACHE_L2_UNAVAILABLE', `L2 ${operation} skipped: circuit breaker is open`)
  }
}
