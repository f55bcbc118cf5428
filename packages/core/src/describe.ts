// How an error message shows a value a caller passed: short, never the whole object.

const MAX = 80

/** A short, single-line description of `value` for error messages. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX ? `${value.slice(0, MAX)}…` : value)
    case 'bigint':
      return `${value}n`
    case 'symbol':
      return value.toString()
    case 'function':
      return `function ${value.name || '(anonymous)'}`
    case 'object':
      break
    default:
      return String(value)
  }
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array (${value.length} items)`
  const name = Object.getPrototypeOf(value)?.constructor?.name
  if (name && name !== 'Object') return `a ${name}`
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch {
    text = undefined
  }
  if (text === undefined) return 'an object'
  return text.length > MAX ? `${text.slice(0, MAX)}…` : text
}
