import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from './app.js';
import type { Config, SigningAlg } from './config.js';
import { readOrCreateFile } from './data-dir.js';
import { KeySet } from './keys.js';
import { createStore } from './store/create.js';
import type { Store } from './store/store.js';

/** The signing algorithms the keys must cover: the id_token's and every client's userinfo one. */
export function requiredAlgs(config: Config): SigningAlg[] {
  const algs = new Set<SigningAlg>([config.signingAlg]);
  for (const client of config.clients) {
    if (client.userinfoSignedResponseAlg !== undefined) algs.add(client.userinfoSignedResponseAlg);
  }
  return [...algs];
}

/** COOKIE_SECRET, or one generated on first start and kept in DATA_DIR. */
export async function cookieSecretFor(config: Config): Promise<string> {
  if (config.cookieSecret !== undefined) return config.cookieSecret;
  return (await readOrCreateFile(config.dataDir, 'cookie-secret', () => Promise.resolve(randomBytes(32).toString('base64url')))).trim();
}

/** Builds the app with the default dependencies (store, keys from DATA_DIR); the store closes with the app. */
export async function buildDefaultApp(config: Config, logger?: FastifyBaseLogger): Promise<FastifyInstance> {
  const store: Store = await createStore(config);
  const [keys, cookieSecret] = await Promise.all([KeySet.load(config.dataDir, requiredAlgs(config)), cookieSecretFor(config)]);
  const app = await buildApp(config, { store, keys, cookieSecret, ...(logger === undefined ? {} : { logger }) });
  app.addHook('onClose', () => store.close());
  return app;
}
