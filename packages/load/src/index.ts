// Public API: filled in by the package's issue.
export const version: string = '0.0.0'
