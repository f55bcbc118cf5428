// The error codes @hotpath/core itself can throw (packages pass their own codes).
import type { ErrorRegistry } from './registry.ts'

export const errorCodes: { readonly HOTPATH_INVALID_OPTION: string } = {
  HOTPATH_INVALID_OPTION: 'an InvalidOptionError built without a package code',
} satisfies ErrorRegistry
