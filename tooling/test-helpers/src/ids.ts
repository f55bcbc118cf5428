import { randomBytes } from 'node:crypto'

/** A short random id, safe in Redis keys and PostgreSQL identifiers. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
}
