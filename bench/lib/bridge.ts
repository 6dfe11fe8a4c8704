/** The bridge under test: `node dist/main.js` with env, the fake Kakao it talks to, and logins driven through both. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CookieJar, runConcurrently, type Client } from './http.js';
import type { LoadRequest } from './load.js';
import { kakaoApp, relyingParty, scope } from './fixtures.js';
import { cpuSeconds, loadCore, serverCore, sleep, spawnBenchServer, spawnNode, type Spawned } from './procs.js';

export interface BridgeSetup {
  dist: string;
  port: number;
  kakaoUrl: string;
  dataDir: string;
}

export const fakeKakaoScript = fileURLToPath(new URL('../servers/fake-kakao.ts', import.meta.url));
/** Bare Fastify doing only a login's unavoidable work; it must listen on the bridge's port (the fake Kakao's one redirect URI). */
export const loginCeilingScript = fileURLToPath(new URL('../servers/login-ceiling.ts', import.meta.url));
/** The endpoint ceilings (static JSON, sign, verify, token); any port. */
export const ceilingScript = fileURLToPath(new URL('../servers/ceiling.ts', import.meta.url));

export function bridgeOrigin(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** The fake Kakao, on the load generator's core; it registers the bridge's callback on `bridgePort`. */
export function startFakeKakao(dist: string, bridgePort: number): Promise<Spawned> {
  return spawnBenchServer(fakeKakaoScript, loadCore, { BENCH_DIST: dist, REDIRECT_URI: `${bridgeOrigin(bridgePort)}/callback/kakao` });
}

/** The production environment of the bridge for the benchmark; `extra` overrides (REDIS_URL, TTLs). */
export function bridgeEnv(setup: BridgeSetup, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(setup.port),
    HOST: '127.0.0.1',
    PUBLIC_URL: bridgeOrigin(setup.port),
    DATA_DIR: setup.dataDir,
    KAKAO_CLIENT_ID: kakaoApp.clientId,
    KAKAO_CLIENT_SECRET: kakaoApp.clientSecret,
    KAKAO_AUTH_URL: setup.kakaoUrl,
    KAKAO_API_URL: setup.kakaoUrl,
    OIDC_CLIENT_ID: relyingParty.clientId,
    OIDC_CLIENT_SECRET: relyingParty.clientSecret,
    OIDC_REDIRECT_URIS: relyingParty.redirectUri,
    LOG_LEVEL: 'info',
    // Every request comes from 127.0.0.1: the limits are raised out of reach, the limiter still runs.
    RATE_LIMIT_AUTHORIZE: '1000000',
    RATE_LIMIT_CALLBACK: '1000000',
    RATE_LIMIT_TOKEN: '1000000',
    ...extra,
  };
}

export interface StartedBridge extends Spawned {
  origin: string;
  /** From spawn to the first 200 from discovery. */
  startupMs: number;
  /** CPU time the bridge used until then (robust when the machine is shared). */
  startupCpuMs: number;
}

/** Starts the bridge on the server core and waits for its discovery document (logs go to /dev/null). */
export async function startBridge(setup: BridgeSetup, extra: Record<string, string> = {}, nodeArgs: string[] = []): Promise<StartedBridge> {
  const started = performance.now();
  const spawned = await spawnNode(join(setup.dist, 'main.js'), [], { core: serverCore, env: bridgeEnv(setup, extra), nodeArgs });
  const origin = bridgeOrigin(setup.port);
  const startupMs = await waitForDiscovery(origin, started, 20_000, () => spawned.child.exitCode !== null);
  if (startupMs === undefined) {
    await spawned.stop();
    throw new Error(`the bridge did not start: ${spawned.stderr()}`);
  }
  return { ...spawned, origin, startupMs, startupCpuMs: cpuSeconds(spawned.pid) * 1000 };
}

/** Polls discovery every millisecond; the time from `started` to the first 200, or undefined. */
export async function waitForDiscovery(origin: string, started: number, timeoutMs: number, gaveUp: () => boolean): Promise<number | undefined> {
  const url = `${origin}/.well-known/openid-configuration`;
  while (performance.now() - started < timeoutMs && !gaveUp()) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(1);
  }
  return undefined;
}

let loginCounter = 0;

/** An authorization request's query for the benchmark's relying party, with a fresh state and nonce each time. */
export function authorizationQuery(): string {
  const n = (loginCounter++).toString(36);
  return new URLSearchParams({
    client_id: relyingParty.clientId,
    redirect_uri: relyingParty.redirectUri,
    response_type: 'code',
    scope,
    state: `rp-state-${n}`,
    nonce: `rp-nonce-${n}`,
  }).toString();
}

export function authorizePath(): string {
  return `/authorize?${authorizationQuery()}`;
}

export const tokenHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

/** A /token request for the load generator, with headers of its own: autocannon writes each body's content-length into them. */
export function tokenRequest(code: string): LoadRequest {
  return { method: 'POST', path: '/token', headers: { ...tokenHeaders }, body: tokenForm(code) };
}

/** A code shaped like the bridge's (src/oidc/authorization-codes.ts: a random token and its MAC), for servers that only parse it. */
export function codeShaped(): string {
  return `${randomBytes(32).toString('base64url')}${randomBytes(16).toString('base64url')}`;
}

export function tokenForm(code: string): string {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: relyingParty.redirectUri,
    client_id: relyingParty.clientId,
    client_secret: relyingParty.clientSecret,
  }).toString();
}

function expectRedirect(step: string, response: { status: number; location: string | undefined; body: string }): string {
  if (response.status !== 302 && response.status !== 303) throw new Error(`${step}: ${response.status} ${response.body.slice(0, 200)}`);
  if (response.location === undefined) throw new Error(`${step}: no location`);
  return response.location;
}

/** The browser leg up to Kakao's redirect back: returns the callback URL and the browser's cookies. */
export async function startLogin(client: Client, origin: string, jar = new CookieJar()): Promise<{ callbackUrl: string; jar: CookieJar; bridgeMs: number }> {
  const started = performance.now();
  const authorize = await client.send(origin + authorizePath(), { headers: jar.header() });
  const bridgeMs = performance.now() - started;
  jar.store(authorize.setCookies);
  const kakao = await client.send(expectRedirect('/authorize', authorize));
  return { callbackUrl: expectRedirect('kakao /oauth/authorize', kakao), jar, bridgeMs };
}

/** /callback: returns the code sent to the relying party. */
export async function finishCallback(client: Client, callbackUrl: string, jar: CookieJar): Promise<string> {
  const callback = await client.send(callbackUrl, { headers: jar.header() });
  const code = new URL(expectRedirect('/callback', callback)).searchParams.get('code');
  if (code === null) throw new Error(`/callback: no code in ${String(callback.location)}`);
  return code;
}

export async function redeem(client: Client, origin: string, code: string): Promise<string> {
  const response = await client.send(`${origin}/token`, { method: 'POST', headers: tokenHeaders, body: tokenForm(code) });
  if (response.status !== 200) throw new Error(`/token: ${response.status} ${response.body.slice(0, 200)}`);
  return (JSON.parse(response.body) as { access_token: string }).access_token;
}

export async function userinfo(client: Client, origin: string, accessToken: string): Promise<void> {
  const response = await client.send(`${origin}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  if (response.status !== 200) throw new Error(`/userinfo: ${response.status} ${response.body.slice(0, 200)}`);
}

export interface LoginTiming {
  /** Wall time of the whole login, Kakao's authorize page included. */
  totalMs: number;
  /** Time spent waiting on the bridge: /authorize + /callback (with its two calls to the instant fake Kakao) + /token + /userinfo. */
  bridgeMs: number;
}

/** A whole login in a fresh browser: authorize → fake Kakao → callback → token → userinfo. */
export async function fullLogin(client: Client, origin: string, withUserinfo = true): Promise<LoginTiming> {
  const started = performance.now();
  const { callbackUrl, jar, bridgeMs: authorizeMs } = await startLogin(client, origin);
  const callbackStarted = performance.now();
  const code = await finishCallback(client, callbackUrl, jar);
  const accessToken = await redeem(client, origin, code);
  if (withUserinfo) await userinfo(client, origin, accessToken);
  const finished = performance.now();
  return { totalMs: finished - started, bridgeMs: authorizeMs + (finished - callbackStarted) };
}

/** Codes for /token, minted through real logins (authorize → Kakao → callback). */
export async function mintCodes(client: Client, origin: string, count: number, concurrency: number): Promise<string[]> {
  const codes: string[] = [];
  await runConcurrently(count, concurrency, Infinity, async () => {
    const { callbackUrl, jar } = await startLogin(client, origin);
    codes.push(await finishCallback(client, callbackUrl, jar));
  });
  return codes;
}

/** Pending logins that Kakao has answered, ready for /callback: one browser (cookie) for all of them. */
export async function prepareCallbacks(client: Client, origin: string, count: number, concurrency: number): Promise<{ paths: string[]; cookie: Record<string, string> }> {
  const jar = new CookieJar();
  // The first login sets the browser cookie; the others reuse it, as tabs of one browser do.
  const first = await startLogin(client, origin, jar);
  const paths = [first.callbackUrl];
  await runConcurrently(count - 1, concurrency, Infinity, async () => {
    paths.push((await startLogin(client, origin, jar)).callbackUrl);
  });
  return { paths: paths.map((url) => { const parsed = new URL(url); return parsed.pathname + parsed.search; }), cookie: jar.header() };
}
