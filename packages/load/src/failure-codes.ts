// Stable failure codes counted in result.errors (ECONNRESET, ETIMEDOUT, ...), whatever the transport.

/** Stable error codes: undici's timeouts become ETIMEDOUT, a socket closed by the server ECONNRESET. */
export function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'ETIMEDOUT'
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return 'ECONNRESET'
    case undefined:
      return error.name || 'Error'
    default:
      return String(code)
  }
}
