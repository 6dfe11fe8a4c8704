import type { Config } from '../config.js';
import { MemoryStore } from './memory.js';
import { RedisStore, type StoreLogger } from './redis.js';
import type { Store } from './store.js';

/** How long startup waits for a first Redis connection before going on without one. */
const redisStartupWaitMs = 3000;

/**
 * The store the configuration asks for: Redis when REDIS_URL is set, in memory otherwise.
 *
 * A Redis that is unreachable at startup does not stop the bridge: it starts, `/readyz` answers
 * 503 and logins fail with `temporarily_unavailable` until Redis answers, then everything
 * recovers without a restart — the same as an outage later on. That way a bridge started
 * before its Redis (compose, Kubernetes) needs no restart loop, and one bad minute of Redis
 * looks the same at startup as at any other time.
 */
export async function createStore(config: Config, logger?: StoreLogger): Promise<Store> {
  if (config.redisUrl === undefined) return new MemoryStore();
  const store = new RedisStore(config.redisUrl, logger === undefined ? {} : { logger });
  await store.waitUntilReady(redisStartupWaitMs);
  return store;
}
