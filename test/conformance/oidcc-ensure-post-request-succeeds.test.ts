// @see OIDC Core §3.1.2.1 (the Authorization Endpoint MUST support GET and POST; POST is form-serialised)
import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { confidential, startBridge } from '../helpers/bridge.js';
import { tokensFor, verifyIdToken } from '../helpers/conformance.js';
import { authorizeUrl } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('signs in when the authorization request is a POST form', async (t) => {
  const browser = new Browser();
  const form = new URL(authorizeUrl(bridge, { state: 'post-state', nonce: 'post-nonce' })).searchParams.toString();
  const first = await browser.get(`${bridge.issuer}/authorize`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  t.equal(first.status, 302);
  const callback = await browser.follow(first.headers.get('location') ?? '', confidential.redirectUri);
  t.equal(callback.searchParams.get('state'), 'post-state');
  const tokens = await tokensFor(bridge, callback.searchParams.get('code') ?? '');
  await verifyIdToken(bridge, tokens.id_token ?? '', { nonce: 'post-nonce', accessToken: tokens.access_token });
});
