import type { Config } from '../config.js';
import { MemoryStore } from './memory.js';
import type { Store } from './store.js';

/** The store the configuration asks for: in-memory by default. */
export function createStore(config: Config): Promise<Store> {
  void config;
  return Promise.resolve(new MemoryStore());
}
