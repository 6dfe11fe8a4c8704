import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { startFakeKakao } from '../src/demo/fake-kakao.js';
import { kakaoApp, relyingParty, scope } from '../bench/lib/fixtures.js';
import { freePort } from './helpers/bridge.js';

const repository = fileURLToPath(new URL('..', import.meta.url));

/**
 * The login ceiling with PROTOCOL_CHECKS=1 is what the full-login target is judged against, and
 * with BRIDGE_DUTIES=1 too what the /token target is (BENCHMARKS.md): its checks and duties must
 * be real, or the ceiling would be flattered.
 */
t.test('the login ceiling with the protocol’s checks refuses what a correct provider refuses', (t) => checkedCeiling(t, false));
t.test('with the bridge’s duties as well, it refuses the same, and does the duties', (t) => checkedCeiling(t, true));

async function checkedCeiling(t: Test, duties: boolean): Promise<void> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const kakao = await startFakeKakao({ apps: [{ clientId: kakaoApp.clientId, clientSecret: kakaoApp.clientSecret, redirectUris: [`${issuer}/callback/kakao`] }] });
  t.teardown(() => kakao.close());
  // Not tap's environment: no TypeScript loader or coverage of its own in the server's process.
  const server = spawn(process.execPath, ['--import', './bench/ts-resolve.ts', 'bench/servers/login-ceiling.ts'], {
    cwd: repository,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), KAKAO_URL: kakao.url, PROTOCOL_CHECKS: '1', ...(duties ? { BRIDGE_DUTIES: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => server.kill('SIGKILL'));
  let stdout = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.startsWith('ready ')) resolve();
    });
    server.on('exit', (code) => reject(new Error(`the login ceiling exited with ${String(code)}`)));
  });

  const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { redirect: 'manual', headers });
  const authorizeQuery = (overrides: Record<string, string> = {}) =>
    new URLSearchParams({ client_id: relyingParty.clientId, redirect_uri: relyingParty.redirectUri, response_type: 'code', scope, state: 'rp-state', nonce: 'rp-nonce', ...overrides }).toString();
  /** /authorize, then Kakao's consent: the callback URL and the browser's cookie. */
  const toCallback = async () => {
    const authorize = await get(`${issuer}/authorize?${authorizeQuery()}`);
    t.equal(authorize.status, 302);
    const cookie = (authorize.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const fromKakao = await get(authorize.headers.get('location') ?? '');
    return { callbackUrl: fromKakao.headers.get('location') ?? '', cookie };
  };
  const token = (code: string, overrides: Record<string, string> = {}) =>
    fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: relyingParty.redirectUri, client_id: relyingParty.clientId, client_secret: relyingParty.clientSecret, ...overrides }).toString(),
    });

  t.equal((await get(`${issuer}/authorize?${authorizeQuery({ redirect_uri: 'https://evil.example/cb' })}`)).status, 400, 'an unregistered redirect_uri');
  t.equal((await get(`${issuer}/authorize?${authorizeQuery({ scope: 'profile' })}`)).status, 400, 'no openid scope');

  const stranger = await toCallback();
  t.equal((await get(stranger.callbackUrl, { cookie: 'binding=someone-else' })).status, 400, 'a callback from another browser');
  t.equal((await get(stranger.callbackUrl, { cookie: stranger.cookie })).status, 400, 'and its pending login is gone');

  const login = await toCallback();
  const callback = await get(login.callbackUrl, { cookie: login.cookie });
  t.equal(callback.status, 302);
  const back = new URL(callback.headers.get('location') ?? '');
  t.equal(back.searchParams.get('state'), 'rp-state');
  t.equal(back.searchParams.get('iss'), issuer);
  const code = back.searchParams.get('code') ?? '';
  t.equal((await token(code, { client_secret: 'wrong' })).status, 401, 'a wrong client secret');
  const redeemed = await token(code);
  t.equal(redeemed.status, 200);
  t.equal(redeemed.headers.get('cache-control'), 'no-store');
  if (duties) {
    t.equal(redeemed.headers.get('x-content-type-options'), 'nosniff', 'the security headers');
    t.equal(redeemed.headers.get('x-ratelimit-limit'), '1000000', 'the rate limit counted the request');
  }
  const tokens = (await redeemed.json()) as { access_token: string; id_token: string };
  t.match(decodeJwt(tokens.id_token), { sub: '4218530917', nonce: 'rp-nonce', aud: relyingParty.clientId, iss: issuer });
  t.equal((await token(code)).status, 400, 'a code redeemed twice');
  const userinfo = await get(`${issuer}/userinfo`, { authorization: `Bearer ${tokens.access_token}` });
  t.match(await userinfo.json(), { sub: '4218530917', email_verified: true });
  t.equal((await get(`${issuer}/userinfo`, { authorization: 'Bearer made-up' })).status, 401, 'an unknown access token');

  const other = await toCallback();
  const otherCode = new URL((await get(other.callbackUrl, { cookie: other.cookie })).headers.get('location') ?? '').searchParams.get('code') ?? '';
  t.equal((await token(otherCode, { redirect_uri: 'http://127.0.0.1:9/other' })).status, 400, 'a code for another redirect_uri');
  if (!duties) return;

  // Sealed, the token carries its record: its length shows it, and any altered byte breaks the seal.
  t.ok(tokens.access_token.length > 300, 'the access token carries its record');
  const altered = `${tokens.access_token.slice(0, 40)}${tokens.access_token[40] === 'A' ? 'B' : 'A'}${tokens.access_token.slice(41)}`;
  t.equal((await get(`${issuer}/userinfo`, { authorization: `Bearer ${altered}` })).status, 401, 'an altered access token');
  // The access log is written in batches, at least every 100 ms.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const lines = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; path?: string; status?: number });
  t.ok(
    lines.some((line) => line.msg === 'request' && line.path === '/token' && line.status === 200),
    'one access-log line per request',
  );
  t.notOk(
    lines.some((line) => line.path === '/userinfo' && line.status === 200),
    'but none for a successful /userinfo, as in the bridge',
  );
  t.equal((await get(`${issuer}/authorize?${authorizeQuery()}`)).headers.get('x-ratelimit-limit'), '1000000', '/authorize is rate-limited too');
}
