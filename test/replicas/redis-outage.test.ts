import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { confidential } from '../helpers/bridge.js';
import { Browser } from '../helpers/browser.js';
import { startRedis } from '../helpers/redis-server.js';
import { codeAcross, loginAcross, redeemAt, startReplicas, type Route } from '../helpers/replicas.js';

const redis = await startRedis(t);
const set = await startReplicas(t, { redisUrl: redis.url, count: 1 });
const bridge = set.replicas[0]!;
const route: Route = (_leg, url) => set.at(url, 0);

/** Milliseconds until /readyz answers `status`, polling every 100 ms; throws after `timeoutMs`. */
async function readyzTurns(status: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const response = await fetch(`${bridge.origin}/readyz`, { signal: AbortSignal.timeout(3000) });
    await response.body?.cancel();
    if (response.status === status) return Math.round(performance.now() - started);
    if (performance.now() - started > timeoutMs) throw new Error(`/readyz still ${response.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A request that must answer within `limitMs`: an outage never hangs a request. */
async function timed(t: Test, what: string, limitMs: number, request: () => Promise<Response>): Promise<Response> {
  const started = performance.now();
  const response = await request();
  const ms = Math.round(performance.now() - started);
  t.ok(ms < limitMs, `${what} answered in ${ms} ms (limit ${limitMs})`);
  return response;
}

function authorizeUrl(state: string): string {
  const url = new URL(`${bridge.origin}/authorize`);
  url.search = new URLSearchParams({
    client_id: confidential.clientId,
    redirect_uri: confidential.redirectUri,
    response_type: 'code',
    scope: 'openid profile',
    state,
  }).toString();
  return url.href;
}

t.test('Redis stops, requests fail cleanly and fast, Redis returns, the bridge recovers without a restart', async (t) => {
  // Before the outage: a finished login (a valid access token), an unredeemed code, and a login
  // sent to Kakao whose callback will arrive during the outage.
  await readyzTurns(200, 3000);
  const before = await loginAcross(set.issuer, route);
  const pendingCode = await codeAcross(set.issuer, route);
  const browser = new Browser();
  const toKakao = await browser.get(authorizeUrl('state-before-outage'));
  const atKakao = await browser.get(new URL(toKakao.headers.get('location')!).href);
  const callbackUrl = set.at(new URL(atKakao.headers.get('location')!).href, 0);
  t.match(callbackUrl, /\/callback\/kakao\?/, 'Kakao sent the browser back');

  await redis.stop();
  const detectMs = await readyzTurns(503, 5000);
  t.ok(detectMs < 3000, `/readyz turned 503 ${detectMs} ms after Redis stopped`);
  const readyz = await fetch(`${bridge.origin}/readyz`);
  t.same(await readyz.json(), { status: 'unavailable', reason: 'store' });

  await t.test('/authorize of a valid client: error redirect temporarily_unavailable with the state', async (t) => {
    const response = await timed(t, '/authorize', 3000, () => fetch(authorizeUrl('rp-state-outage'), { redirect: 'manual' }));
    t.equal(response.status, 302);
    const location = new URL(response.headers.get('location')!);
    t.equal(location.origin + location.pathname, confidential.redirectUri);
    t.equal(location.searchParams.get('error'), 'temporarily_unavailable');
    t.equal(location.searchParams.get('state'), 'rp-state-outage');
    t.equal(location.searchParams.get('iss'), set.issuer);
  });

  await t.test('/authorize of an unknown client still gets the plain error page, never a redirect', async (t) => {
    const url = new URL(authorizeUrl('s'));
    url.searchParams.set('client_id', 'nobody');
    const response = await timed(t, '/authorize', 3000, () => fetch(url, { redirect: 'manual' }));
    t.equal(response.status, 400);
    t.equal(response.headers.get('location'), null);
  });

  await t.test('/callback whose login cannot be read: a 503 page, not a stack trace', async (t) => {
    const response = await timed(t, '/callback', 3000, () => browser.get(callbackUrl));
    t.equal(response.status, 503);
    t.match(response.headers.get('content-type'), /text\/html/);
    const body = await response.text();
    t.match(body, /Temporarily unavailable/);
    t.notMatch(body, /at \w+ \(|StoreUnavailable|ioredis|Error:/, 'no internals in the page');
  });

  await t.test('/token: 503 JSON temporarily_unavailable, never cached', async (t) => {
    const response = await timed(t, '/token', 3000, () => redeemAt(`${bridge.origin}/token`, pendingCode));
    t.equal(response.status, 503);
    t.equal(response.headers.get('cache-control'), 'no-store');
    t.match(await response.json(), { error: 'temporarily_unavailable' });
  });

  await t.test('/userinfo: 503 temporarily_unavailable, not 401 (the token may well be valid)', async (t) => {
    const response = await timed(t, '/userinfo', 3000, () =>
      fetch(`${bridge.origin}/userinfo`, { headers: { authorization: `Bearer ${before.tokens.access_token}` } }),
    );
    t.equal(response.status, 503);
    t.equal(response.headers.get('www-authenticate'), null, 'no invalid_token challenge');
    t.match(await response.json(), { error: 'temporarily_unavailable' });
  });

  await t.test('discovery, JWKS and /healthz do not need the store and keep answering', async (t) => {
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/healthz']) {
      const response = await timed(t, path, 1000, () => fetch(`${bridge.origin}${path}`));
      t.equal(response.status, 200, path);
    }
  });

  await redis.start();
  const recoverMs = await readyzTurns(200, 5000);
  t.ok(recoverMs < 4000, `/readyz turned 200 ${recoverMs} ms after Redis started`);
  const after = await loginAcross(set.issuer, route);
  t.equal(after.userinfo.sub, defaultFakeUser.id, 'a full login succeeds on the same bridge process');

  const logs = bridge.logs.join('\n');
  t.match(logs, /redis connection lost|redis is not reachable|store unavailable/, 'the outage is logged');
  t.notOk(logs.includes(before.tokens.access_token), 'the access token is never logged');
  t.notOk(logs.includes(pendingCode), 'the code is never logged');
  t.comment(`outage detected by /readyz in ${detectMs} ms; recovered ${recoverMs} ms after Redis returned`);
});

t.test('Redis full (maxmemory reached) after Kakao answered: the callback sends the client temporarily_unavailable with its state', async (t) => {
  const raw = new Redis(redis.url);
  t.teardown(() => raw.disconnect());
  const browser = new Browser();
  const toKakao = await browser.get(authorizeUrl('rp-state-full'));
  const atKakao = await browser.get(new URL(toKakao.headers.get('location')!).href);
  const callbackUrl = set.at(new URL(atKakao.headers.get('location')!).href, 0);
  // Writes now fail with OOM; reading and deleting (GETDEL of the login) still work.
  await raw.config('SET', 'maxmemory', '1');
  try {
    const response = await timed(t, '/callback', 3000, () => browser.get(callbackUrl));
    t.equal(response.status, 302);
    const location = new URL(response.headers.get('location')!);
    t.equal(location.origin + location.pathname, confidential.redirectUri);
    t.equal(location.searchParams.get('error'), 'temporarily_unavailable');
    t.equal(location.searchParams.get('state'), 'rp-state-full');
    t.equal(location.searchParams.get('code'), null);
  } finally {
    await raw.config('SET', 'maxmemory', '0');
  }
  const repeated = await browser.get(callbackUrl);
  t.equal(repeated.status, 400, 'repeated once Redis has room, the callback hands out no code that was never stored');
  t.match(await repeated.text(), /expired/);
  const after = await loginAcross(set.issuer, route);
  t.equal(after.userinfo.sub, defaultFakeUser.id, 'logins work again once Redis has room');
});
