// @see RFC 6749 §3.1.2.3 (simple string comparison with the registered URI), RFC 9700 §4.1
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { authorize } from '../helpers/conformance.js';

const withQuery = `${confidential.redirectUri}?foo=bar`;
const bridge = await startBridge(t, { env: { OIDC_REDIRECT_URIS: `${confidential.redirectUri},${withQuery}` } });

t.test('shows a page, never a redirect, for a registered redirect_uri with a different query value', async (t) => {
  const response = await authorize(bridge, { redirectUri: `${confidential.redirectUri}?foo=baz` });
  t.equal(response.status, 400);
  t.equal(response.headers.get('location'), null);
});
