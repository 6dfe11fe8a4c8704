// @see OIDC Core §6.2 (request_uri), §3.1.2.6 (request_uri_not_supported); discovery says request_uri_parameter_supported: false
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, discovery, errorRedirect } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('rejects request_uri with request_uri_not_supported and never fetches it', async (t) => {
  t.equal((await discovery(bridge)).request_uri_parameter_supported, false);
  const params = errorRedirect(await authorize(bridge, { extra: { request_uri: `${bridge.kakao.url}/request-object.jwt` } }));
  t.equal(params.get('error'), 'request_uri_not_supported');
  t.equal(params.get('iss'), bridge.issuer);
  t.notOk(bridge.kakao.requests.some((request) => request.path === '/request-object.jwt'), 'no outbound fetch (no SSRF)');
});
