import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { confidential, kakaoApp, publicClient, startBridge } from '../helpers/bridge.js';
import { authorizeUrl, pkcePair } from '../helpers/flow.js';

const bridge = await startBridge(t);

async function authorize(input: Parameters<typeof authorizeUrl>[1] = {}, browser = new Browser()): Promise<Response> {
  return browser.get(authorizeUrl(bridge, input));
}

/** The error a redirect back to the client carries, with its state and iss. */
function errorRedirect(response: Response): URLSearchParams {
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(location).searchParams;
}

t.test('sends the browser to Kakao with the bridge state, its own callback and PKCE S256', async (t) => {
  const response = await authorize();
  t.equal(response.status, 302);
  const kakao = new URL(response.headers.get('location') ?? '');
  t.equal(kakao.origin + kakao.pathname, `${bridge.kakao.url}/oauth/authorize`);
  t.equal(kakao.searchParams.get('client_id'), kakaoApp.clientId);
  t.equal(kakao.searchParams.get('redirect_uri'), `${bridge.issuer}/callback/kakao`);
  t.equal(kakao.searchParams.get('response_type'), 'code');
  t.equal(kakao.searchParams.get('code_challenge_method'), 'S256');
  t.match(kakao.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  const state = kakao.searchParams.get('state');
  t.not(state, 'rp-state-123', 'the relying party state never leaves the bridge');
  t.match(state, /^[A-Za-z0-9_-]{43}$/);
});

t.test('binds the login to the browser with a signed HttpOnly SameSite=Lax cookie', async (t) => {
  const response = await authorize();
  const [cookie = ''] = response.headers.getSetCookie();
  t.match(cookie, /^kob_browser=[^;]+\.[^;]+;/, 'signed value');
  t.match(cookie, /HttpOnly/);
  t.match(cookie, /SameSite=Lax/);
  t.match(cookie, /Path=\//);
});

t.test('accepts the request as a POST form', async (t) => {
  const params = new URL(authorizeUrl(bridge)).searchParams;
  const response = await new Browser().get(`${bridge.issuer}/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: params.toString(),
  });
  t.equal(response.status, 302);
  t.match(response.headers.get('location'), `${bridge.kakao.url}/oauth/authorize?`);
});

t.test('forwards prompt=login, select_account, create and login_hint to Kakao', async (t) => {
  const response = await authorize({ extra: { prompt: 'login select_account', login_hint: 'user@example.com' } });
  const kakao = new URL(response.headers.get('location') ?? '');
  t.equal(kakao.searchParams.get('prompt'), 'login select_account');
  t.equal(kakao.searchParams.get('login_hint'), 'user@example.com');
});

t.test('honours max_age by asking Kakao to authenticate the user again', async (t) => {
  const response = await authorize({ extra: { max_age: '300' } });
  t.equal(new URL(response.headers.get('location') ?? '').searchParams.get('prompt'), 'login');
});

t.test('answers prompt=none with login_required, as it keeps no session', async (t) => {
  const params = errorRedirect(await authorize({ extra: { prompt: 'none' } }));
  t.equal(params.get('error'), 'login_required');
  t.equal(params.get('state'), 'rp-state-123');
  t.equal(params.get('iss'), bridge.issuer);
});

t.test('shows a page, never a redirect, for an unknown client', async (t) => {
  const response = await authorize({ clientId: 'nobody' });
  t.equal(response.status, 400);
  t.equal(response.headers.get('location'), null);
  t.match(response.headers.get('content-type'), /text\/html/);
  t.match(await response.text(), /not registered/);
});

t.test('shows a page, never a redirect, for a redirect_uri that is not registered exactly', async (t) => {
  for (const redirectUri of [`${confidential.redirectUri}/`, `${confidential.redirectUri}?x=1`, 'https://evil.example/cb', confidential.redirectUri.toUpperCase()]) {
    const response = await authorize({ redirectUri });
    t.equal(response.status, 400, redirectUri);
    t.equal(response.headers.get('location'), null, redirectUri);
  }
});

t.test('shows a page when redirect_uri is missing', async (t) => {
  const url = new URL(authorizeUrl(bridge));
  url.searchParams.delete('redirect_uri');
  const response = await new Browser().get(url.href);
  t.equal(response.status, 400);
  t.equal(response.headers.get('location'), null);
});

t.test('protects its pages against framing, sniffing and referrer leaks', async (t) => {
  const response = await authorize({ clientId: 'nobody' });
  t.equal(response.headers.get('x-frame-options'), 'DENY');
  t.match(response.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  t.equal(response.headers.get('referrer-policy'), 'no-referrer');
  t.equal(response.headers.get('x-content-type-options'), 'nosniff');
});

t.test('escapes what it shows on its pages', async (t) => {
  const response = await authorize({ clientId: '<script>alert(1)</script>' });
  t.notMatch(await response.text(), /<script>/);
});

t.test('redirects invalid_request with state and iss when response_type is missing', async (t) => {
  const url = new URL(authorizeUrl(bridge));
  url.searchParams.delete('response_type');
  const params = errorRedirect(await new Browser().get(url.href));
  t.equal(params.get('error'), 'invalid_request');
  t.equal(params.get('state'), 'rp-state-123');
  t.equal(params.get('iss'), bridge.issuer);
  t.ok(params.get('error_description'));
});

t.test('refuses response types other than code with unsupported_response_type', async (t) => {
  for (const responseType of ['token', 'id_token', 'code id_token']) {
    const params = errorRedirect(await authorize({ extra: { response_type: responseType } }));
    t.equal(params.get('error'), 'unsupported_response_type', responseType);
  }
});

t.test('refuses response_mode other than query', async (t) => {
  const params = errorRedirect(await authorize({ extra: { response_mode: 'fragment' } }));
  t.equal(params.get('error'), 'invalid_request');
});

t.test('refuses the plain PKCE method', async (t) => {
  const params = errorRedirect(await authorize({ extra: { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' } }));
  t.equal(params.get('error'), 'invalid_request');
  t.match(params.get('error_description'), /S256/);
});

t.test('refuses a code_challenge_method without a code_challenge', async (t) => {
  const params = errorRedirect(await authorize({ extra: { code_challenge_method: 'S256' } }));
  t.equal(params.get('error'), 'invalid_request');
});

t.test('refuses a malformed S256 code_challenge', async (t) => {
  const params = errorRedirect(await authorize({ extra: { code_challenge: 'too-short', code_challenge_method: 'S256' } }));
  t.equal(params.get('error'), 'invalid_request');
});

t.test('requires PKCE from a public client', async (t) => {
  const params = errorRedirect(await authorize({ clientId: publicClient.clientId, redirectUri: publicClient.redirectUri }));
  t.equal(params.get('error'), 'invalid_request');
  t.match(params.get('error_description'), /PKCE/);
  const { challenge } = pkcePair();
  const ok = await authorize({ clientId: publicClient.clientId, redirectUri: publicClient.redirectUri, codeChallenge: challenge });
  t.match(ok.headers.get('location'), `${bridge.kakao.url}/oauth/authorize?`);
});

t.test('lets a confidential client go without PKCE (Logto never sends it)', async (t) => {
  const response = await authorize();
  t.match(response.headers.get('location'), `${bridge.kakao.url}/oauth/authorize?`);
});

t.test('refuses request objects with request_not_supported and request_uri_not_supported', async (t) => {
  t.equal(errorRedirect(await authorize({ extra: { request: 'eyJ.x.y' } })).get('error'), 'request_not_supported');
  t.equal(errorRedirect(await authorize({ extra: { request_uri: 'https://rp.example/r' } })).get('error'), 'request_uri_not_supported');
});

t.test('refuses a repeated parameter with invalid_request', async (t) => {
  const response = await new Browser().get(`${authorizeUrl(bridge)}&state=second`);
  t.equal(errorRedirect(response).get('error'), 'invalid_request');
});

t.test('shows a page for a repeated client_id', async (t) => {
  const response = await new Browser().get(`${authorizeUrl(bridge)}&client_id=${confidential.clientId}`);
  t.equal(response.status, 400);
  t.equal(response.headers.get('location'), null);
});

t.test('refuses an unknown prompt value', async (t) => {
  t.equal(errorRedirect(await authorize({ extra: { prompt: 'sideways' } })).get('error'), 'invalid_request');
});

t.test('refuses prompt=none combined with another value', async (t) => {
  t.equal(errorRedirect(await authorize({ extra: { prompt: 'none login' } })).get('error'), 'invalid_request');
});

t.test('refuses a max_age that is not a non-negative integer', async (t) => {
  t.equal(errorRedirect(await authorize({ extra: { max_age: '-5' } })).get('error'), 'invalid_request');
});

t.test('refuses an unknown connector_id', async (t) => {
  t.equal(errorRedirect(await authorize({ extra: { connector_id: 'naver' } })).get('error'), 'invalid_request');
});

t.test('treats a parameter sent without a value as omitted', async (t) => {
  const response = await authorize({ extra: { prompt: '', max_age: '' } });
  t.match(response.headers.get('location'), `${bridge.kakao.url}/oauth/authorize?`);
});

