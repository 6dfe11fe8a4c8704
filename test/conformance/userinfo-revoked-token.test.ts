// @see RFC 6749 §4.1.2 (a reused code revokes the tokens it bought), RFC 6750 §3.1
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { freshCode, tokensFor } from '../helpers/conformance.js';
import { getUserinfo, redeemCode } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('answers a token revoked by a code replay with 401 invalid_token, leaving other tokens alone', async (t) => {
  const code = await freshCode(bridge);
  const revoked = await tokensFor(bridge, code);
  const other = await tokensFor(bridge, await freshCode(bridge));
  await redeemCode(bridge, code);
  const response = await getUserinfo(bridge, revoked.access_token);
  t.equal(response.status, 401);
  t.match(response.headers.get('www-authenticate'), /error="invalid_token"/);
  t.equal((await getUserinfo(bridge, other.access_token)).status, 200, 'another login is untouched');
});
