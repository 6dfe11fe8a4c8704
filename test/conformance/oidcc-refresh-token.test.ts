// @see RFC 6749 §1.5, §6 (refresh tokens are optional), §5.2 (unsupported_grant_type). N/A by design: the bridge
// issues no refresh tokens (Kakao's own refresh token is never kept), so a relying party signs in again.
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { discovery, freshCode, oauthError, tokensFor } from '../helpers/conformance.js';
import { redeemCode } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('advertises only authorization_code and issues no refresh_token, even for offline_access', async (t) => {
  t.same((await discovery(bridge)).grant_types_supported, ['authorization_code']);
  const tokens = (await tokensFor(bridge, await freshCode(bridge, { scope: 'openid offline_access', extra: { prompt: 'consent' } }))) as unknown as Record<string, unknown>;
  t.notOk('refresh_token' in tokens);
});

t.test('answers grant_type=refresh_token with unsupported_grant_type', async (t) => {
  const response = await redeemCode(bridge, 'unused', { grant_type: 'refresh_token', refresh_token: 'anything' });
  t.equal(response.status, 400);
  t.equal((await oauthError(response)).error, 'unsupported_grant_type');
});
