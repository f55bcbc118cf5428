// Shared Vitest preset. Every package writes test-results.json so .ci/run can total all tests.
/**
 * @param {import('vitest/config').ViteUserConfig['test']} [overrides]
 */
export function hotpathVitest(overrides = {}) {
  return {
    test: {
      include: ['test/**/*.test.ts'],
      environment: 'node',
      pool: 'forks',
      // A test that asserts nothing is a defect: every test must make at least one assertion.
      expect: { requireAssertions: true },
      testTimeout: 30_000,
      hookTimeout: 30_000,
      teardownTimeout: 10_000,
      reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
      ...overrides,
    },
  }
}
