/** How an entry may be treated when a bounded store is full. */
export interface PutOptions {
  /**
   * The entry may be dropped before its TTL when the store is full: a pending login that is
   * simply asked for again, never an issued credential. Only the in-memory store honours it;
   * Redis has its own memory policy (see README, "Replicas and Redis").
   */
  evictable?: boolean;
}

/**
 * Short-lived shared state: pending logins, authorization codes, access tokens, used client
 * assertions. Values are strings (JSON) so the same contract fits Redis. Every entry expires.
 */
export interface Store {
  /** Sets `key` to `value`, replacing any value, for `ttlSeconds`. */
  put(key: string, value: string, ttlSeconds: number, options?: PutOptions): Promise<void>;
  /** Sets `key` only if it is absent; true when this call set it (Redis SET NX). */
  add(key: string, value: string, ttlSeconds: number, options?: PutOptions): Promise<boolean>;
  get(key: string): Promise<string | undefined>;
  /** Returns and removes the value atomically: of two concurrent takes, one sees it (Redis GETDEL). */
  take(key: string): Promise<string | undefined>;
  delete(key: string): Promise<void>;
  /** Throws when the store cannot serve requests (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The store could not serve a call (Redis down, frozen, out of memory). Requests end as
 * `temporarily_unavailable`, never as a hang. The message names the operation, never the key
 * or value; the client's error is the cause.
 */
export class StoreUnavailable extends Error {
  constructor(
    readonly operation: string,
    options?: ErrorOptions,
  ) {
    super(`the store is unavailable (${operation}${options?.cause instanceof Error ? `: ${options.cause.message}` : ''})`, options);
    this.name = 'StoreUnavailable';
  }
}
