// Explicit bucket boundaries (seconds) advised by the OpenTelemetry semantic conventions.

/** `http.server.request.duration`, `http.client.request.duration`. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]

/** `db.client.operation.duration`, `db.client.connection.wait_time|use_time|create_time`. */
export const DB_DURATION_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]

/** `v8js.gc.duration`. */
export const GC_DURATION_BUCKETS: readonly number[] = [0.01, 0.1, 1, 10]
