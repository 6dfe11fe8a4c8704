import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from './store/store.js';

/** Where the signing-key document lives: DATA_DIR for one instance, the shared store for replicas. */
export interface KeyStorage {
  read(): Promise<string | undefined>;
  /**
   * Read-modify-write under a lock shared by every process using this storage, so that two
   * replicas starting or rotating at once cannot overwrite each other's keys. `change` sees the
   * current document and returns the new one, or undefined to leave it as it is.
   */
  update(change: (current: string | undefined) => Promise<string | undefined>): Promise<void>;
}

const lockWaitMs = 10_000;
const lockRetryMs = 25;
/** A lock older than this was left by a process that died holding it. */
const staleLockMs = 30_000;

/** `signing-keys.json` in DATA_DIR, owner-readable only; a lock file serialises updates. */
export class FileKeyStorage implements KeyStorage {
  private readonly path: string;
  private readonly lockPath: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, 'signing-keys.json');
    this.lockPath = `${this.path}.lock`;
  }

  async read(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async update(change: (current: string | undefined) => Promise<string | undefined>): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.lock();
    try {
      const next = await change(await this.read());
      if (next === undefined) return;
      const temporary = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temporary, next, { mode: 0o600, flag: 'wx' });
      await rename(temporary, this.path);
    } finally {
      await unlink(this.lockPath).catch(() => undefined);
    }
  }

  private async lock(): Promise<void> {
    const deadline = Date.now() + lockWaitMs;
    for (;;) {
      try {
        await (await open(this.lockPath, 'wx', 0o600)).close();
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = await stat(this.lockPath).catch(() => undefined);
      if (held !== undefined && Date.now() - held.mtimeMs > staleLockMs) await unlink(this.lockPath).catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`signing keys: ${this.lockPath} is held by another process`);
      await new Promise((resolve) => setTimeout(resolve, lockRetryMs));
    }
  }
}

/** Entries in the store never expire in practice: ten years. */
const keepSeconds = 10 * 365 * 86_400;

/** The signing-key document in the shared store (Redis), for replicas that share no DATA_DIR. */
export class StoreKeyStorage implements KeyStorage {
  constructor(
    private readonly store: Store,
    private readonly key = 'signing-keys',
  ) {}

  read(): Promise<string | undefined> {
    return this.store.get(this.key);
  }

  async update(change: (current: string | undefined) => Promise<string | undefined>): Promise<void> {
    const lockKey = `${this.key}:lock`;
    const deadline = Date.now() + lockWaitMs;
    while (!(await this.store.add(lockKey, randomBytes(8).toString('hex'), staleLockMs / 1000))) {
      if (Date.now() > deadline) throw new Error('signing keys: the rotation lock is held by another replica');
      await new Promise((resolve) => setTimeout(resolve, lockRetryMs));
    }
    try {
      const next = await change(await this.read());
      if (next !== undefined) await this.store.put(this.key, next, keepSeconds);
    } finally {
      await this.store.delete(lockKey);
    }
  }
}
