// Coded errors of @hotpath/metrics. Any hotpath package recognises them by Symbol.for('hotpath.error').

export interface HotpathErrorOptions {
  cause?: unknown
  details?: Record<string, unknown>
}

/** `Symbol.for('hotpath.error')`: the mark every hotpath error carries. */
export const HOTPATH_ERROR: unique symbol = Symbol.for('hotpath.error')

export interface HotpathError {
  readonly [HOTPATH_ERROR]: true
}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the marker is declared on the interface (isolatedDeclarations) and set in the constructor
export class HotpathError extends Error {
  readonly code: string
  readonly details: Record<string, unknown> | undefined

  constructor(code: string, message: string, options: HotpathErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HotpathError'
    this.code = code
    this.details = options.details
    ;(this as { [HOTPATH_ERROR]: true })[HOTPATH_ERROR] = true
  }
}

/** A bad option given to `createMetrics()`, `observe()`, `report()` or the Fastify plugin. */
export class MetricsOptionError extends HotpathError {
  constructor(option: string, received: unknown, allowed: string) {
    super(
      'HOTPATH_METRICS_INVALID_OPTION',
      `invalid option "${option}": received ${describe(received)}, expected ${allowed}`,
      {
        details: { option, received, allowed },
      },
    )
    this.name = 'MetricsOptionError'
  }
}

/** Work asked of a metrics instance after `close()`. */
export class MetricsClosedError extends HotpathError {
  constructor(operation: string) {
    super('HOTPATH_METRICS_CLOSED', `metrics instance is closed: cannot ${operation}`, {
      details: { operation },
    })
    this.name = 'MetricsClosedError'
  }
}

/** `observe(x)` on something without a `stats()` returning `{ kind }`. */
export class MetricsObserveError extends HotpathError {
  constructor(received: unknown) {
    super(
      'HOTPATH_METRICS_NOT_OBSERVABLE',
      `observe() needs an object with a stats() method returning { kind: 'cache' | 'http' | 'pool' | 'database' }, received ${describe(received)}`,
      { details: { received: describe(received) } },
    )
    this.name = 'MetricsObserveError'
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value)
  if (typeof value === 'undefined') return 'undefined'
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  return `an object (${
    Object.keys(value as object)
      .slice(0, 5)
      .join(', ') || 'no keys'
  })`
}
