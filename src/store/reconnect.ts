/**
 * Reconnects forever: 100 ms, 200 ms, 400 ms … capped, so a Redis client recovers by itself soon
 * after Redis returns, without hammering it while it is away. Apart from the Redis store so that
 * the rate limiter shares it without loading ioredis where no Redis is configured.
 */
export function reconnectDelay(attempt: number, capMs: number): number {
  return Math.min(100 * 2 ** Math.min(Math.max(attempt - 1, 0), 16), capMs);
}
