// Where the real services live. Tests read these, never hard-coded addresses.
export function redisUrl(): string {
  return process.env.HOTPATH_REDIS_URL ?? 'redis://127.0.0.1:6379'
}

export function postgresUrl(): string {
  return process.env.HOTPATH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
}

export function isCI(): boolean {
  const ci = process.env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}
