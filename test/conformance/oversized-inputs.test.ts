// @see RFC 9110 §15.5.14 (413), RFC 6585 §5 (431), RFC 6749 §4.1.2.1: oversized input is refused, never a 5xx
import t, { type Test } from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { formType, rawRequest, type RawResponse } from '../helpers/conformance.js';
import { authorizeUrl } from '../helpers/flow.js';

const bridge = await startBridge(t);

/** Refused: a 4xx, or an error redirect to the client, never a login going on and never a 5xx. */
function refused(t: Test, response: RawResponse, name: string): void {
  t.ok(response.status >= 400 && response.status < 500 || response.status === 302, `${name}: ${String(response.status)} is a 4xx or a redirect`);
  const location = response.headers.get('location')?.[0];
  if (location !== undefined) {
    t.notOk(location.startsWith(bridge.kakao.url), `${name}: not sent on to Kakao`);
    t.equal(new URL(location).searchParams.get('error'), 'invalid_request', `${name}: invalid_request`);
    t.equal(new URL(location).searchParams.get('code'), null, `${name}: no code`);
  }
}

function authorizePath(extra: Record<string, string>): string {
  const url = new URL(authorizeUrl(bridge, { extra }));
  return `${url.pathname}${url.search}`;
}

t.test('/authorize refuses an over-long state, nonce, scope or unknown parameter', async (t) => {
  const cases: Record<string, Record<string, string>> = {
    state: { state: 's'.repeat(3000) },
    nonce: { nonce: 'n'.repeat(600) },
    scope: { scope: `openid ${'x'.repeat(1100)}` },
    login_hint: { login_hint: 'h'.repeat(300) },
    unknown: { unknown_parameter: 'u'.repeat(5000) },
  };
  for (const [name, extra] of Object.entries(cases)) {
    refused(t, await rawRequest(bridge, 'GET', authorizePath(extra)), name);
  }
});

t.test('/authorize refuses a query string larger than the header limit with 431', async (t) => {
  const response = await rawRequest(bridge, 'GET', authorizePath({ state: 's'.repeat(20_000) }));
  t.equal(response.status, 431);
});

t.test('/authorize refuses an oversized POST form', async (t) => {
  const params = new URL(authorizeUrl(bridge, { extra: { state: 's'.repeat(50_000) } })).searchParams.toString();
  refused(t, await rawRequest(bridge, 'POST', '/authorize', [formType], params), '50 KB state');
  const tooLarge = new URL(authorizeUrl(bridge, { extra: { state: 's'.repeat(70_000) } })).searchParams.toString();
  t.equal((await rawRequest(bridge, 'POST', '/authorize', [formType], tooLarge)).status, 413, 'beyond the body limit');
});

t.test('/authorize survives a thousand parameters', async (t) => {
  const extra = Object.fromEntries(Array.from({ length: 1000 }, (_, index) => [`p${String(index)}`, 'v']));
  const response = await rawRequest(bridge, 'GET', authorizePath(extra));
  t.ok(response.status < 500, String(response.status));
});

t.test('/callback refuses an over-long state or code, and an oversized query', async (t) => {
  t.equal((await rawRequest(bridge, 'GET', `/callback/kakao?state=${'s'.repeat(5000)}&code=c`)).status, 400);
  t.equal((await rawRequest(bridge, 'GET', `/callback/kakao?state=s&code=${'c'.repeat(5000)}`)).status, 400);
  const longConnector = await rawRequest(bridge, 'GET', `/callback/${'k'.repeat(200)}?state=s&code=c`);
  t.ok(longConnector.status >= 400 && longConnector.status < 500, `long connector id: ${String(longConnector.status)}`);
  t.equal((await rawRequest(bridge, 'GET', `/callback/kakao?state=s&code=${'c'.repeat(20_000)}`)).status, 431);
});

t.test('/token refuses an over-long code or verifier, and an oversized body', async (t) => {
  const form = (extra: Record<string, string>) =>
    new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: confidential.redirectUri, client_id: confidential.clientId, client_secret: confidential.clientSecret, code: 'c', ...extra }).toString();
  const cases: Record<string, Record<string, string>> = { code: { code: 'c'.repeat(300) }, code_verifier: { code_verifier: 'v'.repeat(300) }, unknown: { other: 'o'.repeat(5000) } };
  for (const [name, extra] of Object.entries(cases)) {
    const response = await rawRequest(bridge, 'POST', '/token', [formType], form(extra));
    t.equal(response.status, 400, name);
    t.match(response.body, /"error":"invalid_request"/, name);
  }
  t.equal((await rawRequest(bridge, 'POST', '/token', [formType], form({ code: 'c'.repeat(70_000) }))).status, 413);
});

t.test('/userinfo refuses an over-long bearer token with 401 and an oversized header with 431', async (t) => {
  t.equal((await rawRequest(bridge, 'GET', '/userinfo', [['authorization', `Bearer ${'a'.repeat(8000)}`]])).status, 401);
  t.equal((await rawRequest(bridge, 'GET', '/userinfo', [['authorization', `Bearer ${'a'.repeat(20_000)}`]])).status, 431);
  const body = new URLSearchParams({ access_token: 'a'.repeat(300) }).toString();
  t.ok((await rawRequest(bridge, 'POST', '/userinfo', [formType], body)).status < 500);
});

t.test('stays healthy afterwards', async (t) => {
  t.equal((await fetch(`${bridge.issuer}/healthz`)).status, 200);
});
