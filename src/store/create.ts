import type { Config } from '../config.js';
import { MemoryStore } from './memory.js';
import type { StoreLogger } from './redis.js';
import type { Store } from './store.js';

/** How long startup waits for a first Redis connection before going on without one. */
const redisStartupWaitMs = 3000;

/**
 * The store the configuration asks for: Redis when REDIS_URL is set, in memory otherwise.
 *
 * A Redis that is unreachable at startup does not fail the store: it reconnects by itself.
 * The signing keys live in Redis too, so startup then waits for it (up to 30 s, see
 * bootstrap.ts) before it gives up; once running, an outage only makes `/readyz` answer 503 and
 * logins fail with `temporarily_unavailable` until Redis is back, with no restart.
 */
export async function createStore(config: Config, logger?: StoreLogger): Promise<Store> {
  if (config.redisUrl === undefined) return new MemoryStore({ maxEntries: config.memoryStoreMaxEntries });
  // ioredis (a few dozen modules) is loaded only when there is a Redis to talk to: a faster start otherwise.
  const { RedisStore } = await import('./redis.js');
  const store = new RedisStore(config.redisUrl, logger === undefined ? {} : { logger });
  await store.waitUntilReady(redisStartupWaitMs);
  return store;
}
