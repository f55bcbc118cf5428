// Errors of @hotpath/load. Every error carries a stable `code` and the cross-package brand.

export class HotpathError extends Error {
  readonly code: string
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    code: string,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    // Brand shared by every hotpath package's errors: error[Symbol.for('hotpath.error')] === true.
    // (Defined at runtime: a computed class field cannot be declared under isolatedDeclarations.)
    Object.defineProperty(this, Symbol.for('hotpath.error'), { value: true, enumerable: false })
    this.code = code
    this.details = options?.details
  }
}

/** A bad option: names the option, the value received and what is allowed. */
export class LoadInvalidOptionError extends HotpathError {
  constructor(option: string, received: unknown, allowed: string) {
    super(
      'HOTPATH_LOAD_INVALID_OPTION',
      `invalid option "${option}": received ${show(received)}; ${allowed}`,
      {
        details: { option, received, allowed },
      },
    )
  }
}

/** A threshold expression that cannot be parsed; the message points at the mistake. */
export class LoadInvalidThresholdError extends HotpathError {
  constructor(expression: string, position: number, reason: string) {
    const pointer = `${' '.repeat(Math.max(0, position))}^`
    super(
      'HOTPATH_LOAD_INVALID_THRESHOLD',
      `invalid threshold "${expression}": ${reason}\n  ${expression}\n  ${pointer}`,
      {
        details: { expression, position, reason },
      },
    )
  }
}

/** A scenario file that cannot be loaded or does not have the documented shape. */
export class LoadInvalidScenarioError extends HotpathError {
  constructor(file: string, reason: string, cause?: unknown) {
    super('HOTPATH_LOAD_INVALID_SCENARIO', `invalid scenario ${file}: ${reason}`, {
      cause,
      details: { file, reason },
    })
  }
}

/** A result file given to `compare` that is not a hotpath-load JSON result of a known schema version. */
export class LoadInvalidResultError extends HotpathError {
  constructor(file: string, reason: string, cause?: unknown) {
    super('HOTPATH_LOAD_INVALID_RESULT', `invalid result file ${file}: ${reason}`, {
      cause,
      details: { file, reason },
    })
  }
}

/** The run was aborted through its AbortSignal before it produced a result. */
export class LoadAbortedError extends HotpathError {
  constructor(cause?: unknown) {
    super('HOTPATH_LOAD_ABORTED', 'load run aborted', { cause })
  }
}

/** A worker thread failed (crashed or could not start). */
export class LoadWorkerError extends HotpathError {
  constructor(index: number, cause: unknown) {
    super(
      'HOTPATH_LOAD_WORKER_FAILED',
      `load worker ${index} failed: ${String((cause as Error)?.message ?? cause)}`,
      {
        cause,
        details: { worker: index },
      },
    )
  }
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  try {
    return JSON.stringify(value) ?? typeof value
  } catch {
    return typeof value
  }
}
