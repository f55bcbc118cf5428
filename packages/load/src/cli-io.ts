// The CLI's I/O: where it writes and how it learns of Ctrl-C, and parseArgs with the CLI's usage error.
import { LoadUsageError } from './errors.ts'

/** Where the CLI writes and how it learns of Ctrl-C (the process by default; tests pass their own). */
export interface CliIo {
  stdout: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean }
  stderr: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean }
  /** Environment read for `CI` (no live progress under CI). */
  env?: NodeJS.ProcessEnv
  /** Calls `abort` on Ctrl-C; returns the function that stops listening. Default: process SIGINT. */
  onInterrupt?: (abort: () => void) => () => void
}

/** The real process: its streams, its environment and SIGINT. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt: (abort) => {
      process.once('SIGINT', abort)
      return () => process.off('SIGINT', abort)
    },
  }
}

/** Runs parseArgs, turning its own errors (unknown flag, missing value) into the CLI's usage error. */
export function parsing<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (String((error as { code?: unknown })?.code).startsWith('ERR_PARSE_ARGS')) {
      throw new LoadUsageError((error as Error).message, error)
    }
    throw error
  }
}
