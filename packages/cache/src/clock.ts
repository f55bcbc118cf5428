// Time sources. The hot path reads a cached millisecond clock (refreshed at most once per ms, like
// lru-cache's ttlResolution) relative to module load, so timestamps stay small integers (Smis).

const base = Date.now()
let cached = -1
const reset = (): void => {
  cached = -1
}

/** Milliseconds since module load, cached for up to 1 ms. */
export function now(): number {
  if (cached < 0) {
    cached = Date.now() - base
    setTimeout(reset, 1).unref()
  }
  return cached
}

/** Converts a relative time of now() to wall-clock epoch milliseconds. */
export function toWall(rel: number): number {
  return rel + base
}

/** Converts wall-clock epoch milliseconds to a relative time comparable with now(). */
export function fromWall(wall: number): number {
  return wall - base
}

let lastStamp = 0
/**
 * Strictly increasing wall-clock stamp (epoch ms, fractional when called more than once per ms):
 * an entry written after an invalidation in this process always has a later stamp.
 */
export function stamp(): number {
  const t = Date.now()
  lastStamp = t > lastStamp ? t : lastStamp + 0.001
  return lastStamp
}

/** Makes later stamp() calls greater than `wall` (used when a remote invalidation arrives). */
export function observeStamp(wall: number): void {
  if (wall > lastStamp) lastStamp = wall
}
