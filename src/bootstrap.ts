import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config, SigningAlg } from './config.js';
import { readOrCreateFile } from './data-dir.js';
import { FileKeyStorage, StoreKeyStorage, type KeyStorage } from './key-storage.js';
import { KeySet, type KeyPolicy } from './keys.js';
import { createStore } from './store/create.js';
import { StoreUnavailable, type Store } from './store/store.js';

/** How often each instance re-reads the keys: it sees other replicas' rotations within this. */
const keyRefreshMs = 60_000;
/** Entries in the store never expire in practice: ten years. */
const keepSeconds = 10 * 365 * 86_400;

/** The signing algorithms the keys must cover: the id_token's and every client's userinfo one. */
export function requiredAlgs(config: Config): SigningAlg[] {
  const algs = new Set<SigningAlg>([config.signingAlg]);
  for (const client of config.clients) {
    if (client.userinfoSignedResponseAlg !== undefined) algs.add(client.userinfoSignedResponseAlg);
  }
  return [...algs];
}

/** Rotation overlap: an old key stays published for as long as the longest id_token lives. */
export function keyPolicyFor(config: Config): Partial<KeyPolicy> {
  const longestToken = Math.max(...config.clients.map((client) => client.idTokenTtl));
  return { rotationDays: config.keyRotationDays, retireAfterSeconds: longestToken + 300 };
}

/** Replicas (REDIS_URL) share keys through the store; a single instance keeps them in DATA_DIR. */
export function keyStorageFor(config: Config, store: Store): KeyStorage {
  return config.redisUrl === undefined ? new FileKeyStorage(config.dataDir) : new StoreKeyStorage(store);
}

/** COOKIE_SECRET, or one generated on first start and kept in the store (replicas) or DATA_DIR. */
export async function cookieSecretFor(config: Config, store?: Store): Promise<string> {
  if (config.cookieSecret !== undefined) return config.cookieSecret;
  const generated = randomBytes(32).toString('base64url');
  if (config.redisUrl !== undefined && store !== undefined) {
    await store.add('cookie-secret', generated, keepSeconds);
    const shared = await store.get('cookie-secret');
    if (shared === undefined) throw new Error('the store lost the cookie secret it just stored');
    return shared;
  }
  return (await readOrCreateFile(config.dataDir, 'cookie-secret', () => Promise.resolve(generated))).trim();
}

/** How long startup retries a store that does not answer yet, before it gives up. */
const storeStartupWaitMs = 30_000;

async function whileStoreStarts<T>(logger: FastifyBaseLogger | undefined, load: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + storeStartupWaitMs;
  for (;;) {
    try {
      return await load();
    } catch (error) {
      if (!(error instanceof StoreUnavailable) || Date.now() > deadline) throw error;
      logger?.warn({ reason: error.message }, 'waiting for the store to load the signing keys');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Builds the app with the default dependencies; the store and the key refresh stop with the app. */
export async function buildDefaultApp(config: Config, logger?: FastifyBaseLogger): Promise<FastifyInstance> {
  const store: Store = await createStore(config, logger);
  // With REDIS_URL the keys live in Redis: a bridge started before its Redis waits for it a while.
  const [keys, cookieSecret] = await whileStoreStarts(logger, () =>
    Promise.all([KeySet.open(keyStorageFor(config, store), requiredAlgs(config), keyPolicyFor(config)), cookieSecretFor(config, store)]),
  );
  const app = await buildApp(config, { store, keys, cookieSecret, ...(logger === undefined ? {} : { logger }) });
  // A first start creates its signing keys once it listens, rather than before: on one core,
  // creating them beside the start's own work delays it as much as creating them first.
  // /jwks, /token and /readyz wait for them (and retry, should this attempt fail).
  app.addHook('onListen', (done) => {
    keys.ensureAllKeys().catch((error: unknown) => {
      app.log.error({ err: error }, 'the signing keys could not be created');
    });
    done();
  });
  const stopRefreshing = keys.startRefreshing(keyRefreshMs, (error) => {
    app.log.error({ err: error }, 'signing keys could not be refreshed');
  });
  app.addHook('onClose', async () => {
    stopRefreshing();
    await keys.settled();
    await store.close();
  });
  return app;
}
