// @see RFC 9700 §4.2 (credential leakage via Referer), §4.16 and RFC 6749 §10.13 (clickjacking)
import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { startBridge } from '../helpers/bridge.js';
import { authorize, verifiedLogin } from '../helpers/conformance.js';
import { authorizeUrl, getUserinfo } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('sends Referrer-Policy: no-referrer and nosniff on redirects, pages and API answers', async (t) => {
  const browser = new Browser();
  const toKakao = await browser.get(authorizeUrl(bridge));
  const callback = await browser.follow(authorizeUrl(bridge), `${bridge.issuer}/callback/`);
  const toClient = await browser.get(callback.href);
  const { tokens } = await verifiedLogin(bridge);
  const responses: Record<string, Response> = {
    'redirect to Kakao': toKakao,
    'redirect to the client with the code': toClient,
    'error page': await authorize(bridge, { clientId: 'nobody' }),
    'token endpoint': await fetch(`${bridge.issuer}/token`, { method: 'POST' }),
    userinfo: await getUserinfo(bridge, tokens.access_token),
    discovery: await fetch(`${bridge.issuer}/.well-known/openid-configuration`),
  };
  for (const [name, response] of Object.entries(responses)) {
    t.equal(response.headers.get('referrer-policy'), 'no-referrer', name);
    t.equal(response.headers.get('x-content-type-options'), 'nosniff', name);
  }
  t.equal(toClient.status, 302);
  t.equal(toClient.headers.get('cache-control'), 'no-store', 'the redirect carrying the code is not cached');
});

t.test('forbids framing of every page (clickjacking)', async (t) => {
  for (const response of [await authorize(bridge, { clientId: 'nobody' }), await new Browser().get(`${bridge.issuer}/callback/kakao?state=unknown&code=x`)]) {
    t.match(response.headers.get('content-type'), /^text\/html/);
    t.equal(response.headers.get('x-frame-options'), 'DENY');
    t.match(response.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  }
});
