import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { defaultFakeUser, startFakeKakao, type FakeKakao, type FakeKakaoApp } from '../src/demo/fake-kakao.js';

const redirectUri = 'http://127.0.0.1:9/callback';
const plainApp: FakeKakaoApp = { clientId: 'rest-api-key', redirectUris: [redirectUri, 'http://127.0.0.1:9/cb?tenant=a'] };
const secretApp: FakeKakaoApp = { clientId: 'secret-app', clientSecret: 's3cret', redirectUris: [redirectUri] };
const scopedApp: FakeKakaoApp = { clientId: 'scoped-app', redirectUris: [redirectUri], allowedScopes: ['openid', 'profile_nickname', 'account_email'] };

const fake = await startFakeKakao({ apps: [plainApp, secretApp, scopedApp] });
t.teardown(() => fake.close());
t.beforeEach(() => {
  fake.faults.clear();
  fake.user = { ...defaultFakeUser };
});

type Params = Record<string, string>;

function authorize(params: Params, target: FakeKakao = fake): Promise<Response> {
  return fetch(`${target.url}/oauth/authorize?${new URLSearchParams(params).toString()}`, { redirect: 'manual' });
}

function authorizeParams(extra: Params = {}, app: FakeKakaoApp = plainApp): Params {
  return { client_id: app.clientId, redirect_uri: redirectUri, response_type: 'code', ...extra };
}

function location(response: Response): URL {
  const value = response.headers.get('location');
  if (value === null) throw new Error(`no Location (status ${response.status})`);
  return new URL(value);
}

async function getCode(extra: Params = {}, app: FakeKakaoApp = plainApp): Promise<string> {
  const code = location(await authorize(authorizeParams(extra, app))).searchParams.get('code');
  if (code === null) throw new Error('no code');
  return code;
}

function postToken(form: Params, target: FakeKakao = fake): Promise<Response> {
  return fetch(`${target.url}/oauth/token`, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });
}

function exchange(code: string, extra: Params = {}, app: FakeKakaoApp = plainApp): Promise<Response> {
  return postToken({ grant_type: 'authorization_code', client_id: app.clientId, redirect_uri: redirectUri, code, ...extra });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

interface Tokens {
  access_token: string;
  refresh_token: string;
}

async function login(extra: Params = {}, app: FakeKakaoApp = plainApp): Promise<Tokens> {
  const response = await exchange(await getCode(extra, app), {}, app);
  if (response.status !== 200) throw new Error(`token exchange failed: ${await response.text()}`);
  return (await response.json()) as Tokens;
}

function me(accessToken: string | undefined, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (accessToken !== undefined) headers.set('authorization', `Bearer ${accessToken}`);
  return fetch(`${fake.url}/v2/user/me`, { ...init, headers, redirect: 'manual' });
}

async function meAs(extra: Params = {}, app: FakeKakaoApp = plainApp): Promise<Response> {
  return me((await login(extra, app)).access_token);
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

// ---- startup and shape --------------------------------------------------------------------------

t.test('listens on 127.0.0.1 and exposes a url without a trailing slash', (t) => {
  t.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.end();
});

t.test('brackets an IPv6 host in the url', async (t) => {
  const v6 = await startFakeKakao({ host: '::1', apps: [plainApp] });
  t.teardown(() => v6.close());
  t.match(v6.url, /^http:\/\/\[::1\]:\d+$/);
  t.equal((await authorize(authorizeParams(), v6)).status, 302);
});

t.test('rejects when the port is already taken', async (t) => {
  await t.rejects(startFakeKakao({ port: Number(new URL(fake.url).port) }), { code: 'EADDRINUSE' });
});

t.test('defaultFakeUser is a plausible Korean user with a verified email, and is not shared', async (t) => {
  t.match(defaultFakeUser, { id: /^\d+$/, nickname: /[가-힣]/, profileImageUrl: /^https:/, email: /@/, isEmailValid: true, isEmailVerified: true });
  t.ok(Object.isFrozen(defaultFakeUser));
  const other = await startFakeKakao();
  t.teardown(() => other.close());
  other.user.nickname = 'changed';
  t.equal(defaultFakeUser.nickname, '김카카오');
});

t.test('answers 404 with a kapi-style body for an unknown path', async (t) => {
  const response = await fetch(`${fake.url}/v1/nope`);
  t.equal(response.status, 404);
  t.same(await json(response), { msg: 'no such API: /v1/nope', code: -2 });
});

t.test('answers 405 to a wrong method on each endpoint', async (t) => {
  for (const [method, path, allow] of [
    ['PUT', '/oauth/authorize', 'GET, POST'],
    ['GET', '/oauth/token', 'POST'],
    ['DELETE', '/v2/user/me', 'GET, POST'],
  ] as const) {
    const response = await fetch(`${fake.url}${path}`, { method });
    t.equal(response.status, 405, `${method} ${path}`);
    t.equal(response.headers.get('allow'), allow);
    await response.body?.cancel();
  }
});

t.test('answers 413 to a body over 1 MB', async (t) => {
  const response = await fetch(`${fake.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a'.repeat((1 << 20) + 1),
  });
  t.equal(response.status, 413);
  await response.body?.cancel();
});

t.test('survives a client that disconnects in the middle of a body', async (t) => {
  const { hostname, port } = new URL(fake.url);
  const socket = connect(Number(port), hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_');
  await sleep(50);
  socket.destroy();
  await sleep(20);
  t.equal((await authorize(authorizeParams())).status, 302);
});

// ---- request log --------------------------------------------------------------------------------

t.test('logs method, path, headers, query, and the parsed form', async (t) => {
  await authorize(authorizeParams({ prompt: 'login select_account', login_hint: '+82 10-1234-5678', state: 's1' }));
  const authorizeLog = fake.requests.at(-1);
  t.match(authorizeLog, {
    method: 'GET',
    path: '/oauth/authorize',
    query: { client_id: plainApp.clientId, prompt: 'login select_account', login_hint: '+82 10-1234-5678', state: 's1' },
    headers: { host: new URL(fake.url).host },
  });
  t.notOk(authorizeLog && 'form' in authorizeLog, 'no form on a GET without a form body');
  await postToken({ grant_type: 'authorization_code', client_id: plainApp.clientId, code: 'x', client_id_dup: 'a' });
  t.match(fake.requests.at(-1), { method: 'POST', path: '/oauth/token', form: { grant_type: 'authorization_code', code: 'x' } });
});

t.test('keeps the first value of a repeated parameter', async (t) => {
  await fetch(`${fake.url}/oauth/authorize?state=first&state=second`, { redirect: 'manual' });
  t.equal(fake.requests.at(-1)?.query.state, 'first');
});

t.test('caps the request log at 1000 entries, dropping the oldest', async (t) => {
  for (let batch = 0; batch < 11; batch++) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => fetch(`${fake.url}/cap?n=${batch * 100 + i}`).then((r) => r.body?.cancel())));
  }
  await fetch(`${fake.url}/cap?n=last`).then((r) => r.body?.cancel());
  t.equal(fake.requests.length, 1000);
  t.equal(fake.requests.at(-1)?.query.n, 'last');
});

// ---- GET /oauth/authorize -----------------------------------------------------------------------

t.test('redirects with a code and echoes state', async (t) => {
  const response = await authorize(authorizeParams({ state: 'st a/te' }));
  t.equal(response.status, 302);
  const target = location(response);
  t.equal(`${target.origin}${target.pathname}`, redirectUri);
  t.match(target.searchParams.get('code'), /^[A-Za-z0-9_-]{80,}$/);
  t.equal(target.searchParams.get('state'), 'st a/te');
  t.match(response.headers.get('location'), /&state=st%20a%2Fte$/);
});

t.test('omits state when none was sent', async (t) => {
  const target = location(await authorize(authorizeParams()));
  t.same([...target.searchParams.keys()], ['code']);
});

t.test('appends to a redirect_uri that already has a query', async (t) => {
  const response = await authorize(authorizeParams({ redirect_uri: 'http://127.0.0.1:9/cb?tenant=a', state: 'x' }));
  t.match(response.headers.get('location'), /^http:\/\/127\.0\.0\.1:9\/cb\?tenant=a&code=[\w-]+&state=x$/);
});

t.test('shows a KOE101 page for an unknown or missing client_id', async (t) => {
  for (const params of [authorizeParams({ client_id: 'nope' }), { redirect_uri: redirectUri, response_type: 'code' }]) {
    const response = await authorize(params);
    t.equal(response.status, 400);
    t.equal(response.headers.get('location'), null);
    t.match(response.headers.get('content-type'), /^text\/html/);
    t.match(await response.text(), /KOE101/);
  }
});

t.test('shows a KOE006 page, never a redirect, for an unregistered redirect_uri', async (t) => {
  for (const uri of ['http://127.0.0.1:9/callback/', 'http://evil.example/callback', '']) {
    const response = await authorize(authorizeParams({ redirect_uri: uri }));
    t.equal(response.status, 400);
    t.equal(response.headers.get('location'), null);
    t.match(await response.text(), /KOE006/);
  }
});

t.test('shows KOE201 for a missing or unsupported response_type and KOE202 for token', async (t) => {
  const withoutType = authorizeParams();
  delete withoutType.response_type;
  for (const [params, koe] of [
    [withoutType, 'KOE201'],
    [authorizeParams({ response_type: 'id_token' }), 'KOE201'],
    [authorizeParams({ response_type: 'token' }), 'KOE202'],
  ] as const) {
    const response = await authorize(params);
    t.equal(response.status, 400);
    t.match(await response.text(), koe);
  }
});

t.test('shows KOE205 for a scope that is not a configured consent item', async (t) => {
  const response = await authorize(authorizeParams({ scope: 'profile_nickname phone_number' }, scopedApp));
  t.equal(response.status, 400);
  const html = await response.text();
  t.match(html, /KOE205/);
  t.match(html, /phone_number/);
  t.equal((await authorize(authorizeParams({ scope: 'openid profile_nickname' }, scopedApp))).status, 302);
  t.equal((await authorize(authorizeParams({ scope: 'anything at_all' }))).status, 302, 'no allowedScopes = any scope');
});

t.test('escapes the details on the error page', async (t) => {
  const html = await (await authorize(authorizeParams({ client_id: '<script>alert(1)</script>' }))).text();
  t.notMatch(html, '<script>');
  t.match(html, '&#60;script&#62;');
});

t.test('redirects with invalid_request for a PKCE method other than S256', async (t) => {
  for (const extra of [
    { code_challenge: 'abc', code_challenge_method: 'plain' } as Params,
    { code_challenge: 'abc' },
    { code_challenge_method: 'S256' },
    { code_challenge: '', code_challenge_method: 'S256' },
  ]) {
    const target = location(await authorize(authorizeParams({ ...extra, state: 'p' })));
    t.equal(target.searchParams.get('error'), 'invalid_request');
    t.equal(target.searchParams.get('state'), 'p');
    t.equal(target.searchParams.get('code'), null);
  }
});

t.test('fault cancel redirects with access_denied', async (t) => {
  fake.faults.add('cancel');
  const response = await authorize(authorizeParams({ state: 'abc' }));
  t.equal(response.headers.get('location'), `${redirectUri}?error=access_denied&error_description=User%20denied%20access&state=abc`);
});

t.test('fault authorize-error redirects with server_error', async (t) => {
  fake.faults.add('authorize-error');
  const target = location(await authorize(authorizeParams({ state: 'abc' })));
  t.equal(target.searchParams.get('error'), 'server_error');
  t.ok(target.searchParams.get('error_description'));
  t.equal(target.searchParams.get('state'), 'abc');
  t.equal(target.searchParams.get('code'), null);
});

// ---- interactive consent page -------------------------------------------------------------------

t.test('interactive mode shows an escaped consent page and redirects on Agree or Cancel', async (t) => {
  const app: FakeKakaoApp = { clientId: 'demo', name: 'Demo <b>app</b>', redirectUris: [redirectUri] };
  const demo = await startFakeKakao({ interactive: true, apps: [app], user: { id: '1', nickname: '<i>라이언</i>' } });
  t.teardown(() => demo.close());
  const params = authorizeParams({ scope: 'profile_nickname account_email', state: 'a"b' }, app);
  const pageResponse = await authorize(params, demo);
  t.equal(pageResponse.status, 200);
  t.match(pageResponse.headers.get('content-type'), /^text\/html/);
  const html = await pageResponse.text();
  t.match(html, 'Demo &#60;b&#62;app&#60;/b&#62;');
  t.match(html, '&#60;i&#62;라이언&#60;/i&#62;');
  t.match(html, '<code>account_email</code>');
  t.match(html, '<form method="post" action="/oauth/authorize">');
  t.match(html, '<input type="hidden" name="state" value="a&#34;b">');
  t.notMatch(html, '<b>app</b>');

  const post = (decision: string | undefined, extra: Params = {}): Promise<Response> =>
    fetch(`${demo.url}/oauth/authorize`, {
      method: 'POST',
      body: new URLSearchParams({ ...params, ...extra, ...(decision === undefined ? {} : { decision }) }),
      redirect: 'manual',
    });
  const agreed = location(await post('agree'));
  t.match(agreed.searchParams.get('code'), /^[\w-]+$/);
  t.equal(agreed.searchParams.get('state'), 'a"b');
  const code = agreed.searchParams.get('code') ?? '';
  t.equal((await postToken({ grant_type: 'authorization_code', client_id: 'demo', redirect_uri: redirectUri, code }, demo)).status, 200);

  t.equal((await post('cancel')).headers.get('location'), `${redirectUri}?error=access_denied&error_description=User%20denied%20access&state=a%22b`);

  const missing = await post(undefined);
  t.equal(missing.status, 400);
  t.match(await missing.text(), 'KOE001');
  const badClient = await post('agree', { client_id: 'other' });
  t.equal(badClient.status, 400);
  t.match(await badClient.text(), 'KOE101');
  const notForm = await fetch(`${demo.url}/oauth/authorize`, { method: 'POST', body: JSON.stringify({ decision: 'agree' }), headers: { 'content-type': 'application/json' } });
  t.equal(notForm.status, 400);
  await notForm.body?.cancel();

  demo.faults.add('cancel');
  t.equal(location(await post('agree')).searchParams.get('error'), 'access_denied');
});

t.test('interactive mode without scopes or nickname still names the user', async (t) => {
  const demo = await startFakeKakao({ interactive: true, apps: [plainApp], user: { id: '77' } });
  t.teardown(() => demo.close());
  const html = await (await authorize(authorizeParams(), demo)).text();
  t.match(html, 'user 77');
  t.match(html, 'rest-api-key');
  t.match(html, 'the consent items configured for the app');
  const bad = await authorize(authorizeParams({ redirect_uri: 'http://elsewhere/' }), demo);
  t.equal(bad.status, 400, 'validation errors still show the error page');
  await bad.body?.cancel();
});

// ---- POST /oauth/token --------------------------------------------------------------------------

t.test('exchanges a code for Kakao-shaped tokens', async (t) => {
  const response = await exchange(await getCode({ scope: 'profile_nickname account_email' }));
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^application\/json/);
  t.equal(response.headers.get('cache-control'), 'no-cache, no-store');
  const body = await json(response);
  t.same(Object.keys(body), ['access_token', 'token_type', 'refresh_token', 'expires_in', 'scope', 'refresh_token_expires_in']);
  t.match(body, {
    access_token: /^[\w-]{40,}$/,
    token_type: 'bearer',
    refresh_token: /^[\w-]{40,}$/,
    expires_in: 21599,
    scope: 'profile_nickname account_email',
    refresh_token_expires_in: 5183999,
  });
  t.not(body.access_token, body.refresh_token);
});

t.test('omits scope when none was requested and never issues an id_token', async (t) => {
  const body = await json(await exchange(await getCode({ nonce: 'n' })));
  t.notOk('scope' in body);
  t.notOk('id_token' in body);
  const withOpenid = await json(await exchange(await getCode({ scope: 'openid,profile_nickname openid' })));
  t.equal(withOpenid.scope, 'openid profile_nickname', 'deduplicated, space separated');
  t.notOk('id_token' in withOpenid);
});

t.test('requires a form body', async (t) => {
  const response = await fetch(`${fake.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'authorization_code', client_id: plainApp.clientId }),
  });
  t.equal(response.status, 400);
  t.match(await json(response), { error: 'invalid_request', error_description: /x-www-form-urlencoded/, error_code: 'KOE001' });
});

t.test('requires a supported grant_type', async (t) => {
  const missing = await postToken({ client_id: plainApp.clientId });
  t.equal(missing.status, 400);
  t.match(await json(missing), { error: 'invalid_request', error_code: 'KOE001' });
  const other = await postToken({ grant_type: 'client_credentials', client_id: plainApp.clientId });
  t.equal(other.status, 400);
  t.match(await json(other), { error: 'unsupported_grant_type' });
});

t.test('answers 401 KOE101 to an unknown client_id', async (t) => {
  const response = await exchange('code', {}, { ...plainApp, clientId: 'unknown-key' });
  t.equal(response.status, 401);
  t.same(await json(response), { error: 'invalid_client', error_description: 'Not exist client_id [unknown-key]', error_code: 'KOE101' });
});

t.test('answers 401 KOE010 to a missing or wrong client secret', async (t) => {
  const code = await getCode({}, secretApp);
  for (const extra of [{}, { client_secret: 'wrong' }] as Params[]) {
    const response = await exchange(code, extra, secretApp);
    t.equal(response.status, 401);
    t.same(await json(response), { error: 'invalid_client', error_description: 'Bad client credentials', error_code: 'KOE010' });
  }
  t.equal((await exchange(code, { client_secret: 's3cret' }, secretApp)).status, 200, 'a failed client check does not burn the code');
});

t.test('answers 401 KOE010 to a secret sent when none is configured', async (t) => {
  const response = await exchange(await getCode(), { client_secret: 'stale' });
  t.equal(response.status, 401);
  t.match(await json(response), { error_code: 'KOE010' });
});

t.test('answers KOE320 to an unknown or reused code', async (t) => {
  const unknown = await exchange('not-a-code');
  t.equal(unknown.status, 400);
  t.same(await json(unknown), { error: 'invalid_grant', error_description: 'authorization code not found for code=not-a-code', error_code: 'KOE320' });
  const code = await getCode();
  t.equal((await exchange(code)).status, 200);
  const reused = await exchange(code);
  t.equal(reused.status, 400);
  t.match(await json(reused), { error_code: 'KOE320', error_description: `authorization code not found for code=${code}` });
  const missing = await postToken({ grant_type: 'authorization_code', client_id: plainApp.clientId, redirect_uri: redirectUri });
  t.match(await json(missing), { error_code: 'KOE320' });
});

t.test('answers KOE320 to a code issued to another app', async (t) => {
  const code = await getCode({}, scopedApp);
  const response = await exchange(code);
  t.equal(response.status, 400);
  t.match(await json(response), { error_code: 'KOE320' });
});

t.test('answers KOE320 to a code older than 10 minutes', async (t) => {
  const code = await getCode();
  const later = Date.now() + 10 * 60_000 + 1;
  t.capture(Date, 'now', () => later);
  const response = await exchange(code);
  t.equal(response.status, 400);
  t.match(await json(response), { error_code: 'KOE320' });
});

t.test('rejects a redirect_uri that differs from the authorize one with KOE303', async (t) => {
  for (const extra of [{ redirect_uri: 'http://127.0.0.1:9/cb?tenant=a' }, { redirect_uri: '' }]) {
    const response = await exchange(await getCode(), extra);
    t.equal(response.status, 400);
    t.same(await json(response), { error: 'invalid_grant', error_description: 'Redirect URI mismatch.', error_code: 'KOE303' });
  }
});

t.test('checks the PKCE code_verifier against the S256 challenge', async (t) => {
  const verifier = 'a-verifier-that-is-long-enough-0123456789-abcdefghijkl';
  const pkce = { code_challenge: s256(verifier), code_challenge_method: 'S256' };
  for (const extra of [{}, { code_verifier: 'wrong-verifier-wrong-verifier-wrong-verifier-000' }] as Params[]) {
    const response = await exchange(await getCode(pkce), extra);
    t.equal(response.status, 400);
    t.match(await json(response), { error: 'invalid_grant', error_code: 'KOE320', error_description: /code_verifier/ });
  }
  t.equal((await exchange(await getCode(pkce), { code_verifier: verifier })).status, 200);
  t.equal((await exchange(await getCode(), { code_verifier: verifier })).status, 200, 'a verifier without a challenge is ignored');
});

t.test('forgets the oldest codes beyond 4096 outstanding ones', async (t) => {
  const capped = await startFakeKakao({ apps: [plainApp] });
  t.teardown(() => capped.close());
  const first = location(await authorize(authorizeParams(), capped)).searchParams.get('code') ?? '';
  for (let batch = 0; batch < 41; batch++) {
    await Promise.all(Array.from({ length: 100 }, () => authorize(authorizeParams(), capped)));
  }
  const response = await postToken({ grant_type: 'authorization_code', client_id: plainApp.clientId, redirect_uri: redirectUri, code: first }, capped);
  t.match(await json(response), { error_code: 'KOE320' });
});

t.test('refreshes an access token, or answers KOE319 / KOE322', async (t) => {
  const tokens = await login();
  const refreshed = await postToken({ grant_type: 'refresh_token', client_id: plainApp.clientId, refresh_token: tokens.refresh_token });
  t.equal(refreshed.status, 200);
  const body = await json(refreshed);
  t.same(Object.keys(body), ['access_token', 'token_type', 'expires_in']);
  t.equal((await me(String(body.access_token))).status, 200);

  const missing = await postToken({ grant_type: 'refresh_token', client_id: plainApp.clientId });
  t.equal(missing.status, 400);
  t.match(await json(missing), { error: 'invalid_grant', error_code: 'KOE319' });
  for (const form of [
    { client_id: plainApp.clientId, refresh_token: 'bogus' },
    { client_id: scopedApp.clientId, refresh_token: tokens.refresh_token },
  ]) {
    const response = await postToken({ grant_type: 'refresh_token', ...form });
    t.equal(response.status, 400);
    t.same(await json(response), { error: 'invalid_grant', error_description: 'expired_or_invalid_refresh_token', error_code: 'KOE322' });
  }
  const later = Date.now() + 5_184_000_000;
  t.capture(Date, 'now', () => later);
  const expired = await postToken({ grant_type: 'refresh_token', client_id: plainApp.clientId, refresh_token: tokens.refresh_token });
  t.match(await json(expired), { error_code: 'KOE322' });
});

t.test('addApp registers a new app and replaces one with the same client id', async (t) => {
  const app: FakeKakaoApp = { clientId: 'late-app', redirectUris: [redirectUri] };
  t.equal((await authorize(authorizeParams({}, app))).status, 400);
  fake.addApp(app);
  app.redirectUris.push('http://127.0.0.1:9/mutated');
  t.equal((await authorize(authorizeParams({}, app))).status, 302);
  t.equal((await authorize(authorizeParams({ redirect_uri: 'http://127.0.0.1:9/mutated' }, app))).status, 400, 'the fake keeps its own copy');
  fake.addApp({ ...app, clientSecret: 'new' });
  t.match(await json(await exchange(await getCode({}, app), {}, app)), { error_code: 'KOE010' });
});

// ---- GET|POST /v2/user/me -----------------------------------------------------------------------

t.test('returns the /v2/user/me shape for the default user', async (t) => {
  const response = await meAs();
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^application\/json/);
  const body = await json(response);
  t.same(Object.keys(body), ['id', 'connected_at', 'properties', 'kakao_account']);
  t.same(body, {
    id: Number(defaultFakeUser.id),
    connected_at: body.connected_at,
    properties: { nickname: defaultFakeUser.nickname, profile_image: defaultFakeUser.profileImageUrl, thumbnail_image: defaultFakeUser.thumbnailImageUrl },
    kakao_account: {
      profile_needs_agreement: false,
      profile: {
        nickname: defaultFakeUser.nickname,
        thumbnail_image_url: defaultFakeUser.thumbnailImageUrl,
        profile_image_url: defaultFakeUser.profileImageUrl,
        is_default_image: false,
        is_default_nickname: false,
      },
      email_needs_agreement: false,
      is_email_valid: true,
      is_email_verified: true,
      email: defaultFakeUser.email,
    },
  });
  t.match(body.connected_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

t.test('answers POST /v2/user/me with a form body too', async (t) => {
  const { access_token: token } = await login();
  const response = await me(token, { method: 'POST', body: new URLSearchParams({ secure_resource: 'true' }) });
  t.equal(response.status, 200);
  t.match(await json(response), { id: Number(defaultFakeUser.id) });
  t.match(fake.requests.at(-1), { method: 'POST', path: '/v2/user/me', form: { secure_resource: 'true' } });
});

t.test('keeps every digit of an id above 2^53', async (t) => {
  fake.user = { ...defaultFakeUser, id: '9223372036854775807' };
  const text = await (await meAs()).text();
  t.ok(text.startsWith('{"id":9223372036854775807,'), text.slice(0, 40));
  t.doesNotThrow(() => {
    JSON.parse(text);
  });
});

t.test('uses the user as it was at authorize time', async (t) => {
  const code = await getCode();
  fake.user = { id: '5', nickname: 'later' };
  const { access_token: token } = (await json(await exchange(code))) as unknown as Tokens;
  t.match(await json(await me(token)), { id: Number(defaultFakeUser.id), properties: { nickname: defaultFakeUser.nickname } });
});

t.test('writes every optional field that is set', async (t) => {
  fake.user = {
    id: '-42',
    name: '홍길동',
    email: 'hong@example.com',
    isEmailValid: false,
    phoneNumber: '+82 10-1234-5678',
    gender: 'male',
    birthyear: '1990',
    birthday: '0301',
  };
  const body = await json(await meAs());
  t.same(body, {
    id: -42,
    connected_at: body.connected_at,
    properties: {},
    kakao_account: {
      profile_needs_agreement: false,
      profile: { is_default_image: true, is_default_nickname: false },
      name_needs_agreement: false,
      name: '홍길동',
      email_needs_agreement: false,
      is_email_valid: false,
      is_email_verified: true,
      email: 'hong@example.com',
      phone_number_needs_agreement: false,
      phone_number: '+82 10-1234-5678',
      birthyear_needs_agreement: false,
      birthyear: '1990',
      birthday_needs_agreement: false,
      birthday: '0301',
      birthday_type: 'SOLAR',
      gender_needs_agreement: false,
      gender: 'male',
    },
  });
  fake.user = { id: '7', birthday: '1225', birthdayType: 'LUNAR', isDefaultImage: true, profileImageUrl: 'https://k.kakaocdn.net/default.jpg', email: 'e@x.kr' };
  t.match(await json(await meAs()), {
    kakao_account: { birthday_type: 'LUNAR', profile: { is_default_image: true }, is_email_valid: true, is_email_verified: true },
  });
});

t.test('reports email_needs_agreement when the user did not consent to email', async (t) => {
  fake.user = { id: '8', nickname: 'no-mail' };
  const account = (await json(await meAs())).kakao_account as Record<string, unknown>;
  t.equal(account.email_needs_agreement, true);
  t.notOk('email' in account || 'is_email_valid' in account || 'is_email_verified' in account);
});

t.test('omits email when the granted scope lacks account_email', async (t) => {
  const account = (await json(await meAs({ scope: 'profile_nickname' }, scopedApp))).kakao_account as Record<string, unknown>;
  t.equal(account.email_needs_agreement, true);
  t.notOk('email' in account);
  t.match(await json(await meAs({ scope: 'profile_nickname account_email' }, scopedApp)), { kakao_account: { email: defaultFakeUser.email } });
});

t.test('answers 401 -401 to a missing, unknown or non-bearer token', async (t) => {
  const { access_token: token } = await login();
  for (const authorization of [undefined, 'Bearer unknown', `KakaoAK ${token}`, 'Bearer']) {
    const response = await fetch(`${fake.url}/v2/user/me`, { headers: authorization === undefined ? {} : { authorization } });
    t.equal(response.status, 401, String(authorization));
    t.same(await json(response), { msg: 'this access token does not exist', code: -401 });
  }
  t.equal((await fetch(`${fake.url}/v2/user/me`, { headers: { authorization: `bearer ${token}` } })).status, 200, 'scheme is case-insensitive');
});

t.test('answers 401 -401 to an expired access token', async (t) => {
  const { access_token: token } = await login();
  const later = Date.now() + 21_599_000;
  t.capture(Date, 'now', () => later);
  const response = await me(token);
  t.equal(response.status, 401);
  t.same(await json(response), { msg: 'this access token is already expired', code: -401 });
});

t.test('answers 500 when the configured user id is not an int64', async (t) => {
  fake.user = { id: '12abc' };
  const response = await meAs();
  t.equal(response.status, 500);
  t.match(await json(response), { msg: /decimal int64/ });
});

// ---- faults -------------------------------------------------------------------------------------

const tokenForm = (): Params => ({ grant_type: 'authorization_code', client_id: plainApp.clientId, redirect_uri: redirectUri, code: 'whatever' });

t.test('fault token-500 answers 500', async (t) => {
  fake.faults.add('token-500');
  const response = await postToken(tokenForm());
  t.equal(response.status, 500);
  t.match(await response.text(), '500');
});

t.test('fault token-hang never answers', async (t) => {
  fake.faults.add('token-hang');
  await t.rejects(fetch(`${fake.url}/oauth/token`, { method: 'POST', body: new URLSearchParams(tokenForm()), signal: AbortSignal.timeout(300) }), {
    name: 'TimeoutError',
  });
});

t.test('fault token-truncated answers 200 JSON cut in the middle', async (t) => {
  fake.faults.add('token-truncated');
  const response = await postToken(tokenForm());
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^application\/json/);
  const text = await response.text();
  t.match(text, /^\{"access_token":"/);
  t.throws(() => {
    JSON.parse(text);
  });
});

t.test('fault token-html answers 200 text/html', async (t) => {
  fake.faults.add('token-html');
  const response = await postToken(tokenForm());
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/html/);
  t.match(await response.text(), /<html/);
});

t.test('fault token-rate-limit answers 400 KOE237', async (t) => {
  fake.faults.add('token-rate-limit');
  const response = await postToken(tokenForm());
  t.equal(response.status, 400);
  t.match(await json(response), { error: 'invalid_request', error_description: /rate limit/, error_code: 'KOE237' });
});

t.test('fault token-invalid-client answers 401 KOE010', async (t) => {
  fake.faults.add('token-invalid-client');
  const response = await exchange(await getCode());
  t.equal(response.status, 401);
  t.same(await json(response), { error: 'invalid_client', error_description: 'Bad client credentials', error_code: 'KOE010' });
});

t.test('fault me-401 answers 401 -401 even to a valid token', async (t) => {
  const { access_token: token } = await login();
  fake.faults.add('me-401');
  const response = await me(token);
  t.equal(response.status, 401);
  t.same(await json(response), { msg: 'this access token does not exist', code: -401 });
});

t.test('fault me-500 answers 500', async (t) => {
  const { access_token: token } = await login();
  fake.faults.add('me-500');
  const response = await me(token);
  t.equal(response.status, 500);
  t.match(await json(response), { code: -1 });
});

t.test('fault me-hang never answers', async (t) => {
  const { access_token: token } = await login();
  fake.faults.add('me-hang');
  await t.rejects(me(token, { signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
});

t.test('fault me-truncated answers 200 JSON cut in the middle', async (t) => {
  const { access_token: token } = await login();
  fake.faults.add('me-truncated');
  const response = await me(token);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^application\/json/);
  const text = await response.text();
  t.ok(text.startsWith(`{"id":${defaultFakeUser.id},`));
  t.throws(() => {
    JSON.parse(text);
  });
});

t.test('fault me-quota answers 400 -10', async (t) => {
  fake.faults.add('me-quota');
  const response = await me('any');
  t.equal(response.status, 400);
  t.same(await json(response), { msg: 'API limit has been exceeded.', code: -10 });
});

t.test('fault me-missing-id answers the success shape without id', async (t) => {
  const { access_token: token } = await login();
  fake.faults.add('me-missing-id');
  const body = await json(await me(token));
  t.notOk('id' in body);
  t.match(body, { kakao_account: { profile: { nickname: defaultFakeUser.nickname } } });
});

t.test('fault me-string-id writes the id as a JSON string', async (t) => {
  const { access_token: token } = await login();
  fake.faults.add('me-string-id');
  const text = await (await me(token)).text();
  t.ok(text.startsWith(`{"id":"${defaultFakeUser.id}",`));
});

t.test('fault me-huge answers a valid JSON body of several MB', async (t) => {
  const { access_token: token } = await login();
  fake.faults.add('me-huge');
  const text = await (await me(token)).text();
  t.ok(text.length > 5_000_000, `${text.length} chars`);
  t.match(JSON.parse(text), { id: Number(defaultFakeUser.id), kakao_account: { email: defaultFakeUser.email } });
});

t.test('fault me-redirect answers 302 to another URL', async (t) => {
  fake.faults.add('me-redirect');
  const response = await me('any');
  t.equal(response.status, 302);
  const target = location(response);
  t.not(target.pathname, '/v2/user/me');
  const followed = await fetch(target);
  t.equal(followed.status, 200);
  t.match(await followed.text(), 'Kakao Account');
});

// ---- close --------------------------------------------------------------------------------------

t.test('close() ends hanging requests at once and can be called twice', async (t) => {
  const closing = await startFakeKakao({ apps: [plainApp] });
  closing.faults.add('token-hang');
  const pending = postToken(tokenForm(), closing);
  while (closing.requests.length === 0) await sleep(5);
  const started = performance.now();
  await Promise.all([closing.close(), closing.close()]);
  t.ok(performance.now() - started < 1000, 'closed promptly');
  await t.rejects(pending);
  await t.rejects(fetch(`${closing.url}/oauth/token`, { method: 'POST' }), 'no longer listening');
});
