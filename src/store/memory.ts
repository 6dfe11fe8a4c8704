import { StoreUnavailable, type PutOptions, type Store } from './store.js';

interface Entry {
  value: string;
  expiresAt: number;
  evictable: boolean;
}

export interface MemoryStoreOptions {
  /**
   * The most entries held at once, so a flood cannot grow the process without limit. Past it the
   * oldest evictable entries (pending logins) go first; when none is left a put fails with
   * StoreUnavailable: an issued code or token is never dropped before its TTL.
   */
  maxEntries?: number;
  sweepIntervalMs?: number;
  now?: () => number;
}

export const defaultMaxEntries = 100_000;
/** A full store with nothing to evict sweeps expired entries at most this often before it refuses a put. */
const fullSweepIntervalMs = 1000;

/**
 * The single-process default store: a Map, expired lazily and by a periodic sweep, bounded by
 * `maxEntries`. Evictable entries are also kept in a second Map in insertion order, so the oldest
 * one is found and dropped in O(1).
 */
export class MemoryStore implements Store {
  private readonly entries = new Map<string, Entry>();
  /** The evictable keys, oldest first (a put moves its key to the end). */
  private readonly evictableKeys = new Map<string, true>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  private lastFullSweep = Number.NEGATIVE_INFINITY;
  private evictedCount = 0;
  private refusedCount = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? defaultMaxEntries);
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => {
      this.sweep();
    }, options.sweepIntervalMs ?? 30_000);
    this.sweeper.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries dropped before their TTL to make room (pending logins only). */
  get evictions(): number {
    return this.evictedCount;
  }

  /** Puts refused because the store was full of entries that may not be evicted. */
  get refusals(): number {
    return this.refusedCount;
  }

  put(key: string, value: string, ttlSeconds: number, options?: PutOptions): Promise<void> {
    // A refusal (StoreUnavailable) thrown here rejects the promise, as a Redis failure would.
    return new Promise((resolve) => {
      this.set(key, value, ttlSeconds, options?.evictable === true);
      resolve();
    });
  }

  add(key: string, value: string, ttlSeconds: number, options?: PutOptions): Promise<boolean> {
    if (this.live(key) !== undefined) return Promise.resolve(false);
    return this.put(key, value, ttlSeconds, options).then(() => true);
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.live(key)?.value);
  }

  take(key: string): Promise<string | undefined> {
    const entry = this.live(key);
    this.remove(key);
    return Promise.resolve(entry?.value);
  }

  delete(key: string): Promise<void> {
    this.remove(key);
    return Promise.resolve();
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.evictableKeys.clear();
    return Promise.resolve();
  }

  private set(key: string, value: string, ttlSeconds: number, evictable: boolean): void {
    this.remove(key);
    if (this.entries.size >= this.maxEntries) this.makeRoom();
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000, evictable });
    if (evictable) this.evictableKeys.set(key, true);
  }

  /** Frees one slot: the oldest evictable entry, else whatever has expired; otherwise refuses. */
  private makeRoom(): void {
    const oldest = this.evictableKeys.keys().next();
    if (oldest.done !== true) {
      this.remove(oldest.value);
      this.evictedCount++;
      return;
    }
    // Only codes, tokens and the like are left: expired ones may go, live ones never.
    const now = this.now();
    if (now - this.lastFullSweep >= fullSweepIntervalMs) {
      this.lastFullSweep = now;
      this.sweep();
      if (this.entries.size < this.maxEntries) return;
    }
    this.refusedCount++;
    throw new StoreUnavailable('put', { cause: new Error(`the in-memory store is full (${this.maxEntries} entries, none of them evictable)`) });
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    if (entry.evictable) this.evictableKeys.delete(key);
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.remove(key);
    }
  }
}
