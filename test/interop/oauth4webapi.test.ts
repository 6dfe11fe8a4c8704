/**
 * oauth4webapi v3 (panva) as a relying party, step by step: discovery, the authorization
 * response (RFC 9207 `iss`), the code grant with PKCE and nonce, userinfo as JSON and as a
 * signed JWT, with the signatures checked against the JWKS.
 */
import t from 'tap';
import * as oauth from 'oauth4webapi';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { Browser } from '../helpers/browser.js';
import { confidential, jwtUserinfoClient, publicClient, startBridge } from '../helpers/bridge.js';
import { formOf, recordFetch } from '../helpers/record-fetch.js';

const bridge = await startBridge(t);
const issuer = new URL(bridge.issuer);
/** http is refused unless each request opts in. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only to flag it as for non-TLS testing, which this is
const insecure = { [oauth.allowInsecureRequests]: true };

t.beforeEach(() => {
  bridge.kakao.faults.clear();
  bridge.kakao.user = { ...defaultFakeUser };
});

async function discover(): Promise<oauth.AuthorizationServer> {
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
}

const as = await discover();

interface Login {
  callback: URL;
  state: string;
  nonce: string;
  verifier: string;
}

async function browserLeg(client: oauth.Client, redirectUri: string, extra: Record<string, string> = {}): Promise<Login> {
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const verifier = oauth.generateRandomCodeVerifier();
  const url = new URL(as.authorization_endpoint ?? '');
  for (const [name, value] of Object.entries({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  })) {
    url.searchParams.set(name, value);
  }
  return { callback: await new Browser().follow(url.href, redirectUri), state, nonce, verifier };
}

interface Grant {
  tokens: oauth.TokenEndpointResponse;
  response: Response;
}

async function codeGrant(client: oauth.Client, auth: oauth.ClientAuth, redirectUri: string, options: { maxAge?: number } = {}): Promise<Grant> {
  const login = await browserLeg(client, redirectUri, options.maxAge === undefined ? {} : { max_age: String(options.maxAge) });
  const params = oauth.validateAuthResponse(as, client, login.callback, login.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, login.verifier, insecure);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: login.nonce, requireIdToken: true, ...options });
  return { tokens, response };
}

const confidentialClient: oauth.Client = { client_id: confidential.clientId };

t.test('discovers the bridge (issuer matches, endpoints under it)', (t) => {
  t.equal(as.issuer, bridge.issuer);
  t.equal(as.token_endpoint, `${bridge.issuer}/token`);
  t.equal(as.jwks_uri, `${bridge.issuer}/jwks`);
  t.same(as.code_challenge_methods_supported, ['S256']);
  t.equal(as.authorization_response_iss_parameter_supported, true);
  t.end();
});

t.test('refuses the http issuer without allowInsecureRequests', async (t) => {
  await t.rejects(oauth.discoveryRequest(issuer), { code: 'OAUTH_HTTP_REQUEST_FORBIDDEN' });
});

t.test('validates the authorization response: iss (RFC 9207) and state', async (t) => {
  const login = await browserLeg(confidentialClient, confidential.redirectUri);
  const params = oauth.validateAuthResponse(as, confidentialClient, login.callback, login.state);
  t.match(params.get('code'), /\S/);
  t.throws(() => oauth.validateAuthResponse(as, confidentialClient, login.callback, 'another-state'), { code: 'OAUTH_INVALID_RESPONSE' });
  const withoutIss = new URL(login.callback);
  withoutIss.searchParams.delete('iss');
  t.throws(() => oauth.validateAuthResponse(as, confidentialClient, withoutIss, login.state), { message: /"iss" \(issuer\) missing/ }, 'the bridge advertises iss, so it must be there');
});

t.test('runs the code grant with client_secret_post, PKCE and nonce; the id_token verifies against the JWKS', async (t) => {
  const calls = recordFetch(t, `${bridge.issuer}/token`);
  const { tokens, response } = await codeGrant(confidentialClient, oauth.ClientSecretPost(confidential.clientSecret), confidential.redirectUri);
  t.equal(tokens.token_type, 'bearer');
  t.type(tokens.expires_in, 'number');
  const claims = oauth.getValidatedIdTokenClaims(tokens);
  t.match(claims, {
    iss: bridge.issuer,
    sub: defaultFakeUser.id,
    aud: confidential.clientId,
    name: defaultFakeUser.nickname,
    picture: defaultFakeUser.profileImageUrl,
    email: defaultFakeUser.email,
    email_verified: true,
  });
  t.type(claims?.nonce, 'string');
  await t.resolves(oauth.validateApplicationLevelSignature(as, response, insecure), 'id_token signature checks out with the JWKS');
  const form = formOf(calls[0]);
  t.equal(form.client_secret, confidential.clientSecret);
  t.match(form.code_verifier, /^[\w-]{43}$/);
});

t.test('refuses an id_token whose nonce is not the one sent', async (t) => {
  const login = await browserLeg(confidentialClient, confidential.redirectUri);
  const params = oauth.validateAuthResponse(as, confidentialClient, login.callback, login.state);
  const response = await oauth.authorizationCodeGrantRequest(as, confidentialClient, oauth.ClientSecretPost(confidential.clientSecret), params, confidential.redirectUri, login.verifier, insecure);
  await t.rejects(oauth.processAuthorizationCodeResponse(as, confidentialClient, response, { expectedNonce: 'not-the-nonce' }), { code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' });
});

t.test('honours max_age: the id_token carries auth_time, which oauth4webapi then requires', async (t) => {
  const { tokens } = await codeGrant(confidentialClient, oauth.ClientSecretPost(confidential.clientSecret), confidential.redirectUri, { maxAge: 300 });
  const claims = oauth.getValidatedIdTokenClaims(tokens);
  t.type(claims?.auth_time, 'number');
  t.ok(Math.abs((claims?.auth_time ?? 0) - Date.now() / 1000) < 60);
});

t.test('fetches userinfo for a client without a signing alg and checks the subject', async (t) => {
  const { tokens } = await codeGrant(confidentialClient, oauth.ClientSecretBasic(confidential.clientSecret), confidential.redirectUri);
  const sub = oauth.getValidatedIdTokenClaims(tokens)?.sub ?? '';
  const userinfo = await oauth.processUserInfoResponse(as, confidentialClient, sub, await oauth.userInfoRequest(as, confidentialClient, tokens.access_token, insecure));
  t.match(userinfo, { sub: defaultFakeUser.id, name: defaultFakeUser.nickname, email: defaultFakeUser.email, email_verified: true });
  const again = await oauth.userInfoRequest(as, confidentialClient, tokens.access_token, insecure);
  await t.rejects(oauth.processUserInfoResponse(as, confidentialClient, '1', again), { code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' });
});

t.test(
  'answers userinfo as JSON to a client that registered no signing alg, though its Accept also lists application/jwt',
  async (t) => {
    const { tokens } = await codeGrant(confidentialClient, oauth.ClientSecretPost(confidential.clientSecret), confidential.redirectUri);
    const calls = recordFetch(t, `${bridge.issuer}/userinfo`);
    const response = await oauth.userInfoRequest(as, confidentialClient, tokens.access_token, insecure);
    t.equal(calls[0]?.headers.get('accept'), 'application/json, application/jwt', 'oauth4webapi prefers JSON but accepts a JWT');
    t.match(response.headers.get('content-type'), /^application\/json/);
  },
);

t.test('runs the code grant with client_secret_jwt', async (t) => {
  const calls = recordFetch(t, `${bridge.issuer}/token`);
  const { tokens } = await codeGrant(confidentialClient, oauth.ClientSecretJwt(confidential.clientSecret), confidential.redirectUri);
  t.equal(oauth.getValidatedIdTokenClaims(tokens)?.sub, defaultFakeUser.id);
  t.equal(formOf(calls[0]).client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
});

t.test('runs the code grant as a public client (None) with PKCE', async (t) => {
  const spa: oauth.Client = { client_id: publicClient.clientId, token_endpoint_auth_method: 'none' };
  const { tokens } = await codeGrant(spa, oauth.None(), publicClient.redirectUri);
  t.match(oauth.getValidatedIdTokenClaims(tokens), { sub: defaultFakeUser.id, aud: publicClient.clientId });
  const userinfo = await oauth.processUserInfoResponse(as, spa, defaultFakeUser.id, await oauth.userInfoRequest(as, spa, tokens.access_token, insecure));
  t.equal(userinfo.picture, defaultFakeUser.profileImageUrl);
});

t.test('gets signed userinfo (application/jwt, ES256) and verifies it against the JWKS', async (t) => {
  const signed: oauth.Client = { client_id: jwtUserinfoClient.clientId, userinfo_signed_response_alg: 'ES256' };
  const { tokens } = await codeGrant(signed, oauth.ClientSecretPost(jwtUserinfoClient.clientSecret), jwtUserinfoClient.redirectUri);
  const response = await oauth.userInfoRequest(as, signed, tokens.access_token, insecure);
  t.match(response.headers.get('content-type'), /^application\/jwt/);
  const userinfo = await oauth.processUserInfoResponse(as, signed, defaultFakeUser.id, response);
  t.match(userinfo, { sub: defaultFakeUser.id, name: defaultFakeUser.nickname, email: defaultFakeUser.email, email_verified: true });
  await t.resolves(oauth.validateApplicationLevelSignature(as, response, insecure), 'ES256 signature checks out with the JWKS');
});

t.test('surfaces a user who cancels at Kakao as an access_denied AuthorizationResponseError', async (t) => {
  bridge.kakao.faults.add('cancel');
  const login = await browserLeg(confidentialClient, confidential.redirectUri);
  t.throws(() => oauth.validateAuthResponse(as, confidentialClient, login.callback, login.state), { name: 'AuthorizationResponseError', error: 'access_denied' });
});

t.test('surfaces a reused code as invalid_grant', async (t) => {
  const login = await browserLeg(confidentialClient, confidential.redirectUri);
  const params = oauth.validateAuthResponse(as, confidentialClient, login.callback, login.state);
  const auth = oauth.ClientSecretPost(confidential.clientSecret);
  const first = await oauth.authorizationCodeGrantRequest(as, confidentialClient, auth, params, confidential.redirectUri, login.verifier, insecure);
  await oauth.processAuthorizationCodeResponse(as, confidentialClient, first, { expectedNonce: login.nonce });
  const second = await oauth.authorizationCodeGrantRequest(as, confidentialClient, auth, params, confidential.redirectUri, login.verifier, insecure);
  await t.rejects(oauth.processAuthorizationCodeResponse(as, confidentialClient, second, { expectedNonce: login.nonce }), { name: 'ResponseBodyError', error: 'invalid_grant' });
});
