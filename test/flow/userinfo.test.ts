import t from 'tap';
import { generateKeyPair, SignJWT, createLocalJWKSet, decodeJwt, jwtVerify, type JWK } from 'jose';
import { cookieSecretFor } from '../../src/bootstrap.js';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { SealedAccessTokens } from '../../src/oidc/access-tokens.js';
import { confidential, jwtUserinfoClient, startBridge } from '../helpers/bridge.js';
import { getUserinfo, loginForTokens, redeemCode, signIn } from '../helpers/flow.js';

const bridge = await startBridge(t);
const jwks = async () => createLocalJWKSet((await (await fetch(`${bridge.issuer}/jwks`)).json()) as { keys: JWK[] });

function challenge(response: Response): string {
  return response.headers.get('www-authenticate') ?? '';
}

t.test('returns the same claims as the id_token, as JSON, never cached', async (t) => {
  const tokens = await loginForTokens(bridge);
  const response = await getUserinfo(bridge, tokens.access_token);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^application\/json/);
  t.equal(response.headers.get('cache-control'), 'no-store');
  const userinfo = (await response.json()) as Record<string, unknown>;
  const idToken = decodeJwt(tokens.id_token ?? '');
  for (const claim of ['sub', 'name', 'nickname', 'picture', 'email', 'email_verified']) {
    t.same(userinfo[claim], idToken[claim], claim);
  }
  t.equal(userinfo.sub, defaultFakeUser.id);
});

t.test('accepts the token in a POST form body', async (t) => {
  const tokens = await loginForTokens(bridge);
  const response = await fetch(`${bridge.issuer}/userinfo`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ access_token: tokens.access_token }),
  });
  t.equal(response.status, 200);
});

t.test('refuses a token sent in both the header and the body', async (t) => {
  const tokens = await loginForTokens(bridge);
  const response = await fetch(`${bridge.issuer}/userinfo`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${tokens.access_token}` },
    body: new URLSearchParams({ access_token: tokens.access_token }),
  });
  t.equal(response.status, 400);
});

t.test('answers a missing token with 401 and a Bearer invalid_token challenge', async (t) => {
  const response = await fetch(`${bridge.issuer}/userinfo`);
  t.equal(response.status, 401);
  t.match(challenge(response), /^Bearer realm="[^"]+", error="invalid_token"/);
});

t.test('answers an unknown token with 401 invalid_token', async (t) => {
  const response = await getUserinfo(bridge, 'not-a-token');
  t.equal(response.status, 401);
  t.match(challenge(response), /error="invalid_token"/);
});

t.test('answers an expired token with 401 invalid_token', async (t) => {
  const tokens = await loginForTokens(bridge);
  bridge.advanceClock(tokens.expires_in + 1);
  t.teardown(() => bridge.advanceClock(-(tokens.expires_in + 1)));
  const response = await getUserinfo(bridge, tokens.access_token);
  t.equal(response.status, 401);
  t.match(challenge(response), /error="invalid_token"/);
});

t.test('answers forged tokens (alg none, HS256, a foreign key) with 401 invalid_token', async (t) => {
  const claims = { iss: bridge.issuer, sub: defaultFakeUser.id, aud: confidential.clientId, exp: Math.floor(Date.now() / 1000) + 600 };
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const none = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(confidential.clientSecret));
  const { privateKey } = await generateKeyPair('RS256');
  const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'foreign' }).sign(privateKey);
  for (const [name, token] of Object.entries({ none, hs256, foreign })) {
    const response = await getUserinfo(bridge, token);
    t.equal(response.status, 401, name);
    t.match(challenge(response), /error="invalid_token"/, name);
  }
});

t.test('answers a revoked token (its code was replayed) with 401', async (t) => {
  const code = (await signIn(bridge)).searchParams.get('code') ?? '';
  const tokens = (await (await redeemCode(bridge, code)).json()) as { access_token: string };
  await redeemCode(bridge, code);
  t.equal((await getUserinfo(bridge, tokens.access_token)).status, 401);
});

t.test('answers Accept: application/jwt with a signed JWT for the client', async (t) => {
  const tokens = await loginForTokens(bridge);
  const response = await getUserinfo(bridge, tokens.access_token, { accept: 'application/jwt' });
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^application\/jwt/);
  const { payload } = await jwtVerify(await response.text(), await jwks(), { issuer: bridge.issuer, audience: confidential.clientId });
  t.equal(payload.sub, defaultFakeUser.id);
  t.equal(payload.email, defaultFakeUser.email);
});

t.test('signs userinfo for a client registered with userinfo_signed_response_alg, with that alg', async (t) => {
  const callback = await signIn(bridge, { clientId: jwtUserinfoClient.clientId, redirectUri: jwtUserinfoClient.redirectUri });
  const response = await redeemCode(bridge, callback.searchParams.get('code') ?? '', {
    client_id: jwtUserinfoClient.clientId,
    client_secret: jwtUserinfoClient.clientSecret,
    redirect_uri: jwtUserinfoClient.redirectUri,
  });
  const tokens = (await response.json()) as { access_token: string };
  const userinfo = await getUserinfo(bridge, tokens.access_token);
  t.match(userinfo.headers.get('content-type'), /^application\/jwt/);
  const { payload, protectedHeader } = await jwtVerify(await userinfo.text(), await jwks(), { issuer: bridge.issuer, audience: jwtUserinfoClient.clientId });
  t.equal(protectedHeader.alg, 'ES256');
  t.equal(payload.sub, defaultFakeUser.id);
});

t.test('gives only sub for a token whose scope asked for no claims', async (t) => {
  const tokens = await loginForTokens(bridge, { scope: 'openid' });
  t.same(await (await getUserinfo(bridge, tokens.access_token)).json(), { sub: defaultFakeUser.id });
});

t.test('serves a plain OAuth 2.0 client (no openid) for Logto\'s generic OAuth connector', async (t) => {
  const tokens = await loginForTokens(bridge, { scope: 'profile' });
  const userinfo = (await (await getUserinfo(bridge, tokens.access_token)).json()) as Record<string, unknown>;
  t.equal(userinfo.sub, defaultFakeUser.id);
  t.equal(userinfo.name, defaultFakeUser.nickname);
  t.equal(userinfo.email, undefined);
});

t.test('answers JSON to a client that lists application/jwt no higher than JSON', async (t) => {
  const tokens = await loginForTokens(bridge);
  for (const accept of ['application/json, application/jwt', 'application/jwt;q=0.5, application/json', '*/*, application/jwt;q=0.9']) {
    const response = await getUserinfo(bridge, tokens.access_token, { accept });
    t.match(response.headers.get('content-type'), /^application\/json/, accept);
  }
  const preferred = await getUserinfo(bridge, tokens.access_token, { accept: 'application/jwt, application/json;q=0.5' });
  t.match(preferred.headers.get('content-type'), /^application\/jwt/);
});

t.test('answers a token sealed in the earlier format (one JSON record, no /userinfo answer) as unknown: 401, not a failure', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const record = { clientId: confidential.clientId, subject: defaultFakeUser.id, scopes: ['openid', 'profile'], claims: { name: 'Kim' }, expiresAt: now + 600, grant: 'g' };
  const sealer = new SealedAccessTokens(await cookieSecretFor(bridge.config));
  const current = sealer.seal(`${JSON.stringify({ clientId: record.clientId, expiresAt: record.expiresAt, grant: 'g' })}\n{"sub":"${defaultFakeUser.id}"}`, now);
  t.same(await (await getUserinfo(bridge, current)).json(), { sub: defaultFakeUser.id }, 'the same secret, the current format: served');
  const response = await getUserinfo(bridge, sealer.seal(JSON.stringify(record), now));
  t.equal(response.status, 401);
  t.match(challenge(response), /invalid_token/);
});
