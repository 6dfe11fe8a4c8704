// @see RFC 6749 §5.2 (invalid_client, 401 with WWW-Authenticate), §2.3.1; secrets compared in constant time (src/oidc/secrets.ts safeEqual)
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { basic, freshCode, oauthError } from '../helpers/conformance.js';
import { postToken, redeemCode } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses a wrong client_secret (post) with 401 invalid_client and keeps the code usable', async (t) => {
  const code = await freshCode(bridge);
  for (const secret of ['wrong', `${confidential.clientSecret}x`, confidential.clientSecret.slice(0, -1), confidential.clientSecret.toUpperCase(), ` ${confidential.clientSecret}`]) {
    const response = await redeemCode(bridge, code, { client_secret: secret });
    t.equal(response.status, 401, JSON.stringify(secret));
    t.equal((await oauthError(response)).error, 'invalid_client');
    t.match(response.headers.get('www-authenticate'), /^Basic realm="/);
  }
  t.equal((await redeemCode(bridge, code)).status, 200, 'a failed client authentication does not burn the code');
});

t.test('refuses a wrong secret in Basic, and an empty one', async (t) => {
  for (const secret of ['wrong', '']) {
    const response = await postToken(
      bridge,
      { grant_type: 'authorization_code', code: 'x', redirect_uri: confidential.redirectUri },
      { authorization: basic(confidential.clientId, secret) },
    );
    t.equal(response.status, 401, JSON.stringify(secret));
  }
});
