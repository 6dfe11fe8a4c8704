import { Redis } from 'ioredis';
import { reconnectDelay } from './reconnect.js';
import { StoreUnavailable, type Store } from './store.js';

/** Where the store reports that Redis went away or came back (pino's logger fits). */
export interface StoreLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface RedisStoreOptions {
  /** Prepended to every key, so the bridge can share a Redis database. Default `kob:`. */
  keyPrefix?: string;
  /** A call that gets no answer within this fails with StoreUnavailable. Default 1000 ms. */
  commandTimeoutMs?: number;
  /** Longest wait between two reconnection attempts. Default 2000 ms. */
  maxReconnectDelayMs?: number;
  logger?: StoreLogger;
}

/** Redis takes whole, positive seconds (`SET … EX 0` or `EX 1.5` is an error). */
function wholeSeconds(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds));
}

/**
 * The Store on Redis (or Valkey), for several replicas. Every entry is a plain string with a
 * Redis TTL; `take` is GETDEL, so of two replicas redeeming one code at the same instant, one
 * gets it. A Redis that is down or frozen never holds a request: calls fail fast with
 * StoreUnavailable while the client reconnects in the background.
 */
export class RedisStore implements Store {
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly logger: StoreLogger | undefined;
  /** Logged once per change, not once per failed call or reconnection attempt. */
  private state: 'connecting' | 'up' | 'down' = 'connecting';
  private closed = false;
  /** The last connection error, for the message of calls made while disconnected. */
  private lastError: string | undefined;
  private readonly firstReady: Promise<void>;

  constructor(url: string, options: RedisStoreOptions = {}) {
    this.prefix = options.keyPrefix ?? 'kob:';
    this.logger = options.logger;
    const maxDelay = options.maxReconnectDelayMs ?? 2000;
    this.client = new Redis(url, {
      // Calls made while disconnected fail at once instead of queueing until Redis returns.
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      // A call in flight when the connection drops is retried once after reconnecting, then fails.
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (attempt) => reconnectDelay(attempt, maxDelay),
      connectionName: 'kakao-oidc-bridge',
    });
    this.firstReady = new Promise((resolve) => this.client.once('ready', resolve));
    this.client.on('ready', () => {
      if (this.state === 'down') this.logger?.info({ store: 'redis' }, 'redis connection restored');
      this.state = 'up';
      this.lastError = undefined;
    });
    // Without a listener ioredis prints every error to the console. Messages name host:port at
    // most (never the URL, which may hold a password).
    this.client.on('error', (error: Error) => {
      this.lastError = error.message;
      this.lost(error.message);
    });
    this.client.on('close', () => {
      this.lost('connection closed');
    });
  }

  /** Resolves when the first connection is ready, or after `timeoutMs` (then calls fail until it is). */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.firstReady.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.call('put', () => this.client.set(this.prefix + key, value, 'EX', wholeSeconds(ttlSeconds)));
  }

  async add(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const reply = await this.call('add', () => this.client.set(this.prefix + key, value, 'EX', wholeSeconds(ttlSeconds), 'NX'));
    return reply === 'OK';
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.call('get', () => this.client.get(this.prefix + key))) ?? undefined;
  }

  /** GETDEL is one command, so it is atomic. @see https://redis.io/commands/getdel (Redis ≥ 6.2) */
  async take(key: string): Promise<string | undefined> {
    return (await this.call('take', () => this.client.getdel(this.prefix + key))) ?? undefined;
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', () => this.client.del(this.prefix + key));
  }

  async ping(): Promise<void> {
    await this.call('ping', () => this.client.ping());
  }

  /** QUIT when connected (in-flight calls finish); otherwise, or if QUIT does not answer, drop the socket. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.client.status === 'ready') {
      try {
        await this.call('close', () => this.client.quit());
        return;
      } catch {
        // fall through: a connection that cannot quit is simply dropped
      }
    }
    this.client.disconnect();
  }

  private async call<T>(operation: string, command: () => Promise<T>): Promise<T> {
    // Checked here for a clear message: ioredis would say "Stream isn't writeable and enableOfflineQueue options is false".
    if (this.client.status !== 'ready') {
      const reason = this.lastError === undefined ? '' : ` (${this.lastError})`;
      throw new StoreUnavailable(operation, { cause: new Error(`Redis is not connected${reason}`) });
    }
    try {
      return await command();
    } catch (error) {
      throw new StoreUnavailable(operation, { cause: error });
    }
  }

  private lost(reason: string): void {
    if (this.state === 'down' || this.closed) return;
    const message = this.state === 'up' ? 'redis connection lost' : 'redis is not reachable';
    this.state = 'down';
    this.logger?.warn({ store: 'redis', reason }, `${message}: store calls fail until it answers (reconnecting)`);
  }
}
