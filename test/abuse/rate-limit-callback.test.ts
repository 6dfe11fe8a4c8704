// @see RFC 6585 §4 (429 Too Many Requests)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { Browser } from '../helpers/browser.js';
import { authorizeUrl } from '../helpers/flow.js';

const bridge = await startBridge(t, { env: { RATE_LIMIT_CALLBACK: '3', TRUST_PROXY: 'true' } });

function callbackFrom(ip: string, query = 'state=forged&code=c'): Promise<Response> {
  return fetch(`${bridge.issuer}/callback/kakao?${query}`, { redirect: 'manual', headers: { 'x-forwarded-for': ip } });
}

t.test('answers callbacks past RATE_LIMIT_CALLBACK per minute from one IP with a 429 page and Retry-After', async (t) => {
  for (let index = 0; index < 3; index++) t.equal((await callbackFrom('203.0.113.10')).status, 400, 'an unknown state: the expired page');
  const limited = await callbackFrom('203.0.113.10');
  t.equal(limited.status, 429);
  t.ok(Number(limited.headers.get('retry-after')) >= 1);
  t.match(limited.headers.get('content-type'), /^text\/html/);
  t.match(await limited.text(), /Too many requests/);
});

t.test('a login from another IP completes while the first is limited', async (t) => {
  const browser = new Browser();
  const toKakao = await browser.get(authorizeUrl(bridge), { headers: { 'x-forwarded-for': '203.0.113.11' } });
  const kakao = await browser.get(toKakao.headers.get('location') ?? '');
  const callback = await browser.get(kakao.headers.get('location') ?? '', { headers: { 'x-forwarded-for': '203.0.113.11' } });
  t.equal(callback.status, 302);
  t.ok(new URL(callback.headers.get('location') ?? '').searchParams.get('code'), 'a code for the client');
  t.equal((await callbackFrom('203.0.113.10')).status, 429);
});

t.test('the limit is per connector route pattern, not per connector id: a made-up connector counts too', async (t) => {
  for (let index = 0; index < 3; index++) {
    const response = await fetch(`${bridge.issuer}/callback/other-${String(index)}?state=s`, { headers: { 'x-forwarded-for': '203.0.113.12' } });
    t.equal(response.status, 400);
  }
  t.equal((await callbackFrom('203.0.113.12')).status, 429);
});
