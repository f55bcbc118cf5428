// The error codes @hotpath/load throws: code -> when it is thrown. The README's `## Errors` table is
// checked against this registry both ways (test/errors.test.ts).
import type { ErrorCodeOf, ErrorRegistry } from '@hotpath/core'

export const errorCodes: {
  readonly HOTPATH_LOAD_INVALID_OPTION: string
  readonly HOTPATH_LOAD_INVALID_THRESHOLD: string
  readonly HOTPATH_LOAD_INVALID_SCENARIO: string
  readonly HOTPATH_LOAD_INVALID_RESULT: string
  readonly HOTPATH_LOAD_MERGE_MISMATCH: string
  readonly HOTPATH_LOAD_USAGE: string
  readonly HOTPATH_LOAD_ABORTED: string
  readonly HOTPATH_LOAD_WORKER_FAILED: string
} = {
  HOTPATH_LOAD_INVALID_OPTION:
    'a runLoad() option is invalid (InvalidOptionError: names the option, the value and what is allowed)',
  HOTPATH_LOAD_INVALID_THRESHOLD: 'a threshold expression does not parse; the message points at the column',
  HOTPATH_LOAD_INVALID_SCENARIO: 'a scenario (or its CSV) cannot be loaded or has the wrong shape',
  HOTPATH_LOAD_INVALID_RESULT: '`compare` is given a file that is not a result of a known schema version',
  HOTPATH_LOAD_MERGE_MISMATCH:
    '`merge` is given results that are not parts of one test (target, model, rate, duration... differ, or a segment twice)',
  HOTPATH_LOAD_USAGE: 'the CLI is given a bad flag, flag value or number of arguments (exit code 2)',
  HOTPATH_LOAD_ABORTED: 'runLoad() is called with an already aborted signal',
  HOTPATH_LOAD_WORKER_FAILED: 'a worker thread crashed, exited early or did not start within 30 s',
} satisfies ErrorRegistry

/** A code @hotpath/load throws. */
export type LoadErrorCode = ErrorCodeOf<typeof errorCodes>
