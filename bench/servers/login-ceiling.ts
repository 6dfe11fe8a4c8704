/**
 * The login ceiling: bare Fastify 5, no logging, no hooks, no store, no checks, doing only the
 * work a bridge login cannot avoid, so that "full login ÷ this" shows what the bridge adds:
 *   GET  /authorize            302 to Kakao's authorize URL with a random state
 *   GET  /callback/kakao       Kakao's token endpoint (form POST), then /v2/user/me (Bearer), both
 *                              through one keep-alive undici Agent; 302 to the client with a random code
 *   POST /token                parses the form, signs the id_token (jose, RS256 2048, key imported once)
 *   GET  /userinfo             the user's claims as JSON
 * PORT is the bridge's port (the fake Kakao knows only that redirect URI); KAKAO_URL the fake Kakao.
 *
 * With REDIS_URL it also makes the six store round trips that a login through a shared store
 * cannot skip, one after another as a login needs them: the pending login written at /authorize
 * and taken at /callback, the code written at /callback and taken at /token, the access token
 * written at /token and read at /userinfo (records of the bridge's size, nothing checked).
 *
 * With PROTOCOL_CHECKS=1 it does, in memory, what the specifications require of any login, and
 * nothing else (no logs, metrics, rate limits, security headers or sealing):
 *   /authorize  the client and its exact redirect_uri, response_type and the openid scope
 *               (RFC 6749 §3.1.2.3, RFC 9700 §2.1); a one-time state for Kakao, bound to the browser
 *               by a cookie (RFC 6749 §10.12, RFC 9700 §4.7.1); the pending login kept until /callback
 *   /callback   the pending login taken once and its cookie compared in constant time; Kakao's
 *               profile parsed into claims; a one-time code kept; the client's state and iss
 *               returned (RFC 9207)
 *   /token      grant_type; the client authenticated in constant time (RFC 6749 §2.3.1); the code
 *               taken once, for the client and redirect_uri it was issued to (§4.1.3); the
 *               id_token with the client's nonce (OIDC Core §3.1.3.3); the access token kept for
 *               /userinfo; no-store (§5.1)
 *   /userinfo   the Bearer token looked up and its expiry checked (RFC 6750, OIDC Core §5.3)
 *
 * With BRIDGE_DUTIES=1 as well, it also does what the bridge owes on every request besides the
 * protocol, each the plain way: the security headers; rate limits (@fastify/rate-limit) on
 * /authorize and /callback per IP, on /token per client and IP (counted once the form is parsed);
 * one access-log line per response but successful /userinfo calls (pino, to stdout in batches of
 * 4 KiB); a request-duration histogram (prom-client); and, in place of the kept access tokens,
 * tokens that carry their record sealed (AES-256-GCM), so that a login leaves nothing in memory
 * (the RSS target). A sealed token cannot be deleted when its code is replayed (RFC 6749
 * §4.1.2), so /userinfo looks its code up among the revoked ones.
 *
 * With PROTOCOL_CHECKS=1 and REDIS_URL, the pending logins, codes, kept access tokens and
 * revocations are in Redis instead of in memory, one round trip each, one after another as the
 * login needs them: five with the duties (the pending login written and taken, the code written
 * and taken, the revocation read), six without.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyReply, type FastifyRequest, type RouteShorthandOptions } from 'fastify';
import { pino } from 'pino';
import { Histogram, Registry } from 'prom-client';
import { generateKeyPair, SignJWT } from 'jose';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { announceReady, exitWithParent, kakaoApp, relyingParty, scope, userClaims } from '../lib/fixtures.js';

exitWithParent();
const port = Number(process.env.PORT ?? '0');
const kakaoUrl = process.env.KAKAO_URL ?? '';
const issuer = `http://127.0.0.1:${port}`;
const callbackUrl = `${issuer}/callback/kakao`;
const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
const kakao = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
const random = () => randomBytes(32).toString('base64url');
const redis = process.env.REDIS_URL === undefined ? undefined : new Redis(process.env.REDIS_URL);
/** Stand-ins of the bridge's records (a pending login ~300 B, a code or an access token ~500 B). */
const loginRecord = JSON.stringify({ clientId: relyingParty.clientId, redirectUri: relyingParty.redirectUri, state: random(), nonce: random(), scopes: scope.split(' '), codeChallenge: random(), connectorId: 'kakao', upstreamVerifier: random(), browser: random() });
const grantRecord = JSON.stringify({ clientId: relyingParty.clientId, subject: '3827731058', scopes: scope.split(' '), claims: userClaims, expiresAt: 0, nonce: random() });

type Claims = Record<string, string | boolean>;

const duties = process.env.PROTOCOL_CHECKS === '1' && process.env.BRIDGE_DUTIES === '1';
const app = Fastify({
  logger: duties ? { level: 'info', stream: pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 }) } : false,
  disableRequestLogging: true,
});
await app.register(fastifyFormbody);
/** Kakao's authorize URL for a new login (with Redis, once the pending login is stored). */
function toKakao(state: string): string {
  const query = new URLSearchParams({ client_id: kakaoApp.clientId, redirect_uri: callbackUrl, response_type: 'code', state });
  return `${kakaoUrl}/oauth/authorize?${query.toString()}`;
}

/** Kakao's two calls for the code it sent back: its token endpoint, then the user's profile (the response body). */
async function kakaoProfile(code: string): Promise<unknown> {
  const form = new URLSearchParams({ grant_type: 'authorization_code', client_id: kakaoApp.clientId, client_secret: kakaoApp.clientSecret, redirect_uri: callbackUrl, code });
  const token = await request(`${kakaoUrl}/oauth/token`, { dispatcher: kakao, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: form.toString() });
  const { access_token: accessToken } = (await token.body.json()) as { access_token: string };
  const user = await request(`${kakaoUrl}/v2/user/me`, { dispatcher: kakao, headers: { authorization: `Bearer ${accessToken}` } });
  return user.body.json();
}

function signIdToken(claims: Claims, nonce: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims, iss: issuer, aud: relyingParty.clientId, exp: now + 3600, iat: now, auth_time: now, nonce })
    .setProtectedHeader({ alg: 'RS256', kid: 'ceiling-rs256', typ: 'JWT' })
    .sign(privateKey);
}

const tokenResponse = (accessToken: string, idToken: string) => ({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope, id_token: idToken });

if (process.env.PROTOCOL_CHECKS === '1') {
  registerProtocolChecks(duties ? await registerDuties() : undefined);
} else {
  registerUnchecked();
}

/** The bare ceiling (and its Redis variant): nothing is checked. */
function registerUnchecked(): void {
  // Without Redis the handlers stay synchronous, as the ceiling was measured before it had a Redis variant.
  if (redis === undefined) {
    app.get('/authorize', (_request, reply) => reply.redirect(toKakao(random()), 302));
    app.get('/userinfo', () => userClaims);
  } else {
    app.get('/authorize', async (_request, reply) => {
      const state = random();
      await redis.set(`login:${state}`, loginRecord, 'EX', 600);
      return reply.redirect(toKakao(state), 302);
    });
    app.get('/userinfo', async (req) => {
      await redis.get(`access:${req.headers.authorization?.slice('Bearer '.length) ?? ''}`);
      return userClaims;
    });
  }
  app.get<{ Querystring: { code?: string; state?: string } }>('/callback/kakao', async (req, reply) => {
    if (redis !== undefined) await redis.getdel(`login:${req.query.state ?? ''}`);
    await kakaoProfile(req.query.code ?? '');
    const code = random();
    if (redis !== undefined) await redis.set(`code:${code}`, grantRecord, 'EX', 60);
    return reply.redirect(`${relyingParty.redirectUri}?code=${code}&state=x`, 302);
  });
  app.post<{ Body: { code?: string } }>('/token', async (req) => {
    const accessToken = random();
    if (redis !== undefined) await redis.getdel(`code:${req.body.code ?? ''}`);
    // The access token's write overlaps the signature, as the bridge's does.
    const [idToken] = await Promise.all([signIdToken(userClaims, 'rp-nonce'), redis?.set(`access:${accessToken}`, grantRecord, 'EX', 3600)]);
    return tokenResponse(accessToken, idToken);
  });
}

interface PendingLogin {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  nonce: string;
  binding: string;
}
interface Grant {
  clientId: string;
  redirectUri: string;
  nonce: string;
  claims: Claims;
}
/** What the bridge's access tokens carry (src/oidc/records.ts); `grant` is the code that bought it. */
interface AccessToken {
  clientId: string;
  subject: string;
  scopes: string[];
  claims: Claims;
  expiresAt: number;
  grant: string;
}

/** Where the checked ceiling keeps what lives between two requests of a login: a Map, or Redis. */
interface Kept<T> {
  put(key: string, value: T, ttlMs: number): Promise<void>;
  get(key: string): Promise<T | undefined>;
  /** Returns and removes the entry (Redis GETDEL). */
  take(key: string): Promise<T | undefined>;
}

/** In memory: expired entries are never returned, and a sweep drops them, as a store's TTLs would. */
function keptInMemory<T>(): Kept<T> {
  const entries = new Map<string, { value: T; expiresAt: number }>();
  setInterval(() => {
    const now = Date.now();
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
  }, 30_000).unref();
  const live = (entry: { value: T; expiresAt: number } | undefined) => (entry !== undefined && entry.expiresAt > Date.now() ? entry.value : undefined);
  return {
    put(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: Date.now() + ttlMs });
      return Promise.resolve();
    },
    get: (key) => Promise.resolve(live(entries.get(key))),
    take(key) {
      const entry = entries.get(key);
      entries.delete(key);
      return Promise.resolve(live(entry));
    },
  };
}

/** In Redis under `prefix`, as JSON with a TTL: one round trip per call. */
function keptInRedis<T>(client: Redis, prefix: string): Kept<T> {
  const parse = (json: string | null) => (json === null ? undefined : (JSON.parse(json) as T));
  return {
    async put(key, value, ttlMs) {
      await client.set(prefix + key, JSON.stringify(value), 'EX', Math.ceil(ttlMs / 1000));
    },
    get: async (key) => parse(await client.get(prefix + key)),
    take: async (key) => parse(await client.getdel(prefix + key)),
  };
}

/** How /token and /userinfo hand out and read access tokens: kept in the store, or sealed into the token itself. */
interface AccessTokens {
  issue(token: AccessToken): Promise<string>;
  read(token: string): Promise<AccessToken | undefined>;
}

type Limited = 'authorize' | 'callback' | 'token';

interface Duties {
  /** The route options that put a route under its rate limit. */
  limited: Record<Limited, RouteShorthandOptions>;
  /** Access tokens are sealed under it instead of kept. */
  sealingKey: KeyObject;
}

/** The bridge's duties besides the protocol (see the top of this file), each done the plain way. */
async function registerDuties(): Promise<Duties> {
  await app.register(fastifyRateLimit, { global: false, cache: 10_000 });
  // Limits out of reach, as the bench sets the bridge's: counted on every request, never refusing one.
  const limit = (keyGenerator: (req: FastifyRequest) => string) => app.rateLimit({ max: 1_000_000, timeWindow: 60_000, keyGenerator });
  const limited = {
    authorize: { onRequest: limit((req) => `authorize:${req.ip}`) },
    callback: { onRequest: limit((req) => `callback:${req.ip}`) },
    // Per client and IP: the client_id is in the form, so it counts once the body is parsed.
    token: { preValidation: limit((req) => `token:${String((req.body as Record<string, unknown> | undefined)?.client_id)}:${req.ip}`) },
  };
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [new Registry()],
  });
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    durations.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: `${String(reply.statusCode)[0] ?? ''}xx` }, reply.elapsedTime / 1000);
    // Like the bridge's, successful /userinfo calls are not logged: relying parties poll it at their own rate.
    if (req.routeOptions.url !== '/userinfo' || reply.statusCode >= 400) {
      req.log.info({ method: req.method, path: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime), ip: req.ip }, 'request');
    }
    done();
  });
  return { limited, sealingKey: createSecretKey(randomBytes(32)) };
}

/**
 * Access tokens as `IV ‖ tag ‖ AES-256-GCM(record)` in base64url: nothing is kept per token.
 * Reading one looks its code up in `revoked`, the lookup a provider that revokes on a replayed
 * code must pay; the replay's write is left out (no load of the bench replays a code), so the
 * lookup always misses.
 */
function sealedAccessTokens(key: KeyObject, revoked: Kept<true>): AccessTokens {
  const open = (token: string): AccessToken | undefined => {
    const data = Buffer.from(token, 'base64url');
    if (data.length < 28) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(12, 28));
      const plaintext = decipher.update(data.subarray(28));
      decipher.final();
      return JSON.parse(plaintext.toString('utf8')) as AccessToken;
    } catch {
      return undefined;
    }
  };
  return {
    issue(token) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = cipher.update(JSON.stringify(token), 'utf8');
      cipher.final();
      return Promise.resolve(Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url'));
    },
    async read(token) {
      const record = open(token);
      return record === undefined || (await revoked.get(record.grant)) !== undefined ? undefined : record;
    },
  };
}

/** What any correct login does beyond the bare ceiling (see the top of this file), in memory or, with REDIS_URL, in Redis. */
function registerProtocolChecks(withDuties: Duties | undefined): void {
  const clients = new Map([[relyingParty.clientId, { secret: Buffer.from(relyingParty.clientSecret), redirectUris: new Set([relyingParty.redirectUri]) }]]);
  const kept = <T>(prefix: string): Kept<T> => (redis === undefined ? keptInMemory<T>() : keptInRedis<T>(redis, prefix));
  const pending = kept<PendingLogin>('login:');
  const codes = kept<Grant>('code:');
  const accessTokens: AccessTokens =
    withDuties === undefined
      ? keptAccessTokens(kept<AccessToken>('access:'))
      : sealedAccessTokens(withDuties.sealingKey, kept<true>('revoked:'));
  const sameSecret = (given: string, expected: Buffer) => {
    const bytes = Buffer.from(given);
    return bytes.length === expected.length && timingSafeEqual(bytes, expected);
  };
  const refuse = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ error });

  const limited = (endpoint: Limited): RouteShorthandOptions => withDuties?.limited[endpoint] ?? {};
  app.get<{ Querystring: Record<string, string | undefined> }>('/authorize', limited('authorize'), async (req, reply) => {
    const { client_id: clientId = '', redirect_uri: redirectUri = '', response_type: responseType, scope: requested = '', state, nonce = '' } = req.query;
    if (clients.get(clientId)?.redirectUris.has(redirectUri) !== true) return refuse(reply, 400, 'invalid_request');
    if (responseType !== 'code' || !requested.split(' ').includes('openid')) return refuse(reply, 400, 'invalid_request');
    const kakaoState = random();
    const binding = random();
    await pending.put(kakaoState, { clientId, redirectUri, state, nonce, binding }, 600_000);
    return reply.header('set-cookie', `binding=${binding}; Path=/callback; HttpOnly; SameSite=Lax; Max-Age=600`).redirect(toKakao(kakaoState), 302);
  });
  app.get<{ Querystring: { code?: string; state?: string } }>('/callback/kakao', limited('callback'), async (req, reply) => {
    const login = await pending.take(req.query.state ?? '');
    const binding = /(?:^|;\s*)binding=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
    if (login === undefined || binding === undefined || !sameSecret(binding, Buffer.from(login.binding))) return refuse(reply, 400, 'invalid_request');
    const profile = (await kakaoProfile(req.query.code ?? '')) as { id: number; kakao_account: { profile: { nickname: string; profile_image_url: string }; email: string; is_email_valid: boolean; is_email_verified: boolean } };
    const account = profile.kakao_account;
    const claims = {
      sub: String(profile.id),
      name: account.profile.nickname,
      nickname: account.profile.nickname,
      picture: account.profile.profile_image_url,
      email: account.email,
      email_verified: account.is_email_valid && account.is_email_verified,
    };
    const code = random();
    await codes.put(code, { clientId: login.clientId, redirectUri: login.redirectUri, nonce: login.nonce, claims }, 60_000);
    const back = new URLSearchParams({ code, ...(login.state === undefined ? {} : { state: login.state }), iss: issuer });
    return reply.redirect(`${login.redirectUri}?${back.toString()}`, 302);
  });
  app.post<{ Body: Record<string, string | undefined> }>('/token', limited('token'), async (req, reply) => {
    const { grant_type: grantType, client_id: clientId = '', client_secret: secret = '', code = '', redirect_uri: redirectUri } = req.body;
    if (grantType !== 'authorization_code') return refuse(reply, 400, 'unsupported_grant_type');
    const client = clients.get(clientId);
    if (client === undefined || !sameSecret(secret, client.secret)) return refuse(reply, 401, 'invalid_client');
    const grant = await codes.take(code);
    if (grant === undefined || grant.clientId !== clientId || grant.redirectUri !== redirectUri) return refuse(reply, 400, 'invalid_grant');
    const accessToken = await accessTokens.issue({ clientId, subject: String(grant.claims.sub), scopes: scope.split(' '), claims: grant.claims, expiresAt: Date.now() + 3_600_000, grant: code });
    const idToken = await signIdToken(grant.claims, grant.nonce);
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(tokenResponse(accessToken, idToken));
  });
  app.get('/userinfo', async (req, reply) => {
    const header = req.headers.authorization ?? '';
    const token = await accessTokens.read(header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '');
    if (token === undefined || token.expiresAt <= Date.now()) return reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send({ error: 'invalid_token' });
    return token.claims;
  });
}

/** Access tokens as random strings, their records kept until they expire. */
function keptAccessTokens(kept: Kept<AccessToken>): AccessTokens {
  return {
    async issue(token) {
      const accessToken = random();
      await kept.put(accessToken, token, token.expiresAt - Date.now());
      return accessToken;
    },
    read: (token) => kept.get(token),
  };
}

await app.listen({ port, host: '127.0.0.1' });
announceReady(issuer);
