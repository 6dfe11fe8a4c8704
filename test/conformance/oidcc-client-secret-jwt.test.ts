// @see OIDC Core §9 (client_secret_jwt), RFC 7523 §3 (aud, exp, jti), RFC 7521 §4.2
import t, { type Test } from 'tap';
import { confidential, publicClient, startBridge } from '../helpers/bridge.js';
import { clientAssertion, freshCode, jwtBearer, oauthError, unsignedJwt, verifyIdToken } from '../helpers/conformance.js';
import { postToken } from '../helpers/flow.js';

const bridge = await startBridge(t);

async function redeemWith(assertion: string, extra: Record<string, string> = {}): Promise<Response> {
  return postToken(bridge, {
    grant_type: 'authorization_code',
    code: await freshCode(bridge),
    redirect_uri: confidential.redirectUri,
    client_assertion_type: jwtBearer,
    client_assertion: assertion,
    ...extra,
  });
}

async function expectInvalidClient(t: Test, response: Response): Promise<void> {
  t.equal(response.status, 401);
  t.equal((await oauthError(response)).error, 'invalid_client');
}

t.test('accepts an HS256 assertion whose aud is the token endpoint', async (t) => {
  const code = await freshCode(bridge, { nonce: 'jwt-nonce' });
  const response = await postToken(bridge, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: confidential.redirectUri,
    client_assertion_type: jwtBearer,
    client_assertion: await clientAssertion(bridge),
  });
  t.equal(response.status, 200);
  const body = (await response.json()) as { id_token: string; access_token: string };
  await verifyIdToken(bridge, body.id_token, { nonce: 'jwt-nonce', accessToken: body.access_token });
});

t.test('accepts the issuer as aud, and HS384 / HS512', async (t) => {
  t.equal((await redeemWith(await clientAssertion(bridge, { aud: bridge.issuer }))).status, 200, 'aud = issuer');
  t.equal((await redeemWith(await clientAssertion(bridge, { aud: [bridge.issuer, 'https://other.example'] }))).status, 200, 'aud array');
  t.equal((await redeemWith(await clientAssertion(bridge, {}, confidential.clientSecret, 'HS384'))).status, 200, 'HS384');
  t.equal((await redeemWith(await clientAssertion(bridge, {}, confidential.clientSecret, 'HS512'))).status, 200, 'HS512');
});

t.test('refuses an assertion for another audience', async (t) => {
  await expectInvalidClient(t, await redeemWith(await clientAssertion(bridge, { aud: 'https://elsewhere.example/token' })));
});

t.test('refuses a reused jti', async (t) => {
  const assertion = await clientAssertion(bridge, { jti: 'jti-used-once' });
  t.equal((await redeemWith(assertion)).status, 200);
  await expectInvalidClient(t, await redeemWith(assertion));
});

t.test('refuses an expired assertion, and one without exp or jti', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  await expectInvalidClient(t, await redeemWith(await clientAssertion(bridge, { iat: now - 900, exp: now - 600 })));
  await expectInvalidClient(t, await redeemWith(await clientAssertion(bridge, { exp: undefined })));
  await expectInvalidClient(t, await redeemWith(await clientAssertion(bridge, { jti: undefined })));
});

t.test('refuses an assertion that lives longer than an hour', async (t) => {
  await expectInvalidClient(t, await redeemWith(await clientAssertion(bridge, { exp: Math.floor(Date.now() / 1000) + 7200 })));
});

t.test('refuses an assertion signed with the wrong secret', async (t) => {
  await expectInvalidClient(t, await redeemWith(await clientAssertion(bridge, {}, 'not-the-secret-not-the-secret-000')));
});

t.test('refuses an unsigned (alg none) assertion', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const none = unsignedJwt({ iss: confidential.clientId, sub: confidential.clientId, aud: `${bridge.issuer}/token`, jti: 'none-jti', iat: now, exp: now + 300 });
  await expectInvalidClient(t, await redeemWith(none));
});

t.test('refuses an assertion whose iss is not its sub', async (t) => {
  await expectInvalidClient(t, await redeemWith(await clientAssertion(bridge, { iss: 'someone-else' })));
});

t.test('refuses an assertion for a public client (no secret to sign with)', async (t) => {
  await expectInvalidClient(t, await redeemWith(await clientAssertion(bridge, { iss: publicClient.clientId, sub: publicClient.clientId }, 'guessed-secret')));
});

t.test('refuses a wrong client_assertion_type, and a client_id that is not the subject', async (t) => {
  const wrongType = await redeemWith(await clientAssertion(bridge), { client_assertion_type: 'urn:example:other' });
  t.equal(wrongType.status, 400);
  t.equal((await oauthError(wrongType)).error, 'invalid_request');
  const mismatch = await redeemWith(await clientAssertion(bridge), { client_id: publicClient.clientId });
  t.equal(mismatch.status, 400);
  t.equal((await oauthError(mismatch)).error, 'invalid_request');
});
