// @see RFC 9700 §2.1.1, §4.8 (PKCE downgrade: a code_verifier for a code that had no code_challenge is refused)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { freshCode, oauthError } from '../helpers/conformance.js';
import { pkcePair, redeemCode } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses a code_verifier sent for a code issued without code_challenge', async (t) => {
  const response = await redeemCode(bridge, await freshCode(bridge), { code_verifier: pkcePair().verifier });
  t.equal(response.status, 400);
  t.equal((await oauthError(response)).error, 'invalid_grant');
});
