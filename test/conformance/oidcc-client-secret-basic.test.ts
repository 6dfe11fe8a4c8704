// @see RFC 6749 §2.3.1 (client_secret_basic, form-encoded id and secret), OIDC Core §9
import t from 'tap';
import { confidential, jwtUserinfoClient, startBridge } from '../helpers/bridge.js';
import { basic, freshCode, oauthError, verifyIdToken } from '../helpers/conformance.js';
import { postToken } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('redeems a code with HTTP Basic client credentials', async (t) => {
  const response = await postToken(
    bridge,
    { grant_type: 'authorization_code', code: await freshCode(bridge, { nonce: 'basic-nonce' }), redirect_uri: confidential.redirectUri },
    { authorization: basic(confidential.clientId, confidential.clientSecret) },
  );
  t.equal(response.status, 200);
  const body = (await response.json()) as { id_token: string; access_token: string };
  await verifyIdToken(bridge, body.id_token, { nonce: 'basic-nonce', accessToken: body.access_token });
});

t.test('refuses Basic credentials of another client with 401 and a Basic challenge', async (t) => {
  const response = await postToken(
    bridge,
    { grant_type: 'authorization_code', code: await freshCode(bridge), redirect_uri: confidential.redirectUri },
    { authorization: basic(confidential.clientId, jwtUserinfoClient.clientSecret) },
  );
  t.equal(response.status, 401);
  t.match(response.headers.get('www-authenticate'), /^Basic realm="/);
  t.equal((await oauthError(response)).error, 'invalid_client');
});

t.test('refuses Basic credentials without a colon', async (t) => {
  const response = await postToken(
    bridge,
    { grant_type: 'authorization_code', code: 'x', redirect_uri: confidential.redirectUri },
    { authorization: `Basic ${Buffer.from(confidential.clientId).toString('base64')}` },
  );
  t.equal(response.status, 401);
  t.equal((await oauthError(response)).error, 'invalid_client');
});
