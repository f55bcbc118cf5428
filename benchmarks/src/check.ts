// Result checks for contenders: a contender that is fast because it is wrong fails its suite.

/** Throws unless `actual` equals `expected` (by ===, or by JSON for objects). */
export function expectSame(actual: unknown, expected: unknown, what: string): void {
  const same =
    actual === expected ||
    (typeof actual === 'object' && actual !== null && JSON.stringify(actual) === JSON.stringify(expected))
  if (!same) {
    throw new Error(
      `${what}: expected ${JSON.stringify(expected)?.slice(0, 120)}, got ${JSON.stringify(actual)?.slice(0, 120)}`,
    )
  }
}

/** Throws unless an HTTP response had the expected status and a body of the expected length. */
export function expectResponse(
  status: number,
  body: string | Buffer,
  expected: { status: number; length: number },
  what: string,
): void {
  if (status !== expected.status) throw new Error(`${what}: status ${status}, expected ${expected.status}`)
  if (body.length !== expected.length)
    throw new Error(`${what}: body of ${body.length} bytes, expected ${expected.length}`)
}
