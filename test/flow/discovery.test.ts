import t from 'tap';
import { startBridge } from '../helpers/bridge.js';

t.test('publishes complete discovery metadata whose URLs all derive from the issuer', async (t) => {
  const bridge = await startBridge(t);
  const response = await fetch(`${bridge.issuer}/.well-known/openid-configuration`);
  t.equal(response.status, 200);
  const metadata = (await response.json()) as Record<string, unknown>;
  t.match(metadata, {
    issuer: bridge.issuer,
    authorization_endpoint: `${bridge.issuer}/authorize`,
    token_endpoint: `${bridge.issuer}/token`,
    userinfo_endpoint: `${bridge.issuer}/userinfo`,
    jwks_uri: `${bridge.issuer}/jwks`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    userinfo_signing_alg_values_supported: ['RS256', 'ES256'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  });
  for (const scope of ['openid', 'profile', 'email', 'phone']) t.ok((metadata.scopes_supported as string[]).includes(scope), scope);
  for (const method of ['client_secret_post', 'client_secret_basic', 'client_secret_jwt']) {
    t.ok((metadata.token_endpoint_auth_methods_supported as string[]).includes(method), method);
  }
  for (const claim of ['sub', 'name', 'nickname', 'picture', 'email', 'email_verified', 'phone_number', 'phone_number_verified', 'gender', 'birthdate']) {
    t.ok((metadata.claims_supported as string[]).includes(claim), claim);
  }
});

t.test('publishes public keys only, each with kid, alg and use', async (t) => {
  const bridge = await startBridge(t);
  const { keys } = (await (await fetch(`${bridge.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
  t.ok(keys.length >= 2, 'RS256 for id_tokens, ES256 for a client signing userinfo with it');
  for (const key of keys) {
    t.type(key.kid, 'string');
    t.ok(key.alg === 'RS256' || key.alg === 'ES256');
    t.equal(key.use, 'sig');
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) t.notOk(secret in key, `no ${secret}`);
  }
});

t.test('serves discovery and JWKS as cacheable, CORS-open JSON, and answers HEAD with the same headers and no body', async (t) => {
  const bridge = await startBridge(t);
  for (const path of ['/.well-known/openid-configuration', '/jwks']) {
    const get = await fetch(`${bridge.issuer}${path}`);
    const body = await get.text();
    t.equal(get.status, 200, path);
    t.equal(get.headers.get('content-type'), 'application/json; charset=utf-8', path);
    t.equal(get.headers.get('cache-control'), 'public, max-age=300', path);
    t.equal(get.headers.get('access-control-allow-origin'), '*', path);
    t.equal(get.headers.get('content-length'), String(Buffer.byteLength(body)), path);
    t.doesNotThrow(() => JSON.parse(body) as unknown, path);
    const head = await fetch(`${bridge.issuer}${path}`, { method: 'HEAD' });
    t.equal(head.status, 200, `HEAD ${path}`);
    t.equal(head.headers.get('content-length'), get.headers.get('content-length'), `HEAD ${path}`);
    t.equal(head.headers.get('x-content-type-options'), 'nosniff', `HEAD ${path}`);
    t.equal(await head.text(), '', `HEAD ${path}`);
  }
});

t.test('serves the new JWKS, with its own length, once the keys rotate', async (t) => {
  const bridge = await startBridge(t);
  const before = await (await fetch(`${bridge.issuer}/jwks`)).text();
  await bridge.keys.rotate();
  const response = await fetch(`${bridge.issuer}/jwks`);
  const after = await response.text();
  t.equal(after, bridge.keys.jwksJson);
  t.not(after, before);
  t.equal(response.headers.get('content-length'), String(Buffer.byteLength(after)));
  t.equal((JSON.parse(after) as { keys: unknown[] }).keys.length, (JSON.parse(before) as { keys: unknown[] }).keys.length + 2, 'a new RS256 and ES256 key beside the old ones');
});

t.test('honours a path in PUBLIC_URL, at that path and at the root', async (t) => {
  const bridge = await startBridge(t, { issuerPath: '/kakao' });
  const atPath = (await (await fetch(`${bridge.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  t.equal(atPath.issuer, bridge.issuer);
  t.equal(atPath.token_endpoint, `${bridge.issuer}/token`);
  const root = new URL(bridge.issuer).origin;
  t.equal((await fetch(`${root}/.well-known/openid-configuration`)).status, 200);
});

t.test('signs id_tokens with ES256 when SIGNING_ALG says so', async (t) => {
  const bridge = await startBridge(t, { env: { SIGNING_ALG: 'ES256' } });
  const metadata = (await (await fetch(`${bridge.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  t.same(metadata.id_token_signing_alg_values_supported, ['ES256']);
});

t.test('answers an unknown path with a 404 JSON error', async (t) => {
  const bridge = await startBridge(t);
  const response = await fetch(`${bridge.issuer}/nope`);
  t.equal(response.status, 404);
  t.same(await response.json(), { error: 'not_found', error_description: 'no such endpoint' });
});

t.test('answers /healthz and /readyz while the store answers', async (t) => {
  const bridge = await startBridge(t);
  const health = await fetch(`${bridge.issuer}/healthz`);
  t.equal(health.status, 200);
  t.same(await health.json(), { status: 'ok' });
  const ready = await fetch(`${bridge.issuer}/readyz`);
  t.equal(ready.status, 200);
  t.same(await ready.json(), { status: 'ready' });
});
