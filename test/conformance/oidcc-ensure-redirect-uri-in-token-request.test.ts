// @see RFC 6749 §4.1.3 (redirect_uri REQUIRED and identical when it was in the authorization request), §5.2
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { freshCode, oauthError } from '../helpers/conformance.js';
import { redeemCode } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses a token request whose redirect_uri differs from the authorization request with invalid_grant', async (t) => {
  for (const redirectUri of [`${confidential.redirectUri}/`, `${confidential.redirectUri}?x=1`, 'http://127.0.0.1:9/other']) {
    const response = await redeemCode(bridge, await freshCode(bridge), { redirect_uri: redirectUri });
    t.equal(response.status, 400, redirectUri);
    t.equal((await oauthError(response)).error, 'invalid_grant', redirectUri);
  }
});

t.test('refuses a token request without redirect_uri with invalid_request', async (t) => {
  const response = await redeemCode(bridge, await freshCode(bridge), { redirect_uri: '' });
  t.equal(response.status, 400);
  t.equal((await oauthError(response)).error, 'invalid_request');
});

t.test('burns the code on a mismatch: the right redirect_uri afterwards is refused too', async (t) => {
  const code = await freshCode(bridge);
  await redeemCode(bridge, code, { redirect_uri: 'http://127.0.0.1:9/other' });
  t.equal((await oauthError(await redeemCode(bridge, code))).error, 'invalid_grant');
});
