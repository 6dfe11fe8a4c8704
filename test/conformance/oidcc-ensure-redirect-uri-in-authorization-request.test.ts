// @see OIDC Core §3.1.2.1 (redirect_uri REQUIRED), RFC 6749 §4.1.2.1 (never redirect to an unverified URI)
import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { startBridge } from '../helpers/bridge.js';
import { authorizeUrl } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('shows an error page, never a redirect, when redirect_uri is missing', async (t) => {
  const url = new URL(authorizeUrl(bridge));
  url.searchParams.delete('redirect_uri');
  const response = await new Browser().get(url.href);
  t.equal(response.status, 400);
  t.equal(response.headers.get('location'), null);
  t.match(response.headers.get('content-type'), /^text\/html/);
  t.match(await response.text(), /redirect_uri/);
});
