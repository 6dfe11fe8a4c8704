// @see OIDC Core §6.1, §6.3.3 (request object values take precedence), RFC 6749 §4.1.2.1. Request objects
// are unsupported, so the query's redirect_uri is the one checked: an unregistered one gets a page, a
// registered one gets request_not_supported, and the request object's redirect_uri is never used.
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { authorize, errorRedirect, unsignedJwt } from '../helpers/conformance.js';

const bridge = await startBridge(t);
const requestObject = unsignedJwt({ client_id: confidential.clientId, redirect_uri: 'https://attacker.example/cb', response_type: 'code', scope: 'openid' });

t.test('shows a page when the query redirect_uri is not registered, whatever the request object says', async (t) => {
  const response = await authorize(bridge, { redirectUri: 'https://attacker.example/cb', extra: { request: requestObject } });
  t.equal(response.status, 400);
  t.equal(response.headers.get('location'), null);
});

t.test('answers request_not_supported at the registered redirect_uri, never the request object one', async (t) => {
  const response = await authorize(bridge, { extra: { request: requestObject } });
  t.ok(response.headers.get('location')?.startsWith(`${confidential.redirectUri}?`));
  t.equal(errorRedirect(response).get('error'), 'request_not_supported');
});
