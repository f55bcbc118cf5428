// Public API of @hotpath/core: the shared house of every @hotpath package.
export { type TypedChannel, type PayloadOf, typedChannel } from './channels.ts'
export { type Clock, isClock, systemClock } from './clock.ts'
export { describe } from './describe.ts'
export {
  HotpathError,
  type HotpathErrorOptions,
  InvalidOptionError,
  isHotpathError,
  nameErrorClass,
} from './errors.ts'
export { type OptionChecks, optionChecks } from './options.ts'
export { errorCodes } from './error-codes.ts'
export type { ErrorCodeOf, ErrorRegistry } from './registry.ts'
