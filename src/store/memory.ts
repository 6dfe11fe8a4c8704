import type { Store } from './store.js';

interface Entry {
  value: string;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /** Oldest entries are evicted past this many, so a flood cannot grow the process without limit. */
  maxEntries?: number;
  sweepIntervalMs?: number;
  now?: () => number;
}

/** The single-process default store: a Map in insertion order, expired lazily and by a sweep. */
export class MemoryStore implements Store {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 200_000;
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => {
      this.sweep();
    }, options.sweepIntervalMs ?? 30_000);
    this.sweeper.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  put(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    this.evictOverflow();
    return Promise.resolve();
  }

  add(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.live(key) !== undefined) return Promise.resolve(false);
    return this.put(key, value, ttlSeconds).then(() => true);
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.live(key)?.value);
  }

  take(key: string): Promise<string | undefined> {
    const entry = this.live(key);
    this.entries.delete(key);
    return Promise.resolve(entry?.value);
  }

  delete(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
    return Promise.resolve();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }

  private evictOverflow(): void {
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) return;
      this.entries.delete(oldest.value);
    }
  }
}
