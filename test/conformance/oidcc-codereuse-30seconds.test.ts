// @see RFC 6749 §4.1.2 (single use; SHOULD revoke tokens issued from a reused code), §10.5
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { freshCode, oauthError, tokensFor } from '../helpers/conformance.js';
import { getUserinfo, redeemCode } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses a code used again 30 s later and revokes the access token it bought', async (t) => {
  const code = await freshCode(bridge);
  const tokens = await tokensFor(bridge, code);
  bridge.advanceClock(30);
  t.teardown(() => {
    bridge.advanceClock(-30);
  });
  const replay = await redeemCode(bridge, code);
  t.equal(replay.status, 400);
  t.equal((await oauthError(replay)).error, 'invalid_grant');
  t.equal((await getUserinfo(bridge, tokens.access_token)).status, 401, 'revoked');
});
