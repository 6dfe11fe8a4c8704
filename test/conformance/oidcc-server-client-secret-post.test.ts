// @see RFC 6749 §2.3.1 (client_secret_post), OIDC Core §9
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { freshCode, verifyIdToken } from '../helpers/conformance.js';
import { postToken } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('redeems a code with client_id and client_secret in the form body', async (t) => {
  const response = await postToken(bridge, {
    grant_type: 'authorization_code',
    code: await freshCode(bridge, { nonce: 'post-nonce' }),
    redirect_uri: confidential.redirectUri,
    client_id: confidential.clientId,
    client_secret: confidential.clientSecret,
  });
  t.equal(response.status, 200);
  const body = (await response.json()) as { id_token: string; access_token: string };
  await verifyIdToken(bridge, body.id_token, { nonce: 'post-nonce', accessToken: body.access_token });
});
