// One error identity: the registry, the README's Errors table and the classes agree; every error a user can see
// is a coded HotpathError from @hotpath/core.
import { HotpathError, InvalidOptionError, isHotpathError } from '@hotpath/core'
import { readmeErrorCodes } from '@hotpath/test-helpers'
import { describe, expect, it } from 'vitest'
import { errorCodes } from '../src/error-codes.ts'
import {
  LoadAbortedError,
  LoadError,
  LoadInvalidResultError,
  LoadInvalidScenarioError,
  LoadInvalidThresholdError,
  LoadMergeError,
  LoadUsageError,
  LoadWorkerError,
} from '../src/errors.ts'
import * as api from '../src/index.ts'
import { runLoad, workerFailure } from '../src/run.ts'

describe('error codes', () => {
  it('the README Errors table lists exactly the registry (both ways)', () => {
    const readme = readmeErrorCodes(new URL('../README.md', import.meta.url))
    expect(readme).toEqual(Object.keys(errorCodes).sort())
  })

  it('every class is a coded HotpathError of @hotpath/core with a stable name', () => {
    const errors: Array<[HotpathError, string, string]> = [
      [
        new LoadInvalidThresholdError('p99x<1ms', 0, 'unknown metric'),
        'LoadInvalidThresholdError',
        'HOTPATH_LOAD_INVALID_THRESHOLD',
      ],
      [
        new LoadInvalidScenarioError('s.json', 'bad shape'),
        'LoadInvalidScenarioError',
        'HOTPATH_LOAD_INVALID_SCENARIO',
      ],
      [
        new LoadInvalidResultError('r.json', 'not a result'),
        'LoadInvalidResultError',
        'HOTPATH_LOAD_INVALID_RESULT',
      ],
      [new LoadUsageError('missing <url>'), 'LoadUsageError', 'HOTPATH_LOAD_USAGE'],
      [
        new LoadMergeError('options.rate', 'the results are not parts of one test'),
        'LoadMergeError',
        'HOTPATH_LOAD_MERGE_MISMATCH',
      ],
      [new LoadAbortedError(), 'LoadAbortedError', 'HOTPATH_LOAD_ABORTED'],
      [
        new LoadWorkerError(1, 'exited with code 3 before finishing', { exitCode: 3 }),
        'LoadWorkerError',
        'HOTPATH_LOAD_WORKER_FAILED',
      ],
    ]
    for (const [error, name, code] of errors) {
      expect(error).toBeInstanceOf(HotpathError)
      expect(error).toBeInstanceOf(LoadError)
      expect(isHotpathError(error)).toBe(true)
      expect(error.name).toBe(name)
      expect(error.code).toBe(code)
      expect(Object.keys(errorCodes)).toContain(error.code)
    }
  })

  it('a bad option is core InvalidOptionError with HOTPATH_LOAD_INVALID_OPTION and the one message shape', async () => {
    const error = await runLoad({ url: 'http://127.0.0.1:9/', connections: 0 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).code).toBe('HOTPATH_LOAD_INVALID_OPTION')
    expect((error as Error).message).toBe(
      'invalid option "connections": received 0, expected an integer from 1 to 100000',
    )
    expect((error as InvalidOptionError).details).toEqual({
      option: 'connections',
      received: 0,
      expected: 'an integer from 1 to 100000',
    })
  })

  it('a worker that died surfaces as a coded LoadWorkerError naming the worker', () => {
    const crashed = workerFailure(2, { type: 'error', message: 'boom' })
    expect(crashed).toBeInstanceOf(LoadWorkerError)
    expect(crashed.code).toBe('HOTPATH_LOAD_WORKER_FAILED')
    expect(crashed.message).toBe('load worker 2 failed: boom')
    expect(crashed.details).toMatchObject({ worker: 2 })
    const scenario = workerFailure(0, {
      type: 'error',
      message: 'invalid scenario s.json: bad',
      code: 'HOTPATH_LOAD_INVALID_SCENARIO',
      details: { file: 's.json', reason: 'bad' },
    })
    expect(scenario).toBeInstanceOf(LoadInvalidScenarioError)
    expect(scenario.message).toBe('invalid scenario s.json: bad')
  })

  it('through real worker threads: a scenario a worker cannot load is the same coded error as in-process', async () => {
    const file = new URL('./fixtures/no-such-scenario.json', import.meta.url).pathname
    const error = await runLoad({
      url: 'http://127.0.0.1:9/',
      workers: 2,
      connections: 2,
      scenario: file,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LoadInvalidScenarioError)
    expect((error as LoadInvalidScenarioError).code).toBe('HOTPATH_LOAD_INVALID_SCENARIO')
    expect((error as Error).message).toContain('no-such-scenario.json')
  })

  it('index re-exports the core identity, the classes and the registry; no local HotpathError copy', () => {
    expect(api.HotpathError).toBe(HotpathError)
    expect(api.InvalidOptionError).toBe(InvalidOptionError)
    expect(api.isHotpathError).toBe(isHotpathError)
    expect(api.errorCodes).toBe(errorCodes)
    expect(api.LoadWorkerError).toBe(LoadWorkerError)
    expect('LoadInvalidOptionError' in api).toBe(false)
  })
})
