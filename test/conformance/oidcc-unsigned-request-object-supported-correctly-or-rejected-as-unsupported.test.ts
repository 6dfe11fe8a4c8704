// @see OIDC Core §6.1 (request), §3.1.2.6 (request_not_supported); discovery says request_parameter_supported: false
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { authorize, discovery, errorRedirect, unsignedJwt } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('rejects an unsigned request object with request_not_supported, state and iss', async (t) => {
  t.equal((await discovery(bridge)).request_parameter_supported, false);
  const requestObject = unsignedJwt({ client_id: confidential.clientId, redirect_uri: confidential.redirectUri, response_type: 'code', scope: 'openid', state: 'ro' });
  const params = errorRedirect(await authorize(bridge, { state: 'ro-state', extra: { request: requestObject } }));
  t.equal(params.get('error'), 'request_not_supported');
  t.equal(params.get('state'), 'ro-state');
  t.equal(params.get('iss'), bridge.issuer);
  t.equal(params.get('code'), null);
});
