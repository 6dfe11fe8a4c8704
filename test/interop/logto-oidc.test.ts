/**
 * Logto's generic OIDC connector (@logto/connector-oidc), called exactly as Logto calls it
 * (see /work/shared/logto-connectors.md), against a running bridge.
 */
import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectorSession, SocialConnector, SocialUserInfo } from '@logto/connector-kit';
import createOidcConnector from '@logto/connector-oidc';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { Browser } from '../helpers/browser.js';
import { confidential, startBridge } from '../helpers/bridge.js';
import { formOf, recordFetch } from '../helpers/record-fetch.js';

const bridge = await startBridge(t);

t.beforeEach(() => {
  bridge.kakao.faults.clear();
  bridge.kakao.user = { ...defaultFakeUser };
});

/** The connector config an admin pastes into Logto's console (no discovery: every URL by hand). */
function adminConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    authorizationEndpoint: `${bridge.issuer}/authorize`,
    tokenEndpoint: `${bridge.issuer}/token`,
    clientId: confidential.clientId,
    clientSecret: confidential.clientSecret,
    scope: 'openid profile email',
    idTokenVerificationConfig: { jwksUri: `${bridge.issuer}/jwks` },
    ...overrides,
  };
}

/** Logto keeps the connector session per sign-in attempt; the connector only sees these two functions. */
function connectorSession(): { set: (value: ConnectorSession) => Promise<void>; get: () => Promise<ConnectorSession> } {
  let stored: ConnectorSession = {};
  return {
    set: (value) => {
      stored = value;
      return Promise.resolve();
    },
    get: () => Promise.resolve(stored),
  };
}

interface Attempt {
  connector: SocialConnector;
  session: ReturnType<typeof connectorSession>;
  state: string;
  authorizationUri: URL;
  /** Where the bridge sent the browser back to Logto. */
  callback: URL;
}

/** Logto's side up to the callback: build the authorization URI, then the browser goes through the bridge and Kakao. */
async function startSignIn(config: Record<string, unknown>): Promise<Attempt> {
  const connector = await createOidcConnector({ getConfig: () => Promise.resolve(config) });
  const session = connectorSession();
  const state = randomUUID();
  const uri = await connector.getAuthorizationUri(
    { state, redirectUri: confidential.redirectUri, connectorId: 'kakao-bridge', connectorFactoryId: 'oidc', jti: randomUUID(), headers: { userAgent: 'tap' } },
    session.set,
  );
  const callback = await new Browser().follow(uri, confidential.redirectUri);
  return { connector, session, state, authorizationUri: new URL(uri), callback };
}

/** Logto checks `state` itself, then hands every callback query parameter to the connector. */
async function finishSignIn(attempt: Attempt): Promise<SocialUserInfo> {
  if (attempt.callback.searchParams.get('state') !== attempt.state) throw new Error(`state mismatch: ${attempt.callback.href}`);
  try {
    return await attempt.connector.getUserInfo(Object.fromEntries(attempt.callback.searchParams), attempt.session.get);
  } catch (error) {
    // The connector loses the provider's error body; the bridge's log says why.
    throw new Error(`getUserInfo failed: ${String(error)}\n${bridge.logs.slice(-5).join('\n')}`, { cause: error });
  }
}

async function signInWithLogto(config: Record<string, unknown>): Promise<SocialUserInfo> {
  return finishSignIn(await startSignIn(config));
}

function rawClaims(user: SocialUserInfo): Record<string, unknown> {
  if (user.rawData === undefined || user.rawData === null || typeof user.rawData !== 'object' || Array.isArray(user.rawData)) {
    throw new Error('rawData is not the id_token payload');
  }
  return user.rawData;
}

t.test('signs in with the config an admin pastes (client_secret_post, jwksUri only)', async (t) => {
  const tokenCalls = recordFetch(t, `${bridge.issuer}/token`);
  const attempt = await startSignIn(adminConfig());
  const sent = attempt.authorizationUri.searchParams;
  t.equal(sent.get('response_type'), 'code');
  t.equal(sent.get('scope'), 'openid profile email');
  t.match(sent.get('nonce'), /^[\w-]{21}$/, 'Logto sends a nonce');
  t.equal(sent.get('code_challenge'), null, 'and no PKCE');
  t.match(attempt.callback.searchParams.get('code'), /\S/);
  t.equal(attempt.callback.searchParams.get('iss'), bridge.issuer);

  const user = await finishSignIn(attempt);
  t.equal(user.id, defaultFakeUser.id, 'id = the Kakao id as a string');
  t.equal(user.name, defaultFakeUser.nickname);
  t.equal(user.avatar, defaultFakeUser.profileImageUrl);
  t.equal(user.email, defaultFakeUser.email, 'verified email');
  t.equal(user.phone, undefined);
  const claims = rawClaims(user);
  t.equal(claims.iss, bridge.issuer);
  t.equal(claims.aud, confidential.clientId);
  t.equal(claims.nonce, (await attempt.session.get()).nonce, 'the nonce Logto stored comes back');
  t.equal(claims.email_verified, true);
  const form = formOf(tokenCalls[0]);
  t.equal(tokenCalls.length, 1);
  t.match(form, { grant_type: 'authorization_code', redirect_uri: confidential.redirectUri, client_id: confidential.clientId, client_secret: confidential.clientSecret });
  t.equal(tokenCalls[0]?.headers.get('authorization'), null);
});

t.test('signs in with the issuer checked too', async (t) => {
  const user = await signInWithLogto(adminConfig({ idTokenVerificationConfig: { jwksUri: `${bridge.issuer}/jwks`, issuer: bridge.issuer } }));
  t.equal(user.id, defaultFakeUser.id);
  t.equal(user.email, defaultFakeUser.email);
});

t.test('the issuer check is live: a different configured issuer is refused', async (t) => {
  const config = adminConfig({ idTokenVerificationConfig: { jwksUri: `${bridge.issuer}/jwks`, issuer: `${bridge.issuer}/elsewhere` } });
  await t.rejects(signInWithLogto(config), /unexpected "iss" claim value/);
});

t.test('signs in with client_secret_basic', async (t) => {
  const tokenCalls = recordFetch(t, `${bridge.issuer}/token`);
  const user = await signInWithLogto(adminConfig({ tokenEndpointAuthMethod: 'client_secret_basic' }));
  t.equal(user.id, defaultFakeUser.id);
  t.equal(user.name, defaultFakeUser.nickname);
  t.equal(user.email, defaultFakeUser.email);
  const basic = Buffer.from(`${confidential.clientId}:${confidential.clientSecret}`).toString('base64');
  t.equal(tokenCalls[0]?.headers.get('authorization'), `Basic ${basic}`);
  t.notOk('client_secret' in formOf(tokenCalls[0]));
});

for (const alg of ['HS256', 'HS512']) {
  t.test(`signs in with client_secret_jwt (${alg})`, async (t) => {
    const tokenCalls = recordFetch(t, `${bridge.issuer}/token`);
    const user = await signInWithLogto(adminConfig({ tokenEndpointAuthMethod: 'client_secret_jwt', clientSecretJwtSigningAlgorithm: alg }));
    t.equal(user.id, defaultFakeUser.id);
    t.equal(user.avatar, defaultFakeUser.profileImageUrl);
    t.equal(user.email, defaultFakeUser.email);
    const form = formOf(tokenCalls[0]);
    t.equal(form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    t.equal(decodeProtectedHeader(form.client_assertion ?? '').alg, alg);
    t.match(decodeJwt(form.client_assertion ?? ''), { iss: confidential.clientId, sub: confidential.clientId, aud: `${bridge.issuer}/token` });
    t.notOk('client_secret' in form);
  });
}

t.test('accepts the extra parameters an admin adds (customConfig on both requests, authRequestOptionalConfig)', async (t) => {
  const tokenCalls = recordFetch(t, `${bridge.issuer}/token`);
  const before = bridge.kakao.requests.length;
  const attempt = await startSignIn(adminConfig({ customConfig: { tenantHint: 'kakao' }, authRequestOptionalConfig: { prompt: 'login', uiLocales: 'ko' } }));
  t.equal(attempt.authorizationUri.searchParams.get('tenant_hint'), 'kakao');
  t.equal(attempt.authorizationUri.searchParams.get('ui_locales'), 'ko');
  const atKakao = bridge.kakao.requests.slice(before).find((request) => request.path === '/oauth/authorize');
  t.equal(atKakao?.query.prompt, 'login', 'prompt=login reaches Kakao');
  const user = await finishSignIn(attempt);
  t.equal(user.id, defaultFakeUser.id);
  t.equal(formOf(tokenCalls[0]).tenant_hint, 'kakao', 'customConfig is sent to the token endpoint too');
});

t.test('signs in a user who did not consent to email, without an email', async (t) => {
  bridge.kakao.user = { ...defaultFakeUser, email: undefined };
  const user = await signInWithLogto(adminConfig());
  t.equal(user.id, defaultFakeUser.id);
  t.equal(user.name, defaultFakeUser.nickname);
  t.equal(user.avatar, defaultFakeUser.profileImageUrl);
  t.equal(user.email, undefined);
  t.notOk('email' in rawClaims(user), 'no email claim at all');
});

t.test('drops an email Kakao has not verified (Logto requires email_verified === true)', async (t) => {
  bridge.kakao.user = { ...defaultFakeUser, isEmailVerified: false };
  const user = await signInWithLogto(adminConfig());
  t.equal(user.id, defaultFakeUser.id);
  t.equal(user.email, undefined);
  t.equal(rawClaims(user).email_verified, false, 'a JSON boolean, as the connector requires');
});

t.test('keeps every digit of a Kakao id above 2^53', async (t) => {
  for (const id of ['9007199254740993', '9223372036854775807']) {
    bridge.kakao.user = { ...defaultFakeUser, id };
    const user = await signInWithLogto(adminConfig());
    t.equal(user.id, id, id);
  }
});

/** Runs `fn` with the bridge's clock (Date.now) `ms` ahead; jose in the connector reads `new Date()`, which stays real. */
async function withBridgeClockAhead<T>(t: Test, ms: number, fn: () => Promise<T>): Promise<T> {
  const real = Date.now.bind(Date);
  const captured = t.capture(Date, 'now', () => real() + ms);
  try {
    return await fn();
  } finally {
    captured.restore();
  }
}

t.test('signs in when Logto’s clock runs 5 s behind the bridge (the id_token has no nbf)', async (t) => {
  const attempt = await startSignIn(adminConfig({ idTokenVerificationConfig: { jwksUri: `${bridge.issuer}/jwks`, issuer: bridge.issuer } }));
  const user = await withBridgeClockAhead(t, 5000, () => finishSignIn(attempt));
  t.equal(user.id, defaultFakeUser.id);
  const claims = rawClaims(user);
  const logtoNow = Math.floor(new Date().getTime() / 1000);
  t.ok(Number(claims.iat) >= logtoNow + 4, `iat ${String(claims.iat)} is ahead of Logto's clock ${logtoNow}: the skew was real`);
  t.equal(claims.nbf, undefined, 'no nbf');
});

/**
 * A minimal provider on loopback that answers the connector's token request with an id_token
 * carrying the given claims, signed by a key its JWKS publishes.
 */
async function providerIssuing(t: Test, claims: JWTPayload): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const idToken = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
  const server = createServer((req, res) => {
    const body = req.url === '/jwks' ? { keys: [jwk] } : { access_token: 'at', token_type: 'Bearer', expires_in: 600, id_token: idToken };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('the connector would refuse a token whose nbf is 5 s ahead of its clock (why the bridge sends none)', async (t) => {
  const issuedAt = Math.floor(Date.now() / 1000) + 5;
  const claims = { iss: 'http://provider.test', sub: defaultFakeUser.id, aud: confidential.clientId, iat: issuedAt, exp: issuedAt + 600 };
  const loginWith = async (provider: string): Promise<SocialUserInfo> => {
    const connector = await createOidcConnector({
      getConfig: () =>
        Promise.resolve(adminConfig({ tokenEndpoint: `${provider}/token`, idTokenVerificationConfig: { jwksUri: `${provider}/jwks` } })),
    });
    return connector.getUserInfo({ code: 'c' }, () => Promise.resolve({ redirectUri: confidential.redirectUri }));
  };
  const withoutNbf = await loginWith(await providerIssuing(t, claims));
  t.equal(withoutNbf.id, defaultFakeUser.id, 'the same token without nbf is accepted');
  await t.rejects(loginWith(await providerIssuing(t, { ...claims, nbf: issuedAt })), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'nbf' });
});

t.test('a user who cancels at Kakao comes back to Logto with access_denied and no code', async (t) => {
  bridge.kakao.faults.add('cancel');
  const attempt = await startSignIn(adminConfig());
  const params = attempt.callback.searchParams;
  t.equal(attempt.callback.origin + attempt.callback.pathname, confidential.redirectUri);
  t.equal(params.get('error'), 'access_denied');
  t.equal(params.get('code'), null);
  t.equal(params.get('state'), attempt.state);
  t.equal(params.get('iss'), bridge.issuer);
});
