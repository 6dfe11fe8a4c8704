import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import type { ConnectorConfig } from '../../src/config.js';
import { UpstreamError } from '../../src/errors.js';
import { UpstreamClient, type UpstreamResponse } from '../../src/http/upstream-client.js';
import type { UpstreamAuthorizationRequest } from '../../src/upstream/connector.js';
import { MalformedKakaoResponse } from '../../src/upstream/kakao-profile.js';
import { callbackCode, KakaoConnector, parseKakaoTokenResponse, parseKakaoUserResponse, type KakaoCall } from '../../src/upstream/kakao.js';

const kakaoJson = 'application/json;charset=UTF-8';
const json = (status: number, body: unknown): UpstreamResponse => ({ status, contentType: kakaoJson, body: JSON.stringify(body) });
const html = (status: number, body = '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'): UpstreamResponse => ({
  status,
  contentType: 'text/html',
  body,
});

/** Asserts that `fn` throws an UpstreamError with this reason, and the OAuth error the relying party will see. */
function failsWith(t: Test, fn: () => unknown, reason: string, error: 'access_denied' | 'server_error' | 'temporarily_unavailable'): void {
  t.throws(fn, { name: 'UpstreamError', reason, oauthError: { error } });
}

t.test('callbackCode: Kakao\'s redirect back to the bridge', async (t) => {
  t.test('returns the code of a successful login', async (t) => {
    t.equal(callbackCode({ code: 'Yl3fK2gOAbQ', state: 'bridge-state' }), 'Yl3fK2gOAbQ');
  });

  t.test('is access_denied when the user cancelled on the consent screen', async (t) => {
    failsWith(t, () => callbackCode({ error: 'access_denied', error_description: 'User denied access', state: 's' }), 'kakao_user_cancelled', 'access_denied');
  });

  t.test('is server_error for any other Kakao error', async (t) => {
    for (const error of ['invalid_scope', 'consent_required', 'misconfigured', 'server_error']) {
      failsWith(t, () => callbackCode({ error, error_description: 'x', state: 's' }), 'kakao_authorize_error', 'server_error');
    }
  });

  t.test('reflects at most 64 characters of Kakao\'s error value', async (t) => {
    try {
      callbackCode({ error: 'e'.repeat(5000) });
      t.fail('should throw');
    } catch (error) {
      t.ok(error instanceof UpstreamError);
      t.ok((error as UpstreamError).oauthError.description.length < 120);
    }
  });

  t.test('an error wins over a code sent alongside it', async (t) => {
    failsWith(t, () => callbackCode({ code: 'abc', error: 'access_denied' }), 'kakao_user_cancelled', 'access_denied');
  });

  t.test('is server_error when Kakao sent neither a code nor an error', async (t) => {
    failsWith(t, () => callbackCode({ state: 's' }), 'kakao_no_code', 'server_error');
    failsWith(t, () => callbackCode({ code: '', state: 's' }), 'kakao_no_code', 'server_error');
  });
});

t.test('parseKakaoTokenResponse: POST /oauth/token', async (t) => {
  t.test('returns the access token of a success', async (t) => {
    const response = json(200, {
      access_token: 'kakao-access-token',
      token_type: 'bearer',
      refresh_token: 'kakao-refresh-token',
      expires_in: 21599,
      scope: 'account_email profile_nickname',
      refresh_token_expires_in: 5183999,
    });
    t.equal(parseKakaoTokenResponse(response), 'kakao-access-token');
  });

  t.test('ignores an id_token Kakao adds when openid was requested', async (t) => {
    const response = json(200, { access_token: 'at', token_type: 'bearer', id_token: 'eyJ.eyJ.sig', expires_in: 21599 });
    t.equal(parseKakaoTokenResponse(response), 'at');
  });

  t.test('KOE010 (401, bad client credentials) is server_error: the bridge is misconfigured', async (t) => {
    const response = json(401, { error: 'invalid_client', error_description: 'Bad client credentials', error_code: 'KOE010' });
    failsWith(t, () => parseKakaoTokenResponse(response), 'kakao_client_rejected', 'server_error');
  });

  t.test('KOE101 (invalid app key) is server_error', async (t) => {
    const response = json(401, { error: 'invalid_client', error_description: 'Not exist client_id [abc]', error_code: 'KOE101' });
    failsWith(t, () => parseKakaoTokenResponse(response), 'kakao_client_rejected', 'server_error');
  });

  t.test('invalid_client without an error_code is server_error', async (t) => {
    failsWith(t, () => parseKakaoTokenResponse(json(401, { error: 'invalid_client' })), 'kakao_client_rejected', 'server_error');
  });

  t.test('KOE320 (code reused, expired or not found) is server_error', async (t) => {
    const response = json(400, { error: 'invalid_grant', error_description: 'authorization code not found for code=abc', error_code: 'KOE320' });
    failsWith(t, () => parseKakaoTokenResponse(response), 'kakao_code_rejected', 'server_error');
  });

  t.test('KOE303 (redirect_uri mismatch) is server_error', async (t) => {
    const response = json(400, { error: 'invalid_grant', error_description: 'Redirect URI mismatch.', error_code: 'KOE303' });
    failsWith(t, () => parseKakaoTokenResponse(response), 'kakao_code_rejected', 'server_error');
  });

  t.test('KOE237 (token rate limit) is temporarily_unavailable', async (t) => {
    const response = json(400, { error: 'invalid_request', error_description: 'token request rate limit exceeded', error_code: 'KOE237' });
    failsWith(t, () => parseKakaoTokenResponse(response), 'kakao_rate_limited', 'temporarily_unavailable');
  });

  t.test('HTTP 429 is temporarily_unavailable', async (t) => {
    failsWith(t, () => parseKakaoTokenResponse(html(429, 'Too Many Requests')), 'kakao_rate_limited', 'temporarily_unavailable');
  });

  t.test('KOE003 (temporary Kakao error) is temporarily_unavailable', async (t) => {
    const response = json(400, { error: 'server_error', error_description: 'temporary error', error_code: 'KOE003' });
    failsWith(t, () => parseKakaoTokenResponse(response), 'kakao_unavailable', 'temporarily_unavailable');
  });

  t.test('a 5xx HTML page is temporarily_unavailable', async (t) => {
    for (const status of [500, 502, 503, 504]) {
      failsWith(t, () => parseKakaoTokenResponse(html(status)), 'kakao_unavailable', 'temporarily_unavailable');
    }
  });

  t.test('a 5xx JSON body is temporarily_unavailable', async (t) => {
    failsWith(t, () => parseKakaoTokenResponse(json(500, { error: 'server_error' })), 'kakao_unavailable', 'temporarily_unavailable');
  });

  t.test('a 200 with truncated JSON is server_error', async (t) => {
    const response: UpstreamResponse = { status: 200, contentType: kakaoJson, body: '{"access_token":"at","token_ty' };
    failsWith(t, () => parseKakaoTokenResponse(response), 'kakao_malformed_response', 'server_error');
  });

  t.test('a 200 text/html page is server_error', async (t) => {
    failsWith(t, () => parseKakaoTokenResponse(html(200, '<html>Login</html>')), 'kakao_malformed_response', 'server_error');
  });

  t.test('a 200 JSON array is server_error', async (t) => {
    failsWith(t, () => parseKakaoTokenResponse(json(200, [{ access_token: 'at', token_type: 'bearer' }])), 'kakao_malformed_response', 'server_error');
  });

  t.test('a 200 without access_token, with an empty one, or without token_type is server_error', async (t) => {
    for (const body of [{ token_type: 'bearer' }, { access_token: '', token_type: 'bearer' }, { access_token: 42, token_type: 'bearer' }, { access_token: 'at' }]) {
      failsWith(t, () => parseKakaoTokenResponse(json(200, body)), 'kakao_malformed_response', 'server_error');
    }
  });

  t.test('an error Kakao does not document for this call is server_error', async (t) => {
    const response = json(400, { error: 'invalid_request', error_description: 'bad request', error_code: 'KOE001' });
    failsWith(t, () => parseKakaoTokenResponse(response), 'kakao_malformed_response', 'server_error');
  });

  t.test('a 4xx that is not JSON is server_error', async (t) => {
    failsWith(t, () => parseKakaoTokenResponse(html(400, 'Bad Request')), 'kakao_malformed_response', 'server_error');
  });
});

const userMe = '{"id":3827731058,"connected_at":"2024-12-10T00:48:01Z","kakao_account":{"profile":{"nickname":"홍길동","is_default_nickname":false}}}';

t.test('parseKakaoUserResponse: GET /v2/user/me', async (t) => {
  t.test('returns the identity of a success', async (t) => {
    t.same(parseKakaoUserResponse({ status: 200, contentType: kakaoJson, body: userMe }), {
      subject: '3827731058',
      claims: { name: '홍길동', nickname: '홍길동' },
    });
  });

  t.test('-401 (token does not exist or expired) is server_error', async (t) => {
    for (const msg of ['this access token does not exist', 'this access token is already expired']) {
      failsWith(t, () => parseKakaoUserResponse(json(401, { msg, code: -401 })), 'kakao_token_invalid', 'server_error');
    }
  });

  t.test('a 401 without a JSON body is server_error', async (t) => {
    failsWith(t, () => parseKakaoUserResponse(html(401, 'Unauthorized')), 'kakao_token_invalid', 'server_error');
  });

  t.test('-10 (quota exceeded) is temporarily_unavailable', async (t) => {
    failsWith(t, () => parseKakaoUserResponse(json(400, { msg: 'API limit has been exceeded.', code: -10 })), 'kakao_unavailable', 'temporarily_unavailable');
  });

  t.test('-7 and -9798 (maintenance) are temporarily_unavailable', async (t) => {
    failsWith(t, () => parseKakaoUserResponse(json(400, { msg: 'under maintenance', code: -7 })), 'kakao_unavailable', 'temporarily_unavailable');
    failsWith(t, () => parseKakaoUserResponse(json(503, { msg: 'service check', code: -9798 })), 'kakao_unavailable', 'temporarily_unavailable');
  });

  t.test('a 5xx HTML page is temporarily_unavailable', async (t) => {
    failsWith(t, () => parseKakaoUserResponse(html(502)), 'kakao_unavailable', 'temporarily_unavailable');
  });

  t.test('-402 (insufficient scope) is server_error', async (t) => {
    const response = json(403, {
      msg: 'insufficient scopes.',
      code: -402,
      api_type: 'USER_ME',
      required_scopes: ['account_email'],
      allowed_scopes: ['profile_nickname'],
    });
    failsWith(t, () => parseKakaoUserResponse(response), 'kakao_malformed_response', 'server_error');
  });

  t.test('other kapi errors (-1, -2, -4 blocked account) are server_error', async (t) => {
    for (const [status, code] of [[400, -1], [400, -2], [403, -4]] as const) {
      failsWith(t, () => parseKakaoUserResponse(json(status, { msg: 'error', code })), 'kakao_malformed_response', 'server_error');
    }
  });

  t.test('a 200 with truncated JSON is server_error, caused by MalformedKakaoResponse', async (t) => {
    const response: UpstreamResponse = { status: 200, contentType: kakaoJson, body: userMe.slice(0, 30) };
    failsWith(t, () => parseKakaoUserResponse(response), 'kakao_malformed_response', 'server_error');
    try {
      parseKakaoUserResponse(response);
    } catch (error) {
      t.ok((error as Error).cause instanceof MalformedKakaoResponse);
    }
  });

  t.test('a 200 text/html page is server_error', async (t) => {
    failsWith(t, () => parseKakaoUserResponse(html(200, '<html>maintenance</html>')), 'kakao_malformed_response', 'server_error');
  });

  t.test('a 200 without an id is server_error', async (t) => {
    failsWith(t, () => parseKakaoUserResponse(json(200, { kakao_account: {} })), 'kakao_malformed_response', 'server_error');
  });
});

t.test('KakaoConnector.authorizationUrl: GET /oauth/authorize', async (t) => {
  const http = new UpstreamClient({ timeoutMs: 1000 });
  t.teardown(() => http.close());
  const config: ConnectorConfig = {
    id: 'kakao',
    type: 'kakao',
    clientId: 'kakao-rest-api-key',
    clientSecret: 'kakao-secret',
    scopes: [],
    authUrl: 'https://kauth.kakao.com',
    apiUrl: 'https://kapi.kakao.com',
  };
  const request: UpstreamAuthorizationRequest = {
    state: 'bridge-state-123',
    redirectUri: 'https://login.example.com/callback/kakao',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    prompt: [],
    loginHint: undefined,
  };
  const authorize = (overrides: Partial<ConnectorConfig>, req: Partial<UpstreamAuthorizationRequest> = {}): URL =>
    new URL(new KakaoConnector({ ...config, ...overrides }, http).authorizationUrl({ ...request, ...req }));

  t.test('sends client_id, redirect_uri, response_type=code, state and an S256 challenge, nothing else', async (t) => {
    const url = authorize({});
    t.equal(`${url.origin}${url.pathname}`, 'https://kauth.kakao.com/oauth/authorize');
    t.same(Object.fromEntries(url.searchParams), {
      client_id: 'kakao-rest-api-key',
      redirect_uri: 'https://login.example.com/callback/kakao',
      response_type: 'code',
      state: 'bridge-state-123',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
  });

  t.test('never puts the client secret in the URL', async (t) => {
    t.notMatch(authorize({}).href, /kakao-secret/);
  });

  t.test('is the connector id', async (t) => {
    t.equal(new KakaoConnector(config, http).id, 'kakao');
  });

  t.test('joins configured scopes with spaces', async (t) => {
    t.equal(authorize({ scopes: ['openid', 'profile_nickname', 'account_email'] }).searchParams.get('scope'), 'openid profile_nickname account_email');
  });

  t.test('sends no scope when none is configured', async (t) => {
    t.notOk(authorize({ scopes: [] }).searchParams.has('scope'));
  });

  t.test('forwards only the prompt values Kakao honours', async (t) => {
    const url = authorize({}, { prompt: ['none', 'login', 'consent', 'select_account', 'create'] });
    t.equal(url.searchParams.get('prompt'), 'login select_account create');
  });

  t.test('sends no prompt when none of the values is one Kakao honours', async (t) => {
    t.notOk(authorize({}, { prompt: ['none', 'consent'] }).searchParams.has('prompt'));
  });

  t.test('forwards login_hint', async (t) => {
    t.equal(authorize({}, { loginHint: '+82 10-1234-5678' }).searchParams.get('login_hint'), '+82 10-1234-5678');
  });

  t.test('sends no login_hint when there is none', async (t) => {
    t.notOk(authorize({}).searchParams.has('login_hint'));
  });

  t.test('keeps the path of a configured auth URL', async (t) => {
    const url = authorize({ authUrl: 'http://127.0.0.1:4000/kakao' });
    t.equal(`${url.origin}${url.pathname}`, 'http://127.0.0.1:4000/kakao/oauth/authorize');
  });

  t.test('encodes a state and redirect_uri with reserved characters so they round-trip', async (t) => {
    const url = authorize({}, { state: 'a&b=c d+e', redirectUri: 'https://rp.example/cb?x=1&y=2' });
    t.equal(url.searchParams.get('state'), 'a&b=c d+e');
    t.equal(url.searchParams.get('redirect_uri'), 'https://rp.example/cb?x=1&y=2');
  });
});

interface Received {
  method: string | undefined;
  path: string | undefined;
  headers: IncomingMessage['headers'];
  form: Record<string, string>;
}

/** A loopback Kakao for this file only: `answer` gets each request and its 1-based number per path. */
async function loopbackKakao(
  t: Test,
  answer: (request: Received, res: ServerResponse, hit: number) => void,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Received = {
        method: req.method,
        path: req.url,
        headers: req.headers,
        form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString())),
      };
      received.push(request);
      answer(request, res, received.filter((r) => r.path === req.url).length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port.toString()}`, received };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}

const tokenBody = { access_token: 'kakao-access-token', token_type: 'bearer', expires_in: 21599 };

/** Answers the token call and user/me like Kakao does when everything goes well. */
function happyKakao(request: Received, res: ServerResponse): void {
  if (request.path === '/oauth/token') reply(res, 200, tokenBody);
  else res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' }).end(userMe);
}

t.test('KakaoConnector.exchange: the callback leg', async (t) => {
  const callback = { query: { code: 'kakao-code', state: 's' }, redirectUri: 'https://login.example.com/callback/kakao', codeVerifier: 'v'.repeat(43) };
  const connector = (t: Test, url: string, overrides: Partial<ConnectorConfig> = {}, timeoutMs = 2000, observe?: (call: KakaoCall, outcome: string) => void) => {
    const http = new UpstreamClient({ timeoutMs, maxBodyBytes: 64 * 1024 });
    t.teardown(() => http.close());
    const config: ConnectorConfig = { id: 'kakao', type: 'kakao', clientId: 'rest-key', clientSecret: undefined, scopes: [], authUrl: url, apiUrl: url, ...overrides };
    return new KakaoConnector(config, http, observe);
  };

  t.test('posts the form Kakao expects, calls user/me with the token, and returns the identity', async (t) => {
    const kakao = await loopbackKakao(t, happyKakao);
    const identity = await connector(t, kakao.url, { clientSecret: 'kakao-secret' }).exchange(callback);
    t.same(identity, { subject: '3827731058', claims: { name: '홍길동', nickname: '홍길동' } });
    const [token, user] = kakao.received;
    t.match(token, { method: 'POST', path: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' } });
    t.same(token!.form, {
      grant_type: 'authorization_code',
      client_id: 'rest-key',
      redirect_uri: 'https://login.example.com/callback/kakao',
      code: 'kakao-code',
      code_verifier: 'v'.repeat(43),
      client_secret: 'kakao-secret',
    });
    t.match(user, { method: 'GET', path: '/v2/user/me', headers: { authorization: 'Bearer kakao-access-token' } });
  });

  t.test('sends no client_secret when none is configured', async (t) => {
    const kakao = await loopbackKakao(t, happyKakao);
    await connector(t, kakao.url).exchange(callback);
    t.notOk('client_secret' in kakao.received[0]!.form);
  });

  t.test('a cancelled login fails with access_denied without calling Kakao', async (t) => {
    const kakao = await loopbackKakao(t, happyKakao);
    await t.rejects(connector(t, kakao.url).exchange({ ...callback, query: { error: 'access_denied', state: 's' } }), {
      name: 'UpstreamError',
      reason: 'kakao_user_cancelled',
      oauthError: { error: 'access_denied' },
    });
    t.equal(kakao.received.length, 0);
  });

  t.test('never retries the token call, whose code is single-use', async (t) => {
    const kakao = await loopbackKakao(t, (request, res) => {
      if (request.path === '/oauth/token') res.writeHead(503, { 'content-type': 'text/html' }).end('<html>busy</html>');
      else happyKakao(request, res);
    });
    await t.rejects(connector(t, kakao.url).exchange(callback), { name: 'UpstreamError', reason: 'kakao_unavailable', oauthError: { error: 'temporarily_unavailable' } });
    t.equal(kakao.received.length, 1);
  });

  t.test('retries user/me once after a 503', async (t) => {
    const kakao = await loopbackKakao(t, (request, res, hit) => {
      if (request.path === '/v2/user/me' && hit === 1) res.writeHead(503).end();
      else happyKakao(request, res);
    });
    t.equal((await connector(t, kakao.url).exchange(callback)).subject, '3827731058');
    t.same(kakao.received.map((r) => r.path), ['/oauth/token', '/v2/user/me', '/v2/user/me']);
  });

  t.test('Kakao not answering in time is temporarily_unavailable', async (t) => {
    const kakao = await loopbackKakao(t, () => undefined);
    await t.rejects(connector(t, kakao.url, {}, 200).exchange(callback), { name: 'UpstreamError', reason: 'kakao_timeout', oauthError: { error: 'temporarily_unavailable' } });
  });

  t.test('Kakao unreachable is temporarily_unavailable', async (t) => {
    const kakao = await loopbackKakao(t, happyKakao);
    await t.rejects(connector(t, kakao.url, { authUrl: 'http://127.0.0.1:1' }).exchange(callback), {
      name: 'UpstreamError',
      reason: 'kakao_network',
      oauthError: { error: 'temporarily_unavailable' },
    });
  });

  t.test('an oversized Kakao body is server_error', async (t) => {
    const kakao = await loopbackKakao(t, (request, res) => {
      if (request.path === '/oauth/token') reply(res, 200, { ...tokenBody, padding: 'x'.repeat(100_000) });
    });
    await t.rejects(connector(t, kakao.url).exchange(callback), { name: 'UpstreamError', reason: 'kakao_too_large', oauthError: { error: 'server_error' } });
  });

  t.test('reports each call\'s outcome to the observer', async (t) => {
    const seen: [KakaoCall, string][] = [];
    const observe = (call: KakaoCall, outcome: string): void => {
      seen.push([call, outcome]);
    };
    const ok = await loopbackKakao(t, happyKakao);
    await connector(t, ok.url, {}, 2000, observe).exchange(callback);
    const rejected = await loopbackKakao(t, (_request, res) => {
      reply(res, 400, { error: 'invalid_grant', error_description: 'authorization code not found for code=kakao-code', error_code: 'KOE320' });
    });
    await t.rejects(connector(t, rejected.url, {}, 2000, observe).exchange(callback));
    t.same(seen, [['token', 'ok'], ['user', 'ok'], ['token', 'kakao_code_rejected']]);
  });
});
