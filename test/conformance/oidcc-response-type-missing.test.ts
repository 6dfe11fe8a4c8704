// @see OIDC Core §3.1.2.1 (response_type REQUIRED), §3.1.2.6, RFC 6749 §4.1.2.1, RFC 9207 §2
import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { startBridge } from '../helpers/bridge.js';
import { errorRedirect } from '../helpers/conformance.js';
import { authorizeUrl } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('redirects invalid_request with state and iss when response_type is missing', async (t) => {
  const url = new URL(authorizeUrl(bridge, { state: 'missing-rt' }));
  url.searchParams.delete('response_type');
  const params = errorRedirect(await new Browser().get(url.href));
  t.equal(params.get('error'), 'invalid_request');
  t.equal(params.get('state'), 'missing-rt');
  t.equal(params.get('iss'), bridge.issuer);
  t.equal(params.get('code'), null);
});
