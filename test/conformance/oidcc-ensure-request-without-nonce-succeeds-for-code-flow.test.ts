// @see OIDC Core §3.1.2.1 (nonce OPTIONAL in the code flow), §2 (nonce echoed only when sent)
import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { confidential, startBridge } from '../helpers/bridge.js';
import { tokensFor, verifyIdToken } from '../helpers/conformance.js';
import { authorizeUrl } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('signs in without a nonce, and the id_token carries none', async (t) => {
  const url = new URL(authorizeUrl(bridge));
  url.searchParams.delete('nonce');
  const callback = await new Browser().follow(url.href, confidential.redirectUri);
  const tokens = await tokensFor(bridge, callback.searchParams.get('code') ?? '');
  const claims = await verifyIdToken(bridge, tokens.id_token ?? '', { nonce: undefined, accessToken: tokens.access_token });
  t.notOk('nonce' in claims);
});
