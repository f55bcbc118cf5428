// Idempotency-Key records in the service's own database, for when there is no Redis: every worker of a cluster
// and every instance on the same database see one record per key, and the claim is one INSERT ... ON CONFLICT DO
// NOTHING (atomic under the database's own locks), so two workers can never both start the same request.
import type { IdempotencyBegin, IdempotencyStore } from '@hotpath/cache'
import type { Database } from '@hotpath/db'

export interface DbIdempotencyOptions {
  /** How long a completed response is kept (ms). Default 24 h. */
  ttl?: number
  /** How long an in-flight mark holds the key if the request never completes (ms). Default 60 s. */
  inFlightTtl?: number
  /** Wall-clock milliseconds (records expire across processes). Default Date.now. */
  now?: () => number
}

/** Expired records are swept at most this often (ms), by the begin() that finds the sweep due. */
const SWEEP_EVERY = 60_000

interface Row {
  state: 'in-flight' | 'done'
  response: string | null
  expires_at: number | string
}

/** `R`: the stored response, kept as JSON. */
export function createDbIdempotencyStore<R>(
  db: Database,
  options: DbIdempotencyOptions = {},
): IdempotencyStore<R> {
  const ttl = options.ttl ?? 24 * 3600_000
  const inFlightTtl = options.inFlightTtl ?? 60_000
  const now = options.now ?? Date.now
  let nextSweep = 0

  const sweep = async (t: number): Promise<void> => {
    if (t < nextSweep) return
    nextSweep = t + SWEEP_EVERY
    await db.execute('DELETE FROM idempotency_keys WHERE expires_at <= $1', [t])
  }

  return {
    async begin(key): Promise<IdempotencyBegin<R>> {
      const t = now()
      await sweep(t)
      // Three rounds: a record that expired (or was aborted) between the claim and the read is claimed again.
      for (let attempt = 0; attempt < 3; attempt++) {
        const claimed = await db.execute(
          `INSERT INTO idempotency_keys (key, state, response, expires_at) VALUES ($1, 'in-flight', NULL, $2)
             ON CONFLICT (key) DO NOTHING`,
          [key, t + inFlightTtl],
        )
        if (claimed.rowCount === 1) return { status: 'started' }
        const [row] = await db.query<Row>(
          'SELECT state, response, expires_at FROM idempotency_keys WHERE key = $1',
          [key],
        )
        if (row === undefined) continue
        if (Number(row.expires_at) <= t) {
          await db.execute('DELETE FROM idempotency_keys WHERE key = $1 AND expires_at <= $2', [key, t])
          continue
        }
        if (row.state === 'done' && row.response !== null)
          return { status: 'completed', response: JSON.parse(row.response) as R }
        return { status: 'in-flight' }
      }
      return { status: 'in-flight' }
    },
    async complete(key, response): Promise<void> {
      await db.execute(
        `UPDATE idempotency_keys SET state = 'done', response = $1, expires_at = $2 WHERE key = $3`,
        [JSON.stringify(response), now() + ttl, key],
      )
    },
    async abort(key): Promise<void> {
      await db.execute(`DELETE FROM idempotency_keys WHERE key = $1 AND state = 'in-flight'`, [key])
    },
  }
}
