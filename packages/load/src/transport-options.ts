// TLS and protocol choices of a run's connections (both transports).

export interface TransportOptions {
  /** Accept any certificate (self-signed, wrong name): no verification. */
  insecure: boolean
  /** Extra trusted CA certificates (PEM), e.g. a self-signed target's own certificate. */
  ca: string | undefined
  /** Offer HTTP/2 (undici only): ALPN h2 first on https:, prior-knowledge h2c on http:. Without it, HTTP/1.1 only. */
  http2: boolean
}
