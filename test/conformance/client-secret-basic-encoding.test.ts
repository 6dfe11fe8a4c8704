// @see RFC 6749 §2.3.1 and Appendix B (id and secret are form-encoded before Base64), RFC 7617 §2
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { basic, freshCode } from '../helpers/conformance.js';
import { postToken } from '../helpers/flow.js';

// A `%` that starts no escape: form-decoding it fails, so only the raw comparison can match.
const secret = 'p:ss w+rd/=%zz-é!';
const bridge = await startBridge(t, { env: { OIDC_CLIENT_SECRET: secret } });

async function redeemWithHeader(authorization: string): Promise<Response> {
  return postToken(bridge, { grant_type: 'authorization_code', code: await freshCode(bridge), redirect_uri: confidential.redirectUri }, { authorization });
}

t.test('accepts a secret with reserved characters form-encoded, as the RFC says', async (t) => {
  t.equal((await redeemWithHeader(basic(confidential.clientId, secret))).status, 200);
});

t.test('accepts the same secret sent raw, % and all (Logto skips the form-encoding)', async (t) => {
  t.equal((await redeemWithHeader(`Basic ${Buffer.from(`${confidential.clientId}:${secret}`).toString('base64')}`)).status, 200);
});

t.test('refuses a near miss of it', async (t) => {
  t.equal((await redeemWithHeader(basic(confidential.clientId, secret.replace('+', ' ')))).status, 401);
});
