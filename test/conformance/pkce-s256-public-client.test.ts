// @see RFC 7636 §4.1–§4.6, RFC 6749 §2.1 (public clients), RFC 9700 §2.1.1
import t from 'tap';
import { publicClient, startBridge } from '../helpers/bridge.js';
import { freshCode, verifyIdToken } from '../helpers/conformance.js';
import { pkcePair, postToken } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('signs a public client in with S256 and no secret', async (t) => {
  const { verifier, challenge } = pkcePair();
  const code = await freshCode(bridge, { clientId: publicClient.clientId, redirectUri: publicClient.redirectUri, codeChallenge: challenge, nonce: 'spa-nonce' });
  const response = await postToken(bridge, { grant_type: 'authorization_code', code, redirect_uri: publicClient.redirectUri, client_id: publicClient.clientId, code_verifier: verifier });
  t.equal(response.status, 200);
  const body = (await response.json()) as { id_token: string; access_token: string };
  const claims = await verifyIdToken(bridge, body.id_token, { clientId: publicClient.clientId, nonce: 'spa-nonce', accessToken: body.access_token });
  t.equal(claims.aud, publicClient.clientId);
});
