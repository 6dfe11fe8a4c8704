import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { buildDefaultApp } from '../../src/bootstrap.js';
import { loadConfig, type Config } from '../../src/config.js';
import { startFakeKakao, type FakeKakao } from '../../src/demo/fake-kakao.js';
import { createLogger } from '../../src/logging.js';
import { bridgeEnv, confidential, freePort, kakaoApp, type TapLike } from './bridge.js';
import { Browser } from './browser.js';
import { authorizeQuery, type TokenSet } from './flow.js';

export interface Replica {
  app: FastifyInstance;
  port: number;
  /** http://127.0.0.1:port */
  origin: string;
  /** Every log line this replica wrote. */
  logs: string[];
}

export interface ReplicaSet {
  /** PUBLIC_URL, the same for every replica: a front (nginx) or an address nobody listens on. */
  issuer: string;
  /** The first replica's configuration (the others differ in DATA_DIR only). */
  config: Config;
  kakao: FakeKakao;
  replicas: Replica[];
  /** `url` (an issuer URL) sent to replica `index` instead: the host:port is rewritten. */
  at(url: string, index: number): string;
}

export interface ReplicaOptions {
  redisUrl: string;
  count?: number;
  /** Default: http://127.0.0.1:<a port nobody listens on>, so a request that is not rewritten fails loudly. */
  publicUrl?: string;
  /** Added to every replica's environment (e.g. COOKIE_SECRET, TRUST_PROXY). */
  env?: Record<string, string>;
}

/**
 * Replicas of the bridge as `main.ts` builds them (buildDefaultApp: the store from REDIS_URL,
 * signing keys and cookie secret shared through it), each listening on its own loopback port,
 * in front of one fake Kakao.
 */
export async function startReplicas(t: TapLike, options: ReplicaOptions): Promise<ReplicaSet> {
  const kakao = await startFakeKakao();
  t.teardown(() => kakao.close());
  const issuer = options.publicUrl ?? `http://127.0.0.1:${await freePort()}`;
  kakao.addApp({ clientId: kakaoApp.clientId, clientSecret: kakaoApp.clientSecret, redirectUris: [`${issuer}/callback/kakao`] });
  const dir = t.testdir();
  // At debug, every response has its line (successful /userinfo calls too): servedPaths() reads them.
  const baseEnv = { ...bridgeEnv(issuer, kakao.url), REDIS_URL: options.redisUrl, LOG_LEVEL: 'debug' };
  // Each replica has its own DATA_DIR, as on separate hosts, and no COOKIE_SECRET: signing keys
  // and the cookie secret reach every replica through Redis alone.
  const configFor = (index: number) =>
    loadConfig({
      ...baseEnv,
      DATA_DIR: join(dir, `data-${index}`),
      ...options.env,
    });
  const config = configFor(0);

  // All at once, as compose starts replicas: the keys and the cookie secret are created once,
  // race-free, and the others load them.
  const replicas = await Promise.all(
    Array.from({ length: options.count ?? 2 }, async (_, index): Promise<Replica> => {
      const logs: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logs.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
          callback();
        },
      });
      const replicaConfig = configFor(index);
      const app = await buildDefaultApp(replicaConfig, createLogger(replicaConfig.logLevel, sink));
      t.teardown(() => app.close());
      const port = await freePort();
      await app.listen({ port, host: '127.0.0.1' });
      return { app, port, origin: `http://127.0.0.1:${port}`, logs };
    }),
  );

  const issuerUrl = new URL(issuer);
  return {
    issuer,
    config,
    kakao,
    replicas,
    at(url, index) {
      const target = new URL(url);
      if (target.origin !== issuerUrl.origin) throw new Error(`${target.origin} is not the issuer's origin`);
      const replica = replicas[index % replicas.length];
      if (replica === undefined) throw new Error('no replicas');
      target.host = new URL(replica.origin).host;
      return target.href;
    },
  };
}

export type Leg = 'authorize' | 'callback' | 'token' | 'userinfo';

/** Where each leg of a login is sent: an issuer URL in, the URL to request out. */
export type Route = (leg: Leg, url: string) => string;

export interface Login {
  code: string;
  tokens: TokenSet;
  idToken: JWTPayload;
  userinfo: Record<string, unknown>;
}

/** The browser leg up to the relying party's redirect_uri (authorize → Kakao → callback); returns the code. */
export async function codeAcross(issuer: string, route: Route, browser = new Browser(), state = randomBytes(8).toString('hex'), nonce = 'n'): Promise<string> {
  const authorize = new URL(`${issuer}/authorize`);
  authorize.search = authorizeQuery({ state, nonce }).toString();
  let next = route('authorize', authorize.href);
  for (let hop = 0; hop < 10; hop++) {
    const response = await browser.get(next);
    const location = response.headers.get('location');
    if (response.status !== 302 || location === null) throw new Error(`${new URL(next).pathname} answered ${response.status}: ${await response.text()}`);
    const target = new URL(location, next).href;
    if (target.startsWith(confidential.redirectUri)) {
      const params = new URL(target).searchParams;
      if (params.get('state') !== state) throw new Error(`state not returned: ${target}`);
      if (params.get('iss') !== issuer) throw new Error(`iss is not the issuer: ${target}`);
      const code = params.get('code');
      if (code === null) throw new Error(`no code: ${params.get('error') ?? ''} ${params.get('error_description') ?? ''}`);
      return code;
    }
    // Back from Kakao to the bridge's callback: that leg goes where the route says.
    next = target.startsWith(`${issuer}/callback/`) ? route('callback', target) : target;
  }
  throw new Error('too many redirects');
}

export function redeemAt(url: string, code: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: confidential.redirectUri,
      client_id: confidential.clientId,
      client_secret: confidential.clientSecret,
    }),
  });
}

/**
 * A whole login by the confidential client, each leg sent where `route` says; checks the
 * id_token against the JWKS (fetched through the route of the userinfo leg) and returns it all.
 */
export async function loginAcross(issuer: string, route: Route): Promise<Login> {
  const nonce = randomBytes(8).toString('hex');
  const code = await codeAcross(issuer, route, new Browser(), undefined, nonce);
  const tokenResponse = await redeemAt(route('token', `${issuer}/token`), code);
  if (tokenResponse.status !== 200) throw new Error(`token ${tokenResponse.status}: ${await tokenResponse.text()}`);
  const tokens = (await tokenResponse.json()) as TokenSet;
  const userinfoResponse = await fetch(route('userinfo', `${issuer}/userinfo`), { headers: { authorization: `Bearer ${tokens.access_token}` } });
  if (userinfoResponse.status !== 200) throw new Error(`userinfo ${userinfoResponse.status}: ${await userinfoResponse.text()}`);
  const userinfo = (await userinfoResponse.json()) as Record<string, unknown>;
  if (tokens.id_token === undefined) throw new Error('no id_token');
  const jwks = (await (await fetch(route('userinfo', `${issuer}/jwks`))).json()) as { keys: [] };
  const { payload } = await jwtVerify(tokens.id_token, createLocalJWKSet(jwks), { issuer, audience: confidential.clientId });
  if (payload.nonce !== nonce) throw new Error('nonce not echoed');
  return { code, tokens, idToken: payload, userinfo };
}

/** The paths of the requests a replica answered, from its request log lines. */
export function servedPaths(replica: Replica): string[] {
  return replica.logs
    .map((line) => JSON.parse(line) as { msg?: string; path?: string })
    .filter((entry) => entry.msg === 'request' && entry.path !== undefined)
    .map((entry) => entry.path ?? '');
}
