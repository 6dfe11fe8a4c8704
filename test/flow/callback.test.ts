import t, { type Test } from 'tap';
import { decodeJwt } from 'jose';
import type { FakeKakaoFault } from '../../src/demo/fake-kakao.js';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { Browser, BrowserStopped } from '../helpers/browser.js';
import { confidential, kakaoApp, startBridge } from '../helpers/bridge.js';
import { authorizeUrl, loginForTokens, pkcePair, redeemCode, signIn } from '../helpers/flow.js';

const bridge = await startBridge(t, { env: { KAKAO_TIMEOUT_MS: '400' } });

t.beforeEach(() => {
  bridge.kakao.faults.clear();
  bridge.kakao.user = { ...defaultFakeUser };
});

/** Walks the browser to Kakao and back, stopping at the bridge's callback URL. */
async function reachCallback(browser = new Browser()): Promise<string> {
  const kakaoCallback = await browser.follow(authorizeUrl(bridge), `${bridge.issuer}/callback/`);
  return kakaoCallback.href;
}

async function signInExpectingError(t: Test, fault: FakeKakaoFault): Promise<URLSearchParams> {
  bridge.kakao.faults.add(fault);
  const callback = await signIn(bridge);
  t.equal(callback.searchParams.get('code'), null, `${fault}: no code`);
  t.equal(callback.searchParams.get('state'), 'rp-state-123', `${fault}: the client's state comes back`);
  t.equal(callback.searchParams.get('iss'), bridge.issuer, `${fault}: iss`);
  return callback.searchParams;
}

t.test('returns a code with the client state and iss to the registered redirect_uri', async (t) => {
  const callback = await signIn(bridge);
  t.equal(callback.origin + callback.pathname, confidential.redirectUri);
  t.match(callback.searchParams.get('code'), /^[A-Za-z0-9_-]{65}$/);
  t.equal(callback.searchParams.get('state'), 'rp-state-123');
  t.equal(callback.searchParams.get('iss'), bridge.issuer);
});

t.test('exchanges the Kakao code form-encoded with the client secret, redirect_uri and PKCE verifier', async (t) => {
  const before = bridge.kakao.requests.length;
  await signIn(bridge);
  const tokenCall = bridge.kakao.requests.slice(before).find((request) => request.path === '/oauth/token');
  t.ok(tokenCall);
  t.match(tokenCall?.headers['content-type'], /^application\/x-www-form-urlencoded/);
  t.equal(tokenCall?.form?.client_id, kakaoApp.clientId);
  t.equal(tokenCall?.form?.client_secret, kakaoApp.clientSecret);
  t.equal(tokenCall?.form?.redirect_uri, `${bridge.issuer}/callback/kakao`);
  t.match(tokenCall?.form?.code_verifier, /^[A-Za-z0-9_-]{43}$/);
  const userCall = bridge.kakao.requests.slice(before).find((request) => request.path === '/v2/user/me');
  t.match(userCall?.headers.authorization, /^Bearer /);
});

t.test('yields no code to a browser that did not start the login (login CSRF)', async (t) => {
  const callbackUrl = await reachCallback();
  const victim = new Browser();
  const response = await victim.get(callbackUrl);
  t.equal(response.status, 400);
  t.equal(response.headers.get('location'), null);
  t.match(await response.text(), /another browser/);
});

t.test('yields no code to a callback without the binding cookie', async (t) => {
  const callbackUrl = await reachCallback();
  const response = await fetch(callbackUrl, { redirect: 'manual' });
  t.equal(response.status, 400);
});

t.test('yields no code to a browser whose binding cookie was tampered with', async (t) => {
  const browser = new Browser();
  const callbackUrl = await reachCallback(browser);
  const [name = ''] = browser.cookies.keys();
  browser.cookies.set(name, 'forged.value');
  const response = await browser.get(callbackUrl);
  t.equal(response.status, 400);
});

t.test('answers a repeated callback in the same browser with the same redirect, and no other browser', async (t) => {
  const browser = new Browser();
  const callbackUrl = await reachCallback(browser);
  const first = await browser.get(callbackUrl);
  const second = await browser.get(callbackUrl);
  t.equal(second.status, 302);
  t.equal(second.headers.get('location'), first.headers.get('location'));
  const stranger = await new Browser().get(callbackUrl);
  t.equal(stranger.status, 400);
});

t.test('answers a callback repeated after its code was redeemed with the expired page, not a spent code', async (t) => {
  const browser = new Browser();
  const callbackUrl = await reachCallback(browser);
  const first = await browser.get(callbackUrl);
  const code = new URL(first.headers.get('location') ?? '').searchParams.get('code') ?? '';
  t.equal((await redeemCode(bridge, code)).status, 200);
  const again = await browser.get(callbackUrl);
  t.equal(again.status, 400);
  t.match(await again.text(), /expired/);
});

t.test('shows a page for an unknown or missing state', async (t) => {
  const unknown = await new Browser().get(`${bridge.issuer}/callback/kakao?code=abc&state=unknown`);
  t.equal(unknown.status, 400);
  t.match(unknown.headers.get('content-type'), /text\/html/);
  const missing = await new Browser().get(`${bridge.issuer}/callback/kakao?code=abc`);
  t.equal(missing.status, 400);
});

t.test('keeps two logins in parallel tabs of one browser apart', async (t) => {
  const browser = new Browser();
  const first = await browser.follow(authorizeUrl(bridge, { state: 'tab-1' }), `${bridge.issuer}/callback/`);
  const second = await browser.follow(authorizeUrl(bridge, { state: 'tab-2' }), `${bridge.issuer}/callback/`);
  const secondDone = new URL((await browser.get(second.href)).headers.get('location') ?? '');
  const firstDone = new URL((await browser.get(first.href)).headers.get('location') ?? '');
  t.equal(firstDone.searchParams.get('state'), 'tab-1');
  t.equal(secondDone.searchParams.get('state'), 'tab-2');
  t.ok(firstDone.searchParams.get('code'));
  t.ok(secondDone.searchParams.get('code'));
});

t.test('ends a cancelled Kakao login as access_denied', async (t) => {
  const params = await signInExpectingError(t, 'cancel');
  t.equal(params.get('error'), 'access_denied');
});

t.test('ends another Kakao authorize error as server_error', async (t) => {
  t.equal((await signInExpectingError(t, 'authorize-error')).get('error'), 'server_error');
});

t.test('ends a Kakao token endpoint 5xx as temporarily_unavailable', async (t) => {
  t.equal((await signInExpectingError(t, 'token-500')).get('error'), 'temporarily_unavailable');
});

t.test('ends a Kakao token endpoint that never answers as temporarily_unavailable within the timeout', async (t) => {
  const started = Date.now();
  t.equal((await signInExpectingError(t, 'token-hang')).get('error'), 'temporarily_unavailable');
  t.ok(Date.now() - started < 5000, 'bounded by KAKAO_TIMEOUT_MS');
});

t.test('ends a truncated Kakao token response as server_error', async (t) => {
  t.equal((await signInExpectingError(t, 'token-truncated')).get('error'), 'server_error');
});

t.test('ends an HTML Kakao token response as server_error', async (t) => {
  t.equal((await signInExpectingError(t, 'token-html')).get('error'), 'server_error');
});

t.test('ends Kakao rate limiting (KOE237) as temporarily_unavailable', async (t) => {
  t.equal((await signInExpectingError(t, 'token-rate-limit')).get('error'), 'temporarily_unavailable');
});

t.test('ends rejected bridge credentials (KOE010) as server_error', async (t) => {
  t.equal((await signInExpectingError(t, 'token-invalid-client')).get('error'), 'server_error');
});

t.test('ends a 401 from /v2/user/me as server_error', async (t) => {
  t.equal((await signInExpectingError(t, 'me-401')).get('error'), 'server_error');
});

t.test('ends a /v2/user/me 5xx as temporarily_unavailable', async (t) => {
  t.equal((await signInExpectingError(t, 'me-500')).get('error'), 'temporarily_unavailable');
});

t.test('ends a /v2/user/me that never answers as temporarily_unavailable', async (t) => {
  t.equal((await signInExpectingError(t, 'me-hang')).get('error'), 'temporarily_unavailable');
});

t.test('ends a truncated /v2/user/me body as server_error', async (t) => {
  t.equal((await signInExpectingError(t, 'me-truncated')).get('error'), 'server_error');
});

t.test('ends an exceeded Kakao quota (-10) as temporarily_unavailable', async (t) => {
  t.equal((await signInExpectingError(t, 'me-quota')).get('error'), 'temporarily_unavailable');
});

t.test('ends a profile without an id, or with a string id, as server_error', async (t) => {
  t.equal((await signInExpectingError(t, 'me-missing-id')).get('error'), 'server_error');
  bridge.kakao.faults.clear();
  t.equal((await signInExpectingError(t, 'me-string-id')).get('error'), 'server_error');
});

t.test('ends a huge /v2/user/me body as server_error', async (t) => {
  t.equal((await signInExpectingError(t, 'me-huge')).get('error'), 'server_error');
});

t.test('ends a redirect from /v2/user/me as server_error', async (t) => {
  t.equal((await signInExpectingError(t, 'me-redirect')).get('error'), 'server_error');
});

t.test('stays healthy after upstream faults: the next login succeeds', async (t) => {
  const tokens = await loginForTokens(bridge);
  t.ok(tokens.id_token);
});

t.test('keeps every digit of a Kakao id above 2^53 in sub', async (t) => {
  bridge.kakao.user = { ...defaultFakeUser, id: '9223372036854775807' };
  const tokens = await loginForTokens(bridge);
  t.equal(decodeJwt(tokens.id_token ?? '').sub, '9223372036854775807');
});

t.test('signs in a user who did not consent to email, without email claims', async (t) => {
  const { email: _email, isEmailValid: _valid, isEmailVerified: _verified, ...withoutEmail } = defaultFakeUser;
  bridge.kakao.user = withoutEmail;
  const claims = decodeJwt((await loginForTokens(bridge)).id_token ?? '');
  t.equal(claims.email, undefined);
  t.equal(claims.email_verified, undefined);
  t.equal(claims.name, defaultFakeUser.nickname);
});

t.test('marks an email Kakao has not verified as email_verified false', async (t) => {
  bridge.kakao.user = { ...defaultFakeUser, isEmailVerified: false };
  const claims = decodeJwt((await loginForTokens(bridge)).id_token ?? '');
  t.equal(claims.email, defaultFakeUser.email);
  t.equal(claims.email_verified, false);
});

t.test('carries a public client PKCE challenge through to the code', async (t) => {
  const { challenge } = pkcePair();
  const { publicClient } = await import('../helpers/bridge.js');
  const callback = await signIn(bridge, { clientId: publicClient.clientId, redirectUri: publicClient.redirectUri, codeChallenge: challenge });
  t.ok(callback.searchParams.get('code'));
});

t.test('a page, not a redirect, when the browser lands on the callback of another connector', async (t) => {
  const browser = new Browser();
  const callbackUrl = new URL(await reachCallback(browser));
  callbackUrl.pathname = callbackUrl.pathname.replace('/kakao', '/other');
  const response = await browser.get(callbackUrl.href);
  t.equal(response.status, 400);
  t.ok(!(response.headers.get('location') ?? '').includes('code='));
});

t.test('BrowserStopped helper reports pages', async (t) => {
  await t.rejects(new Browser().follow(`${bridge.issuer}/authorize?client_id=nobody`, 'http://127.0.0.1:9/'), BrowserStopped);
});
