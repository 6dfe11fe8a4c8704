// @see RFC 6749 §2.1 (client types), §3.2.1 (confidential clients MUST authenticate), §5.2
import t from 'tap';
import { confidential, publicClient, startBridge } from '../helpers/bridge.js';
import { basic, freshCode, oauthError } from '../helpers/conformance.js';
import { pkcePair, postToken } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses a confidential client that authenticates as public (client_id only, no secret)', async (t) => {
  const { verifier, challenge } = pkcePair();
  const code = await freshCode(bridge, { codeChallenge: challenge });
  const response = await postToken(bridge, { grant_type: 'authorization_code', code, redirect_uri: confidential.redirectUri, client_id: confidential.clientId, code_verifier: verifier });
  t.equal(response.status, 401, 'PKCE does not replace a confidential client’s secret');
  t.equal((await oauthError(response)).error, 'invalid_client');
});

t.test('refuses a public client that presents a secret it does not have', async (t) => {
  const { verifier, challenge } = pkcePair();
  const code = await freshCode(bridge, { clientId: publicClient.clientId, redirectUri: publicClient.redirectUri, codeChallenge: challenge });
  const form = { grant_type: 'authorization_code', code, redirect_uri: publicClient.redirectUri, code_verifier: verifier };
  const post = await postToken(bridge, { ...form, client_id: publicClient.clientId, client_secret: 'made-up' });
  t.equal(post.status, 401);
  t.equal((await oauthError(post)).error, 'invalid_client');
  const viaBasic = await postToken(bridge, form, { authorization: basic(publicClient.clientId, 'made-up') });
  t.equal(viaBasic.status, 401);
  const good = await postToken(bridge, { ...form, client_id: publicClient.clientId });
  t.equal(good.status, 200, 'the refusals did not burn the code');
});

t.test('refuses a confidential client code redeemed by the public client', async (t) => {
  const response = await postToken(bridge, { grant_type: 'authorization_code', code: await freshCode(bridge), redirect_uri: confidential.redirectUri, client_id: publicClient.clientId });
  t.equal(response.status, 400);
  t.equal((await oauthError(response)).error, 'invalid_grant');
});
