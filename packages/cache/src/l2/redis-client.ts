// What the cache uses of a Redis connection: @redis/client's client, or a cluster behind ClusterClient.

/** The slice of @redis/client's client that the cache uses (kept structural: @redis/client is optional). */
export interface RedisClientLike {
  readonly isOpen: boolean
  readonly isReady: boolean
  connect(): Promise<unknown>
  get(key: string): Promise<string | null>
  sendCommand(args: string[]): Promise<unknown>
  mGet(keys: string[]): Promise<(string | null)[]>
  set(key: string, value: string, options?: object): Promise<string | null>
  del(keys: string | string[]): Promise<number>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  publish(channel: string, message: string): Promise<number>
  subscribe(channel: string, listener: (message: string) => void): Promise<void>
  duplicate(): RedisClientLike
  destroy(): void
  close?(): Promise<void>
  on(event: string, listener: (...args: unknown[]) => void): unknown
}
