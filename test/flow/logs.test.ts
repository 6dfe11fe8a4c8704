import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { confidential, kakaoApp, startBridge } from '../helpers/bridge.js';
import { authorizeUrl, getUserinfo, redeemCode } from '../helpers/flow.js';

t.test('writes one JSON line per request with a request id, and never a code, token, state, cookie or secret', async (t) => {
  const bridge = await startBridge(t);
  const browser = new Browser();
  const kakaoCallback = await browser.follow(authorizeUrl(bridge, { state: 'rp-state-secretish', nonce: 'rp-nonce-secretish' }), `${bridge.issuer}/callback/`);
  const back = new URL((await browser.get(kakaoCallback.href)).headers.get('location') ?? '');
  const code = back.searchParams.get('code') ?? '';
  const tokens = (await (await redeemCode(bridge, code)).json()) as { access_token: string; id_token: string };
  await getUserinfo(bridge, tokens.access_token);
  await redeemCode(bridge, code);
  await redeemCode(bridge, 'guess', { client_secret: 'wrong-secret-value' });
  await browser.get(kakaoCallback.href);

  const secrets = {
    code,
    kakaoCode: kakaoCallback.searchParams.get('code') ?? '',
    kakaoState: kakaoCallback.searchParams.get('state') ?? '',
    rpState: 'rp-state-secretish',
    nonce: 'rp-nonce-secretish',
    accessToken: tokens.access_token,
    idToken: tokens.id_token,
    clientSecret: confidential.clientSecret,
    wrongSecret: 'wrong-secret-value',
    kakaoSecret: kakaoApp.clientSecret,
    ...Object.fromEntries([...browser.cookies].map(([name, value]) => [name, decodeURIComponent(value)])),
  };
  const text = bridge.logs.join('\n');
  for (const [name, value] of Object.entries(secrets)) {
    t.ok(value.length > 8, `${name} is a real value`);
    t.notOk(text.includes(value), `${name} is not logged`);
  }
  const requests = bridge.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'request');
  t.same(
    requests.map((entry) => `${String(entry.path)} ${String(entry.status)}`),
    ['/authorize 302', '/callback/kakao 302', '/token 200', '/token 400', '/token 401', '/callback/kakao 400'],
    'a line per request, but for the successful /userinfo call',
  );
  for (const entry of requests) {
    t.type(entry.reqId, 'string');
    t.notMatch(String(entry.path), /\?/, 'path without query string');
  }
});

t.test('logs no line for discovery and JWKS (fetched by every relying party), and distinct request ids for the rest', async (t) => {
  const bridge = await startBridge(t);
  for (let index = 0; index < 3; index++) {
    await (await fetch(`${bridge.issuer}/.well-known/openid-configuration`)).arrayBuffer();
    await (await fetch(`${bridge.issuer}/jwks`)).arrayBuffer();
  }
  await (await fetch(`${bridge.issuer}/healthz`)).arrayBuffer();
  await (await fetch(`${bridge.issuer}/no-such-endpoint`)).arrayBuffer();
  const requests = bridge.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'request');
  t.same(
    requests.map((entry) => entry.path),
    ['/healthz', '/no-such-endpoint'],
  );
  t.equal(new Set(requests.map((entry) => entry.reqId)).size, 2);
});

t.test('/userinfo: a line for each failure at info, for each success only at debug', async (t) => {
  for (const level of ['info', 'debug']) {
    const bridge = await startBridge(t, { env: { LOG_LEVEL: level } });
    const browser = new Browser();
    const kakaoCallback = await browser.follow(authorizeUrl(bridge), `${bridge.issuer}/callback/`);
    const code = new URL((await browser.get(kakaoCallback.href)).headers.get('location') ?? '').searchParams.get('code') ?? '';
    const tokens = (await (await redeemCode(bridge, code)).json()) as { access_token: string };
    t.equal((await getUserinfo(bridge, tokens.access_token)).status, 200);
    t.equal((await getUserinfo(bridge, 'not-a-token')).status, 401);
    const userinfoLines = bridge.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === 'request' && entry.path === '/userinfo')
      .map((entry) => `${String(entry.level)} ${String(entry.status)}`);
    t.same(userinfoLines, level === 'info' ? ['30 401'] : ['20 200', '30 401'], `LOG_LEVEL=${level}`);
  }
});
