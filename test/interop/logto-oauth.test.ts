/**
 * Logto's generic OAuth 2.0 connector (@logto/connector-oauth): plain OAuth (no `openid`), the
 * profile read from /userinfo with the access token. Called as Logto calls it
 * (see /work/shared/logto-connectors.md).
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { ConnectorSession, SocialConnector, SocialUserInfo } from '@logto/connector-kit';
import createOauthConnector from '@logto/connector-oauth';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { Browser } from '../helpers/browser.js';
import { confidential, startBridge } from '../helpers/bridge.js';
import { formOf, recordFetch } from '../helpers/record-fetch.js';

const bridge = await startBridge(t);

t.beforeEach(() => {
  bridge.kakao.faults.clear();
  bridge.kakao.user = { ...defaultFakeUser };
});

function adminConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    authorizationEndpoint: `${bridge.issuer}/authorize`,
    tokenEndpoint: `${bridge.issuer}/token`,
    userInfoEndpoint: `${bridge.issuer}/userinfo`,
    clientId: confidential.clientId,
    clientSecret: confidential.clientSecret,
    scope: 'profile email',
    tokenEndpointResponseType: 'json',
    profileMap: { id: 'sub', avatar: 'picture' },
    ...overrides,
  };
}

interface Attempt {
  connector: SocialConnector;
  getSession: () => Promise<ConnectorSession>;
  state: string;
  authorizationUri: URL;
  callback: URL;
}

async function startSignIn(config: Record<string, unknown>): Promise<Attempt> {
  const connector = await createOauthConnector({ getConfig: () => Promise.resolve(config) });
  let session: ConnectorSession = {};
  const state = randomUUID();
  const uri = await connector.getAuthorizationUri(
    { state, redirectUri: confidential.redirectUri, connectorId: 'kakao-oauth', connectorFactoryId: 'oauth2', jti: randomUUID(), headers: {} },
    (value) => {
      session = value;
      return Promise.resolve();
    },
  );
  const callback = await new Browser().follow(uri, confidential.redirectUri);
  return { connector, getSession: () => Promise.resolve(session), state, authorizationUri: new URL(uri), callback };
}

async function finishSignIn(attempt: Attempt): Promise<SocialUserInfo> {
  if (attempt.callback.searchParams.get('state') !== attempt.state) throw new Error(`state mismatch: ${attempt.callback.href}`);
  return attempt.connector.getUserInfo(Object.fromEntries(attempt.callback.searchParams), attempt.getSession);
}

t.test('signs in over plain OAuth 2.0 and maps the userinfo claims (sub → id, picture → avatar)', async (t) => {
  const calls = recordFetch(t, bridge.issuer);
  const attempt = await startSignIn(adminConfig());
  const sent = attempt.authorizationUri.searchParams;
  t.equal(sent.get('scope'), 'profile email', 'no openid');
  t.equal(sent.get('nonce'), null);
  t.equal(sent.get('code_challenge'), null);
  t.equal(attempt.callback.searchParams.get('state'), attempt.state);

  const user = await finishSignIn(attempt);
  t.equal(user.id, defaultFakeUser.id);
  t.equal(user.name, defaultFakeUser.nickname);
  t.equal(user.avatar, defaultFakeUser.profileImageUrl);
  t.equal(user.email, defaultFakeUser.email);
  t.match(user.rawData, { sub: defaultFakeUser.id, email_verified: true, nickname: defaultFakeUser.nickname });

  const token = calls.find((call) => call.url.pathname === '/token');
  t.match(formOf(token), { grant_type: 'authorization_code', redirect_uri: confidential.redirectUri, client_secret: confidential.clientSecret });
  const userinfo = calls.find((call) => call.url.pathname === '/userinfo');
  t.equal(userinfo?.method, 'GET');
  t.match(userinfo?.headers.get('authorization'), /^Bearer \S+$/, 'token_type is sent verbatim: it must be "Bearer"');
});

t.test('gets no id_token without the openid scope (the connector ignores it anyway)', async (t) => {
  const calls = recordFetch(t, `${bridge.issuer}/token`);
  const user = await finishSignIn(await startSignIn(adminConfig()));
  t.equal(user.id, defaultFakeUser.id);
  t.equal(calls.length, 1);
  t.match(calls[0]?.responseHeaders.get('content-type'), /^application\/json/);
  const body = JSON.parse(calls[0]?.responseBody ?? '{}') as Record<string, unknown>;
  t.equal(body.token_type, 'Bearer');
  t.type(body.access_token, 'string');
  t.type(body.expires_in, 'number');
  t.equal(body.scope, 'profile email');
  t.notOk('id_token' in body);
});

t.test('signs in with client_secret_basic', async (t) => {
  const calls = recordFetch(t, `${bridge.issuer}/token`);
  const user = await finishSignIn(await startSignIn(adminConfig({ tokenEndpointAuthMethod: 'client_secret_basic' })));
  t.equal(user.id, defaultFakeUser.id);
  t.equal(user.email, defaultFakeUser.email);
  t.match(calls[0]?.headers.get('authorization'), /^Basic /);
});

t.test('signs in a user who did not consent to email, without an email', async (t) => {
  bridge.kakao.user = { ...defaultFakeUser, email: undefined };
  const user = await finishSignIn(await startSignIn(adminConfig()));
  t.equal(user.id, defaultFakeUser.id);
  t.equal(user.name, defaultFakeUser.nickname);
  t.equal(user.email, undefined);
});

t.test('keeps every digit of a Kakao id above 2^53 (sub is a string)', async (t) => {
  bridge.kakao.user = { ...defaultFakeUser, id: '9223372036854775807' };
  const user = await finishSignIn(await startSignIn(adminConfig()));
  t.equal(user.id, '9223372036854775807');
});

t.test('needs tokenEndpointResponseType json: the default query-string cannot read a JSON token response', async (t) => {
  const config = adminConfig();
  delete config.tokenEndpointResponseType;
  await t.rejects(finishSignIn(await startSignIn(config)), { code: 'invalid_response' });
});

t.test('a user who cancels at Kakao comes back with access_denied and no code', async (t) => {
  bridge.kakao.faults.add('cancel');
  const attempt = await startSignIn(adminConfig());
  t.equal(attempt.callback.searchParams.get('error'), 'access_denied');
  t.equal(attempt.callback.searchParams.get('code'), null);
  t.equal(attempt.callback.searchParams.get('state'), attempt.state);
});
