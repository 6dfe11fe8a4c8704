// @see RFC 7636 §4.3–§4.6, RFC 9700 §2.1.1 (PKCE for confidential clients too)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { freshCode, tokensFor, verifyIdToken } from '../helpers/conformance.js';
import { pkcePair } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('signs a confidential client in with an S256 code_challenge and the matching verifier', async (t) => {
  const { verifier, challenge } = pkcePair();
  const tokens = await tokensFor(bridge, await freshCode(bridge, { codeChallenge: challenge, nonce: 'pkce-nonce' }), { code_verifier: verifier });
  await verifyIdToken(bridge, tokens.id_token ?? '', { nonce: 'pkce-nonce', accessToken: tokens.access_token });
  t.pass();
});
