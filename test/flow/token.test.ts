import t from 'tap';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { StoreUnavailable } from '../../src/store/store.js';
import { confidential, publicClient, startBridge } from '../helpers/bridge.js';
import { getUserinfo, pkcePair, postToken, redeemCode, signIn } from '../helpers/flow.js';

const bridge = await startBridge(t);

async function freshCode(input: Parameters<typeof signIn>[1] = {}): Promise<string> {
  const code = (await signIn(bridge, input)).searchParams.get('code');
  if (code === null) throw new Error('no code');
  return code;
}

async function oauthError(response: Response): Promise<string> {
  const body = (await response.json()) as { error: string; error_description?: string };
  return body.error;
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

function clientAssertion(overrides: Record<string, unknown> = {}, secret = confidential.clientSecret): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: confidential.clientId, sub: confidential.clientId, aud: `${bridge.issuer}/token`, jti: randomUUID(), iat: now, exp: now + 300, ...overrides })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

function assertionForm(code: string, assertion: string): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: confidential.redirectUri,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  };
}

t.test('issues tokens for a code with client_secret_post, never cached', async (t) => {
  const response = await redeemCode(bridge, await freshCode());
  t.equal(response.status, 200);
  t.equal(response.headers.get('cache-control'), 'no-store');
  t.equal(response.headers.get('pragma'), 'no-cache');
  const body = (await response.json()) as Record<string, unknown>;
  t.match(body, { token_type: 'Bearer', scope: 'openid profile email' });
  t.type(body.access_token, 'string');
  t.type(body.id_token, 'string');
  t.type(body.expires_in, 'number');
});

t.test('signs an id_token the JWKS verifies, with the kid, profile claims, nonce and no nbf', async (t) => {
  const body = (await (await redeemCode(bridge, await freshCode({ nonce: 'n-0S6_WzA2Mj' }))).json()) as { id_token: string; access_token: string };
  const jwks = createLocalJWKSet((await (await fetch(`${bridge.issuer}/jwks`)).json()) as { keys: [] });
  const { payload, protectedHeader } = await jwtVerify(body.id_token, jwks, { issuer: bridge.issuer, audience: confidential.clientId });
  t.equal(protectedHeader.alg, 'RS256');
  t.ok(protectedHeader.kid);
  t.equal(payload.sub, defaultFakeUser.id);
  t.equal(payload.nonce, 'n-0S6_WzA2Mj');
  t.equal(payload.name, defaultFakeUser.nickname);
  t.equal(payload.nickname, defaultFakeUser.nickname);
  t.equal(payload.picture, defaultFakeUser.profileImageUrl);
  t.equal(payload.email, defaultFakeUser.email);
  t.equal(payload.email_verified, true);
  t.equal(payload.nbf, undefined, 'no nbf');
  t.type(payload.auth_time, 'number');
  t.ok((payload.exp ?? 0) > (payload.iat ?? 0));
  const digest = createHash('sha256').update(body.access_token).digest();
  t.equal(payload.at_hash, digest.subarray(0, 16).toString('base64url'));
});

t.test('accepts client_secret_basic', async (t) => {
  const response = await postToken(
    bridge,
    { grant_type: 'authorization_code', code: await freshCode(), redirect_uri: confidential.redirectUri },
    { authorization: basic(confidential.clientId, confidential.clientSecret) },
  );
  t.equal(response.status, 200);
});

t.test('accepts client_secret_jwt (HS256, aud = token endpoint)', async (t) => {
  const response = await postToken(bridge, assertionForm(await freshCode(), await clientAssertion()));
  t.equal(response.status, 200);
});

t.test('refuses a client_secret_jwt assertion with a wrong audience', async (t) => {
  const response = await postToken(bridge, assertionForm(await freshCode(), await clientAssertion({ aud: 'https://elsewhere.example/token' })));
  t.equal(response.status, 401);
  t.equal(await oauthError(response), 'invalid_client');
});

t.test('refuses a reused client_secret_jwt assertion (jti)', async (t) => {
  const assertion = await clientAssertion();
  t.equal((await postToken(bridge, assertionForm(await freshCode(), assertion))).status, 200);
  const replay = await postToken(bridge, assertionForm(await freshCode(), assertion));
  t.equal(replay.status, 401);
  t.equal(await oauthError(replay), 'invalid_client');
});

t.test('refuses an expired client_secret_jwt assertion', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const response = await postToken(bridge, assertionForm(await freshCode(), await clientAssertion({ iat: now - 900, exp: now - 600 })));
  t.equal(await oauthError(response), 'invalid_client');
});

t.test('refuses a client_secret_jwt assertion signed with another secret', async (t) => {
  const response = await postToken(bridge, assertionForm(await freshCode(), await clientAssertion({}, 'not-the-secret-not-the-secret-00')));
  t.equal(await oauthError(response), 'invalid_client');
});

t.test('answers a wrong client secret with 401 invalid_client and a challenge', async (t) => {
  const response = await redeemCode(bridge, await freshCode(), { client_secret: 'wrong' });
  t.equal(response.status, 401);
  t.match(response.headers.get('www-authenticate'), /^Basic realm=/);
  t.equal(await oauthError(response), 'invalid_client');
});

t.test('answers an unknown client with 401 invalid_client', async (t) => {
  const response = await redeemCode(bridge, 'whatever', { client_id: 'nobody' });
  t.equal(response.status, 401);
});

t.test('refuses two client authentication methods at once', async (t) => {
  const response = await postToken(
    bridge,
    { grant_type: 'authorization_code', code: 'x', redirect_uri: confidential.redirectUri, client_id: confidential.clientId, client_secret: confidential.clientSecret },
    { authorization: basic(confidential.clientId, confidential.clientSecret) },
  );
  t.equal(response.status, 400);
  t.equal(await oauthError(response), 'invalid_request');
});

t.test('refuses a confidential client that sends no secret', async (t) => {
  const response = await postToken(bridge, { grant_type: 'authorization_code', code: 'x', redirect_uri: confidential.redirectUri, client_id: confidential.clientId });
  t.equal(response.status, 401);
});

t.test('requires grant_type, and supports only authorization_code', async (t) => {
  const missing = await redeemCode(bridge, 'x', { grant_type: '' });
  t.equal(await oauthError(missing), 'invalid_request');
  const refresh = await redeemCode(bridge, 'x', { grant_type: 'refresh_token' });
  t.equal(await oauthError(refresh), 'unsupported_grant_type');
});

t.test('refuses a replayed code and revokes the access token it bought', async (t) => {
  const code = await freshCode();
  const first = (await (await redeemCode(bridge, code)).json()) as { access_token: string };
  t.equal((await getUserinfo(bridge, first.access_token)).status, 200);
  const replay = await redeemCode(bridge, code);
  t.equal(replay.status, 400);
  t.equal(await oauthError(replay), 'invalid_grant');
  t.equal((await getUserinfo(bridge, first.access_token)).status, 401, 'revoked');
});

t.test('refuses an expired code', async (t) => {
  const code = await freshCode();
  bridge.advanceClock(61);
  t.teardown(() => bridge.advanceClock(-61));
  t.equal(await oauthError(await redeemCode(bridge, code)), 'invalid_grant');
});

t.test('refuses a code with a different redirect_uri, and requires redirect_uri', async (t) => {
  t.equal(await oauthError(await redeemCode(bridge, await freshCode(), { redirect_uri: 'http://127.0.0.1:9/other' })), 'invalid_grant');
  t.equal(await oauthError(await redeemCode(bridge, await freshCode(), { redirect_uri: '' })), 'invalid_request');
});

t.test('refuses a code issued to another client', async (t) => {
  const { verifier, challenge } = pkcePair();
  const code = await freshCode({ clientId: publicClient.clientId, redirectUri: publicClient.redirectUri, codeChallenge: challenge });
  const response = await redeemCode(bridge, code, { redirect_uri: publicClient.redirectUri, code_verifier: verifier });
  t.equal(await oauthError(response), 'invalid_grant');
});

t.test('redeems a public client code with the right PKCE verifier and no secret', async (t) => {
  const { verifier, challenge } = pkcePair();
  const code = await freshCode({ clientId: publicClient.clientId, redirectUri: publicClient.redirectUri, codeChallenge: challenge });
  const response = await postToken(bridge, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: publicClient.redirectUri,
    client_id: publicClient.clientId,
    code_verifier: verifier,
  });
  t.equal(response.status, 200);
});

t.test('refuses a wrong or missing PKCE verifier with invalid_grant', async (t) => {
  const { challenge } = pkcePair();
  const wrong = await freshCode({ codeChallenge: challenge });
  t.equal(await oauthError(await redeemCode(bridge, wrong, { code_verifier: pkcePair().verifier })), 'invalid_grant');
  const missing = await freshCode({ codeChallenge: challenge });
  t.equal(await oauthError(await redeemCode(bridge, missing)), 'invalid_grant');
});

t.test('refuses a code_verifier for a code that had no code_challenge (PKCE downgrade)', async (t) => {
  t.equal(await oauthError(await redeemCode(bridge, await freshCode(), { code_verifier: pkcePair().verifier })), 'invalid_grant');
});

t.test('issues no id_token when the scope has no openid (plain OAuth 2.0)', async (t) => {
  const body = (await (await redeemCode(bridge, await freshCode({ scope: 'profile email' }))).json()) as Record<string, unknown>;
  t.equal(body.id_token, undefined);
  t.equal(body.scope, 'profile email');
  t.type(body.access_token, 'string');
});

t.test('puts only the claims of the granted scopes in the id_token', async (t) => {
  const body = (await (await redeemCode(bridge, await freshCode({ scope: 'openid email unknown-scope' }))).json()) as { id_token: string; scope: string };
  const claims = decodeJwt(body.id_token);
  t.equal(body.scope, 'openid email');
  t.equal(claims.email, defaultFakeUser.email);
  t.equal(claims.name, undefined);
  t.equal(claims.picture, undefined);
});

t.test('refuses a JSON body: the token endpoint takes forms', async (t) => {
  const response = await fetch(`${bridge.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'authorization_code' }),
  });
  t.equal(response.status, 415);
  t.equal(await oauthError(response), 'invalid_request');
});

t.test('refuses a repeated parameter', async (t) => {
  const response = await fetch(`${bridge.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=authorization_code&code=a&code=b',
  });
  t.equal(response.status, 400);
  t.equal(await oauthError(response), 'invalid_request');
});

t.test('refuses an oversized body', async (t) => {
  const response = await fetch(`${bridge.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=authorization_code&code=${'a'.repeat(100_000)}`,
  });
  t.equal(response.status, 413);
});

t.test('uses the configured key id in the JWT header', async (t) => {
  const body = (await (await redeemCode(bridge, await freshCode())).json()) as { id_token: string };
  const jwks = (await (await fetch(`${bridge.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  t.ok(jwks.keys.some((key) => key.kid === decodeProtectedHeader(body.id_token).kid));
});

t.test('once its code is redeemed, a login leaves nothing in the store', async (t) => {
  const before = bridge.store.size;
  const code = await freshCode();
  t.equal(bridge.store.size, before + 1, 'between callback and /token: the code, which a repeated callback also finds');
  const response = await redeemCode(bridge, code);
  t.equal(response.status, 200);
  t.equal(bridge.store.size, before, 'the access token carries its record; the code is gone');
});

t.test('a store that fails to record a replayed code\'s revocation: 503 temporarily_unavailable', async (t) => {
  const code = await freshCode();
  const tokens = (await (await redeemCode(bridge, code)).json()) as { access_token: string };
  const put = bridge.store.put.bind(bridge.store);
  bridge.store.put = (key, value, ttl, options) => (key.startsWith('revoked:') ? Promise.reject(new StoreUnavailable('put')) : put(key, value, ttl, options));
  t.teardown(() => {
    bridge.store.put = put;
  });
  const replay = await redeemCode(bridge, code);
  t.equal(replay.status, 503);
  t.equal(await oauthError(replay), 'temporarily_unavailable');
  bridge.store.put = put;
  t.equal(await oauthError(await redeemCode(bridge, code)), 'invalid_grant', 'presented again once the store is back: refused');
  t.equal((await getUserinfo(bridge, tokens.access_token)).status, 401, 'and the token it bought is revoked');
});
