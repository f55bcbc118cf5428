// Errors of @hotpath/load: coded HotpathError subclasses from @hotpath/core (one identity across packages).
// A bad option is core's InvalidOptionError with the code HOTPATH_LOAD_INVALID_OPTION (see options.ts).
import { HotpathError, type HotpathErrorOptions, nameErrorClass } from '@hotpath/core'
import type { LoadErrorCode } from './error-codes.ts'

/** Base of the package's own error classes: accepts only the codes of the registry. */
export abstract class LoadError extends HotpathError {
  constructor(code: LoadErrorCode, message: string, options?: HotpathErrorOptions) {
    super(code, message, options)
  }

  static {
    nameErrorClass(LoadError, 'LoadError')
  }
}

/** A threshold expression that cannot be parsed; the message points at the mistake. */
export class LoadInvalidThresholdError extends LoadError {
  constructor(expression: string, position: number, reason: string) {
    const pointer = `${' '.repeat(Math.max(0, position))}^`
    super(
      'HOTPATH_LOAD_INVALID_THRESHOLD',
      `invalid threshold "${expression}": ${reason}\n  ${expression}\n  ${pointer}`,
      { details: { expression, position, reason } },
    )
  }

  static {
    nameErrorClass(LoadInvalidThresholdError, 'LoadInvalidThresholdError')
  }
}

/** A scenario file that cannot be loaded or does not have the documented shape. */
export class LoadInvalidScenarioError extends LoadError {
  constructor(file: string, reason: string, cause?: unknown) {
    super('HOTPATH_LOAD_INVALID_SCENARIO', `invalid scenario ${file}: ${reason}`, {
      cause,
      details: { file, reason },
    })
  }

  static {
    nameErrorClass(LoadInvalidScenarioError, 'LoadInvalidScenarioError')
  }
}

/** A result file given to `compare` that is not a hotpath-load JSON result of a known schema version. */
export class LoadInvalidResultError extends LoadError {
  constructor(file: string, reason: string, cause?: unknown) {
    super('HOTPATH_LOAD_INVALID_RESULT', `invalid result file ${file}: ${reason}`, {
      cause,
      details: { file, reason },
    })
  }

  static {
    nameErrorClass(LoadInvalidResultError, 'LoadInvalidResultError')
  }
}

/** Invalid CLI usage (bad flag, flag value or arguments): the CLI prints it and exits with code 2. */
export class LoadUsageError extends LoadError {
  constructor(message: string, cause?: unknown) {
    super('HOTPATH_LOAD_USAGE', message, { cause })
  }

  static {
    nameErrorClass(LoadUsageError, 'LoadUsageError')
  }
}

/** The run was aborted through its AbortSignal before it produced a result. */
export class LoadAbortedError extends LoadError {
  constructor(cause?: unknown) {
    super('HOTPATH_LOAD_ABORTED', 'load run aborted', { cause })
  }

  static {
    nameErrorClass(LoadAbortedError, 'LoadAbortedError')
  }
}

/**
 * A worker thread failed: it crashed, exited before finishing or did not start in time. `worker` is its
 * index (undefined when no single worker is to blame, e.g. the start-up deadline); `exitCode` is set when it exited.
 */
export class LoadWorkerError extends LoadError {
  constructor(
    worker: number | undefined,
    reason: string,
    options: { cause?: unknown; exitCode?: number } = {},
  ) {
    super(
      'HOTPATH_LOAD_WORKER_FAILED',
      worker === undefined ? `load workers failed: ${reason}` : `load worker ${worker} failed: ${reason}`,
      {
        cause: options.cause,
        details: {
          worker,
          reason,
          ...(options.exitCode === undefined ? {} : { exitCode: options.exitCode }),
        },
      },
    )
  }

  static {
    nameErrorClass(LoadWorkerError, 'LoadWorkerError')
  }
}

/** `merge` given results that are not parts of one test (they differ in what they were asked to do). */
export class LoadMergeError extends LoadError {
  constructor(field: string, message: string) {
    super('HOTPATH_LOAD_MERGE_MISMATCH', message, { details: { field } })
  }

  static {
    nameErrorClass(LoadMergeError, 'LoadMergeError')
  }
}
