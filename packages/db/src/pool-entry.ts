// `@hotpath/db/pool`: the driver-agnostic resource pool on its own (no driver code, no node:sqlite, no pg).
export { HotpathError, InvalidOptionError, isHotpathError } from '@hotpath/core'
export type {
  DbPoolAcquireEvent,
  DbPoolCreateEvent,
  DbPoolDestroyEvent,
  DbPoolDestroyReason,
  DbPoolErrorEvent,
  DbPoolLeakEvent,
  DbPoolReleaseEvent,
  DbPoolTimeoutEvent,
} from './channels.ts'
export { type DbErrorCode, errorCodes } from './error-codes.ts'
export { AcquireTimeoutError, LeaseReleasedError, PoolClosedError, PoolQueueFullError } from './errors.ts'
export {
  type AcquireOptions,
  createPool,
  type Lease,
  type Pool,
  type PoolStats,
  type TimeStats,
} from './pool.ts'
export type { PoolOptions } from './pool-options.ts'
