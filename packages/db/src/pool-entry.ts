// `@hotpath/db/pool`: the driver-agnostic resource pool on its own (no driver code, no node:sqlite, no pg).
export {
  AcquireTimeoutError,
  HotpathError,
  InvalidOptionError,
  isHotpathError,
  LeaseReleasedError,
  PoolClosedError,
  PoolQueueFullError,
} from './errors.ts'
export {
  type AcquireOptions,
  createPool,
  type Lease,
  type Pool,
  type PoolStats,
  type TimeStats,
} from './pool.ts'
export type { PoolOptions } from './pool-options.ts'
