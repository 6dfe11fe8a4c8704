/**
 * openid-client v6 (panva) as a relying party: discovery, authorization code flow with PKCE,
 * nonce and state, the token and userinfo calls, each client authentication method it offers
 * that the bridge supports.
 */
import t from 'tap';
import * as client from 'openid-client';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { Browser } from '../helpers/browser.js';
import { confidential, jwtUserinfoClient, publicClient, startBridge, type TestBridge } from '../helpers/bridge.js';
import { formOf, recordFetch } from '../helpers/record-fetch.js';

const bridge = await startBridge(t);

t.beforeEach(() => {
  bridge.kakao.faults.clear();
  bridge.kakao.user = { ...defaultFakeUser };
});

/** http issuers are refused unless the relying party opts in. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only to flag it as for non-TLS testing, which this is
const insecure = { execute: [client.allowInsecureRequests] };

function discover(
  target: TestBridge,
  clientId: string,
  metadata?: Partial<client.ClientMetadata> | string,
  auth?: client.ClientAuth,
): Promise<client.Configuration> {
  return client.discovery(new URL(target.issuer), clientId, metadata, auth, insecure);
}

interface Checks {
  state: string;
  nonce: string;
  verifier: string;
}

/** The browser leg: the relying party builds the authorization URL, the browser follows it back. */
async function authorize(config: client.Configuration, redirectUri: string, extra: Record<string, string> = {}): Promise<{ callback: URL; checks: Checks }> {
  const checks = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier() };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    state: checks.state,
    nonce: checks.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { callback: await new Browser().follow(url.href, redirectUri), checks };
}

async function codeGrant(config: client.Configuration, redirectUri: string) {
  const { callback, checks } = await authorize(config, redirectUri);
  return client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: checks.verifier,
    expectedState: checks.state,
    expectedNonce: checks.nonce,
    idTokenExpected: true,
  });
}

t.test('discovers the bridge over http with allowInsecureRequests', async (t) => {
  await t.rejects(client.discovery(new URL(bridge.issuer), confidential.clientId, confidential.clientSecret), { code: 'OAUTH_HTTP_REQUEST_FORBIDDEN' });
  const config = await discover(bridge, confidential.clientId, confidential.clientSecret);
  const server = config.serverMetadata();
  t.equal(server.issuer, bridge.issuer);
  t.equal(server.token_endpoint, `${bridge.issuer}/token`);
  t.equal(server.userinfo_endpoint, `${bridge.issuer}/userinfo`);
  t.ok(server.supportsPKCE(), 'S256 advertised');
  t.equal(server.authorization_response_iss_parameter_supported, true);
});

t.test('runs the code flow with PKCE, nonce and state (client_secret_post), then userinfo', async (t) => {
  const calls = recordFetch(t, `${bridge.issuer}/token`);
  const userinfoCalls = recordFetch(t, `${bridge.issuer}/userinfo`);
  const config = await discover(bridge, confidential.clientId, confidential.clientSecret);
  const tokens = await codeGrant(config, confidential.redirectUri);
  t.equal(tokens.token_type, 'bearer', 'openid-client lower-cases token_type');
  t.type(tokens.access_token, 'string');
  t.ok((tokens.expiresIn() ?? 0) > 0);
  t.equal(tokens.scope, 'openid profile email');

  const form = formOf(calls[0]);
  t.equal(form.client_secret, confidential.clientSecret, 'openid-client defaults to client_secret_post when given a secret');
  t.match(form.code_verifier, /^[\w-]{43}$/);

  const claims = tokens.claims();
  t.match(claims, {
    iss: bridge.issuer,
    sub: defaultFakeUser.id,
    aud: confidential.clientId,
    name: defaultFakeUser.nickname,
    picture: defaultFakeUser.profileImageUrl,
    email: defaultFakeUser.email,
    email_verified: true,
  });
  t.equal(claims?.nbf, undefined);

  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims?.sub ?? '');
  t.match(userinfo, {
    sub: defaultFakeUser.id,
    name: defaultFakeUser.nickname,
    picture: defaultFakeUser.profileImageUrl,
    email: defaultFakeUser.email,
    email_verified: true,
  });
  t.equal(userinfoCalls[0]?.headers.get('accept'), 'application/json, application/jwt');
});

t.test(
  'answers userinfo as JSON to a client that registered no signing alg, though its Accept also lists application/jwt',
  async (t) => {
    const userinfoCalls = recordFetch(t, `${bridge.issuer}/userinfo`);
    const config = await discover(bridge, confidential.clientId, confidential.clientSecret);
    const tokens = await codeGrant(config, confidential.redirectUri);
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, defaultFakeUser.id);
    t.equal(userinfo.sub, defaultFakeUser.id, 'openid-client reads it either way');
    t.equal(userinfoCalls[0]?.headers.get('accept'), 'application/json, application/jwt');
    t.match(userinfoCalls[0]?.responseHeaders.get('content-type'), /^application\/json/);
  },
);

t.test('refuses a userinfo response for another subject (expectedSubject is checked)', async (t) => {
  const config = await discover(bridge, confidential.clientId, confidential.clientSecret);
  const tokens = await codeGrant(config, confidential.redirectUri);
  await t.rejects(client.fetchUserInfo(config, tokens.access_token, '1'), { code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' });
});

t.test('runs the code flow with client_secret_basic', async (t) => {
  const calls = recordFetch(t, `${bridge.issuer}/token`);
  const config = await discover(bridge, confidential.clientId, confidential.clientSecret, client.ClientSecretBasic());
  const tokens = await codeGrant(config, confidential.redirectUri);
  t.equal(tokens.claims()?.sub, defaultFakeUser.id);
  t.match(calls[0]?.headers.get('authorization'), /^Basic /);
  t.notOk('client_secret' in formOf(calls[0]));
});

t.test('runs the code flow with client_secret_jwt', async (t) => {
  const calls = recordFetch(t, `${bridge.issuer}/token`);
  const config = await discover(bridge, confidential.clientId, confidential.clientSecret, client.ClientSecretJwt());
  const tokens = await codeGrant(config, confidential.redirectUri);
  t.equal(tokens.claims()?.email, defaultFakeUser.email);
  const form = formOf(calls[0]);
  t.equal(form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  t.match(form.client_assertion, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, defaultFakeUser.id);
  t.equal(userinfo.email, defaultFakeUser.email);
});

t.test('runs the code flow as a public client (None) with PKCE', async (t) => {
  const calls = recordFetch(t, `${bridge.issuer}/token`);
  const config = await discover(bridge, publicClient.clientId, undefined, client.None());
  const tokens = await codeGrant(config, publicClient.redirectUri);
  t.match(tokens.claims(), { sub: defaultFakeUser.id, aud: publicClient.clientId, name: defaultFakeUser.nickname });
  const form = formOf(calls[0]);
  t.equal(form.client_id, publicClient.clientId);
  t.notOk('client_secret' in form);
  t.match(form.code_verifier, /^[\w-]{43}$/);
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, defaultFakeUser.id);
  t.equal(userinfo.name, defaultFakeUser.nickname);
});

t.test('the bridge refuses the code with a wrong PKCE verifier, and openid-client surfaces invalid_grant', async (t) => {
  const config = await discover(bridge, publicClient.clientId, undefined, client.None());
  const { callback, checks } = await authorize(config, publicClient.redirectUri);
  await t.rejects(
    client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: checks.state, expectedNonce: checks.nonce }),
    { name: 'ResponseBodyError', error: 'invalid_grant' },
  );
});

t.test('gets signed userinfo (application/jwt, ES256) for a client that registered it', async (t) => {
  const calls = recordFetch(t, `${bridge.issuer}/userinfo`);
  const config = await discover(bridge, jwtUserinfoClient.clientId, {
    client_secret: jwtUserinfoClient.clientSecret,
    userinfo_signed_response_alg: 'ES256',
  });
  const tokens = await codeGrant(config, jwtUserinfoClient.redirectUri);
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, defaultFakeUser.id);
  t.match(calls[0]?.responseHeaders.get('content-type'), /^application\/jwt/);
  t.match(userinfo, { sub: defaultFakeUser.id, name: defaultFakeUser.nickname, email: defaultFakeUser.email, email_verified: true });
});

t.test('a user who cancels at Kakao becomes an access_denied AuthorizationResponseError', async (t) => {
  bridge.kakao.faults.add('cancel');
  const config = await discover(bridge, confidential.clientId, confidential.clientSecret);
  const { callback, checks } = await authorize(config, confidential.redirectUri);
  await t.rejects(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: checks.verifier, expectedState: checks.state }), {
    name: 'AuthorizationResponseError',
    error: 'access_denied',
  });
});

t.test('works with an issuer that has a path (discovery under it)', async (t) => {
  const prefixed = await startBridge(t, { issuerPath: '/kakao' });
  const config = await discover(prefixed, confidential.clientId, confidential.clientSecret);
  t.equal(config.serverMetadata().issuer, prefixed.issuer);
  t.match(prefixed.issuer, /\/kakao$/);
  const tokens = await codeGrant(config, confidential.redirectUri);
  t.equal(tokens.claims()?.iss, prefixed.issuer);
  t.equal((await client.fetchUserInfo(config, tokens.access_token, defaultFakeUser.id)).email, defaultFakeUser.email);
});
