// The option validators of @hotpath/load: @hotpath/core's optionChecks bound to the package's code.
import { type OptionChecks, optionChecks } from '@hotpath/core'

/** Throws InvalidOptionError with code HOTPATH_LOAD_INVALID_OPTION (one message shape for every package). */
export const check: OptionChecks = optionChecks('HOTPATH_LOAD_INVALID_OPTION')
