// Issue 18: the RFC 9111 conformance suite (http-tests/cache-tests, npm `http-cache-tests`) in `pnpm test`.
// Each setup runs in a worker process of its own, concurrently (test/conformance/harness.ts); a test that passes
// in test/conformance/expected.json and does not pass now fails this test; improvements are only reported
// (rewrite the file with `node test/conformance/harness.ts --update`). The default run covers undici's
// MemoryCacheStore (the reference), our store memory-only and with Redis L2, and createHttpClient() defaults,
// shared mode; CONFORMANCE_ALL=1 adds the private-mode setups.
import { requireRedis } from '@hotpath/test-helpers'
import { expect, it } from 'vitest'
import {
  ALL_SETUPS,
  type Comparison,
  compare,
  DEFAULT_SETUPS,
  figures,
  readExpected,
  runSetups,
} from './conformance/harness.ts'

it('passes every http-cache-tests test expected.json records as passing, per setup', async () => {
  const redis = await requireRedis()
  const wanted = process.env.CONFORMANCE_ALL === '1' ? ALL_SETUPS : DEFAULT_SETUPS
  const setups = wanted.filter((s) => redis || !s.startsWith('ours-redis'))
  const expected = readExpected()
  const runs = await runSetups(setups)
  const regressions: Record<string, Comparison['regressions']> = {}
  for (const run of runs) {
    const { regressions: r, improvements } = compare(run, expected[run.setup])
    const f = figures(run)
    console.log(
      `${run.setup}: required ${f.requiredPassed} passed / ${f.requiredFailed} failed, ${run.ms} ms` +
        (improvements.length > 0 ? `; passing now, not in expected.json: ${improvements.join(', ')}` : ''),
    )
    if (r.length > 0) regressions[run.setup] = r
    // the suite really ran: every test it has for this setup produced a result
    expect(Object.keys(run.results).length).toBe(Object.keys(expected[run.setup] ?? {}).length)
  }
  expect(runs.map((r) => r.setup)).toEqual(setups)
  expect(regressions, 'tests that pass in test/conformance/expected.json and fail now').toEqual({})
}, 120_000)
