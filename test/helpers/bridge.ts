import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { cookieSecretFor, requiredAlgs } from '../../src/bootstrap.js';
import { loadConfig, type Config } from '../../src/config.js';
import { KeySet } from '../../src/keys.js';
import { createLogger } from '../../src/logging.js';
import { MemoryStore, type MemoryStoreOptions } from '../../src/store/memory.js';
import { startFakeKakao, type FakeKakao } from '../../src/demo/fake-kakao.js';

export interface TapLike {
  testdir(fixture?: Record<string, string>): string;
  teardown(fn: () => unknown): void;
}

/** Registered with the fake Kakao and the bridge in every flow test. */
export const kakaoApp = { clientId: 'kakao-rest-api-key', clientSecret: 'kakao-client-secret' };
export const rpRedirectUri = 'http://127.0.0.1:9/rp/callback';
export const confidential = { clientId: 'logto', clientSecret: 'logto-client-secret', redirectUri: rpRedirectUri };
export const publicClient = { clientId: 'spa', redirectUri: 'http://127.0.0.1:9/spa/callback' };
export const jwtUserinfoClient = { clientId: 'signed-userinfo', clientSecret: 'signed-userinfo-secret', redirectUri: 'http://127.0.0.1:9/signed/callback' };

export interface TestBridge {
  app: FastifyInstance;
  config: Config;
  issuer: string;
  kakao: FakeKakao;
  store: MemoryStore;
  keys: KeySet;
  /** Seconds added to the bridge's and its store's clock (expire codes and tokens without waiting). */
  advanceClock(seconds: number): void;
  /** Every log line the bridge wrote. */
  logs: string[];
}

export interface BridgeOptions {
  env?: Record<string, string>;
  /** PUBLIC_URL path after host:port, e.g. '/kakao'. */
  issuerPath?: string;
  /** The memory store's options other than its clock (e.g. a small maxEntries). */
  store?: Omit<MemoryStoreOptions, 'now'>;
}

/** The CONFIG_FILE entries of the public client and the signed-userinfo client. */
export const configFileClients = [
  { client_id: publicClient.clientId, redirect_uris: [publicClient.redirectUri] },
  {
    client_id: jwtUserinfoClient.clientId,
    client_secret: jwtUserinfoClient.clientSecret,
    redirect_uris: [jwtUserinfoClient.redirectUri],
    userinfo_signed_response_alg: 'ES256',
  },
];

/** Writes the CONFIG_FILE that registers the public client and the signed-userinfo client; returns its path. */
export function writeClientsFile(dir: string): string {
  const configFile = join(dir, 'clients.json');
  writeFileSync(configFile, JSON.stringify({ clients: configFileClients }));
  return configFile;
}

/** The settings of a bridge at `issuer` in front of the fake Kakao at `kakaoUrl`, with the confidential client. */
export function bridgeEnv(issuer: string, kakaoUrl: string): Record<string, string> {
  return {
    PUBLIC_URL: issuer,
    KAKAO_CLIENT_ID: kakaoApp.clientId,
    KAKAO_CLIENT_SECRET: kakaoApp.clientSecret,
    KAKAO_AUTH_URL: kakaoUrl,
    KAKAO_API_URL: kakaoUrl,
    OIDC_CLIENT_ID: confidential.clientId,
    OIDC_CLIENT_SECRET: confidential.clientSecret,
    OIDC_REDIRECT_URIS: confidential.redirectUri,
    LOG_LEVEL: 'info',
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * A bridge listening on loopback in front of a fake Kakao, with a confidential client (Logto),
 * a public client (PKCE) and a client that registered signed userinfo.
 */
export async function startBridge(t: TapLike, options: BridgeOptions = {}): Promise<TestBridge> {
  const kakao = await startFakeKakao();
  t.teardown(() => kakao.close());
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}${options.issuerPath ?? ''}`;
  kakao.addApp({ clientId: kakaoApp.clientId, clientSecret: kakaoApp.clientSecret, redirectUris: [`${issuer}/callback/kakao`] });
  const dir = t.testdir();
  const configFile = writeClientsFile(dir);
  const config = loadConfig({
    ...bridgeEnv(issuer, kakao.url),
    DATA_DIR: join(dir, 'data'),
    CONFIG_FILE: configFile,
    ...options.env,
  });
  let offset = 0;
  const clock = () => Date.now() + offset * 1000;
  const store = new MemoryStore({ ...options.store, now: clock });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      callback();
    },
  });
  const keys = await KeySet.load(config.dataDir, requiredAlgs(config));
  const app = await buildApp(config, { store, keys, cookieSecret: await cookieSecretFor(config), logger: createLogger(config.logLevel, sink), clock });
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  await app.listen({ port, host: '127.0.0.1' });
  return {
    app,
    config,
    issuer,
    kakao,
    store,
    keys,
    logs,
    advanceClock: (seconds) => {
      offset += seconds;
    },
  };
}
