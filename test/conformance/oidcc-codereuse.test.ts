// @see RFC 6749 §4.1.2 (single use; revoke what the code bought), §5.2 (invalid_grant), OIDC Core §3.1.3.2
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { freshCode, oauthError, tokensFor } from '../helpers/conformance.js';
import { getUserinfo, redeemCode } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses a code used twice with 400 invalid_grant and revokes the access token it bought', async (t) => {
  const code = await freshCode(bridge);
  const tokens = await tokensFor(bridge, code);
  t.equal((await getUserinfo(bridge, tokens.access_token)).status, 200);
  const replay = await redeemCode(bridge, code);
  t.equal(replay.status, 400);
  t.match(replay.headers.get('content-type'), /^application\/json/);
  t.equal(replay.headers.get('cache-control'), 'no-store');
  t.equal((await oauthError(replay)).error, 'invalid_grant');
  t.equal((await getUserinfo(bridge, tokens.access_token)).status, 401, 'revoked');
  t.equal((await redeemCode(bridge, code)).status, 400, 'a third use is refused too');
});
