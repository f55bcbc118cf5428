// One error identity for every hotpath package. The brand lives on `Symbol.for(...)` keys, so
// `instanceof` works across packages and across duplicated copies of this module in one
// node_modules tree (the pattern of undici's lib/core/errors.js).
import { describe } from './describe.ts'

const kHotpathError: unique symbol = Symbol.for('hotpath.error')
/** Own property of each error class's prototype: the class's stable name (survives bundling). */
const kErrorClass: unique symbol = Symbol.for('hotpath.error.class')

export interface HotpathErrorOptions {
  cause?: unknown
  details?: Record<string, unknown>
}

/** True for an error thrown by any hotpath package, whichever copy of the package created it. */
export function isHotpathError(value: unknown): value is HotpathError {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kHotpathError] === true
  )
}

function classNameOf(prototype: object): string | undefined {
  return Object.hasOwn(prototype, kErrorClass)
    ? (prototype as Record<symbol, string>)[kErrorClass]
    : undefined
}

/** The instanceof rule of hotpath errors (see HotpathError[Symbol.hasInstance]). */
function matchesErrorClass(errorClass: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  if (!isHotpathError(value)) return false
  const wanted = classNameOf(errorClass.prototype)
  if (wanted === undefined) return Function.prototype[Symbol.hasInstance].call(errorClass, value)
  for (let p = Object.getPrototypeOf(value); p !== null; p = Object.getPrototypeOf(p)) {
    if (classNameOf(p) === wanted) return true
  }
  return false
}

/** Gives an error class a stable name for cross-copy `instanceof` and for `error.name`. */
export function nameErrorClass(
  errorClass: abstract new (...args: never[]) => HotpathError,
  name: string,
): void {
  Object.defineProperty(errorClass.prototype, kErrorClass, { value: name })
  Object.defineProperty(errorClass.prototype, 'name', { value: name, writable: true, configurable: true })
}

/** Base class of every error a hotpath package throws: `code` is stable, messages are not. */
export class HotpathError extends Error {
  readonly code: string
  readonly details: Record<string, unknown> | undefined

  constructor(code: string, message: string, options: HotpathErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details
  }

  static {
    nameErrorClass(HotpathError, 'HotpathError')
    Object.defineProperty(HotpathError.prototype, kHotpathError, { value: true })
  }

  /**
   * `x instanceof HotpathError` is a brand check; `x instanceof SomeSubclass` also matches an
   * instance of a duplicated copy of that subclass (same stable name somewhere in its chain).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class right of instanceof (a subclass too)
    return matchesErrorClass(this, value)
  }
}

/**
 * A bad option: names the option, the value received and what is allowed. One message shape for
 * every package; `code` is the package's own (`HOTPATH_CACHE_INVALID_OPTION`, ...).
 */
export class InvalidOptionError extends HotpathError {
  constructor(option: string, received: unknown, expected: string, code = 'HOTPATH_INVALID_OPTION') {
    super(code, `invalid option "${option}": received ${describe(received)}, expected ${expected}`, {
      details: { option, received, expected },
    })
  }

  static {
    nameErrorClass(InvalidOptionError, 'InvalidOptionError')
  }
}
