// @see RFC 6585 §4 (429 Too Many Requests), RFC 9110 §10.2.3 (Retry-After)
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { authorizeUrl } from '../helpers/flow.js';

// TRUST_PROXY=true: the test is the proxy, and X-Forwarded-For names the client each request comes from.
const bridge = await startBridge(t, { env: { RATE_LIMIT_AUTHORIZE: '5', TRUST_PROXY: 'true' } });

function authorizeFrom(ip: string): Promise<Response> {
  return fetch(authorizeUrl(bridge), { redirect: 'manual', headers: { 'x-forwarded-for': ip } });
}

function postAuthorizeFrom(ip: string): Promise<Response> {
  const params = new URL(authorizeUrl(bridge)).searchParams;
  return fetch(`${bridge.issuer}/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'x-forwarded-for': ip, 'content-type': 'application/x-www-form-urlencoded' },
    body: params,
  });
}

const toKakao = (response: Response) => response.status === 302 && (response.headers.get('location') ?? '').startsWith(bridge.kakao.url);

t.test('answers the request past RATE_LIMIT_AUTHORIZE per minute from one IP with a 429 page and Retry-After', async (t) => {
  for (let index = 0; index < 5; index++) t.ok(toKakao(await authorizeFrom('203.0.113.1')), `request ${index + 1} goes on to Kakao`);
  const sizeBefore = bridge.store.size;
  const limited = await authorizeFrom('203.0.113.1');
  t.equal(limited.status, 429);
  const retryAfter = Number(limited.headers.get('retry-after'));
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${String(retryAfter)} s`);
  t.match(limited.headers.get('content-type'), /^text\/html/);
  t.equal(limited.headers.get('cache-control'), 'no-store');
  t.match(limited.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  t.equal(limited.headers.get('referrer-policy'), 'no-referrer');
  const page = await limited.text();
  t.match(page, /Too many requests/);
  t.match(page, new RegExp(`Wait ${String(retryAfter)} seconds`));
  t.equal(limited.headers.get('location'), null, 'no redirect anywhere');
  t.equal(bridge.store.size, sizeBefore, 'a refused request stores nothing');
});

t.test('counts every IP on its own', async (t) => {
  t.ok(toKakao(await authorizeFrom('203.0.113.2')), 'another address goes on');
  t.equal((await authorizeFrom('203.0.113.1')).status, 429, 'the first address is still limited');
});

t.test('GET and POST /authorize share one budget', async (t) => {
  for (let index = 0; index < 3; index++) t.ok(toKakao(await authorizeFrom('203.0.113.3')));
  for (let index = 0; index < 2; index++) t.ok(toKakao(await postAuthorizeFrom('203.0.113.3')));
  t.equal((await postAuthorizeFrom('203.0.113.3')).status, 429);
  t.equal((await authorizeFrom('203.0.113.3')).status, 429);
});

t.test('counts an IPv6 /64 as one client, so rotating addresses inside it does not escape the limit', async (t) => {
  for (let index = 1; index <= 5; index++) t.ok(toKakao(await authorizeFrom(`2001:db8:1:2::${index.toString(16)}`)));
  t.equal((await authorizeFrom('2001:db8:1:2:ffff::9')).status, 429);
  t.ok(toKakao(await authorizeFrom('2001:db8:1:3::1')), 'the next /64 is someone else');
});

t.test('sends the rate-limit headers while under the limit', async (t) => {
  const response = await authorizeFrom('203.0.113.4');
  t.equal(response.headers.get('x-ratelimit-limit'), '5');
  t.equal(response.headers.get('x-ratelimit-remaining'), '4');
});

t.test('a request refused for its parameters still counts (a flood of bad requests is a flood)', async (t) => {
  for (let index = 0; index < 5; index++) {
    const response = await fetch(`${bridge.issuer}/authorize?client_id=nobody`, { headers: { 'x-forwarded-for': '203.0.113.5' } });
    t.equal(response.status, 400);
  }
  t.equal((await authorizeFrom('203.0.113.5')).status, 429);
});

t.test('leaves the other endpoints alone', async (t) => {
  for (let index = 0; index < 10; index++) {
    t.equal((await fetch(`${bridge.issuer}/.well-known/openid-configuration`, { headers: { 'x-forwarded-for': '203.0.113.1' } })).status, 200);
  }
  t.equal((await fetch(`${bridge.issuer}/jwks`, { headers: { 'x-forwarded-for': '203.0.113.1' } })).status, 200);
});

t.test('with TRUST_PROXY off, a forged X-Forwarded-For neither escapes the limit nor goes unnoticed', async (t) => {
  const direct = await startBridge(t, { env: { RATE_LIMIT_AUTHORIZE: '3' } });
  const from = (ip: string) => fetch(authorizeUrl(direct), { redirect: 'manual', headers: { 'x-forwarded-for': ip } });
  for (let index = 0; index < 3; index++) t.equal((await from(`198.51.100.${index}`)).status, 302);
  t.equal((await from('198.51.100.99')).status, 429, 'the key is the socket address, whatever the header says');
  const warnings = direct.logs.filter((line) => line.includes('TRUST_PROXY is off'));
  t.equal(warnings.length, 1, 'one warning that the proxy is not trusted');
  t.equal(confidential.clientId, 'logto');
});
