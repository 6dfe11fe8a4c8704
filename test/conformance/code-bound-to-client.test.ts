// @see RFC 6749 §4.1.3 (ensure the code was issued to the authenticated client), RFC 9700 §4.5 (code injection)
import t from 'tap';
import { confidential, jwtUserinfoClient, startBridge } from '../helpers/bridge.js';
import { freshCode, oauthError } from '../helpers/conformance.js';
import { redeemCode } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses a code issued to one confidential client when another redeems it, with its own redirect_uri or the original', async (t) => {
  for (const redirectUri of [jwtUserinfoClient.redirectUri, confidential.redirectUri]) {
    const response = await redeemCode(bridge, await freshCode(bridge), {
      client_id: jwtUserinfoClient.clientId,
      client_secret: jwtUserinfoClient.clientSecret,
      redirect_uri: redirectUri,
    });
    t.equal(response.status, 400, redirectUri);
    t.equal((await oauthError(response)).error, 'invalid_grant', redirectUri);
  }
});
